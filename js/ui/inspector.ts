/**
 * The inspector (right side): the focused point (or semantic query), the k
 * and metric controls (metrics and the largest k from the kernel's `_spec`),
 * and its nearest neighbours, closest first: each with its row number, its
 * text in the naming column (`label_by`, else the first text column) and its
 * value in the colour column. Clicking a neighbour focuses it. Text only
 * through textContent.
 */
import type { Spec } from "../contract/protocol";
import type { Column, Neighbors } from "../contract/wireColumns";
import { formatDistance } from "../contract/wireColumns";
import { formatNumber } from "../scene/colors";
import { h, listen } from "./dom";
import { truncate } from "./tooltip";

/** The colour column as the inspector names each row's value in it. */
export interface RowColor {
  /** The column's name. */
  column: string;
  /** Row `index`'s value as text ("" when missing). */
  text(index: number): string;
}

/** The colour column `name` of `columns` as the inspector shows it; null when there is none (or it is text). */
export function rowColor(columns: readonly Column[], name: string): RowColor | null {
  const col = columns.find((c) => c.name === name);
  if (col?.kind === "category") {
    return {
      column: col.name,
      text: (i) => {
        const code = i >= 0 && i < col.codes.length ? col.codes[i] : -1;
        return code < 0 || code === col.missingCode ? "" : (col.categories[code] ?? "");
      },
    };
  }
  if (col?.kind === "number") {
    return {
      column: col.name,
      text: (i) => (i >= 0 && i < col.values.length && Number.isFinite(col.values[i]) ? formatNumber(col.values[i]) : ""),
    };
  }
  return null;
}

/** What a listed row shows: its number ("#12"), its text in the naming column and its colour value. */
export interface RowTexts {
  id: string;
  /** "" when the row has no text of its own (no naming column: the kernel calls it "#12"). */
  label: string;
  /** "" when there is no colour column, it is the naming column, or the value is missing. */
  color: string;
}

/** The texts of row `index` named `label` (in `labelColumn`), with its value in the colour column. */
export function rowTexts(index: number, label: string, labelColumn: string, color: RowColor | null): RowTexts {
  const id = `#${index}`;
  const value = color && color.column !== labelColumn ? color.text(index) : "";
  return { id, label: label === id ? "" : label, color: value };
}

/** A listed row's tooltip: "#12 · word: queen · digit: 4". */
export function rowTitle(t: RowTexts, labelColumn: string, color: RowColor | null): string {
  const parts = [t.id];
  if (t.label) parts.push(labelColumn ? `${labelColumn}: ${t.label}` : t.label);
  if (t.color && color) parts.push(`${color.column}: ${t.color}`);
  return parts.join(" \u00b7 ");
}

export interface InspectorHandlers {
  focus(index: number): void;
  k(k: number): void;
  metric(metric: string): void;
  close(): void;
  hover(index: number): void;
}

export class Inspector {
  readonly el: HTMLDivElement;
  private readonly title = h("div", "pw-inspector-title");
  private readonly subtitle = h("div", "pw-inspector-subtitle");
  private readonly kInput = h("input", "pw-input pw-k");
  private readonly metric = h("select", "pw-select pw-metric");
  private readonly list = h("ol", "pw-neighbors");
  private readonly offs: (() => void)[] = [];
  private count = 0;
  private readonly controls: HTMLDivElement;
  /** Shown instead of neighbours that cannot be computed (a saved page); "" when they can. */
  private offline = "";
  /** The most neighbours the kernel computes (`_spec`); until it is known, k is not clamped above. */
  private kMax = Number.POSITIVE_INFINITY;
  private metrics: readonly string[] = [];
  /** The model's metric (shown once the kernel offers it). */
  private wantedMetric = "";

