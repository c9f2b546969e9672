/**
 * Hover tooltip: "#index" and the row's metadata, all as text (textContent, never HTML). A missing
 * value shows as a muted dash titled "missing"; an empty string as an empty cell.
 */
import type { RowValue } from "../contract/protocol";
import { h } from "./dom";

const MAX_VALUE_CHARS = 300;
const OFFSET = 14;

/** What a missing value shows. */
export const MISSING_TEXT = "\u2014";

export function truncate(text: string, max = MAX_VALUE_CHARS): string {
  return text.length > max ? `${text.slice(0, max - 1)}\u2026` : text;
}

export class Tooltip {
  readonly el: HTMLDivElement;
  private index = -1;
  private rows: RowValue[] | null = null;

  constructor() {
    this.el = h("div", "pw-tooltip");
    this.el.hidden = true;
    this.el.setAttribute("role", "tooltip");
  }

  /**
   * Show point `index` near (x, y) (CSS px in the stage of size w x h);
   * `rows` null means the row is still loading.
   */
  show(index: number, rows: RowValue[] | null, x: number, y: number, w: number, hgt: number): void {
    if (index !== this.index || rows !== this.rows) {
      this.index = index;
      this.rows = rows;
      this.el.replaceChildren(h("div", "pw-tooltip-title", `#${index}`));
      if (rows === null) {
        this.el.append(h("div", "pw-tooltip-loading", "\u2026"));
      } else {
        const table = h("div", "pw-tooltip-table");
        for (const [name, value] of rows) {
          table.append(h("div", "pw-tooltip-key", truncate(name, 60)), valueCell(value));
        }
        this.el.append(table);
      }
    }
    this.el.hidden = false;
    // Keep it inside the stage: flip to the other side of the cursor when needed.
    const tw = this.el.offsetWidth;
    const th = this.el.offsetHeight;
    let left = x + OFFSET;
    let top = y + OFFSET;
    if (left + tw > w) left = Math.max(0, x - OFFSET - tw);
    if (top + th > hgt) top = Math.max(0, y - OFFSET - th);
    this.el.style.transform = `translate(${Math.round(left)}px, ${Math.round(top)}px)`;
  }

  hide(): void {
    this.el.hidden = true;
    this.index = -1;
    this.rows = null;
  }
}

/** The value cell of one column: the text, or a muted dash when the value is missing. */
function valueCell(value: string | null): HTMLDivElement {
  if (value !== null) return h("div", "pw-tooltip-value", truncate(value));
  const cell = h("div", "pw-tooltip-value pw-tooltip-missing", MISSING_TEXT);
  cell.title = "missing";
  return cell;
}
