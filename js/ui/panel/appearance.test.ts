import { describe, expect, it } from "vitest";
import { decodeAppearance } from "../../contract/protocol";
import { splitColorMap } from "./appearance";

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
