import { describe, expect, it } from "vitest";
import { densityContours, positionsKey } from "./density";

/** Points in two tight groups (x, y CSS px), with a few hidden (NaN). */
function twoGroups(): Float32Array {
  const out: number[] = [];
  let seed = 1;
  const rand = (): number => {
    seed = (seed * 16807) % 2147483647;
    return seed / 2147483647 - 0.5;
  };
  for (let i = 0; i < 2000; i++) {
    const [cx, cy] = i % 2 === 0 ? [150, 200] : [450, 200];
    out.push(cx + 40 * rand(), cy + 40 * rand());
  }
  out.push(NaN, NaN);
  return Float32Array.from(out);
}

describe("densityContours", () => {
  it("traces rings around each group and none across the gap", () => {
    const contours = densityContours(twoGroups(), 600, 400);
    expect(contours.length).toBeGreaterThan(2);
    const densest = contours[contours.length - 1];
    // The densest level is two separate rings, one per group.
    expect(densest.polygons.length).toBe(2);
    const xs = densest.polygons.flatMap((p) => p[0].map(([x]) => x));
    expect(xs.some((x) => x > 250 && x < 350)).toBe(false);
    expect(contours.map((c) => c.rank)).toEqual(contours.map((_, k) => k));
  });

  it("draws nothing without points on screen", () => {
    expect(densityContours(new Float32Array(0), 600, 400)).toEqual([]);
    expect(densityContours(Float32Array.from([-10, -10, 900, 900]), 600, 400)).toEqual([]);
  });
});

describe("positionsKey", () => {
  it("changes when points move or the area does, not otherwise", () => {
    const p = twoGroups();
    const key = positionsKey(p, 600, 400);
    expect(positionsKey(p.slice(), 600, 400)).toBe(key);
    expect(positionsKey(p, 600, 300)).not.toBe(key);
    const moved = p.map((v) => v + 5);
    expect(positionsKey(moved, 600, 400)).not.toBe(key);
  });
});
