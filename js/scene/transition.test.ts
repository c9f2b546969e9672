import { describe, expect, it } from "vitest";
import { ease, mixedPosition, transitionT, worldAt } from "./transition";

describe("transition maths", () => {
  it("eases from 0 to 1 monotonically, symmetric about the middle", () => {
    expect(ease(0)).toBe(0);
    expect(ease(1)).toBe(1);
    expect(ease(0.5)).toBeCloseTo(0.5, 12);
    expect(ease(-1)).toBe(0);
    expect(ease(2)).toBe(1);
    let last = 0;
    for (let t = 0.01; t <= 1; t += 0.01) {
      expect(ease(t)).toBeGreaterThanOrEqual(last);
      expect(ease(t) + ease(1 - t)).toBeCloseTo(1, 9);
      last = ease(t);
    }
  });

  it("maps time to progress, jumping for a zero duration", () => {
    expect(transitionT(150, 100, 200)).toBe(0.25);
    expect(transitionT(500, 100, 200)).toBe(1);
    expect(transitionT(50, 100, 200)).toBe(0);
    expect(transitionT(100, 100, 0)).toBe(1);
  });

  it("mixes the two de-quantised positions, each with its own bounds", () => {
    const prev = { coords: Uint16Array.of(0, 65535), dims: 2 as const, lo: [0, 0], hi: [10, 10] };
    const next = { coords: Uint16Array.of(65535, 0), dims: 2 as const, lo: [-4, 100], hi: [4, 200] };
    expect(worldAt(prev, 0, 1)).toBe(10);
    expect(mixedPosition(prev, next, 0, 0)).toEqual([0, 10, 0]);
    expect(mixedPosition(prev, next, 0, 1)).toEqual([4, 100, 0]);
    const mid = mixedPosition(prev, next, 0, 0.25);
    expect(mid[0]).toBeCloseTo(1, 12);
    expect(mid[1]).toBeCloseTo(32.5, 12);
    expect(mixedPosition(null, next, 0, 0.3)).toEqual([4, 100, 0]);
  });
});
