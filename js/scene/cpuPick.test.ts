import { describe, expect, it } from "vitest";
import { nearestWithin } from "./picking";

describe("nearestWithin (CPU picking for large point counts)", () => {
  const pos = new Float32Array([10, 10, 20, 10, NaN, NaN, 12, 11]);

  it("returns the nearest point within reach", () => {
    expect(nearestWithin(pos, 11.9, 10.9, 3)).toBe(3);
    expect(nearestWithin(pos, 19, 10, 3)).toBe(1);
  });

  it("returns -1 when nothing is within reach and never picks hidden points", () => {
    expect(nearestWithin(pos, 50, 50, 3)).toBe(-1);
    expect(nearestWithin(new Float32Array([NaN, NaN]), 0, 0, 1e9)).toBe(-1);
  });

  it("agrees with a brute-force search on random data", () => {
    const n = 5000;
    const p = new Float32Array(2 * n);
    let seed = 7;
    const rnd = (): number => {
      seed = (seed * 16807) % 2147483647;
      return (seed / 2147483647) * 500;
    };
    for (let i = 0; i < 2 * n; i++) p[i] = rnd();
    for (let t = 0; t < 50; t++) {
      const x = rnd();
      const y = rnd();
      let best = -1;
      let bestD = 16;
      for (let i = 0; i < n; i++) {
        const d = (p[2 * i] - x) ** 2 + (p[2 * i + 1] - y) ** 2;
        if (d <= bestD) {
          bestD = d;
          best = i;
        }
      }
      expect(nearestWithin(p, x, y, 4)).toBe(best);
    }
  });
});
