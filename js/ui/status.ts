/** The status line under the plot. */
import { h } from "./dom";

/**
 * Status text, exactly: "1,000 points · 3 selected"; while points are still arriving,
 * "131,072 of 1,000,000 points · 0 selected"; while the kernel works, its phase follows
 * ("… · t-SNE · computing affinities: 40% (k-NN search)"), then what the view does not draw
 * (`note`: "density contours: 2-D views only"), so they show with the panel closed.
 */
export function statusText(n: number, selected: number, total = n, activity = "", note = ""): string {
  const count = total > n ? `${n.toLocaleString("en-US")} of ${total.toLocaleString("en-US")}` : n.toLocaleString("en-US");
  const base = `${count} points \u00b7 ${selected.toLocaleString("en-US")} selected`;
  return [base, activity, note].filter((s) => s !== "").join(" \u00b7 ");
}

export class StatusLine {
  readonly el: HTMLDivElement;
  constructor() {
    this.el = h("div", "pw-status", statusText(0, 0));
    this.el.setAttribute("aria-live", "polite");
  }
  private counts: [number, number, number] = [0, 0, 0];
  private activity = "";
  private note = "";
  set(n: number, selected: number, total = n): void {
    this.counts = [n, selected, total];
    this.show();
  }
  /** The kernel's current work ("" when none). */
  setActivity(text: string): void {
    this.activity = text;
    this.show();
  }
  /** What the view does not draw that was asked for ("" when none). */
  setNote(text: string): void {
    this.note = text;
    this.show();
  }
  private show(): void {
    const text = statusText(...this.counts, this.activity, this.note);
    if (this.el.textContent !== text) this.el.textContent = text;
  }
}