  constructor(handlers: InspectorHandlers) {
    this.el = h("div", "pw-inspector");
    this.el.hidden = true;
    this.el.setAttribute("aria-label", "Nearest neighbours");
    const head = h("div", "pw-inspector-head");
    const close = h("button", "pw-button pw-inspector-close", "\u00d7");
    close.type = "button";
    close.title = "Close (Escape)";
    close.setAttribute("aria-label", "Close the inspector");
    head.append(this.title, close);
    this.kInput.type = "number";
    this.kInput.min = "1";
    this.kInput.title = "Number of neighbours";
    this.metric.title = "Distance used for the neighbours";
    const controls = h("div", "pw-row pw-inspector-controls");
    this.controls = controls;
    const kl = h("label", "pw-field pw-field-inline");
    kl.append(h("span", "pw-field-label", "k"), this.kInput);
    controls.append(kl, this.metric);
    this.el.append(head, this.subtitle, controls, this.list);
    const sendK = (): void => {
      const k = Math.round(Number(this.kInput.value));
      if (Number.isFinite(k)) handlers.k(Math.max(1, Math.min(this.kMax, k)));
    };
    this.offs.push(
      listen(close, "click", () => handlers.close()),
      listen(this.kInput, "change", sendK),
      listen<KeyboardEvent>(this.kInput, "keydown", (e) => {
        if (e.key === "Enter") {
          e.preventDefault();
          sendK();
        }
      }),
      listen(this.metric, "change", () => handlers.metric(this.metric.value)),
      listen<MouseEvent>(this.list, "click", (e) => {
        const item = (e.target as Element).closest(".pw-neighbor");
        if (item instanceof HTMLElement && item.dataset.index !== undefined) handlers.focus(Number(item.dataset.index));
      }),
      listen<MouseEvent>(this.list, "mouseover", (e) => {
        const item = (e.target as Element).closest(".pw-neighbor");
        handlers.hover(item instanceof HTMLElement ? Number(item.dataset.index) : -1);
      }),
      listen(this.list, "mouseleave", () => handlers.hover(-1)),
    );
  }

  /**
   * No kernel to ask for neighbours: hide k and the metric, and show `message`
   * where neighbours would be (neighbours saved with the page still show).
   */
  setOffline(message: string): void {
    this.offline = message;
    this.controls.hidden = message !== "";
  }

  setK(k: number): void {
    if (document.activeElement !== this.kInput) this.kInput.value = String(k);
  }

  /** The kernel's rules: the metrics it offers (the default first) and the largest k. */
  setSpec(spec: Spec | null): void {
    this.metrics = spec?.metrics ?? [];
    this.metric.replaceChildren();
    for (const m of this.metrics) {
      const o = h("option", undefined, m);
      o.value = m;
      this.metric.append(o);
    }
    this.setMetric(this.wantedMetric);
    this.kMax = spec?.kMax ?? Number.POSITIVE_INFINITY;
    if (spec) this.kInput.max = String(spec.kMax);
    else this.kInput.removeAttribute("max");
  }

  /** Show `metric`, or the default one when the kernel does not offer it. */
  setMetric(metric: string): void {
    this.wantedMetric = metric;
    this.metric.value = this.metrics.includes(metric) ? metric : (this.metrics[0] ?? "");
  }

  /**
   * Show the inspector for `focus` (with its label) or a semantic query, and
   * the neighbours when they belong to it, with their values in the colour
   * column `color`; hide it when neither is active.
   */
  show(focus: number, focusLabel: string, query: string | null, nb: Neighbors | null, color: RowColor | null = null): void {
    const active = focus >= 0 || query !== null;
    this.el.hidden = !active;
    if (!active) {
      this.count = 0;
      return;
    }
    if (focus >= 0) {
      this.title.textContent = focusLabel ? `#${focus} ${truncate(focusLabel, 80)}` : `#${focus}`;
      const value = color ? color.text(focus) : "";
      this.subtitle.textContent =
        value && color ? `${color.column}: ${truncate(value, 40)} \u00b7 nearest neighbours` : "Nearest neighbours";
    } else {
      this.title.textContent = `\u201c${truncate(query ?? "", 80)}\u201d`;
      this.subtitle.textContent = "Semantic query \u00b7 nearest points";
    }
    const matches = nb !== null && (focus >= 0 ? nb.index === focus : nb.index === -1);
    this.list.replaceChildren();
    this.count = 0;
    if (!matches || !nb) {
      this.list.append(h("li", "pw-empty", this.offline || "\u2026"));
      return;
    }
    for (let j = 0; j < nb.indices.length; j++) {
      const li = h("li", "pw-neighbor");
      const idx = nb.indices[j];
      li.dataset.index = String(idx);
      const t = rowTexts(idx, nb.labels[j] ?? "", nb.column, color);
      li.title = rowTitle(t, nb.column, color);
      li.append(
        h("span", "pw-neighbor-id", t.id),
        h("span", "pw-neighbor-label", truncate(t.label, 120)),
        h("span", "pw-neighbor-color", truncate(t.color, 24)),
        h("span", "pw-neighbor-distance", formatDistance(nb.distances[j])),
      );
      this.list.append(li);
    }
    this.count = nb.indices.length;
    if (this.count === 0) this.list.append(h("li", "pw-empty", "No neighbours"));
  }

  /** Neighbours listed. */
  get neighborCount(): number {
    return this.count;
  }

  dispose(): void {
    for (const off of this.offs) off();
    this.offs.length = 0;
  }
}
