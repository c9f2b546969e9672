import { describe, expect, it } from "vitest";
import { seededRandom } from "../testing";
import { extendPath, pointInPolygon, polygonBounds, selectInPolygon } from "./lasso";

// A "C" shape opening to the right: the notch (x in 30..100, y in 30..70) is outside.
const C_SHAPE = [0, 0, 100, 0, 100, 30, 30, 30, 30, 70, 100, 70, 100, 100, 0, 100];

describe("pointInPolygon", () => {
  it("handles a concave polygon", () => {
    expect(pointInPolygon(10, 50, C_SHAPE)).toBe(true); // spine
    expect(pointInPolygon(80, 15, C_SHAPE)).toBe(true); // upper arm
    expect(pointInPolygon(80, 85, C_SHAPE)).toBe(true); // lower arm
    expect(pointInPolygon(60, 50, C_SHAPE)).toBe(false); // in the notch
    expect(pointInPolygon(31, 50, C_SHAPE)).toBe(false); // just inside the notch
    expect(pointInPolygon(29, 50, C_SHAPE)).toBe(true); // just outside the notch
    expect(pointInPolygon(150, 50, C_SHAPE)).toBe(false);
    expect(pointInPolygon(-1, 50, C_SHAPE)).toBe(false);
  });

  it("decides points a hair inside or outside a slanted edge correctly", () => {
    const tri = [0, 0, 100, 0, 0, 100]; // hypotenuse x + y = 100
    const eps = 1e-6;
    for (let t = 0.05; t < 1; t += 0.1) {
      const x = 100 * t;
      const y = 100 - x;
      expect(pointInPolygon(x - eps, y - eps, tri)).toBe(true);
      expect(pointInPolygon(x + eps, y + eps, tri)).toBe(false);
    }
  });

  it("gives every point on a shared edge to exactly one of two tiles", () => {
    const rand = seededRandom(3);
    for (let e = 0; e < 200; e++) {
      // A slanted shared edge with arbitrary (non-round) endpoints, the left
      // tile traversing it upward and the right tile downward.
      const x1 = 100 + rand() * 300;
      const y1 = rand() * 100;
      const x2 = 100 + rand() * 300;
      const y2 = 400 + rand() * 100;
      const left = [-1000, y1, x1, y1, x2, y2, -1000, y2];
      const right = [x1, y1, 1000, y1, 1000, y2, x2, y2];
      for (let k = 0; k < 10; k++) {
        const y = y1 + (0.01 + rand() * 0.98) * (y2 - y1);
        // The edge's x at y, as computed from either endpoint (they can differ in the last bit).
        const fromLow = x1 + ((y - y1) * (x2 - x1)) / (y2 - y1);
        const fromHigh = x2 + ((y - y2) * (x1 - x2)) / (y1 - y2);
        for (const x of [fromLow, fromHigh, Math.fround(fromLow), x1, x2]) {
          const hits = Number(pointInPolygon(x, y, left)) + Number(pointInPolygon(x, y, right));
          expect(hits).toBe(1);
        }
      }
    }
  });

  it("never matches NaN or a degenerate polygon", () => {
    expect(pointInPolygon(NaN, 10, C_SHAPE)).toBe(false);
    expect(pointInPolygon(10, NaN, C_SHAPE)).toBe(false);
    expect(pointInPolygon(1, 1, [0, 0, 5, 5])).toBe(false);
  });
});

describe("selectInPolygon", () => {
  it("agrees with brute force on random points and a random star polygon", () => {
    const rand = seededRandom(11);
    for (let trial = 0; trial < 5; trial++) {
      const m = 5 + Math.floor(rand() * 20);
      const poly: number[] = [];
      for (let k = 0; k < m; k++) {
        const a = (k / m) * Math.PI * 2;
        const r = 20 + rand() * 180; // spiky, concave
        poly.push(250 + r * Math.cos(a), 250 + r * Math.sin(a));
      }
      const n = 20000;
      const pos = new Float32Array(2 * n);
      for (let i = 0; i < n; i++) {
        pos[2 * i] = rand() * 500;
        pos[2 * i + 1] = rand() * 500;
        if (i % 97 === 0) pos[2 * i] = NaN; // hidden behind the camera
      }
      const expected: number[] = [];
      for (let i = 0; i < n; i++) if (pointInPolygon(pos[2 * i], pos[2 * i + 1], poly)) expected.push(i);
      const got = selectInPolygon(pos, poly);
      expect(Array.from(got)).toEqual(expected);
      expect(expected.length).toBeGreaterThan(100);
      expect(expected.some((i) => i % 97 === 0)).toBe(false);
    }
  });

  it("returns indices in ascending order and nothing for a degenerate lasso", () => {
    const pos = Float32Array.from([1, 1, 50, 50, 2, 2, 3, 3]);
    expect(Array.from(selectInPolygon(pos, [0, 0, 10, 0, 10, 10, 0, 10]))).toEqual([0, 2, 3]);
    expect(selectInPolygon(pos, [0, 0, 10, 10]).length).toBe(0);
  });

  it("handles a million points in well under a second", () => {
    const rand = seededRandom(5);
    const n = 1_000_000;
    const pos = new Float32Array(2 * n);
    for (let i = 0; i < 2 * n; i++) pos[i] = rand() * 1000;
    // A 64-gon approximating a circle of radius 300 at the centre.
    const poly: number[] = [];
    for (let k = 0; k < 64; k++) {
      const a = (k / 64) * Math.PI * 2;
      poly.push(500 + 300 * Math.cos(a), 500 + 300 * Math.sin(a));
    }
    const t0 = performance.now();
    const hits = selectInPolygon(pos, poly);
    const ms = performance.now() - t0;
    const expectedFraction = (0.5 * 64 * Math.sin((2 * Math.PI) / 64) * 300 * 300) / 1e6;
    expect(hits.length / n).toBeCloseTo(expectedFraction, 2);
    expect(ms).toBeLessThan(1000);
  });
});

describe("polygonBounds and extendPath", () => {
  it("computes bounds", () => {
    expect(polygonBounds(C_SHAPE)).toEqual({ minX: 0, minY: 0, maxX: 100, maxY: 100 });
  });

  it("skips vertices closer than the minimum step", () => {
    const path: number[] = [];
    expect(extendPath(path, 0, 0)).toBe(true);
    expect(extendPath(path, 1, 1)).toBe(false);
    expect(extendPath(path, 3, 0)).toBe(true);
    expect(path).toEqual([0, 0, 3, 0]);
  });
});
