/**
 * Selection, focus and neighbours between the model, the renderer and the inspector: applies
 * the user's selections and focus to the model (a large selection's redraw waits for the
 * kernel's receipt), shows the model's in the renderer's flags, the status line, the panel and
 * the inspector. The state itself is view/state.ts's.
 */
import { bind, decodeAt, numberAt, save, type WidgetModel } from "../contract/model";
import { decodeLabels, decodeNeighbors, type Labels } from "../contract/wireColumns";
import type { Points } from "../contract/wirePoints";
import { decodeSelection, encodeSelection } from "../contract/wireSelection";
import type { Renderer } from "../scene/renderer";
import type { Inspector } from "../ui/inspector";
import { labelOf } from "../ui/labelOverlay";
import type { Panel } from "../ui/panel";
import type { StatusLine } from "../ui/status";
import { FlagsSchedule, selectionRedrawDelay, ViewState } from "./state";

export interface EmphasisOutputs {
  /** The points drawn now (null: none). */
  points(): Points | null;
  /** Rows of the value on screen, all parts counted. */
  total(): number;
  renderer(): Renderer | null;
  status: StatusLine;
  panel: Panel;
  inspector: Inspector;
  /** Marked `pw-inspecting` while the inspector is shown. */
  root: HTMLElement;
  /** The selection changed (from a gesture, the chart or the model). */
  selectionChanged?(indices: Uint32Array): void;
  /** Rows of the density overview (0: off): no point is drawn, the status counts its rows. */
  overviewRows?(): number;
}

export class Emphasis {
  readonly state = new ViewState();
  /** `_labels`, for the focused row's title in the inspector. */
  labels: Labels | null = null;
  private lastSentSelection: unknown = null;
  private readonly schedule = new FlagsSchedule(() => this.updateFlags());

  constructor(
    private readonly model: WidgetModel,
    private readonly out: EmphasisOutputs,
    /** A kernel answers (false on a saved page: no receipt to wait for). */
    private readonly kernel: boolean,
  ) {}

  /** Rebuild the per-point flags and what counts them. */
  updateFlags(): void {
    const points = this.out.points();
    const n = points?.n ?? 0;
    const { flags, count, emphasis } = this.state.composeFlags(n, points?.visible ?? null);
    this.out.renderer()?.setSelection(flags, count, emphasis);
    const rows = this.out.overviewRows?.() ?? 0;
    if (rows > 0) {
      // The overview: every row is there (as a grid or tiles); a selection too large to send is its count.
      const raw = this.model.get("selected") as { lazy?: unknown; count?: unknown } | null;
      const selected = raw?.lazy === true && typeof raw.count === "number" ? raw.count : this.state.selection.length;
      this.out.status.set(rows, selected, rows);
      this.out.panel.setSelectedCount(selected);
      return;
    }
    this.out.status.set(n, count, this.out.total() || n);
    this.out.panel.setSelectedCount(count);
  }

  updateInspector(): void {
    const { state, labels, out } = this;
    const label = state.focus >= 0 && labels ? (labelOf(labels, state.focus) ?? "") : "";
    out.inspector.show(state.focus, label, state.queryActive() && state.neighbors ? state.neighbors.query : null, state.neighbors);
    out.root.classList.toggle("pw-inspecting", !out.inspector.el.hidden);
  }

  /** Flags, inspector and a frame after a change of focus or neighbours. */
  changed(): void {
    this.updateFlags();
    this.updateInspector();
    this.out.renderer()?.requestRender();
  }

  /** Apply a selection (sorted unique indices); send it to Python when it came from a gesture. */
  applySelection(indices: Uint32Array, fromUser: boolean): void {
    this.state.selection = indices;
    this.out.selectionChanged?.(indices);
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
        this.out.renderer()?.requestRender();
      }),
      bind(model, "_neighbors", () => {
        this.state.setNeighbors(decodeAt(model, "_neighbors", decodeNeighbors));
        this.changed();
      }),
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
        const rows = this.out.points()?.n || (this.out.overviewRows?.() ?? 0);
        this.state.setFocus(f >= 0 && f < rows ? f : -1);
        this.changed();
      }),
    ];
  }

  dispose(): void {
    this.schedule.cancel();
  }
}
