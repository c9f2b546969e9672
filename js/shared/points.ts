/**
 * The points of one model, as they arrive: the `_points` value decoded once, and the later
 * parts of a value sent in parts copied into it. Every view of the model draws from this one
 * store, so a second view neither asks for the parts again nor decodes the value again.
 */
import { addPointsPart, arrivedPoints, decodePoints, type Points, type PointsRows } from "../wire";

/** "replaced": a new `_points` value; "grown": more rows of the current one arrived. */
export type PointsChange = "replaced" | "grown";

export class PointsStore {
  private value: Points | null = null;
  private shown: Points | null = null;
  private readonly listeners = new Set<(change: PointsChange) => void>();

  /** `requestRest(version, start)` asks the kernel for the rows of a value sent in parts from `start` on. */
  constructor(private readonly requestRest: (version: number, start: number) => void) {}

  /** The whole value: `n` is every row, `loaded` the rows that have arrived; null when empty. */
  get received(): Points | null {
    return this.value;
  }

  /** What a view draws: the rows that have arrived, as points of their own. */
  get arrived(): Points | null {
    return this.shown;
  }

  /** A new `_points` value: decode it, ask for the rest when it came in parts, tell the views. */
  replace(raw: unknown): void {
    try {
      this.value = decodePoints(raw);
    } catch (err) {
      console.error("projector-widget: ignoring malformed _points", err);
      this.value = null;
    }
    this.shown = this.value ? arrivedPoints(this.value) : null;
    if (this.value && this.value.loaded < this.value.n) this.requestRest(this.value.version, this.value.loaded);
    this.emit("replaced");
  }

  /** A later part arrived: copy it in and tell the views (a stale or out-of-order part is dropped). */
  addPart(part: PointsRows): void {
    const grown = this.value ? addPointsPart(this.value, part) : null;
    if (!grown) return;
    this.value = grown;
    this.shown = arrivedPoints(grown);
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
