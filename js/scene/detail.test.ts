import { afterEach, describe, expect, it, vi } from "vitest";
import {
  DetailPlanner,
  drawOrder,
  emphasisedInOrder,
  type FramePlan,
  HYSTERESIS,
  LOD_MIN_POINTS,
  MIN_BUDGET,
  MOVING_FRAME_MS,
  nextBudget,
  RARE_CAP_SHARE,
  REFINE_FRAME_MS,
  SETTLE_MS,
  shareWithEmphasis,
} from "./detail";
import { FLAG_FOCUS, FLAG_HIDDEN, FLAG_NEIGHBOR, FLAG_SELECTED } from "./flags";

/** Codes with the given number of rows per category, rows of all categories mixed by a fixed stride. */
function codesOf(sizes: number[]): Uint16Array {
  const flat: number[] = [];
  sizes.forEach((size, c) => {
    for (let i = 0; i < size; i++) flat.push(c);
  });
  const n = flat.length;
  const out = new Uint16Array(n);
  // A permutation of the rows (7919 is prime, coprime with these n), so categories are not contiguous.
  for (let i = 0; i < n; i++) out[(i * 7919) % n] = flat[i];
  return out;
}

function isPermutationOf(order: Uint32Array, rows: number[]): boolean {
  const sorted = Array.from(order).sort((a, b) => a - b);
  return sorted.length === rows.length && sorted.every((v, i) => v === rows[i]);
}

