/** The status line under the plot. */
import { h } from "./dom";

/**
 * Status text, exactly: "1,000 points · 3 selected"; while points are still arriving,
 * "131,072 of 1,000,000 points · 0 selected".
 */
export function statusText(n: number, selected: number, total = n): string {
  const count = total > n ? `${n.toLocaleString("en-US")} of ${total.toLocaleString("en-US")}` : n.toLocaleString("en-US");
  return `${count} points \u00b7 ${selected.toLocaleString("en-US")} selected`;
}

export class StatusLine {
  readonly el: HTMLDivElement;
  constructor() {
    this.el = h("div", "pw-status", statusText(0, 0));
    this.el.setAttribute("aria-live", "polite");
  }
  set(n: number, selected: number, total = n): void {
    const text = statusText(n, selected, total);
    if (this.el.textContent !== text) this.el.textContent = text;
  }
}
