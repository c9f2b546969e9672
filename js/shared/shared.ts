/**
 * Model-level state: what every view of one model shares, created once per model by anywidget's
 * `initialize`. It holds the points (`_points` and the rest of a value sent in parts, which it
 * asks for once) and the kernel's rules (`_spec`, decoded), receives the kernel's replies (checked
 * against those rules; tooltip rows to the row cache, the rest to the views), and tells the
 * kernel once that every point is on screen. Views subscribe and draw.
 */
import { isObjectLike } from "../contract/guards";
import { bind, listenModel, modelIdentity, type WidgetModel } from "../contract/model";
import { decodeReply, decodeSpec, type Reply, type RowReply, type Spec, send } from "../contract/protocol";
import { PointsStore } from "./points";
import { RowCache } from "./rowCache";

/** Replies a view shows (search counts, label edits, errors) or acts on (the selection receipt). */
export type ViewReply = Exclude<Reply, RowReply>;

/**
 * Whether a kernel stands behind `model` to answer requests. False for the saved page, and where
 * the host restored the model from saved widget state with no connection to a kernel (a reopened
 * notebook whose kernel never ran the cell, an nbconvert page): ipywidgets marks such models
 * `comm_live` false, the model's `layout` (restored with it) included, which is what a view can
 * read through anywidget's model. True when the host does not say (marimo, older hosts).
 */
export function kernelBehind(model: WidgetModel): boolean {
  if (model.get("_standalone") === true) return false;
  const layout = model.get("layout");
  if (isObjectLike(layout) && "comm_live" in layout) return layout.comm_live !== false;
  return true;
}

export class Shared {
  readonly points: PointsStore;
  readonly rows: RowCache;
  /** The kernel's rules (`_spec`); null until a value arrives (a page saved without one). */
  spec: Spec | null = null;
  private readonly replyListeners = new Set<(reply: ViewReply) => void>();
  private readonly offs: (() => void)[];
  private toldDrawn = false;

  constructor(private readonly model: WidgetModel) {
    this.points = new PointsStore({
      requestRest: (version, start) => send(model, { type: "points", version, start }),
      kernel: () => kernelBehind(model),
    });
    this.rows = new RowCache((index) => send(model, { type: "row", index }));
    this.offs = [
      // anywidget hands a custom message's binary buffers (DataViews) over beside its content.
      listenModel(model, "msg:custom", ((msg: unknown, buffers?: unknown) =>
        this.receive(decodeReply(msg, Array.isArray(buffers) ? buffers : [], this.spec?.overview ?? null))) as never),
      bind(model, "_spec", () => {
        this.spec = decodeSpec(model.get("_spec"));
      }),
      bind(model, "_points", () => {
        const before = this.points.received?.n ?? 0;
        this.points.replace(model.get("_points"), model.get("_points_rest"));
        if ((this.points.received?.n ?? 0) !== before) this.rows.clear(); // other rows now
      }),
      listenModel(model, "change:_points_rest", () => this.points.addRest(model.get("_points_rest"))),
      bind(model, "_columns", () => this.rows.clear()),
    ];
  }

  /** A reply from the kernel (null: not one). */
  receive(reply: Reply | null): void {
    if (!reply) return;
    if (reply.type === "row") this.rows.receive(reply);
    else {
      if (reply.type === "label") this.rows.clear(); // the edited rows read differently now
      for (const l of [...this.replyListeners]) l(reply);
    }
  }

  /** Call `listener` with every reply for the views; returns the function that stops it. */
  onReply(listener: (reply: ViewReply) => void): () => void {
    this.replyListeners.add(listener);
    return () => this.replyListeners.delete(listener);
  }

  /**
   * A view has every point on screen. The kernel holds back background work (the PCA of every
   * row) until then; it is told once per model, two animation frames later (a software
   * rasteriser needs the CPU to finish the frame too).
   */
  allDrawn(): void {
    if (this.toldDrawn) return;
    this.toldDrawn = true;
    requestAnimationFrame(() => requestAnimationFrame(() => send(this.model, { type: "drawn" })));
  }

  dispose(): void {
    for (const off of this.offs.splice(0)) off();
    this.rows.dispose();
    this.replyListeners.clear();
  }
}

const SHARED = new WeakMap<object, Shared>();

/** The shared state of `model`'s model (made here when `initialize` has not run: an older host). */
export function sharedOf(model: WidgetModel): Shared {
  const key = modelIdentity(model);
  let shared = SHARED.get(key);
  if (!shared) {
    shared = new Shared(model);
    SHARED.set(key, shared);
  }
  return shared;
}

/** anywidget's `initialize`: once per model, before any view; returns its cleanup. */
export function initialize({ model }: { model: WidgetModel }): () => void {
  const shared = sharedOf(model);
  return () => {
    shared.dispose();
    SHARED.delete(modelIdentity(model));
  };
}
