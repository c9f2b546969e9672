/**
 * The cross-filter chart: for one metadata column, bars of its categories (the largest by
 * count, the rest as "other", missing values apart) or a histogram of its numbers (bins over
 * the finite range, NaN apart), each with all points and the selection side by side. Clicking a
 * bar (Shift or Ctrl adds) or dragging over bins selects their rows through the same path as a
 * lasso. Counting is typed-array loops over the column the browser already holds (text columns
 * carry no values here, so only category and number columns are charted); the selection is
 * recounted only when it changes. The counting and the bar -> rows mapping are pure functions.
 * Rows an isolated selection hides (`visible`, as the renderer and the lasso know them) are
 * neither counted nor selected: the chart describes the points on screen.
 */
import type { CategoryColumn, Column, NumberColumn } from "../contract/wireColumns";
import { h, listen } from "./dom";

/** Categories shown by name; the rest are one "other" bar. */
export const TOP_CATEGORIES = 12;
/** Bins of a numeric histogram. */
export const HISTOGRAM_BINS = 20;

/** A column the chart can show. */
export type ChartColumn = CategoryColumn | NumberColumn;

/** Columns the chart can show (text columns' values are not in the browser). */
export function chartableColumns(columns: readonly Column[]): ChartColumn[] {
  return columns.filter((c): c is ChartColumn => c.kind !== "text");
}

// ---------------------------------------------------------------------------- counting

/**
 * Which rows are shown: null (all), or a mask where 0 hides a row (rows past its end are
 * shown, as in the renderer's mask of the rows loaded so far).
 */
export type Visible = Uint8Array | null;

const hidden = (visible: Visible, row: number): boolean => visible !== null && row < visible.length && visible[row] === 0;

/** Shown rows per code of `codes` (one slot per possible code: 256 or 65536). */
export function countCodes(codes: Uint8Array | Uint16Array, visible: Visible = null): Uint32Array {
  const counts = new Uint32Array(codes instanceof Uint8Array ? 256 : 65536);
  if (visible === null) {
    for (let i = 0; i < codes.length; i++) counts[codes[i]]++;
  } else {
    for (let i = 0; i < codes.length; i++) if (!hidden(visible, i)) counts[codes[i]]++;
  }
  return counts;
}

/** Selected shown rows per code (rows past the column are ignored). */
export function countSelectedCodes(codes: Uint8Array | Uint16Array, selection: Uint32Array, visible: Visible = null): Uint32Array {
  const counts = new Uint32Array(codes instanceof Uint8Array ? 256 : 65536);
  const n = codes.length;
  for (let i = 0; i < selection.length; i++) {
    const row = selection[i];
    if (row < n && !hidden(visible, row)) counts[codes[row]]++;
  }
  return counts;
}

export interface CategoryBar {
  /** What the bar says: the category, "other (k)" or "missing". */
  label: string;
  role: "category" | "other" | "missing";
  /** The codes it counts. */
  codes: number[];
  all: number;
  selected: number;
}

/**
 * The bars of a category column: its `top` largest categories by count (ties in code order),
 * the rest together as "other" (unless that is a single category, shown by name), then the
 * missing values; categories without rows are left out. Selected counts are 0 until `withSelection`.
 */
export function categoryBars(column: CategoryColumn, counts: Uint32Array, top = TOP_CATEGORIES): CategoryBar[] {
  const present: number[] = [];
  for (let code = 0; code < column.categories.length; code++) {
    if (code !== column.missingCode && counts[code] > 0) present.push(code);
  }
  present.sort((a, b) => counts[b] - counts[a] || a - b);
  const shown = present.length <= top + 1 ? present : present.slice(0, top);
  const bars: CategoryBar[] = shown.map((code) => ({
    label: column.categories[code],
    role: "category",
    codes: [code],
    all: counts[code],
    selected: 0,
  }));
  const rest = present.slice(shown.length);
  if (rest.length > 0) {
    const all = rest.reduce((sum, code) => sum + counts[code], 0);
    bars.push({ label: `other (${rest.length.toLocaleString("en-US")})`, role: "other", codes: rest, all, selected: 0 });
  }
  const missing = column.missingCode;
  if (missing >= 0 && counts[missing] > 0) {
    bars.push({ label: "missing", role: "missing", codes: [missing], all: counts[missing], selected: 0 });
  }
  return bars;
}

