import { describe, expect, it } from "vitest";
import { decodeTimeline, timelinePoints } from "./wireTimeline";

// Two steps of two points, as encoding.encode_timeline sends them.
const raw = {
  steps: 2,
  n: 2,
  dims: 3,
  names: ["a", "b"],
  lo: [
    [0, 0, 0],
    [-1, -2, -3],
  ],
  hi: [
    [1, 1, 1],
    [1, 2, 3],
  ],
  data: new DataView(new Uint16Array([0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15]).buffer),
};

describe("decodeTimeline", () => {
  it("reads every step's bounds, names and quantised layout", () => {
    const t = decodeTimeline(raw);
    expect(t?.steps).toBe(2);
    expect(t?.names).toEqual(["a", "b"]);
    expect(t?.lo[1]).toEqual([-1, -2, -3]);
    expect(Array.from(t?.data ?? [])).toHaveLength(12);
  });

  it("refuses what is not a timeline, or data shorter than it claims", () => {
    expect(decodeTimeline({})).toBeNull();
    expect(decodeTimeline({ ...raw, steps: 3 })).toBeNull();
    expect(decodeTimeline({ ...raw, dims: 2 })).toBeNull();
  });
});

describe("timelinePoints", () => {
  it("gives a step's points in 3-D, and its first two axes in 2-D", () => {
    const t = decodeTimeline(raw);
    if (!t) throw new Error("no timeline");
    const p3 = timelinePoints(t, 1, 3, 500);
    expect(Array.from(p3.coords)).toEqual([10, 11, 12, 13, 14, 15]);
    expect(p3.hi).toEqual([1, 2, 3]);
    expect(p3.transitionMs).toBe(500);
    const p2 = timelinePoints(t, 1, 2, 0);
    expect(Array.from(p2.coords)).toEqual([10, 11, 13, 14]);
    expect(p2.lo).toEqual([-1, -2, 0]);
    expect(p2.loaded).toBe(2);
  });
});