describe("drawOrder", () => {
  it("is a permutation of the shown rows, the same for the same seed", () => {
    const codes = codesOf([500, 300, 200]);
    const flags = new Uint8Array(1000);
    for (let i = 0; i < 1000; i += 10) flags[i] = FLAG_HIDDEN;
    flags[1] = FLAG_SELECTED; // selected rows stay in the order
    const order = drawOrder(1000, codes, flags);
    const shown = Array.from({ length: 1000 }, (_, i) => i).filter((i) => i % 10 !== 0);
    expect(isPermutationOf(order, shown)).toBe(true);
    expect(Array.from(drawOrder(1000, codes, flags))).toEqual(Array.from(order));
    expect(Array.from(drawOrder(1000, codes, flags, 2))).not.toEqual(Array.from(order));
    // Without categories or flags: a shuffle of every row.
    const plain = drawOrder(1000, null, null);
    expect(
      isPermutationOf(
        plain,
        Array.from({ length: 1000 }, (_, i) => i),
      ),
    ).toBe(true);
    expect(Array.from(plain.subarray(0, 20))).not.toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it("keeps every category in proportion in every prefix", () => {
    const sizes = [6000, 2500, 900, 400, 200];
    const n = sizes.reduce((a, b) => a + b, 0);
    const codes = codesOf(sizes);
    const order = drawOrder(n, codes, null);
    const seen = new Array(sizes.length).fill(0);
    let worst = 0;
    for (let k = 1; k <= n; k++) {
      seen[codes[order[k - 1]]]++;
      for (let c = 0; c < sizes.length; c++) worst = Math.max(worst, Math.abs(seen[c] - (k * sizes[c]) / n));
    }
    // Within 2 of the exact share at every prefix length (a plain shuffle strays by dozens).
    expect(worst).toBeLessThanOrEqual(2);
    // So every category is in any prefix longer than its n / size.
    for (let c = 0; c < sizes.length; c++) {
      const k = Math.ceil((2 * n) / sizes[c]);
      const prefix = Array.from(order.subarray(0, k), (i) => codes[i]);
      expect(prefix).toContain(c);
    }
  });

  it("puts rare categories first, entirely", () => {
    // 100,000 rows; two categories of 12 and 90 rows (under 0.2 %) among three large ones.
    const sizes = [50_000, 30_000, 19_898, 12, 90];
    const n = sizes.reduce((a, b) => a + b, 0);
    const codes = codesOf(sizes);
    const order = drawOrder(n, codes, null);
    const head = Array.from(order.subarray(0, 102), (i) => codes[i]).sort((a, b) => a - b);
    expect(head.filter((c) => c === 3)).toHaveLength(12);
    expect(head.filter((c) => c === 4)).toHaveLength(90);
    expect(head.every((c) => c >= 3)).toBe(true);
    // The rare block is shuffled (both categories near its start), the rest follows in proportion.
    const first10 = new Set(Array.from(order.subarray(0, 10), (i) => codes[i]));
    expect(first10.size).toBe(2);
  });

  it("caps the rare block: many tiny categories do not take over the order", () => {
    // 2,000 categories of 5 rows (each rare) and one of 90,000.
    const sizes = [90_000, ...new Array(2000).fill(5)];
    const n = sizes.reduce((a, b) => a + b, 0);
    const codes = codesOf(sizes);
    const order = drawOrder(n, codes, null);
    const cap = Math.floor(RARE_CAP_SHARE * n);
    const head = Array.from(order.subarray(0, cap), (i) => codes[i]);
    expect(head.every((c) => c !== 0)).toBe(true); // the cap's worth of tiny categories comes first
    // The remaining tiny categories are interleaved with the large one, not placed before it.
    const after = Array.from(order.subarray(cap, cap + 1000), (i) => codes[i]);
    expect(after.filter((c) => c === 0).length).toBeGreaterThan(500);
  });
});

describe("emphasisedInOrder", () => {
  it("lists selected, neighbour and focus rows in the order's order, hidden ones never", () => {
    const flags = new Uint8Array(10);
    flags[2] = FLAG_SELECTED;
    flags[5] = FLAG_NEIGHBOR;
    flags[7] = FLAG_FOCUS | FLAG_SELECTED;
    flags[9] = FLAG_HIDDEN;
    const order = drawOrder(10, null, flags);
    const emph = emphasisedInOrder(order, flags);
    expect(Array.from(emph).sort()).toEqual([2, 5, 7]);
    const rank = (i: number): number => order.indexOf(i);
    expect(Array.from(emph)).toEqual([2, 5, 7].sort((a, b) => rank(a) - rank(b)));
  });
});

describe("nextBudget", () => {
  const total = 1_000_000;

  it("converges on the count that draws in the target time, with a fixed cost per frame", () => {
    // 10 ms per frame plus 0.65 µs per point (a million points: 660 ms).
    const frameMs = (k: number): number => 10 + 0.00065 * k;
    const ideal = (MOVING_FRAME_MS - 10) / 0.00065;
    let budget = total;
    for (let i = 0; i < 30; i++) budget = nextBudget(budget, budget, frameMs(budget), total);
    expect(Math.abs(budget - ideal) / ideal).toBeLessThanOrEqual(HYSTERESIS * 1.2);
    // From a measured full frame it starts well below the whole set.
    expect(nextBudget(total, total, frameMs(total), total)).toBeLessThan(total / 2);
  });

  it("is the whole set where full frames are fast, and never below the floor", () => {
    expect(nextBudget(total, total, 16.7, total)).toBe(total);
    expect(nextBudget(300_000, 300_000, 16.7, total)).toBeGreaterThan(300_000);
    let budget = 300_000;
    for (let i = 0; i < 10; i++) budget = nextBudget(budget, budget, 16.7, total);
    expect(budget).toBe(total);
    expect(nextBudget(MIN_BUDGET, MIN_BUDGET, 5000, total)).toBe(MIN_BUDGET);
    expect(nextBudget(50_000, 50_000, 100_000, 5000)).toBe(5000); // a set smaller than the floor
  });

  it("holds the budget for small changes (hysteresis) and ignores meaningless samples", () => {
    const b = 200_000;
    // A frame 10 % over the target: the estimate moves the budget by about 5 %, which is held.
    expect(nextBudget(b, b, MOVING_FRAME_MS * 1.1, total)).toBe(b);
    expect(nextBudget(b, b, MOVING_FRAME_MS * 0.9, total)).toBe(b);
    // Twice the target: it moves.
    expect(nextBudget(b, b, MOVING_FRAME_MS * 2, total)).toBeLessThan(b);
    expect(nextBudget(b, b, 0, total)).toBe(b);
    expect(nextBudget(b, b, Number.NaN, total)).toBe(b);
    expect(nextBudget(b, b, 3_600_000, total)).toBe(b); // a debugger's pause
    // A full frame of 10M points that took 40 s (software GL on a busy machine) counts.
    expect(nextBudget(10_000_000, 10_000_000, 40_000, 10_000_000)).toBeLessThan(10_000_000 / 2);
    expect(nextBudget(b, 0, 50, total)).toBe(b);
  });
});

describe("DetailPlanner", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const n = 1_000_000;
  const all = () => n;

  function planner(budget: number): { p: DetailPlanner; wakes: () => number } {
    let wakes = 0;
    const p = new DetailPlanner(() => {
      wakes++;
    });
    p.budget = budget;
    return { p, wakes: () => wakes };
  }

  it("draws every point below LOD_MIN_POINTS, when not moving, and while the budget covers the set", () => {
    const { p } = planner(50_000);
    const never = (): number => {
      throw new Error("the order is not needed");
    };
    expect(p.plan(n, never)).toEqual({ kind: "full" });
    p.motion("start");
    expect(p.plan(LOD_MIN_POINTS - 1, never)).toEqual({ kind: "full" });
    p.budget = Number.POSITIVE_INFINITY; // not measured yet
    expect(p.plan(n, never)).toEqual({ kind: "full" });
    p.budget = n;
    expect(p.plan(n, never)).toEqual({ kind: "full" });
  });

  it("draws the budget while a drag moves the view, then refines to every point in steps", () => {
    const { p, wakes } = planner(50_000);
    p.motion("start");
    expect(p.moving).toBe(true);
    expect(p.plan(n, all)).toEqual({ kind: "subset", from: 0, to: 50_000, clear: true, complete: false });
    expect(p.plan(n, all)).toEqual({ kind: "subset", from: 0, to: 50_000, clear: true, complete: false });
    p.motion("end");
    expect(wakes()).toBe(1);
    expect(p.refining).toBe(true);
    const chunk = Math.floor((50_000 * REFINE_FRAME_MS) / MOVING_FRAME_MS);
    const steps: FramePlan[] = [];
    while (p.refining) steps.push(p.plan(n, all));
    expect(steps[0]).toEqual({ kind: "subset", from: 0, to: chunk, clear: true, complete: false });
    expect(steps[1]).toEqual({ kind: "subset", from: chunk, to: 2 * chunk, clear: false, complete: false });
    const last = steps[steps.length - 1];
    expect(last).toEqual({ kind: "subset", from: (steps.length - 1) * chunk, to: n, clear: false, complete: true });
    expect(steps).toHaveLength(Math.ceil(n / chunk));
    expect(p.plan(n, all)).toEqual({ kind: "full" });
  });

  it("restarts a refinement when something else changes, and ends it in one frame when it fits", () => {
    const { p } = planner(50_000);
    p.motion("start");
    p.plan(n, all);
    p.motion("end");
    p.plan(n, all);
    p.plan(n, all);
    p.interrupt();
    expect(p.plan(n, all)).toMatchObject({ from: 0, clear: true });
    // A budget that refines the whole set in one frame: a plain full frame.
    const q = planner(400_000).p;
    q.motion("start");
    expect(q.plan(n, all)).toMatchObject({ kind: "subset", to: 400_000 });
    q.motion("end");
    expect(q.plan(n, all)).toEqual({ kind: "full" });
    expect(q.refining).toBe(false);
  });

  it("moves during a burst of wheel steps until SETTLE_MS without one, then wakes", () => {
    vi.useFakeTimers();
    const { p, wakes } = planner(50_000);
    p.motion("step");
    expect(p.plan(n, all)).toMatchObject({ kind: "subset", to: 50_000 });
    vi.advanceTimersByTime(SETTLE_MS - 10);
    p.motion("step");
    vi.advanceTimersByTime(SETTLE_MS - 10);
    expect(p.moving).toBe(true);
    expect(wakes()).toBe(0);
    vi.advanceTimersByTime(20);
    expect(p.moving).toBe(false);
    expect(wakes()).toBe(1);
    expect(p.plan(n, all)).toMatchObject({ from: 0, clear: true });
    // A wheel step during a drag does not end the drag's motion when it settles.
    p.motion("start");
    p.motion("step");
    vi.advanceTimersByTime(SETTLE_MS * 2);
    expect(p.moving).toBe(true);
    p.dispose();
  });

  it("uses a forced budget over the measured one, and measures only large sets", () => {
    const { p } = planner(Number.POSITIVE_INFINITY);
    p.measured(100_000, 1000, 100_000); // below LOD_MIN_POINTS: ignored
    expect(p.budget).toBe(Number.POSITIVE_INFINITY);
    p.measured(n, 650, n); // the first sample sets the budget outright
    expect(p.budget).toBe(Math.round((n * MOVING_FRAME_MS) / 650));
    p.measured(n, 650, n); // later ones move it halfway (here: within the hysteresis, kept)
    expect(p.budget).toBe(Math.round((n * MOVING_FRAME_MS) / 650));
    const slow = planner(Number.POSITIVE_INFINITY).p;
    slow.measured(10_000_000, 40_000, 10_000_000); // 10M points in 40 s: a small budget at once
    expect(slow.budget).toBe(Math.round((10_000_000 * MOVING_FRAME_MS) / 40_000)); // 16,667
    p.forced = 1234;
    expect(p.points).toBe(1234);
    p.motion("start");
    expect(p.plan(n, () => 10_000)).toMatchObject({ to: 1234 });
    // Fewer shown rows than the budget: every point.
    p.forced = 20_000;
    expect(p.plan(n, () => 10_000)).toEqual({ kind: "full" });
  });
});

describe("shareWithEmphasis", () => {
  it("gives the emphasised rows at most half of a frame that clears, inside a moving frame's budget", () => {
    const moving = { from: 0, to: 10_000, clear: true };
    expect(shareWithEmphasis(moving, 30, true)).toEqual({ from: 0, to: 9970, clear: true, emphasis: 30 });
    // A selection larger than the budget: half the frame each, still 10,000 points in all.
    expect(shareWithEmphasis(moving, 500_000, true)).toEqual({ from: 0, to: 5000, clear: true, emphasis: 5000 });
    expect(shareWithEmphasis(moving, 0, true)).toEqual({ from: 0, to: 10_000, clear: true, emphasis: 0 });
    // A refinement's first step keeps its chunk and draws them on top; later steps leave them be.
    expect(shareWithEmphasis({ from: 0, to: 40_000, clear: true }, 30, false)).toMatchObject({ to: 40_000, emphasis: 30 });
    expect(shareWithEmphasis({ from: 40_000, to: 80_000, clear: false }, 30, false)).toMatchObject({ to: 80_000, emphasis: 0 });
  });
});
