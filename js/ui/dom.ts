/** Tiny DOM helpers and the form controls the panel sections share. Data-derived text always goes through textContent. */

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

/** Add an event listener and return the function that removes it. */
export function listen<E extends Event>(
  target: EventTarget,
  type: string,
  handler: (e: E) => void,
  options?: AddEventListenerOptions | boolean,
): () => void {
  const fn = handler as EventListener;
  target.addEventListener(type, fn, options);
  return () => target.removeEventListener(type, fn, options);
}

// ------------------------------------------------------------------ form helpers

/** A number typed into a field, within [lo, hi]; null when it is not a number. */
export function clampInput(text: string, lo: number, hi: number): number | null {
  const v = parseFloat(text);
  return Number.isFinite(v) ? Math.min(hi, Math.max(lo, v)) : null;
}

/** A labelled control: the label's text above (or beside) `control`. */
export function field(text: string, control: HTMLElement, cls = "pw-field"): HTMLLabelElement {
  const label = h("label", cls);
  label.append(h("span", "pw-field-label", text), control);
  return label;
}

export function input(cls: string, type = "text", placeholder = ""): HTMLInputElement {
  const el = h("input", `pw-input ${cls}`);
  el.type = type;
  if (placeholder) el.placeholder = placeholder;
  el.spellcheck = false;
  el.autocomplete = "off";
  return el;
}

export function select(cls: string, options: [string, string][] = []): HTMLSelectElement {
  const el = h("select", `pw-select ${cls}`);
  setOptions(el, options);
  return el;
}

/** Replace a select's options ([value, text] pairs), keeping the value when it still exists. */
export function setOptions(el: HTMLSelectElement, options: [string, string][], value = el.value): void {
  el.replaceChildren();
  for (const [v, text] of options) {
    const opt = h("option", undefined, text);
    opt.value = v;
    el.append(opt);
  }
  if (options.some(([v]) => v === value)) el.value = value;
}

export function button(cls: string, text: string, title = ""): HTMLButtonElement {
  const b = h("button", `pw-button ${cls}`, text);
  b.type = "button";
  if (title) b.title = title;
  return b;
}

/** A panel section: a titled `details`, open, and its body. */
export function section(title: string, cls: string): { el: HTMLDetailsElement; body: HTMLDivElement } {
  const el = h("details", `pw-section ${cls}`);
  el.open = true;
  el.append(h("summary", "pw-section-title", title));
  const body = h("div", "pw-section-body");
  el.append(body);
  return { el, body };
}

/** A checkbox with its text after it. */
export function check(box: HTMLInputElement, text: string): HTMLLabelElement {
  const label = h("label", "pw-check");
  label.append(box, h("span", undefined, text));
  return label;
}

/** Call `fn` when Enter is pressed in `el` (its default prevented); returns the function that stops it. */
export function onEnter(el: HTMLInputElement, fn: () => void): () => void {
  return listen<KeyboardEvent>(el, "keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      fn();
    }
  });
}
