/**
 * The overview of a view (above `overview_above` rows the kernel sends no points but a grid of
 * per-category counts): the planner (overviewPlanner.ts) bound to the model (`_overview`,
 * `selected` and the kernel's replies in; requests out; what to draw to the renderer), told when
 * the view moves, and the lasso the gestures draw on it, which the kernel selects in.
 */
import { bind, listenModel, type WidgetModel } from "../contract/model";
import { send } from "../contract/protocol";
import type { CategoryColumn } from "../contract/wireColumns";
import { decodeOverview } from "../contract/wireOverview";
import type { Renderer } from "../scene/renderer";
import type { Shared } from "../shared/shared";
import { OverviewPlanner, type OverviewStats } from "./overviewPlanner";
import { Signal } from "./signal";

/** What the test hook reads of the overview: what it holds and has cost, its budget and layout version. */
export type OverviewInfo = OverviewStats & { budget: number; version: number };

/** What the overview's binding needs from the view. */
export interface OverviewHost {
  /** The renderer, and when it fitted the view (the overview then plans for what it shows). */
  stage: { readonly renderer: Renderer | null; readonly fitted: Signal };
  /** The legend shows the overview's column (null: none) and counts its rows (view/drawing.ts). */
  drawing: { setOverviewColumn(column: CategoryColumn | null, rows: number): void };
  showError(message: string): void;
  /** A lasso on the overview selected this many rows. */
  lassoDone?(count: number): void;
}

/**
 * The overview of a view: the planner, bound to the model (`_overview`, `selected` and the
 * kernel's replies in; requests out; what to draw to the renderer), told when the view moves,
 * and the lasso the gestures draw on it, which the kernel selects in.
 */
export class OverviewBinder {
  readonly planner: OverviewPlanner;
  /** The overview changed (on, off, another layout): what counts its rows follows. */
  readonly changed = new Signal();
  private readonly offFitted: () => void;

  constructor(
    private readonly model: WidgetModel,
    private readonly shared: Shared,
    private readonly host: OverviewHost,
  ) {
    const planner: OverviewPlanner = new OverviewPlanner({
      send: (request) => send(model, request),
      // The kernel sends its limits (`_spec`) with the first `_overview`; the planner asks for nothing without them.
      limits: () => shared.spec?.overview ?? null,
      show: (scene) => host.stage.renderer?.setOverview(scene, planner.overview?.domain ?? null),
      schedule: (fn, ms) => {
        const timer = setTimeout(fn, ms);
        return () => clearTimeout(timer);
      },
    });
    this.planner = planner;
    this.offFitted = host.stage.fitted.on(() => this.moved());
  }

  /** Rows of the overview (0: off). */
  get rows(): number {
    return this.planner.overview?.n ?? 0;
  }

  /** The view moved or resized: the planner acts on what it shows once it settles. */
  moved(): void {
    const rect = this.host.stage.renderer?.visibleRect();
    if (rect) this.planner.viewChanged(rect);
  }

  /** A camera drag started or ended (a wheel step is neither): nothing is asked for while it lasts. */
  motion(phase: "start" | "end" | "step"): void {
    if (phase !== "step") this.planner.setMoving(phase === "start");
  }

  /**
   * A lasso in data coordinates: sent to the kernel to select in (`add`: added to the
   * selection); false when the overview is off (the lasso then selects the drawn points).
   */
  lasso(polygon: [number, number][], add: boolean): boolean {
    if (!this.planner.overview) return false;
    const request = this.planner.lassoRequest(polygon, add);
    if (request) send(this.model, request);
    return true;
  }

  /** What the test hook reads (null: the overview is off). */
  info(): OverviewInfo | null {
    const ov = this.planner.overview;
    return ov ? { ...this.planner.stats, budget: ov.budget, version: ov.version } : null;
  }

  /** Bind the planner to the model and the kernel's replies; returns the unbind functions. */
  bind(): (() => void)[] {
    const { model, shared, host, planner } = this;
    return [
      bind(model, "_overview", () => {
        const decoded = decodeOverview(model.get("_overview"));
        if (!decoded.ok) host.showError(`The kernel sent a malformed ${decoded.error}`);
        const ov = decoded.ok ? decoded.value : null;
        if (!ov) host.stage.renderer?.setOverview(null, null);
        planner.setOverview(ov);
        const column: CategoryColumn | null =
          ov && ov.column !== ""
            ? {
                name: ov.column,
                kind: "category",
                categories: ov.categories,
                counts: ov.categories.map(() => Number.NaN),
                codes: new Uint8Array(0),
                missingCode: -1,
              }
            : null;
        host.drawing.setOverviewColumn(column, ov?.n ?? 0);
        this.changed.emit();
        const rect = host.stage.renderer?.visibleRect();
        if (ov && rect) planner.viewChanged(rect);
      }),
      listenModel(model, "change:selected", () => planner.selectionChanged()),
      shared.onReply((reply) => {
        if (reply.type === "tiles") planner.receiveTiles(reply.reply);
        else if (reply.type === "grid") planner.receiveGrid(reply.grid);
        else if (reply.type === "lasso") host.lassoDone?.(reply.count);
        else if (reply.type === "error") planner.failed();
      }),
      () => {
        planner.dispose();
        this.offFitted();
        this.changed.clear();
      },
    ];
  }
}
