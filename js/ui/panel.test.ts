import { describe, expect, it } from "vitest";
import { decodeAppearance } from "../contract/protocol";
import { opacityOf, sizeRangeOf } from "../view/drawing";
import { clampInput, splitColorMap } from "./panel";

const SPEC = decodeAppearance({
  color_maps: [
    { name: "viridis", scheme: "Viridis", kind: "sequential" },
    { name: "rdbu", scheme: "RdBu", kind: "diverging" },
  ],
  palettes: [{ name: "set1", scheme: "Set1" }],
  reversed_suffix: "_r",
});

describe("the colour map control", () => {
  it("shows a reversed map as the map with Reverse checked", () => {
    expect(splitColorMap(SPEC, "rdbu")).toEqual(["rdbu", false]);
    expect(splitColorMap(SPEC, "rdbu_r")).toEqual(["rdbu", true]);
    expect(splitColorMap(SPEC, "viridis_r")).toEqual(["viridis", true]);
  });

  it("leaves names it does not know as they are", () => {
    expect(splitColorMap(SPEC, "nope_r")).toEqual(["nope_r", false]);
    expect(splitColorMap(SPEC, "_r")).toEqual(["_r", false]);
    expect(splitColorMap(null, "viridis_r")).toEqual(["viridis_r", false]);
  });
});

describe("typed numbers", () => {
  it("are clamped to the limits the kernel accepts, and refused when not numbers", () => {
    expect(clampInput("1.5", 0.1, 32)).toBe(1.5);
    expect(clampInput("500", 0.1, 32)).toBe(32);
    expect(clampInput("0", 0.1, 32)).toBe(0.1);
    expect(clampInput("-3", 0, 256)).toBe(0);
    expect(clampInput("", 0, 256)).toBeNull();
    expect(clampInput("abc", 0, 1)).toBeNull();
  });
});

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

describe("the appearance rules in _spec", () => {
  it("decode names, schemes and kinds, and skip malformed entries", () => {
    const a = decodeAppearance({
      color_maps: [
        { name: "viridis", scheme: "Viridis", kind: "sequential" },
        { name: "", scheme: "X" },
        { name: "odd", scheme: "Odd", kind: "weird" },
        3,
      ],
      palettes: [{ name: "own", colors: ["#000000", 5] }, { name: "none" }, { name: "set1", scheme: "Set1" }],
      reversed_suffix: "",
      size_factor_limits: [2, 1],
      point_size_max: "big",
    });
    expect(a.colorMaps).toEqual([
      { name: "viridis", scheme: "Viridis", kind: "sequential" },
      { name: "odd", scheme: "Odd", kind: "sequential" },
    ]);
    expect(a.palettes).toEqual([
      { name: "own", scheme: null, colors: ["#000000"] },
      { name: "set1", scheme: "Set1", colors: [] },
    ]);
    expect(a.reversedSuffix).toBe("_r");
    expect(a.sizeFactorLimits).toEqual([0.1, 32]);
    expect(a.pointSizeMax).toBe(256);
  });

  it("read as empty when absent", () => {
    for (const raw of [undefined, null, 3, "x", []]) {
      const a = decodeAppearance(raw);
      expect([a.colorMaps, a.palettes]).toEqual([[], []]);
    }
  });
});
