/**
 * An in-memory stand-in for the anywidget model, for saved pages where no
 * kernel exists. It keeps the state, notifies `change:<key>` listeners on
 * `set` (as Backbone does, synchronously, the view's own listeners included),
 * and answers the protocol's requests as the kernel would from the embedded
 * data: tooltip rows (a missing value as null, as the kernel sends it), search
 * (which never matches a missing value), labels (with the label limits of the saved
 * `_spec`) and the 2-D/3-D swap. Everything else replies with an error saying
 * a running kernel is needed. Its answers cover every request the kernel declares (the compiler
 * fails when one is added in Python and neither answered nor refused here).
 */
import { isNonNegativeInt, isObjectLike } from "../contract/guards";
import type { Handler, WidgetModel } from "../contract/model";
import { asRequest, decodeSpec, type Request, type WireReply } from "../contract/protocol";
import { decodePoints } from "../contract/wirePoints";
import { decodeSelection, encodeSelection } from "../contract/wireSelection";
import type { DecodedPayload } from "./payload";
import { TextTable } from "./texts";

type Listener = (...args: unknown[]) => void;

const NEEDS_KERNEL = "needs a running Python kernel (this is a saved page)";

const OFFLINE: Partial<Record<Request["type"] | "focus", string>> = {
  project: "Computing a projection",
  control: "Controlling a projection",
  label: "Editing labels",
  isolate: "Isolating points",
  show_all: "Showing isolated points again",
  bookmark: "Using bookmarks",
  query: "Semantic search",
  clusters: "Finding clusters",
  quality: "Checking the layout",
  tiles: "The density overview",
  grid: "The density overview",
  lasso: "The density overview",
  focus: "Finding nearest neighbours",
};

/** The error message for a request the saved page cannot answer. */
export function offlineMessage(type: string): string {
  const what = (OFFLINE as Record<string, string | undefined>)[type] ?? "This action";
  return `${what} ${NEEDS_KERNEL}`;
}

function columnNames(columns: unknown): string[] {
  if (!Array.isArray(columns)) return [];
  return columns.filter(isObjectLike).flatMap((c) => (typeof c.name === "string" ? [c.name] : []));
}

function validPoints(p: unknown): boolean {
  try {
    return decodePoints(p) !== null;
  } catch {
    return false;
  }
}

export class LocalModel implements WidgetModel {
  /** Dimensionalities whose points the page holds. */
  readonly dims: (2 | 3)[];
  readonly table: TextTable;
  private readonly values = new Map<string, unknown>();
  private readonly listeners = new Map<string, Listener[]>();
  private readonly pointsByDims: Map<2 | 3, unknown>;
  /** Keys the view set since its last save_changes. */
  private dirty = new Set<string>();
  private disposed = false;
  /** Up to this many points every row is labelled, above it only the rows that need one (`_spec`). */
  private readonly allLabelsMax: number;
  /** Cap on labelled selected rows above `allLabelsMax`. */
  private readonly labelRowsCap: number;

  constructor(payload: DecodedPayload) {
    for (const [k, v] of Object.entries(payload.state)) this.values.set(k, v);
    this.pointsByDims = new Map([...payload.pointsByDims].filter(([, p]) => validPoints(p)));
    const current = this.values.get("_points");
    const wanted = this.values.get("dimensions") === 2 ? 2 : 3;
    if (!validPoints(current) || decodePoints(current)?.dims !== wanted) {
      const p = this.pointsByDims.get(wanted) ?? this.pointsByDims.get(wanted === 2 ? 3 : 2);
      if (p !== undefined) this.values.set("_points", p);
    }
    const shown = this.points();
    if (shown) {
      this.values.set("dimensions", shown.dims);
      if (!this.pointsByDims.has(shown.dims)) this.pointsByDims.set(shown.dims, this.values.get("_points"));
    }
    this.dims = ([2, 3] as const).filter((d) => this.pointsByDims.has(d));
    this.values.set("_standalone", true);
    this.values.set("_standalone_dims", [...this.dims]);
    this.values.set("_has_encoder", false);
    this.table = new TextTable(payload.texts, shown?.n ?? 0, columnNames(this.values.get("_columns")));
    // A page saved without `_spec` carries no label limits: every row is labelled.
    const spec = decodeSpec(this.values.get("_spec"));
    this.allLabelsMax = spec?.allLabelsMax ?? Number.POSITIVE_INFINITY;
    this.labelRowsCap = spec?.labelRowsCap ?? Number.POSITIVE_INFINITY;
    this.refreshLabels();
  }

  // ------------------------------------------------------ model interface

  get(key: string): unknown {
    return this.values.get(key);
  }

  set(key: string, value: unknown): void {
    if (this.assign(key, value)) this.dirty.add(key);
  }

  /** What sending the changes to the kernel does: the local "kernel" reacts to them. */
  save_changes(): void {
    const keys = this.dirty;
    this.dirty = new Set();
    if (keys.size > 0) queueMicrotask(() => this.react(keys));
  }

  on(event: string, callback: Handler): void {
    const list = this.listeners.get(event) ?? [];
    list.push(callback as unknown as Listener);
    this.listeners.set(event, list);
  }

  off(event?: string | null, callback?: Handler | null): void {
    if (!event) {
      if (!callback) this.listeners.clear();
      else
        for (const [e, list] of this.listeners)
          this.listeners.set(
            e,
            list.filter((l) => l !== (callback as unknown)),
          );
      return;
    }
    if (!callback) this.listeners.delete(event);
    else
      this.listeners.set(
        event,
        (this.listeners.get(event) ?? []).filter((l) => l !== (callback as unknown)),
      );
  }

