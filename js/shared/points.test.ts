import { describe, expect, it } from "vitest";
import { decodeTimeline, timelinePoints } from "../contract/wireTimeline";
import { PointsStore } from "./points";

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

describe("PointsStore.showLocal", () => {
  it("replaces what views draw once per key, until the kernel's next value", () => {
    const store = new PointsStore({ requestRest: () => {}, kernel: () => true });
    const changes: string[] = [];
    store.subscribe((c) => changes.push(c));
    const t = decodeTimeline(raw);
    if (!t) throw new Error("no timeline");
    store.showLocal(timelinePoints(t, 1, 3, 900), "1/3");
    store.showLocal(timelinePoints(t, 1, 3, 900), "1/3");
    expect(changes).toEqual(["replaced"]);
    expect(Array.from(store.arrived?.coords ?? [])).toEqual([10, 11, 12, 13, 14, 15]);
    expect(store.arrived?.transitionMs).toBe(900);
    store.replace({ n: 2, dims: 3, lo: [0, 0, 0], hi: [1, 1, 1], data: new DataView(new Uint16Array(6).buffer) }, {});
    store.showLocal(timelinePoints(t, 1, 3, 900), "1/3");
    expect(changes).toEqual(["replaced", "replaced", "replaced"]);
  });
});
