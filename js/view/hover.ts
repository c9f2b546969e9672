/**
 * The hovered point of a view and its tooltip: the tooltip shows the row's metadata from the
 * model's row cache, asks for it when it is not there, and fills in when it arrives.
 */
import type { RowCache } from "../shared/rowCache";
import type { Tooltip } from "../ui/tooltip";

export class Hover {
  /** The hovered row; -1 for none. */
  index = -1;
  private x = 0;
  private y = 0;

  constructor(
    private readonly tooltip: Tooltip,
    private readonly rows: RowCache,
    private readonly stage: HTMLElement,
    /** Whether there is metadata to show (no columns: the tooltip shows the row number only). */
    private readonly hasColumns: () => boolean,
  ) {}

  /** The pointer is over row `index` (-1: none) at (x, y) CSS px in the stage. */
  set(index: number, x: number, y: number): void {
    this.index = index;
    this.x = x;
    this.y = y;
    this.show();
    if (index >= 0 && this.hasColumns()) this.rows.request(index, () => this.index === index);
  }

  /** Nothing is hovered (the points were replaced). */
  clear(): void {
    this.index = -1;
    this.tooltip.hide();
  }

  /** Row `index` arrived in the cache. */
  rowArrived(index: number): void {
    if (index === this.index) this.show();
  }

  private show(): void {
    if (this.index < 0) {
      this.tooltip.hide();
      return;
    }
    const rows = this.hasColumns() ? (this.rows.get(this.index) ?? null) : [];
    this.tooltip.show(this.index, rows, this.x, this.y, this.stage.clientWidth, this.stage.clientHeight);
  }
}
