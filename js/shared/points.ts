/**
 * The points of one model, as they arrive: the `_points` value decoded once, and the rest of a
 * value sent in parts (the `_points_rest` trait) copied into it. Every view of the model draws
 * from this one store, so a second view neither asks for the rest again nor decodes the value
 * again. A widget restored from saved state holds both traits, so it shows every point without a
 * kernel; when its state lacks the rest and no kernel can send it, the store says so.
 */
import { addPointsPart, arrivedPoints, decodePoints, decodePointsRest, type Points } from "../contract/wirePoints";

/** "replaced": a new `_points` value; "grown": more rows of the current one arrived. */
export type PointsChange = "replaced" | "grown";

export interface PointsSource {
  /** Ask the kernel for the rows of a value sent in parts from `start` on. */
  requestRest(version: number, start: number): void;
  /** Whether a kernel stands behind the model to answer (false: restored from saved state). */
  kernel(): boolean;
}

export class PointsStore {
  private value: Points | null = null;
  private shown: Points | null = null;
  private stranded = false;
  private replacedCount = 0;
  private localKey: string | null = null;
  private readonly listeners = new Set<(change: PointsChange) => void>();

  constructor(private readonly source: PointsSource) {}

  /** The whole value: `n` is every row, `loaded` the rows that have arrived; null when empty. */
  get received(): Points | null {
    return this.value;
  }

  /** What a view draws: the rows that have arrived, as points of their own. */
  get arrived(): Points | null {
    return this.shown;
  }

  /** `_points` values received so far (a test hook reads it). */
  get values(): number {
    return this.replacedCount;
  }

  /**
   * Rows of the current value that will not arrive: the model was restored from saved widget
   * state that holds only the first part, and no kernel is there to send the rest (0 otherwise).
   */
  get missing(): number {
    return this.stranded && this.value ? this.value.n - this.value.loaded : 0;
  }

  /**
   * A new `_points` value: decode it, complete it with `rest` (the model's `_points_rest`) when
   * that continues it, ask the kernel for what is still missing, and tell the views.
   */
  replace(raw: unknown, rest: unknown): void {
    try {
      this.value = decodePoints(raw);
    } catch (err) {
      console.error("projector-widget: ignoring malformed _points", err);
      this.value = null;
    }
    this.replacedCount += 1;
    this.localKey = null;
    const part = decodePointsRest(rest);
    if (this.value && part) this.value = addPointsPart(this.value, part) ?? this.value;
    this.shown = this.value ? arrivedPoints(this.value) : null;
    this.stranded = false;
    if (this.value && this.value.loaded < this.value.n) {
      if (this.source.kernel()) this.source.requestRest(this.value.version, this.value.loaded);
      else this.stranded = true;
    }
    this.emit("replaced");
  }

  /**
   * Positions computed in the browser replace what every view draws (a sequence's step, from
   * `_timeline`); `key` names them, and showing the same key again does nothing. The next
   * `_points` value from the kernel replaces them.
   */
  showLocal(points: Points, key: string): void {
    if (key === this.localKey) return;
    this.localKey = key;
    this.value = points;
    this.shown = points;
    this.stranded = false;
    this.emit("replaced");
  }

  /** A `_points_rest` value arrived: copy it in and tell the views (a stale or out-of-order one is dropped). */
  addRest(raw: unknown): void {
    const part = decodePointsRest(raw);
    const grown = this.value && part ? addPointsPart(this.value, part) : null;
    if (!grown) return;
    this.value = grown;
    this.shown = arrivedPoints(grown);
    if (grown.loaded >= grown.n) this.stranded = false;
    this.emit("grown");
  }

  /** Call `listener` on every change; returns the function that stops it. */
  subscribe(listener: (change: PointsChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(change: PointsChange): void {
    for (const l of [...this.listeners]) l(change);
  }
}

/** What a view says when rows of the value will not arrive ("" when none are missing). */
export function missingMessage(store: PointsStore): string {
  const value = store.received;
  if (!value || store.missing === 0) return "";
  const count = (x: number): string => x.toLocaleString("en-US");
  return (
    `Showing ${count(value.loaded)} of ${count(value.n)} points: the rest was not saved with this ` +
    "notebook's widget state. Run the cell to show them all."
  );
}
