import { describe, expect, it } from "vitest";
import { type DensityContour, densityBandwidth, densityCell, densityContours, positionsKey } from "./density";

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

/**
 * Eight tight groups on a ring (like t-SNE's islands), drawn `scale` px per unit around the
 * centre of a 600 x 400 area; also their centres.
 */
function islands(scale: number): { positions: Float32Array; centres: [number, number][] } {
  let seed = 7;
  const gauss = (): number => {
    let u = 0;
    for (let k = 0; k < 6; k++) {
      seed = (seed * 16807) % 2147483647;
      u += seed / 2147483647;
    }
    return (u - 3) / Math.sqrt(0.5); // about standard normal
  };
  const centres: [number, number][] = Array.from({ length: 8 }, (_, g) => [
    300 + scale * 10 * Math.cos((g * Math.PI) / 4),
    200 + scale * 10 * Math.sin((g * Math.PI) / 4),
  ]);
  const out: number[] = [];
  for (let i = 0; i < 1600; i++) {
    const [cx, cy] = centres[i % 8];
    out.push(cx + scale * gauss(), cy + scale * gauss());
  }
  return { positions: Float32Array.from(out), centres };
}

/** Whether [x, y] lies inside the ring (even-odd rule). */
function insideRing(ring: number[][], x: number, y: number): boolean {
  let inside = false;
  for (let a = 0, b = ring.length - 1; a < ring.length; b = a++) {
    const [xa, ya] = ring[a];
    const [xb, yb] = ring[b];
    if (ya > y !== yb > y && x < ((xb - xa) * (y - ya)) / (yb - ya) + xa) inside = !inside;
  }
  return inside;
}

/** Whether a contour is one ring around every group's centre. */
function aroundAll(contour: DensityContour, centres: [number, number][]): boolean {
  return contour.polygons.some((p) => centres.every(([x, y]) => insideRing(p[0], x, y)));
}

describe("densityBandwidth", () => {
  const all = (p: Float32Array): number[] => Array.from({ length: p.length >> 1 }, (_, i) => i);

  it("follows the drawing's scale: twice the zoom, twice the blur", () => {
    const small = islands(4).positions;
    const large = islands(8).positions;
    expect(densityBandwidth(large, all(large))).toBeCloseTo(2 * densityBandwidth(small, all(small)), 6);
  });

  it("blurs a wide cloud more than a tight one of as many points", () => {
    const tight = islands(2).positions;
    const wide = tight.map((v, k) => (k % 2 === 0 ? 300 + 5 * (v - 300) : 200 + 5 * (v - 200)));
    expect(densityBandwidth(wide, all(wide))).toBeGreaterThan(4 * densityBandwidth(tight, all(tight)));
    expect(densityBandwidth(Float32Array.from([5, 5, 5, 5, 5, 5]), [0, 1, 2])).toBe(0.5);
  });

  it("bins into cells of at most half the blur", () => {
    expect([0.5, 2, 3.9, 4, 7.9, 8, 40].map(densityCell)).toEqual([1, 1, 1, 2, 2, 4, 4]);
  });

  it("keeps separate groups apart however small they are drawn", () => {
    // The whole drawing 60 to 320 px across (a fixed 18 px blur rings all of it at 80 px).
    for (const scale of [3, 4, 8, 16]) {
      const { positions, centres } = islands(scale);
      const contours = densityContours(positions, 600, 400);
      // At most the lowest level joins the groups; most levels ring each group on its own.
      expect(contours.filter((c) => aroundAll(c, centres)).length).toBeLessThanOrEqual(1);
      expect(contours.filter((c) => c.polygons.length >= 8).length).toBeGreaterThanOrEqual(contours.length / 2);
    }
  });
});

describe("densityContours", () => {
  it("traces rings around each group and none across the gap", () => {
    const contours = densityContours(twoGroups(), 600, 400);
    expect(contours.length).toBeGreaterThan(2);
    // The lowest level is two separate rings, one per group, and no ring crosses the gap.
    expect(contours[0].polygons.length).toBe(2);
    const xs = contours.flatMap((c) => c.polygons.flatMap((p) => p[0].map(([x]) => x)));
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
