import { describe, expect, it } from "vitest";
import { opacityOf, sizeRangeOf } from "./drawing";

describe("model values of opacity and size_range", () => {
  it("reads what the kernel sends and falls back to opaque, one size", () => {
    expect(opacityOf(0.25)).toBe(0.25);
    expect(opacityOf(1)).toBe(1);
    for (const bad of [0, -1, 2, Number.NaN, "0.5", null]) expect(opacityOf(bad)).toBe(1);
    expect(sizeRangeOf([0.5, 2.5])).toEqual([0.5, 2.5]);
    expect(sizeRangeOf([3, 1])).toEqual([3, 1]);
    for (const bad of [[1], [1, 2, 3], [0, 1], [1, Number.POSITIVE_INFINITY], ["1", 2], null]) expect(sizeRangeOf(bad)).toEqual([1, 1]);
  });
});