  /** A custom message to the "kernel": answered asynchronously through `msg:custom`. */
  send(content: unknown): void {
    queueMicrotask(() => this.handle(content));
  }

  /** Stop answering (the view is gone). */
  dispose(): void {
    this.disposed = true;
    this.listeners.clear();
  }

  // ------------------------------------------------------------ internals

  private emit(event: string, ...args: unknown[]): void {
    if (this.disposed) return;
    for (const l of [...(this.listeners.get(event) ?? [])]) l(...args);
  }

  /** Store a value and notify `change:<key>` when it is a different value; returns whether it was. */
  private assign(key: string, value: unknown): boolean {
    if (this.values.get(key) === value) return false;
    this.values.set(key, value);
    this.emit(`change:${key}`, this, value);
    return true;
  }

  /** Answer as the kernel does: the reply's wire form (the view decodes it, as it does the kernel's). */
  private reply(msg: WireReply): void {
    this.emit("msg:custom", msg, []);
  }

  private points(): ReturnType<typeof decodePoints> {
    try {
      return decodePoints(this.values.get("_points"));
    } catch {
      return null;
    }
  }

  private react(keys: Set<string>): void {
    if (this.disposed) return;
    if (keys.has("dimensions")) this.swapPoints();
    if (keys.has("label_by") || (this.table.n > this.allLabelsMax && (keys.has("selected") || keys.has("focus")))) {
      this.refreshLabels();
    }
  }

  /** `dimensions` changed: show the embedded points of that dimensionality, or say they are not here. */
  private swapPoints(): void {
    const d = this.values.get("dimensions");
    const p = d === 2 || d === 3 ? this.pointsByDims.get(d) : undefined;
    if (p !== undefined) {
      this.assign("_points", p);
      return;
    }
    const shown = this.points();
    if (shown) this.assign("dimensions", shown.dims);
    this.reply({ type: "error", message: `The ${String(d)}-D view was not saved in this page; it ${NEEDS_KERNEL}` });
  }

  /** Rebuild `_labels` for `label_by` from the embedded strings (the rule of labels.label_rows in Python). */
  refreshLabels(): void {
    const column = this.values.get("label_by");
    if (typeof column !== "string" || column === "" || !this.table.has(column)) {
      const old = this.values.get("_labels");
      if (isObjectLike(old) && Object.keys(old).length > 0) this.assign("_labels", {});
      return;
    }
    const n = this.table.n;
    let rows: Uint32Array | null = null;
    const visible = this.points()?.visible ?? null;
    if (n > this.allLabelsMax) {
      const sel = decodeSelection(this.values.get("selected")).subarray(0, this.labelRowsCap);
      const focus = this.values.get("focus");
      const set = new Set<number>(sel);
      if (typeof focus === "number" && focus >= 0 && focus < n) set.add(focus);
      rows = Uint32Array.from(set).sort();
    } else if (visible) {
      const kept: number[] = [];
      for (let i = 0; i < n; i++) if (visible[i]) kept.push(i);
      rows = Uint32Array.from(kept);
    }
    const wire = this.table.labels(column, rows);
    if (wire) this.assign("_labels", wire);
  }

  private handle(content: unknown): void {
    if (this.disposed) return;
    const request = asRequest(content);
    if (!request) {
      if (isObjectLike(content))
        this.reply({ type: "error", message: offlineMessage(typeof content.type === "string" ? content.type : "") });
      return;
    }
    switch (request.type) {
      case "row":
        this.answerRow(request.index);
        return;
      case "search":
        this.answerSearch(request.query, request.column, request.regex);
        return;
      case "drawn":
      case "points":
        return; // background requests: every point is embedded and nothing waits for a frame
      case "project":
      case "control":
      case "label":
      case "isolate":
      case "show_all":
      case "bookmark":
      case "query":
      case "clusters":
      case "quality":
      // A page is never saved in overview mode (the kernel refuses): these have nothing to answer from.
      case "tiles":
      case "grid":
      case "lasso":
        this.reply({ type: "error", message: offlineMessage(request.type) });
        return;
      default: {
        // Compiles only while every request type has a case above (`request` is then `never`).
        const unanswered: never = request;
        this.reply({ type: "error", message: offlineMessage((unanswered as Request).type) });
      }
    }
  }

  /** The `row` reply: [column, text | null] per column, null where the value is missing. */
  private answerRow(index: unknown): void {
    if (isNonNegativeInt(index) && index < this.table.n) {
      this.reply({ type: "row", index, values: this.table.row(index) });
    }
  }

  private answerSearch(rawQuery: unknown, rawColumn: unknown, regex: unknown): void {
    const query = typeof rawQuery === "string" ? rawQuery : "";
    const column = typeof rawColumn === "string" ? rawColumn : "";
    let hits: Uint32Array;
    try {
      hits = this.table.search(query, column, regex === true, this.points()?.visible ?? null);
    } catch (err) {
      this.reply({ type: "error", message: err instanceof Error ? err.message : String(err) });
      return;
    }
    this.assign("selected", encodeSelection(hits));
    if (this.table.n > this.allLabelsMax) this.refreshLabels();
    this.reply({ type: "search", query, count: hits.length });
  }
}
