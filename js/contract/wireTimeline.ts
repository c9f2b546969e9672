/**
 * `_timeline`: a sequence's aligned layouts (`Projector.sequence`), every step quantised like
 * `_points`, and one step of it as points to draw. Pure functions, no DOM.
 */
import { isBinary, typedView } from "./binary";
import { isNonNegativeInt, isObjectLike } from "./guards";
import { axisBounds, type Points } from "./wirePoints";

/** `_timeline` decoded: a sequence's aligned layouts, each step quantised like `_points`. */
export interface Timeline {
  steps: number;
  n: number;
  names: string[];
  /** Per step, its three axes' bounds. */
  lo: [number, number, number][];
  hi: [number, number, number][];
  /** `steps * n * 3` uint16 values, step after step. */
  data: Uint16Array;
}

/**
 * Decode `_timeline` (see encoding.py's `encode_timeline`); null when empty or malformed: its
 * counts must be whole, every step must have its bounds and its data (so nothing is made for
 * steps the value does not hold).
 */
export function decodeTimeline(raw: unknown): Timeline | null {
  if (!isObjectLike(raw) || !isBinary(raw.data) || raw.dims !== 3) return null;
  const { steps, n } = raw;
  if (!isNonNegativeInt(steps) || steps < 1 || !isNonNegativeInt(n)) return null;
  if (!Array.isArray(raw.lo) || !Array.isArray(raw.hi) || raw.lo.length < steps || raw.hi.length < steps) return null;
  const data = typedView(raw.data, Uint16Array);
  if (data.length < steps * n * 3) return null;
  const bounds = (i: number): [[number, number, number], [number, number, number]] => {
    const rawLo = Array.isArray((raw.lo as unknown[])[i]) ? ((raw.lo as unknown[])[i] as unknown[]) : [];
    const rawHi = Array.isArray((raw.hi as unknown[])[i]) ? ((raw.hi as unknown[])[i] as unknown[]) : [];
    const lo: [number, number, number] = [0, 0, 0];
    const hi: [number, number, number] = [0, 0, 0];
    for (let a = 0; a < 3; a++) [lo[a], hi[a]] = axisBounds(rawLo[a], rawHi[a]);
    return [lo, hi];
  };
  const all = Array.from({ length: steps }, (_, i) => bounds(i));
  const names = Array.from({ length: steps }, (_, i) => {
    const name = Array.isArray(raw.names) ? raw.names[i] : undefined;
    return typeof name === "string" ? name : `step ${i}`;
  });
  return { steps, n, names, lo: all.map((b) => b[0]), hi: all.map((b) => b[1]), data: data.subarray(0, steps * n * 3) };
}

/**
 * Step `step` of `timeline` as points to draw in `dims` dimensions (the first axes in 2-D), of
 * `layout` (the sequence's: its steps are aligned, so the view moves with them, never refits).
 */
export function timelinePoints(timeline: Timeline, step: number, dims: 2 | 3, transitionMs: number, layout = 0): Points {
  const { n } = timeline;
  const xyz = timeline.data.subarray(step * n * 3, (step + 1) * n * 3);
  let coords = xyz;
  if (dims === 2) {
    coords = new Uint16Array(n * 2);
    for (let i = 0; i < n; i++) {
      coords[2 * i] = xyz[3 * i];
      coords[2 * i + 1] = xyz[3 * i + 1];
    }
  }
  const lo: [number, number, number] = [...timeline.lo[step]];
  const hi: [number, number, number] = [...timeline.hi[step]];
  if (dims === 2) lo[2] = hi[2] = 0;
  return { n, dims, transitionMs, visible: null, lo, hi, coords, loaded: n, version: 0, layout };
}
