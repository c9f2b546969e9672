/**
 * Level of detail while the view moves. On a large set a drag, a wheel burst or an orbit draws a
 * prefix of a draw order in which every prefix is a stratified sample of the shown points
 * (`drawOrder`), sized from measured frame times (`nextBudget`) so that a moving frame takes
 * about MOVING_FRAME_MS; the emphasised rows are drawn on top in a second pass of at most as
 * many points (`emphasisedInOrder`). When the motion settles, the rest of the order is drawn over a few
 * frames (each about REFINE_FRAME_MS, so a new gesture is never queued behind one long frame)
 * until every point is on screen. `DetailPlanner` holds that state and says what each frame
 * draws; the renderer owns the GPU buffers and the clock. Picking, hover and the lasso never
 * look at any of this: they always use every point.
 *
 * On a fast GPU a full frame costs less than MOVING_FRAME_MS, the budget is the whole set and
 * every frame is a plain full frame, as without this module.
 */
import { FLAG_FOCUS, FLAG_HIDDEN, FLAG_NEIGHBOR, FLAG_SELECTED } from "./flags";

/** Below this many points every frame is a full frame (a software-rendered full frame is quick enough). */
export const LOD_MIN_POINTS = 200_000;
/**
 * The time a moving frame should take: 15 a second, so that with the input's own latency on top
 * (an event waits for the next frame to be handled) the view still follows at 10 or more.
 */
export const MOVING_FRAME_MS = 1000 / 15;
/** The time each frame of the refinement after a motion should take. */
export const REFINE_FRAME_MS = 250;
/** A wheel burst has settled when no wheel step came for this long. */
export const SETTLE_MS = 150;
/** The fewest points a moving frame draws (unless the set is smaller). */
export const MIN_BUDGET = 10_000;
/** Budgets within this fraction of the current one keep it (hysteresis against oscillation). */
export const HYSTERESIS = 0.15;
/** A category with at most this share of the shown points is rare: all of it comes first. */
export const RARE_SHARE = 0.002;
/** The rare categories placed first hold at most this share of the shown points (smallest first). */
export const RARE_CAP_SHARE = 0.02;
/**
 * Frame samples longer than this are ignored (a debugger pause). Long ones are kept: a full frame
 * of 10M points takes tens of seconds in software GL on a busy machine, and missing it would
 * leave the budget at every point; one too long (a tab hidden meanwhile) only shrinks the budget
 * for the few frames it takes to grow back.
 */
export const MAX_SAMPLE_MS = 600_000;

const EMPHASIS = FLAG_SELECTED | FLAG_NEIGHBOR | FLAG_FOCUS;

/** A seeded uniform generator in [0, 1) (mulberry32): the order is the same on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle(a: Uint32Array, from: number, to: number, rand: () => number): void {
  for (let i = to - 1; i > from; i--) {
    const j = from + Math.floor(rand() * (i - from + 1));
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
}

/**
 * The rows of a set of `n` (those whose `flags` lack FLAG_HIDDEN) in an order where every prefix
 * is a stratified sample by `codes` (the colour column's categories; null: one stratum). The rare
 * categories (RARE_SHARE, up to RARE_CAP_SHARE in all) come first, entirely, shuffled together;
 * then the rows of the other categories, each shuffled, are interleaved in proportion: in any
 * prefix of length k a category of c rows out of m has k·c/m of them, within one. O(n log C) for
 * C categories; seeded, so the same data gives the same order.
 */
