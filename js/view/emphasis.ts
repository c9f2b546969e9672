/**
 * Selection, focus and neighbours between the model, the renderer and the inspector: applies
 * the user's selections and focus to the model (a large selection's redraw waits for the
 * kernel's receipt), shows the model's in the renderer's flags, the status line, the panel and
 * the inspector. The state itself is view/state.ts's. The flags follow the points drawn and the
 * overview; the parts that follow the selection listen to `selectionChanged`.
 */
import { bind, decodeAt, numberAt, save, stringAt, type WidgetModel } from "../contract/model";
import { type Column, decodeLabels, decodeNeighbors, type Labels } from "../contract/wireColumns";
import type { Points } from "../contract/wirePoints";
import { decodeSelection, encodeSelection } from "../contract/wireSelection";
import type { Renderer } from "../scene/renderer";
import type { PointsChange } from "../shared/points";
import type { Shared } from "../shared/shared";
import { type Inspector, rowColor } from "../ui/inspector";
import { labelOf } from "../ui/labelOverlay";
import type { Panel } from "../ui/panel/panel";
import type { StatusLine } from "../ui/status";
import { Signal } from "./signal";
import { FlagsSchedule, selectionRedrawDelay, ViewState } from "./state";

/** The points drawn, and when they change (view/drawing.ts). */
export interface DrawnPoints {
  readonly points: Points | null;
  readonly pointsShown: Signal<[PointsChange]>;
  /** The metadata columns (the inspector names each row's value in the colour column). */
  readonly columns: readonly Column[];
}

/** What the emphasis reads and where it shows it. */
export interface EmphasisParts {
  drawing: DrawnPoints;
  /** The density overview (view/overview.ts): its rows (0: off; no point is drawn, the status counts its rows), and when it changes. */
  overview: { readonly rows: number; readonly changed: Signal };
  stage: { readonly renderer: Renderer | null; inspect(width: number): void };
  status: StatusLine;
  panel: Panel;
  inspector: Inspector;
  /** Marked `pw-inspecting` while the inspector is shown. */
  root: HTMLElement;
}

export class Emphasis {
  readonly state = new ViewState();
  /** `_labels`, for the focused row's title in the inspector. */
  labels: Labels | null = null;
  /** The selection changed (from a gesture, the chart or the model). */
  readonly selectionChanged = new Signal<[Uint32Array]>();
  private lastSentSelection: unknown = null;
  private readonly schedule = new FlagsSchedule(() => this.updateFlags());
  private readonly offs: (() => void)[];
  /** Whether the stage was last told that the inspector is open. */
  private inspecting = false;

  constructor(
    private readonly model: WidgetModel,
    /** The model's points: the status counts every row of a value sent in parts. */
    private readonly shared: Shared,
    private readonly out: EmphasisParts,
    /** A kernel answers (false on a saved page: no receipt to wait for). */
    private readonly kernel: boolean,
  ) {
    this.offs = [out.drawing.pointsShown.on(() => this.updateFlags()), out.overview.changed.on(() => this.updateFlags())];
  }

  /** Rebuild the per-point flags and what counts them. */
  updateFlags(): void {
    const points = this.out.drawing.points;
    const n = points?.n ?? 0;
    const { flags, count, emphasis } = this.state.composeFlags(n, points?.visible ?? null);
    this.out.stage.renderer?.setSelection(flags, count, emphasis);
    const rows = this.out.overview.rows;
    if (rows > 0) {
      // The overview: every row is there (as a grid or tiles); a selection too large to send is its count.
      const raw = this.model.get("selected") as { lazy?: unknown; count?: unknown } | null;
      const selected = raw?.lazy === true && typeof raw.count === "number" ? raw.count : this.state.selection.length;
      this.out.status.set(rows, selected, rows);
      this.out.panel.setSelectedCount(selected);
      return;
    }
    this.out.status.set(n, count, (this.shared.points.received?.n ?? 0) || n);
    this.out.panel.setSelectedCount(count);
  }

