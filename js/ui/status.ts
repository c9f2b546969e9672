/** The status line under the plot. */
import { h } from "./dom";

/** Status text, exactly: "1,000 points · 3 selected". */
export function statusText(n: number, selected: number): string {
  return `${n.toLocaleString("en-US")} points \u00b7 ${selected.toLocaleString("en-US")} selected`;
}

export class StatusLine {
  readonly el: HTMLDivElement;
  constructor() {
    this.el = h("div", "pw-status", statusText(0, 0));
    this.el.setAttribute("aria-live", "polite");
  }
  set(n: number, selected: number): void {
    const text = statusText(n, selected);
    if (this.el.textContent !== text) this.el.textContent = text;
  }
}
