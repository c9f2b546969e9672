/**
 * Legend overlay: category swatches with counts, or a colour-map bar with min/max, in the
 * colours the points are drawn with (the chosen palette or colour map, at the points' opacity);
 * and, when the points are sized by a column, the sizes of its minimum and maximum.
 */

import type { CategoryColumn, Column, NumberColumn } from "../contract/wireColumns";
import { categoryLegend, cssColor, formatNumber, lutGradientCss, MISSING_COLOR, type RGB } from "../scene/colors";
import { h } from "./dom";

/** Number of NaN (missing) values. */
export function countMissing(values: Float32Array, n = values.length): number {
  let k = 0;
  for (let i = 0; i < n; i++) if (Number.isNaN(values[i])) k++;
  return k;
}

/** The largest dot the size legend draws, CSS px (larger points are drawn at this size). */
export const LEGEND_DOT_MAX = 40;

/** What the points show, for the legend. */
export interface LegendView {
  /** The colour column (null, or a text column: no colour legend). */
  color: Column | null;
  /** Rows drawn (missing values are counted among them). */
  n: number;
  /** The colour map of numeric columns (colors.ts colorMapLut). */
  lut: Uint8Array;
  /** The colours of categorical columns. */
  palette: readonly RGB[];
  /** Opacity of the points. */
  opacity: number;
  /** The size column, with the diameters (CSS px) of its minimum and maximum; null when none. */
  size: { column: NumberColumn; minPx: number; maxPx: number } | null;
}

export class Legend {
  readonly el: HTMLDivElement;
  private collapsed = false;

  constructor() {
    this.el = h("div", "pw-legend");
    this.el.hidden = true;
  }

  /** Collapse to the title line (or expand); kept across column changes. */
  toggle(): void {
    this.collapsed = !this.collapsed;
    this.el.classList.toggle("pw-legend-collapsed", this.collapsed);
    for (const t of this.el.querySelectorAll(".pw-legend-title")) t.setAttribute("aria-expanded", String(!this.collapsed));
  }

  /** Show the legend of what the points show, or hide it (no colour and no size column). */
  show(view: LegendView): void {
    this.el.replaceChildren();
    const column = view.color && view.color.kind !== "text" ? view.color : null;
    if (!column && !view.size) {
      this.el.hidden = true;
      return;
    }
    this.el.hidden = false;
    if (column) {
      this.el.append(this.title(column.name));
      if (column.kind === "category") this.renderCategory(column, view);
      else this.renderNumber(column, view);
    }
    if (view.size) this.renderSize(view.size, column === null);
  }

  private title(text: string): HTMLButtonElement {
    const title = h("button", "pw-legend-title", text);
    title.type = "button";
    title.title = "Show or hide the legend";
    title.setAttribute("aria-expanded", String(!this.collapsed));
    title.addEventListener("click", () => this.toggle());
    return title;
  }

  private swatch(color: RGB, opacity: number): HTMLSpanElement {
    const swatch = h("span", "pw-swatch");
    swatch.style.background = cssColor(color);
    if (opacity < 1) swatch.style.opacity = String(opacity);
    return swatch;
  }

  private renderCategory(col: CategoryColumn, view: LegendView): void {
    const list = h("div", "pw-legend-list");
    for (const entry of categoryLegend(col, view.palette)) {
      const row = h("div", "pw-legend-row");
      const label = h("span", "pw-legend-label", entry.label);
      label.title = entry.label;
      // The overview knows its categories but not their counts (NaN): no number then.
      const count = h("span", "pw-legend-count", Number.isFinite(entry.count) ? entry.count.toLocaleString("en-US") : "");
      row.append(this.swatch(entry.color, view.opacity), label, count);
      list.append(row);
    }
    this.el.append(list);
  }

  private renderNumber(col: NumberColumn, view: LegendView): void {
    const bar = h("div", "pw-gradient");
    bar.style.background = lutGradientCss(view.lut);
    if (view.opacity < 1) bar.style.opacity = String(view.opacity);
    const range = h("div", "pw-gradient-range");
    range.append(h("span", undefined, formatNumber(col.min)), h("span", undefined, formatNumber(col.max)));
    this.el.append(bar, range);
    const missing = countMissing(col.values, Math.min(view.n, col.values.length));
    if (missing > 0) {
      const row = h("div", "pw-legend-row");
      row.append(
        this.swatch(MISSING_COLOR, view.opacity),
        h("span", "pw-legend-label", "(missing)"),
        h("span", "pw-legend-count", missing.toLocaleString("en-US")),
      );
      this.el.append(row);
    }
  }

  /** Two dots, the diameters of the size column's minimum and maximum, with those values. */
  private renderSize(size: NonNullable<LegendView["size"]>, titled: boolean): void {
    this.el.append(titled ? this.title(size.column.name) : h("div", "pw-legend-label pw-legend-size-title", `size: ${size.column.name}`));
    const slot = Math.min(LEGEND_DOT_MAX, Math.max(size.minPx, size.maxPx, 1));
    for (const [px, value] of [
      [size.minPx, size.column.min],
      [size.maxPx, size.column.max],
    ] as const) {
      const row = h("div", "pw-legend-row pw-legend-size");
      // The dot, centred in a box as wide as the larger one so that the values line up.
      const cell = h("span", "pw-legend-dot-cell");
      cell.style.cssText = `flex: none; display: inline-flex; align-items: center; justify-content: center; width: ${slot}px; height: ${slot}px`;
      const dot = h("span", "pw-swatch pw-legend-dot");
      const d = Math.max(1, Math.min(LEGEND_DOT_MAX, px));
      dot.style.width = dot.style.height = `${d}px`;
      dot.style.background = "var(--pw-fg-2)";
      cell.append(dot);
      row.append(cell, h("span", "pw-legend-label", formatNumber(value)));
      this.el.append(row);
    }
  }
}