/** `bars` with their selected counts from per-code `selected` counts. */
export function withSelection(bars: readonly CategoryBar[], selected: Uint32Array): CategoryBar[] {
  return bars.map((bar) => ({ ...bar, selected: bar.codes.reduce((sum, code) => sum + selected[code], 0) }));
}

export interface Histogram {
  /** Lowest and highest finite value (NaN when there is none). */
  lo: number;
  hi: number;
  /** Bin width: (hi - lo) / bins (0 when every finite value is the same). */
  width: number;
  /** Rows per bin. */
  all: Uint32Array;
  /** Rows whose value is not finite (NaN or infinite). */
  nan: number;
}

/** The bin of finite `v`: floor((v - lo) / width) within [0, bins - 1]. */
export function binOf(v: number, lo: number, width: number, bins: number): number {
  if (!(width > 0)) return 0;
  const b = Math.floor((v - lo) / width);
  return b < 0 ? 0 : b >= bins ? bins - 1 : b;
}

/**
 * Histogram of the shown rows of `values` over their finite range in `bins` bins (one bin when
 * they are all equal).
 */
export function histogram(values: Float32Array, bins = HISTOGRAM_BINS, visible: Visible = null): Histogram {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  let nan = 0;
  let shown = 0;
  for (let i = 0; i < values.length; i++) {
    if (hidden(visible, i)) continue;
    shown++;
    const v = values[i];
    if (v - v !== 0) {
      nan++; // NaN and +-Infinity
      continue;
    }
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (nan === shown) return { lo: Number.NaN, hi: Number.NaN, width: 0, all: new Uint32Array(0), nan };
  const count = hi > lo ? bins : 1;
  const width = (hi - lo) / count;
  const all = new Uint32Array(count);
  const last = count - 1;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v - v !== 0 || hidden(visible, i)) continue;
    // binOf, inlined: this loop runs over every row.
    const b = width > 0 ? Math.floor((v - lo) / width) : 0;
    all[Math.max(0, Math.min(b, last))]++;
  }
  return { lo, hi, width, all, nan };
}

/** Selected shown rows per bin of `hist`, and those without a finite value. */
export function countSelectedBins(
  values: Float32Array,
  hist: Histogram,
  selection: Uint32Array,
  visible: Visible = null,
): { bins: Uint32Array; nan: number } {
  const count = hist.all.length;
  const bins = new Uint32Array(count);
  let nan = 0;
  const n = values.length;
  for (let i = 0; i < selection.length; i++) {
    const row = selection[i];
    if (row >= n || hidden(visible, row)) continue;
    const v = values[row];
    if (v - v === 0) bins[binOf(v, hist.lo, hist.width, count)]++;
    else nan++;
  }
  return { bins, nan };
}

// ---------------------------------------------------------------------------- brush -> rows

/** Shown rows (ascending) whose code is one of `codes`. */
export function rowsOfCodes(column: Uint8Array | Uint16Array, codes: readonly number[], visible: Visible = null): Uint32Array {
  const wanted = new Uint8Array(column instanceof Uint8Array ? 256 : 65536);
  for (const c of codes) if (c >= 0 && c < wanted.length) wanted[c] = 1;
  const out = new Uint32Array(column.length);
  let k = 0;
  for (let i = 0; i < column.length; i++) if (wanted[column[i]] === 1 && !hidden(visible, i)) out[k++] = i;
  return out.slice(0, k);
}

/** Shown rows (ascending) whose finite value falls in bins `first`..`last` of `hist` (either order). */
export function rowsInBins(values: Float32Array, hist: Histogram, first: number, last: number, visible: Visible = null): Uint32Array {
  const count = hist.all.length;
  const b0 = Math.max(0, Math.min(first, last));
  const b1 = Math.min(count - 1, Math.max(first, last));
  const keep = (v: number): boolean => {
    if (v - v !== 0) return false;
    const b = binOf(v, hist.lo, hist.width, count);
    return b >= b0 && b <= b1;
  };
  return collect(values, keep, visible);
}

/** Shown rows (ascending) whose value is not finite. */
export function rowsNotFinite(values: Float32Array, visible: Visible = null): Uint32Array {
  return collect(values, (v) => v - v !== 0, visible);
}