export function drawOrder(n: number, codes: ArrayLike<number> | null, flags: Uint8Array | null, seed = 1): Uint32Array {
  const rand = seededRandom(seed);
  const hidden = (i: number): boolean => flags !== null && i < flags.length && (flags[i] & FLAG_HIDDEN) !== 0;
  // Each shown row's stratum (-1: hidden), so the passes below read one typed array.
  const stratumOf = new Int32Array(n);
  let strata = 1;
  for (let i = 0; i < n; i++) {
    const s = codes ? codes[i] : 0;
    stratumOf[i] = hidden(i) ? -1 : s;
    if (s + 1 > strata) strata = s + 1;
  }
  const counts = new Uint32Array(strata);
  let m = 0;
  for (let i = 0; i < n; i++) {
    const s = stratumOf[i];
    if (s < 0) continue;
    counts[s]++;
    m++;
  }

  // Rare strata, smallest first, while they fit under the cap.
  const rare = new Uint8Array(strata);
  const bySize = Array.from({ length: strata }, (_, s) => s)
    .filter((s) => counts[s] > 0 && counts[s] <= RARE_SHARE * m)
    .sort((a, b) => counts[a] - counts[b] || a - b);
  let rareRows = 0;
  for (const s of bySize) {
    if (rareRows + counts[s] > RARE_CAP_SHARE * m) break;
    rare[s] = 1;
    rareRows += counts[s];
  }

  // Counting sort: the rare block first, then each common stratum's block.
  const start = new Uint32Array(strata);
  const fill = new Uint32Array(strata);
  let at = rareRows;
  for (let s = 0; s < strata; s++) {
    if (rare[s]) continue;
    start[s] = at;
    fill[s] = at;
    at += counts[s];
  }
  let rareAt = 0;
  const grouped = new Uint32Array(m);
  for (let i = 0; i < n; i++) {
    const s = stratumOf[i];
    if (s < 0) continue;
    if (rare[s]) grouped[rareAt++] = i;
    else grouped[fill[s]++] = i;
  }
  shuffle(grouped, 0, rareRows, rand);
  const common: number[] = [];
  for (let s = 0; s < strata; s++) {
    if (rare[s] || counts[s] === 0) continue;
    shuffle(grouped, start[s], start[s] + counts[s], rand);
    common.push(s);
  }
  if (common.length <= 1) return grouped;

  // Interleave: the r-th row of stratum s (of c) goes at key (r + u_s) / c, merged by a binary
  // heap of the strata keyed by their next row's key.
  const out = new Uint32Array(m);
  out.set(grouped.subarray(0, rareRows));
  const heap = Int32Array.from(common);
  const key = new Float64Array(strata);
  const offset = new Float64Array(strata);
  const taken = new Uint32Array(strata);
  for (const s of common) {
    offset[s] = rand();
    key[s] = offset[s] / counts[s];
  }
  let size = heap.length;
  const before = (a: number, b: number): boolean => key[a] < key[b] || (key[a] === key[b] && a < b);
  const down = (from: number): void => {
    let i = from;
    const top = heap[i];
    for (;;) {
      let c = 2 * i + 1;
      if (c >= size) break;
      if (c + 1 < size && before(heap[c + 1], heap[c])) c++;
      if (!before(heap[c], top)) break;
      heap[i] = heap[c];
      i = c;
    }
    heap[i] = top;
  };
  for (let i = (size >> 1) - 1; i >= 0; i--) down(i);
  for (let o = rareRows; o < m; o++) {
    const s = heap[0];
    const r = taken[s]++;
    out[o] = grouped[start[s] + r];
    if (r + 1 === counts[s]) {
      size--;
      if (size === 0) break;
      heap[0] = heap[size];
    } else {
      key[s] = (r + 1 + offset[s]) / counts[s];
    }
    down(0);
  }
  return out;
}

/** The emphasised rows (selected, neighbour or focus in `flags`) in the order `order` lists them. */
export function emphasisedInOrder(order: Uint32Array, flags: Uint8Array): Uint32Array {
  let k = 0;
  for (let j = 0; j < order.length; j++) if ((flags[order[j]] ?? 0) & EMPHASIS) k++;
  const out = new Uint32Array(k);
  for (let j = 0, o = 0; j < order.length && o < k; j++) if ((flags[order[j]] ?? 0) & EMPHASIS) out[o++] = order[j];
  return out;
}

/**
 * The points a moving frame draws next, after a frame of `drawn` points took `ms`. The estimate is
 * the count that would take `targetMs` at the measured cost per point; within HYSTERESIS of
 * `budget` the budget is kept (no oscillation), else it moves halfway (in log terms) toward it,
 * staying between min(total, MIN_BUDGET) and `total`. With a fixed cost per frame on top of the
 * cost per point, successive frames converge on the count that takes `targetMs`.
 */
export function nextBudget(budget: number, drawn: number, ms: number, total: number, targetMs = MOVING_FRAME_MS): number {
  const current = Math.min(Math.max(1, budget), total);
  if (!(ms > 0) || ms > MAX_SAMPLE_MS || !(drawn > 0) || total <= 0) return current;
  const floor = Math.min(total, MIN_BUDGET);
  const estimate = (drawn * targetMs) / ms;
  // Reaching a bound is never held back: the whole set on a fast GPU, the floor on a slow one.
  if (estimate >= total && current >= total / (1 + HYSTERESIS)) return total;
  if (Math.abs(estimate / current - 1) <= HYSTERESIS) return current;
  return Math.round(Math.min(total, Math.max(floor, Math.sqrt(current * estimate))));
}

/** What a frame draws: every point, or the order's rows [from, to) (plus the emphasised rows). */
export type FramePlan =
  | { kind: "full" }
  | {
      kind: "subset";
      from: number;
      to: number;
      /** Clear the canvas first (else draw over the previous frame: a refinement step). */
      clear: boolean;
      /** After this frame every point is on screen. */
      complete: boolean;
    };

export type MotionPhase = "start" | "end" | "step";

