/**
 * The hovered point of a view and its tooltip: the tooltip shows the row's metadata from the
 * model's row cache, asks for it when it is not there, and fills in when it arrives.
 * `HoverBinder` ties it to the view: the renderer's highlight, and the points being replaced.
 */
import type { Column } from "../contract/wireColumns";
import type { PointsChange } from "../shared/points";
import type { RowCache } from "../shared/rowCache";
import type { Tooltip } from "../ui/tooltip";
import type { Signal } from "./signal";
import type { Stage } from "./stage";

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

/** Where a view's hover shows and what it follows. */
export interface HoverParts {
  stage: Stage;
  /** The stage's element: the tooltip stays inside it. */
  el: HTMLElement;
  rows: RowCache;
  /** The columns (none: the tooltip shows the row number only), and when the points drawn change: a replacement clears the hover (view/drawing.ts). */
  drawing: { readonly columns: readonly Column[]; readonly pointsShown: Signal<[PointsChange]> };
}

/** The hover of a view with the renderer's highlight, cleared when the points are replaced. */
export class HoverBinder {
  readonly hover: Hover;
  private readonly off: () => void;

  constructor(private readonly parts: HoverParts) {
    const { stage, drawing } = parts;
    const hover = new Hover(stage.tooltip, parts.rows, parts.el, () => drawing.columns.length > 0);
    this.hover = hover;
    this.off = drawing.pointsShown.on((change) => {
      if (change !== "replaced") return;
      hover.clear();
      stage.renderer?.setHover(-1);
    });
  }

  /** The hovered row; -1 for none. */
  get index(): number {
    return this.hover.index;
  }

  /** The pointer is over row `index` (-1: none) at (x, y) CSS px in the stage. */
  at(index: number, x: number, y: number): void {
    const { stage } = this.parts;
    this.hover.set(index, x, y);
    stage.renderer?.setHover(index);
    if (stage.renderer?.drawsHover === false) stage.drawLabels(); // the ring is on the overlay: no redraw of the points
  }

  /** Fill the tooltip in when its row arrives; returns the unbind functions. */
  bind(): (() => void)[] {
    return [this.parts.rows.subscribe((index) => this.hover.rowArrived(index))];
  }

  dispose(): void {
    this.off();
  }
}