  updateInspector(): void {
    const { state, labels, out } = this;
    const label = state.focus >= 0 && labels ? (labelOf(labels, state.focus) ?? "") : "";
    const color = rowColor(out.drawing.columns, stringAt(this.model, "color_by", ""));
    out.inspector.show(state.focus, label, state.queryActive() && state.neighbors ? state.neighbors.query : null, state.neighbors, color);
    const shown = !out.inspector.el.hidden;
    out.root.classList.toggle("pw-inspecting", shown);
    if (shown !== this.inspecting) {
      this.inspecting = shown;
      out.stage.inspect(shown ? out.inspector.el.offsetWidth : 0);
    }
  }

  /** Flags, inspector and a frame after a change of focus or neighbours. */
  changed(): void {
    this.updateFlags();
    this.updateInspector();
    this.out.stage.renderer?.requestRender();
  }

  /** Apply a selection (sorted unique indices); send it to Python when it came from a gesture. */
  applySelection(indices: Uint32Array, fromUser: boolean): void {
    this.state.selection = indices;
    this.selectionChanged.emit(indices);
    if (!fromUser) {
      this.updateFlags();
      return;
    }
    const value = encodeSelection(indices);
    this.lastSentSelection = value;
    save(this.model, "selected", value);
    this.schedule.schedule(selectionRedrawDelay(value.indices.byteLength, this.kernel));
  }

  /** The kernel acknowledged the selection: a held redraw runs now. */
  ack(): void {
    this.schedule.ack();
  }

  setFocus(index: number): void {
    if (index === this.state.focus) return;
    this.state.setFocus(index);
    save(this.model, "focus", index);
    this.changed();
  }

  /** Clear the selection and the focus (Escape, Clear, a click on empty space). */
  clearAll(): void {
    // A lazy selection (overview mode, too many rows to send) holds no indices here.
    const lazy = (this.model.get("selected") as { lazy?: unknown } | null)?.lazy === true;
    if (this.state.selection.length > 0 || lazy) this.applySelection(new Uint32Array(0), true);
    if (this.state.focus >= 0) this.setFocus(-1);
  }

  /** The inspector was closed on a semantic query (true), or a new query was asked (false). */
  setQueryDismissed(dismissed: boolean): void {
    this.state.queryDismissed = dismissed;
    if (dismissed) this.changed();
  }

  /** Show `_labels` and `_neighbors` now and on change; returns the unbind functions. */
  bindNeighbors(): (() => void)[] {
    const { model } = this;
    return [
      bind(model, "_labels", () => {
        this.labels = decodeAt(model, "_labels", decodeLabels);
        this.updateInspector();
        this.out.stage.renderer?.requestRender();
      }),
      bind(model, "_neighbors", () => {
        this.state.setNeighbors(decodeAt(model, "_neighbors", decodeNeighbors));
        this.changed();
      }),
      // The rows listed show their value in the colour column.
      bind(model, "color_by", () => this.updateInspector()),
      bind(model, "_columns", () => this.updateInspector()),
    ];
  }

  /** Show `selected` and `focus` now and on change (after the points); returns the unbind functions. */
  bindSelection(): (() => void)[] {
    const { model } = this;
    return [
      bind(model, "selected", () => {
        const value = model.get("selected");
        if (value !== this.lastSentSelection) this.applySelection(decodeSelection(value), false); // else our own echo
      }),
      bind(model, "focus", () => {
        const f = Math.floor(numberAt(model, "focus", -1));
        // In overview mode no point is sent (n = 0): a focus is any of the overview's rows.
        const rows = this.out.drawing.points?.n || this.out.overview.rows;
        this.state.setFocus(f >= 0 && f < rows ? f : -1);
        this.changed();
      }),
    ];
  }

  dispose(): void {
    this.schedule.cancel();
    for (const off of this.offs.splice(0)) off();
    this.selectionChanged.clear();
  }
}