/**
 * A subset frame's rows with the emphasised ones: the first `emphasis` of the `emphasised` rows
 * (a sample of them too, as they are listed in the draw order), at most half of the frame's
 * points, on frames that clear the canvas (a moving frame, a refinement's first step); later
 * refinement steps draw over a canvas that shows them already, and their chunks of the order
 * bring the rest. A moving frame's budget counts them (its order prefix shrinks to make room),
 * so a large selection cannot slow it.
 */
export function shareWithEmphasis<P extends { from: number; to: number; clear: boolean }>(
  plan: P,
  emphasised: number,
  moving: boolean,
): P & { emphasis: number } {
  const emphasis = plan.clear ? Math.min(emphasised, Math.floor((plan.to - plan.from) / 2)) : 0;
  const to = moving ? Math.max(plan.from + 1, plan.to - emphasis) : plan.to;
  return { ...plan, to, emphasis };
}

/**
 * The level-of-detail state of one renderer: whether the view is moving (a drag between its
 * start and end, or wheel steps until SETTLE_MS without one), the budget of a moving frame, and
 * how far a refinement has come. `wake` asks the renderer for a frame (a refinement to draw).
 */
export class DetailPlanner {
  /** Points a moving frame draws, from the measured frames (Infinity until one is measured). */
  budget = Number.POSITIVE_INFINITY;
  /** A budget set by tests (null: the measured one). */
  forced: number | null = null;
  private dragging = false;
  private stepping = false;
  private settleTimer: ReturnType<typeof setTimeout> | undefined;
  /** Rows of the order drawn since the canvas was last cleared, while a subset is on screen; -1 when all is. */
  private shownUpTo = -1;

  constructor(private readonly wake: () => void) {}

  get moving(): boolean {
    return this.dragging || this.stepping;
  }

  /** Points a moving frame draws now. */
  get points(): number {
    return this.forced ?? this.budget;
  }

  /** A drag started or ended, or a discrete step (wheel) moved the view. */
  motion(phase: MotionPhase): void {
    const was = this.moving;
    if (phase === "start") this.dragging = true;
    else if (phase === "end") this.dragging = false;
    else {
      this.stepping = true;
      if (this.settleTimer !== undefined) clearTimeout(this.settleTimer);
      this.settleTimer = setTimeout(() => {
        this.settleTimer = undefined;
        this.stepping = false;
        this.settled();
      }, SETTLE_MS);
    }
    if (was && !this.moving) this.settled();
  }

  private settled(): void {
    if (!this.moving && this.shownUpTo >= 0) this.wake();
  }

  /** Something other than the motion changed what is drawn: a refinement under way starts over. */
  interrupt(): void {
    if (!this.moving && this.shownUpTo > 0) this.shownUpTo = 0;
  }

  /**
   * What the next frame of `total` points draws; `ordered` builds the draw order if needed and
   * returns its length (the shown points), asked only when a frame draws a subset.
   */
  plan(total: number, ordered: () => number): FramePlan {
    const k = Math.floor(this.points);
    const m = total < LOD_MIN_POINTS || (this.moving ? k >= total : this.shownUpTo < 0) ? 0 : ordered();
    if (m <= 0 || (this.moving && k >= m)) {
      this.shownUpTo = -1;
      return { kind: "full" };
    }
    if (this.moving) {
      this.shownUpTo = 0; // a subset is on screen: refine it once the motion settles
      return { kind: "subset", from: 0, to: k, clear: true, complete: false };
    }
    const from = this.shownUpTo;
    const chunk = Math.max(1, Math.floor((k * REFINE_FRAME_MS) / MOVING_FRAME_MS));
    if (from === 0 && chunk >= m) {
      this.shownUpTo = -1;
      return { kind: "full" };
    }
    const to = Math.min(m, from + chunk);
    const complete = to >= m;
    this.shownUpTo = complete ? -1 : to;
    return { kind: "subset", from, to, clear: from === 0, complete };
  }

  /** Whether a refinement has frames left to draw. */
  get refining(): boolean {
    return !this.moving && this.shownUpTo >= 0;
  }

  /**
   * A frame of `drawn` points (out of `total`) took `ms`: update the budget. The first sample sets
   * it outright (there is nothing to smooth: no budget was measured before).
   */
  measured(drawn: number, ms: number, total: number): void {
    if (total < LOD_MIN_POINTS) return;
    if (Number.isFinite(this.budget)) {
      this.budget = nextBudget(this.budget, drawn, ms, total);
    } else if (ms > 0 && ms <= MAX_SAMPLE_MS && drawn > 0) {
      const estimate = Math.round((drawn * MOVING_FRAME_MS) / ms);
      this.budget = Math.min(total, Math.max(Math.min(total, MIN_BUDGET), estimate));
    }
  }

  dispose(): void {
    if (this.settleTimer !== undefined) clearTimeout(this.settleTimer);
    this.settleTimer = undefined;
  }
}
