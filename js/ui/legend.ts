/** Legend overlay: category swatches with counts, or a colour-map bar with min/max. */

import { categoryLegend, cssColor, formatNumber, lutGradientCss, MISSING_COLOR } from "../scene/colors";
import type { CategoryColumn, Column, NumberColumn } from "../wire";
import { h } from "./dom";

/** Number of NaN (missing) values. */
export function countMissing(values: Float32Array, n = values.length): number {
  let k = 0;
  for (let i = 0; i < n; i++) if (Number.isNaN(values[i])) k++;
  return k;
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
    this.el.querySelector(".pw-legend-title")?.setAttribute("aria-expanded", String(!this.collapsed));
  }

  /** Show the legend of a column, or hide it (null / text column). */
  show(column: Column | null, n: number): void {
    this.el.replaceChildren();
    if (!column || column.kind === "text") {
      this.el.hidden = true;
      return;
    }
    this.el.hidden = false;
    const title = h("button", "pw-legend-title", column.name);
    title.type = "button";
    title.title = "Show or hide the legend";
    title.setAttribute("aria-expanded", String(!this.collapsed));
    title.addEventListener("click", () => this.toggle());
    this.el.append(title);
    if (column.kind === "category") this.renderCategory(column);
    else this.renderNumber(column, n);
  }

  private renderCategory(col: CategoryColumn): void {
    const list = h("div", "pw-legend-list");
    for (const entry of categoryLegend(col)) {
      const row = h("div", "pw-legend-row");
      const swatch = h("span", "pw-swatch");
      swatch.style.background = cssColor(entry.color);
      const label = h("span", "pw-legend-label", entry.label);
      label.title = entry.label;
      const count = h("span", "pw-legend-count", entry.count.toLocaleString("en-US"));
      row.append(swatch, label, count);
      list.append(row);
    }
    this.el.append(list);
  }

  private renderNumber(col: NumberColumn, n: number): void {
    const bar = h("div", "pw-gradient");
    bar.style.background = lutGradientCss();
    const range = h("div", "pw-gradient-range");
    range.append(h("span", undefined, formatNumber(col.min)), h("span", undefined, formatNumber(col.max)));
    this.el.append(bar, range);
    const missing = countMissing(col.values, Math.min(n, col.values.length));
    if (missing > 0) {
      const row = h("div", "pw-legend-row");
      const swatch = h("span", "pw-swatch");
      swatch.style.background = cssColor(MISSING_COLOR);
      row.append(swatch, h("span", "pw-legend-label", "(missing)"), h("span", "pw-legend-count", missing.toLocaleString("en-US")));
      this.el.append(row);
    }
  }
}
