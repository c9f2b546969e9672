/**
 * The cross-filter chart of a view (ui/charts.ts) beside the stage, its toggle in the toolbar: it
 * charts the column the `chart` trait names, counts the rows drawn (`visible`, as the points
 * follow it) and the selection, and its bars select as a lasso does (Shift or Ctrl adds).
 */
import { bind, save, stringAt, type WidgetModel } from "../contract/model";
import type { Column } from "../contract/wireColumns";
import type { Points } from "../contract/wirePoints";
import { unionSorted } from "../interaction/selection";
import type { PointsChange } from "../shared/points";
import { ChartPanel } from "../ui/charts";
import type { Toolbar } from "../ui/toolbar";
import type { Signal } from "./signal";

/** What the chart reads and follows. */
export interface ChartParts {
  /** The map: the chart goes just left of it (the stage narrows while the chart is open). */
  stage: HTMLElement;
  toolbar: Toolbar;
  /** The columns, and the points drawn and when they change (the chart counts the rows drawn; view/drawing.ts). */
  drawing: { readonly columns: readonly Column[]; readonly points: Points | null; readonly pointsShown: Signal<[PointsChange]> };
  /** The selection and when it changes; the chart's bars select through it (view/emphasis.ts). */
  emphasis: {
    readonly state: { readonly selection: Uint32Array };
    readonly selectionChanged: Signal<[Uint32Array]>;
    applySelection(rows: Uint32Array, fromUser: boolean): void;
  };
}

export class ChartBinder {
  private readonly panel: ChartPanel;
  private readonly offs: (() => void)[];

  constructor(
    private readonly model: WidgetModel,
    private readonly parts: ChartParts,
  ) {
    const { drawing, emphasis } = parts;
    const panel: ChartPanel = new ChartPanel({
      choose: (name) => {
        save(model, "chart", name);
        panel.show(name);
      },
      select: (rows, add) => emphasis.applySelection(add ? unionSorted(emphasis.state.selection, rows) : rows, true),
    });
    this.panel = panel;
    parts.stage.before(panel.el);
    parts.toolbar.el.insertBefore(panel.toggle, parts.toolbar.el.querySelector(".pw-hint"));
    this.offs = [
      emphasis.selectionChanged.on((indices) => panel.setSelection(indices)),
      drawing.pointsShown.on(() => panel.setVisible(drawing.points?.visible ?? null)),
    ];
  }

  /** Show `_columns` and `chart` now and on change; returns the unbind functions. */
  bind(): (() => void)[] {
    const { model, panel } = this;
    return [
      bind(model, "_columns", () => panel.setColumns(this.parts.drawing.columns)),
      bind(model, "chart", () => panel.show(stringAt(model, "chart", ""))),
    ];
  }

  dispose(): void {
    for (const off of this.offs.splice(0)) off();
    this.panel.dispose();
  }
}
