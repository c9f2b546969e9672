/** Tiny DOM helpers. Data-derived text always goes through textContent. */

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
