import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FakeModel, SPEC_WIRE } from "../testing";
import { missingMessage } from "./points";
import { RowCache } from "./rowCache";
import { initialize, sharedOf } from "./shared";

/** `_points` sent in parts: `n` rows of 2-D, the first `loaded` here, version `version`. */
function firstPart(n: number, loaded: number, version: number): Record<string, unknown> {
  const data = new Uint16Array(loaded * 2).map((_, i) => i);
  return { n, dims: 2, lo: [0, 0], hi: [1, 1], data: new DataView(data.buffer), loaded, version };
}

/** The `_points_rest` value: `count` rows of 2-D from `start`, of value `version`. */
function rest(version: number, start: number, count: number): Record<string, unknown> {
  return { version, start, count, data: new DataView(new Uint16Array(count * 2).fill(9).buffer) };
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.stubGlobal("requestAnimationFrame", (f: () => void) => setTimeout(f, 16));
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe("the model's points", () => {
  it("asks for the rest once, grows when it arrives, and gives a second view the points without a request", () => {
    const model = new FakeModel({ _points: firstPart(5, 2, 7), layout: {} });
    const stop = initialize({ model });
    expect(model.sent).toEqual([{ type: "points", version: 7, start: 2 }]);
    const shared = sharedOf({ ...model, get: (k: string) => model.get(k) } as unknown as FakeModel); // another proxy
    const changes: string[] = [];
    shared.points.subscribe((c) => changes.push(c));
    expect(shared.points.arrived?.n).toBe(2);
    model.set("_points_rest", rest(7, 2, 3));
    expect(changes).toEqual(["grown"]);
    expect(shared.points.arrived?.n).toBe(5);
    expect(shared.points.received?.loaded).toBe(5);
    // A second view subscribes now: every point is there, nothing is asked for.
    const second = sharedOf(model);
    expect(second).toBe(shared);
    expect(second.points.arrived?.n).toBe(5);
    expect(model.sent.length).toBe(1);
    // A stale rest (an older version) changes nothing.
    model.set("_points_rest", rest(6, 2, 3));
    expect(changes).toEqual(["grown"]);
    expect(shared.points.missing).toBe(0);
    stop();
  });

  it("restored from saved state with the rest, shows every point and asks nothing", () => {
    const layout = { comm_live: false }; // no kernel behind the restored model
    const model = new FakeModel({ _points: firstPart(5, 2, 7), _points_rest: rest(7, 2, 3), layout });
    const stop = initialize({ model });
    const shared = sharedOf(model);
    expect(shared.points.arrived?.n).toBe(5);
    expect(Array.from(shared.points.arrived?.coords ?? [])).toEqual([0, 1, 2, 3, 9, 9, 9, 9, 9, 9]);
    expect(shared.points.missing).toBe(0);
    expect(missingMessage(shared.points)).toBe("");
    expect(model.sent).toEqual([]);
    stop();
  });

  it("restored without the rest and no kernel to ask, says how many points are missing", () => {
    const model = new FakeModel({ _points: firstPart(300_000, 2, 1), _points_rest: {}, layout: { comm_live: false } });
    const stop = initialize({ model });
    const shared = sharedOf(model);
    expect(model.sent).toEqual([]); // nobody to answer
    expect(shared.points.arrived?.n).toBe(2);
    expect(shared.points.missing).toBe(299_998);
    expect(missingMessage(shared.points)).toBe(
      "Showing 2 of 300,000 points: the rest was not saved with this notebook's widget state. Run the cell to show them all.",
    );
    stop();
    // With a kernel behind the model (a live comm), the rest is asked for instead.
    const live = new FakeModel({ _points: firstPart(300_000, 2, 1), layout: { comm_live: true } });
    const stopLive = initialize({ model: live });
    expect(live.sent).toEqual([{ type: "points", version: 1, start: 2 }]);
    expect(sharedOf(live).points.missing).toBe(0);
    stopLive();
  });

  it("replaces the points on a new value and tells the kernel once that every point is drawn", () => {
    const model = new FakeModel({ _points: firstPart(2, 2, 0) });
    const stop = initialize({ model });
    const shared = sharedOf(model);
    const changes: string[] = [];
    shared.points.subscribe((c) => changes.push(c));
    model.set("_points", firstPart(3, 3, 0));
    expect(changes).toEqual(["replaced"]);
    shared.allDrawn();
    shared.allDrawn(); // a second view completing
    vi.advanceTimersByTime(100);
    expect(model.sent).toEqual([{ type: "drawn" }]);
    stop();
  });

  it("hands user-facing replies to the views and forgets rows after a label edit", () => {
    const model = new FakeModel({ _points: firstPart(2, 2, 0), _columns: [] });
    const stop = initialize({ model });
    const shared = sharedOf(model);
    const replies: unknown[] = [];
    shared.onReply((r) => replies.push(r));
    shared.rows.request(1, () => true);
    vi.advanceTimersByTime(100);
    model.emit("msg:custom", { type: "row", index: 1, values: [["a", "x"]] });
    expect(shared.rows.get(1)).toEqual([["a", "x"]]);
    model.emit("msg:custom", { type: "label", column: "a", count: 1 });
    model.emit("msg:custom", { type: "selected_ack" });
    model.emit("msg:custom", { type: "bogus" });
    expect(replies).toEqual([{ type: "label", column: "a", count: 1 }, { type: "selected_ack" }]);
    expect(shared.rows.get(1)).toBeUndefined();
    stop();
    model.emit("msg:custom", { type: "error", message: "after" });
    expect(replies.length).toBe(2);
  });
});

describe("RowCache", () => {
  it("asks after the delay, only for the row still wanted, once", () => {
    const asked: number[] = [];
    const rows = new RowCache((i) => asked.push(i), 3, 60);
    let hovered = 4;
    rows.request(4, () => hovered === 4);
    rows.request(5, () => hovered === 5); // replaces the waiting request for 4
    vi.advanceTimersByTime(59);
    expect(asked).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(asked).toEqual([]); // the pointer is on 4, not 5
    hovered = 5;
    rows.request(5, () => hovered === 5);
    vi.advanceTimersByTime(60);
    rows.request(5, () => true); // pending: not asked again
    vi.advanceTimersByTime(60);
    expect(asked).toEqual([5]);
  });

  it("keeps replies it asked for, drops stale ones, and forgets the oldest beyond its limit", () => {
    const rows = new RowCache(() => {}, 2, 0);
    const arrived: number[] = [];
    rows.subscribe((i) => arrived.push(i));
    for (const i of [1, 2, 3]) {
      rows.request(i, () => true);
      vi.advanceTimersByTime(0);
      expect(rows.receive({ type: "row", index: i, values: [["c", String(i)]] })).toBe(true);
    }
    expect(arrived).toEqual([1, 2, 3]);
    expect(rows.get(1)).toBeUndefined(); // the oldest went
    expect(rows.get(3)).toEqual([["c", "3"]]);
    expect(rows.receive({ type: "row", index: 9, values: [] })).toBe(false); // never asked for
    rows.request(4, () => true);
    vi.advanceTimersByTime(0);
    rows.clear(); // the metadata changed while 4 was on its way
    expect(rows.receive({ type: "row", index: 4, values: [] })).toBe(false);
    expect(rows.get(4)).toBeUndefined();
  });
});

describe("the overview's replies", () => {
  it("hands a custom message's buffers to the decoder: a tiles reply reaches the views decoded", () => {
    const model = new FakeModel({ layout: {}, _spec: SPEC_WIRE });
    const stop = initialize({ model });
    const replies: unknown[] = [];
    sharedOf(model).onReply((r) => replies.push(r));
    const buffers = [
      new DataView(Uint32Array.of(7, 9).buffer),
      new DataView(Float32Array.of(1, 2, 3, 4).buffer),
      new DataView(Uint8Array.of(0, 1).buffer),
      new DataView(Uint8Array.of(1, 0).buffer),
    ];
    model.emit("msg:custom", { type: "tiles", version: 3, selection: 1, tiles: [{ z: 1, x: 0, y: 1, count: 2, total: 5 }] }, buffers);
    expect(replies).toHaveLength(1);
    const reply = replies[0] as { type: string; reply: { tiles: { rows: Uint32Array; xy: Float32Array }[] } };
    expect(reply.type).toBe("tiles");
    expect(Array.from(reply.reply.tiles[0].rows)).toEqual([7, 9]);
    expect(Array.from(reply.reply.tiles[0].xy)).toEqual([1, 2, 3, 4]);
    // Without its buffers the same message is a malformed reply, said as an error.
    model.emit("msg:custom", { type: "tiles", version: 3, selection: 1, tiles: [{ z: 1, x: 0, y: 1, count: 2, total: 5 }] });
    expect(replies[1]).toMatchObject({ type: "error" });
    stop();
  });

  it("checks tiles against the kernel's limits in `_spec`, as they change", () => {
    const model = new FakeModel({ layout: {}, _spec: SPEC_WIRE });
    const stop = initialize({ model });
    const replies: { type: string }[] = [];
    sharedOf(model).onReply((r) => replies.push(r));
    const deep = { type: "tiles", version: 3, selection: 1, tiles: [{ z: 3, x: 0, y: 1, count: 0, total: 5 }] };
    const empty = [0, 0, 0, 0].map(() => new DataView(new ArrayBuffer(0)));
    model.emit("msg:custom", deep, empty);
    model.set("_spec", { ...SPEC_WIRE, overview: { ...SPEC_WIRE.overview, levels: 2 } });
    model.emit("msg:custom", deep, empty);
    expect(replies.map((r) => r.type)).toEqual(["tiles", "error"]);
    stop();
  });
});