function collect(values: Float32Array, keep: (v: number) => boolean, visible: Visible): Uint32Array {
  const out = new Uint32Array(values.length);
  let k = 0;
  for (let i = 0; i < values.length; i++) if (keep(values[i]) && !hidden(visible, i)) out[k++] = i;
  return out.slice(0, k);
}

/** A number as the axis shows it (4 significant digits). */
export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return "0";
  const a = Math.abs(v);
  return a >= 1e5 || a < 1e-3 ? v.toExponential(2) : String(Number(v.toPrecision(4)));
}

// ---------------------------------------------------------------------------- the panel

export interface ChartHandlers {
  /** The user chose a column ("" closes the chart). */
  choose(column: string): void;
  /** The user brushed `rows` (ascending); `add` keeps the current selection too. */
  select(rows: Uint32Array, add: boolean): void;
}

const fmt = (n: number): string => n.toLocaleString("en-US");

/** Rows of `n` that `visible` shows. */
function shownCount(visible: Visible, n: number): number {
  if (visible === null) return n;
  let k = 0;
  for (let i = 0; i < n; i++) if (!hidden(visible, i)) k++;
  return k;
}

function sameMask(a: Visible, b: Visible): boolean {
  if (a === b) return true;
  if (a === null || b === null || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if ((a[i] === 0) !== (b[i] === 0)) return false;
  return true;
}

/**
 * The chart panel beside the stage, and its toggle for the toolbar. `setColumns`, `show` (the
 * model's `chart`) and `setSelection` feed it; it asks for changes through its handlers.
 */
export class ChartPanel {
  readonly el: HTMLDivElement;
  /** The toolbar button that opens and closes it. */
  readonly toggle: HTMLButtonElement;
  private readonly select: HTMLSelectElement;
  private readonly body: HTMLDivElement;
  private readonly summary: HTMLDivElement;
  private readonly offs: (() => void)[] = [];
  private columns: ChartColumn[] = [];
  private column: ChartColumn | null = null;
  private selection: Uint32Array = new Uint32Array(0);
  /** The rows drawn (null: all); hidden rows are neither counted nor selected. */
  private visible: Visible = null;
  /** What the counts count: "points", or "shown points" while some rows are hidden. */
  private noun = "points";
  /** The selection the bars were counted for (recount only when it changes). */
  private counted: Uint32Array | null = null;
  private bars: CategoryBar[] = [];
  private hist: Histogram | null = null;
  /** Listeners of the bars drawn now (dropped with them). */
  private drawn: (() => void)[] = [];

  constructor(private readonly handlers: ChartHandlers) {
    this.el = h("div", "pw-chart");
    this.el.hidden = true;
    this.el.setAttribute("role", "region");
    this.el.setAttribute("aria-label", "Cross-filter chart");
    const head = h("div", "pw-chart-head");
    this.select = h("select", "pw-chart-column");
    this.select.title = "The metadata column to chart";
    const close = h("button", "pw-button pw-chart-close", "\u00d7");
    close.type = "button";
    close.title = "Close the chart";
    close.setAttribute("aria-label", "Close the chart");
    head.append(this.select, close);
    this.summary = h("div", "pw-chart-summary");
    this.body = h("div", "pw-chart-body");
    this.el.append(head, this.summary, this.body);

    this.toggle = h("button", "pw-button pw-chart-toggle", "Chart");
    this.toggle.type = "button";
    this.toggle.title = "Chart a metadata column: all points and the selection; click or drag bars to select";
    this.toggle.setAttribute("aria-pressed", "false");
    this.offs.push(
      listen(this.select, "change", () => handlers.choose(this.select.value)),
      listen(close, "click", () => handlers.choose("")),
      listen(this.toggle, "click", () => handlers.choose(this.column ? "" : this.defaultColumn())),
    );
    this.setColumns([]);
  }

  /** The column a toggle opens: the one shown last, else the first. */
  private defaultColumn(): string {
    const last = this.select.value;
    return this.columns.some((c) => c.name === last) ? last : (this.columns[0]?.name ?? "");
  }

  /** The metadata columns (any kind; text columns are not offered). */
  setColumns(columns: readonly Column[]): void {
    this.columns = chartableColumns(columns);
    this.toggle.disabled = this.columns.length === 0;
    this.select.replaceChildren();
    for (const c of this.columns) {
      const opt = h("option", undefined, c.name);
      opt.value = c.name;
      this.select.append(opt);
    }
    this.show(this.column?.name ?? "");
  }

  /** Show the chart of `name` ("" or an unknown column hides it). */
  show(name: string): void {
    const column = this.columns.find((c) => c.name === name) ?? null;
    const open = column !== null;
    this.el.hidden = !open;
    this.toggle.setAttribute("aria-pressed", String(open));
    this.toggle.classList.toggle("pw-active", open);
    if (column === this.column) return;
    this.column = column;
    if (column) this.select.value = column.name;
    this.el.dataset.kind = column?.kind ?? "";
    this.count();
  }

  /** The selection (sorted unique rows); counted when the chart is open. */
  setSelection(selection: Uint32Array): void {
    this.selection = selection;
    if (this.column && selection !== this.counted) this.recountSelection();
  }

  /** The rows drawn (the points' `visible` mask, null when all are); recounts when it changed. */
  setVisible(visible: Visible): void {
    if (sameMask(visible, this.visible)) return;
    this.visible = visible === null ? null : visible.slice();
    if (this.column) this.count();
  }

  /** Count every shown row of the chosen column, then the selection. */
  private count(): void {
    this.bars = [];
    this.hist = null;
    const column = this.column;
    if (column?.kind === "category") this.bars = categoryBars(column, countCodes(column.codes, this.visible));
    if (column?.kind === "number") this.hist = histogram(column.values, HISTOGRAM_BINS, this.visible);
    this.recountSelection();
  }

  private recountSelection(): void {
    this.counted = this.selection;
    const column = this.column;
    for (const off of this.drawn.splice(0)) off();
    this.body.replaceChildren();
    if (!column) return;
    const sel = this.selection;
    const vis = this.visible;
    const rows = column.kind === "category" ? column.codes.length : column.values.length;
    const total = shownCount(vis, rows);
    const selected = vis === null ? sel.length : sel.reduce((k, row) => k + (row < rows && !hidden(vis, row) ? 1 : 0), 0);
    const what = total < rows ? "shown points" : "points";
    this.noun = what;
    this.summary.textContent =
      sel.length > 0
        ? `${fmt(selected)} of ${fmt(total)}${total < rows ? " shown points" : ""} selected`
        : `${fmt(total)} ${what} \u00b7 click or drag to select`;
    if (column.kind === "category") {
      this.bars = withSelection(this.bars, countSelectedCodes(column.codes, sel, vis));
      this.drawCategories(column);
    } else if (this.hist) {
      const counts = countSelectedBins(column.values, this.hist, sel, vis);
      this.drawHistogram(column, this.hist, counts.bins, counts.nan);
    }
  }

  private drawCategories(column: CategoryColumn): void {
    const max = this.bars.reduce((m, b) => Math.max(m, b.all), 0);
    for (const bar of this.bars) {
      const row = this.barRow(bar.label, bar.all, bar.selected, max, bar.role);
      this.drawn.push(this.onActivate(row, (add) => this.handlers.select(rowsOfCodes(column.codes, bar.codes, this.visible), add)));
      this.body.append(row);
    }
  }

  private drawHistogram(column: NumberColumn, hist: Histogram, selected: Uint32Array, nanSelected: number): void {
    const bins = hist.all.length;
    if (bins > 0) {
      const max = hist.all.reduce((m, c) => Math.max(m, c), 0);
      const plot = h("div", "pw-chart-hist");
      plot.setAttribute("role", "group");
      plot.setAttribute("aria-label", "Histogram: drag over bins to select their points");
      const cells: HTMLDivElement[] = [];
      for (let b = 0; b < bins; b++) {
        const lo = hist.lo + b * hist.width;
        const hi = b === bins - 1 ? hist.hi : hist.lo + (b + 1) * hist.width;
        const cell = h("div", "pw-chart-bin");
        const all = h("span", "pw-chart-all");
        all.style.height = `${max > 0 ? (100 * hist.all[b]) / max : 0}%`;
        const sel = h("span", "pw-chart-sel");
        sel.style.height = `${max > 0 ? (100 * selected[b]) / max : 0}%`;
        cell.append(all, sel);
        cell.title = `${formatValue(lo)} \u2013 ${formatValue(hi)}: ${fmt(hist.all[b])} ${this.noun}, ${fmt(selected[b])} selected`;
        Object.assign(cell.dataset, { lo: String(lo), hi: String(hi), all: String(hist.all[b]), selected: String(selected[b]) });
        cells.push(cell);
        plot.append(cell);
      }
      const axis = h("div", "pw-chart-axis");
      axis.append(h("span", undefined, formatValue(hist.lo)), h("span", undefined, formatValue(hist.hi)));
      this.body.append(plot, axis);
      this.drawn.push(
        this.brush(plot, cells, (first, last, add) =>
          this.handlers.select(rowsInBins(column.values, hist, first, last, this.visible), add),
        ),
      );
    }
    if (hist.nan > 0) {
      const row = this.barRow("NaN", hist.nan, nanSelected, hist.nan, "missing");
      this.drawn.push(this.onActivate(row, (add) => this.handlers.select(rowsNotFinite(column.values, this.visible), add)));
      this.body.append(row);
    }
  }

  /** One horizontal bar: its label, all points, the selection over them, and the counts as text. */
  private barRow(label: string, all: number, selected: number, max: number, role: string): HTMLDivElement {
    const row = h("div", "pw-chart-bar");
    row.tabIndex = 0;
    row.setAttribute("role", "button");
    row.dataset.role = role;
    Object.assign(row.dataset, { label, all: String(all), selected: String(selected) });
    row.title = `${label}: ${fmt(all)} ${this.noun}, ${fmt(selected)} selected (click: select, Shift/Ctrl+click: add)`;
    const track = h("span", "pw-chart-track");
    const a = h("span", "pw-chart-all");
    a.style.width = `${max > 0 ? (100 * all) / max : 0}%`;
    const s = h("span", "pw-chart-sel");
    s.style.width = `${max > 0 ? (100 * selected) / max : 0}%`;
    track.append(a, s);
    const counts = h("span", "pw-chart-count", this.selection.length > 0 ? `${fmt(selected)} / ${fmt(all)}` : fmt(all));
    row.append(h("span", "pw-chart-label", label), track, counts);
    return row;
  }

  /** Run `action(add)` on a click or Enter/Space on `el`. */
  private onActivate(el: HTMLElement, action: (add: boolean) => void): () => void {
    const offClick = listen<MouseEvent>(el, "click", (e) => action(e.shiftKey || e.ctrlKey || e.metaKey));
    const offKey = listen<KeyboardEvent>(el, "keydown", (e) => {
      if (e.key !== "Enter" && e.key !== " ") return;
      e.preventDefault();
      action(e.shiftKey || e.ctrlKey || e.metaKey);
    });
    return () => {
      offClick();
      offKey();
    };
  }

  /** Drag over the histogram's bins (a click is a one-bin drag) to select them. */
  private brush(plot: HTMLElement, cells: HTMLElement[], done: (first: number, last: number, add: boolean) => void): () => void {
    let start = -1;
    const binAt = (x: number): number => {
      const r = plot.getBoundingClientRect();
      const b = Math.floor(((x - r.left) / Math.max(1, r.width)) * cells.length);
      return Math.max(0, Math.min(cells.length - 1, b));
    };
    const mark = (a: number, b: number): void => {
      const lo = Math.min(a, b);
      const hi = Math.max(a, b);
      cells.forEach((c, i) => {
        c.classList.toggle("pw-chart-brushed", start >= 0 && i >= lo && i <= hi);
      });
    };
    const offs = [
      listen<PointerEvent>(plot, "pointerdown", (e) => {
        if (e.button !== 0) return;
        e.preventDefault();
        plot.setPointerCapture?.(e.pointerId);
        start = binAt(e.clientX);
        mark(start, start);
      }),
      listen<PointerEvent>(plot, "pointermove", (e) => {
        if (start >= 0) mark(start, binAt(e.clientX));
      }),
      listen<PointerEvent>(plot, "pointerup", (e) => {
        if (start < 0) return;
        const first = start;
        start = -1;
        mark(0, 0);
        done(first, binAt(e.clientX), e.shiftKey || e.ctrlKey || e.metaKey);
      }),
      listen<PointerEvent>(plot, "pointercancel", () => {
        start = -1;
        mark(0, 0);
      }),
    ];
    return () => {
      for (const off of offs) off();
    };
  }

  dispose(): void {
    for (const off of this.drawn.splice(0)) off();
    for (const off of this.offs.splice(0)) off();
    this.el.remove();
    this.toggle.remove();
  }
}
