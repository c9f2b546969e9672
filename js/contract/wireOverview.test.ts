import { describe, expect, it } from "vitest";
import { dataViewAt, SPEC_WIRE } from "../testing";
import { decodeReply, decodeSpec, type OverviewLimits } from "./protocol";
import { decodeGrid, decodeOverview, decodeTiles, tileBytes } from "./wireOverview";

/** The kernel's limits of the overview (the `_spec` it sends): the deepest level a tile may be at. */
const LIMITS = decodeSpec(SPEC_WIRE)?.overview as OverviewLimits;

/** A 2 x 2 grid's fields and buffers (counts, top), as the kernel sends them. */
function gridWire() {
  const counts = Uint32Array.of(0, 3, 5, 100);
  const top = Uint8Array.of(255, 0, 1, 1);
  return { counts, top, content: { version: 4, bounds: [0, 0, 2, 2], size: [2, 2], max: 100 } };
}

function overviewWire(over: Record<string, unknown> = {}) {
  const { counts, top, content } = gridWire();
  return {
    ...content,
    n: 108,
    domain: [0, 0, 2],
    counts: dataViewAt(counts, 1),
    top: dataViewAt(top, 3),
    column: "kind",
    categories: ["a", "b"],
    budget: 1000,
    tile_budget: 50,
    ...over,
  };
}

/** One tile's content and four buffers. */
function tileWire(z: number, x: number, y: number, rows: number[], total = rows.length) {
  const count = rows.length;
  const xy = new Float32Array(2 * count).map((_, i) => i / 2);
  return {
    content: { z, x, y, count, total },
    buffers: [
      dataViewAt(Uint32Array.from(rows), 2),
      dataViewAt(xy, 1),
      dataViewAt(
        Uint8Array.from(rows, (r) => r % 3),
        0,
      ),
      dataViewAt(
        Uint8Array.from(rows, (r) => (r % 2 === 0 ? 1 : 0)),
        5,
      ),
    ],
  };
}

describe("decodeOverview", () => {
  it("reads {} and a missing value as the overview off", () => {
    expect(decodeOverview({})).toEqual({ ok: true, value: null });
    expect(decodeOverview(undefined)).toEqual({ ok: true, value: null });
  });

  it("decodes every field, buffers at unaligned offsets included", () => {
    const d = decodeOverview(overviewWire());
    expect(d.ok).toBe(true);
    if (!d.ok || !d.value) throw new Error("expected an overview");
    const ov = d.value;
    expect(ov.version).toBe(4);
    expect(ov.n).toBe(108);
    expect(ov.domain).toEqual([0, 0, 2]);
    expect(ov.bounds).toEqual([0, 0, 2, 2]);
    expect(ov.size).toEqual([2, 2]);
    expect(Array.from(ov.counts)).toEqual([0, 3, 5, 100]);
    expect(Array.from(ov.top)).toEqual([255, 0, 1, 1]);
    expect(ov.max).toBe(100);
    expect(ov.column).toBe("kind");
    expect(ov.categories).toEqual(["a", "b"]);
    expect(ov.budget).toBe(1000);
    expect(ov.tileBudget).toBe(50);
  });

  it.each([
    [{ counts: dataViewAt(Uint32Array.of(1, 2, 3), 0) }, "counts holds 12 bytes, expected 16"],
    [{ top: dataViewAt(Uint8Array.of(1, 2, 3, 4, 5), 0) }, "top holds 5 bytes, expected 4"],
    [{ counts: [1, 2, 3, 4] }, "counts is not a binary buffer"],
    [{ size: [2, 0] }, "size is not [w, h]"],
    [{ bounds: [0, 0, 0, 2] }, "bounds is not"],
    [{ bounds: [0, 0, Number.NaN, 2] }, "bounds is not"],
    [{ domain: [0, 0, 0] }, "domain is not"],
    [{ version: -1 }, "version"],
    [{ n: 1.5 }, "n is not"],
    [{ max: "9" }, "max is not"],
    [{ categories: ["a", 3] }, "categories is not a list of strings"],
    [{ categories: Array.from({ length: 256 }, (_, i) => `c${i}`) }, "256 categories, more than 255"],
    [{ budget: 0 }, "budget is not a positive integer"],
    [{ tile_budget: undefined }, "tile_budget"],
    [{ column: null }, "column is not a string"],
  ])("says what is wrong with %o", (over, message) => {
    const d = decodeOverview(overviewWire(over));
    expect(d.ok).toBe(false);
    if (!d.ok) expect(d.error).toContain(message);
  });
});

describe("decodeGrid", () => {
  it("decodes a grid reply with its two buffers", () => {
    const { counts, top, content } = gridWire();
    const d = decodeGrid(content, [dataViewAt(counts, 3), top]);
    expect(d.ok && Array.from(d.value.counts)).toEqual([0, 3, 5, 100]);
    expect(d.ok && d.value.bounds).toEqual([0, 0, 2, 2]);
  });

  it("refuses a wrong number of buffers and short ones", () => {
    const { counts, top, content } = gridWire();
    const one = decodeGrid(content, [counts]);
    expect(one.ok === false && one.error).toContain("1 buffers, expected 2");
    const short = decodeGrid(content, [counts.subarray(0, 3), top]);
    expect(short.ok === false && short.error).toContain("counts holds 12 bytes");
    expect(decodeGrid(null, [counts, top]).ok).toBe(false);
  });
});

describe("decodeTiles", () => {
  it("decodes tiles with four buffers each, in tile order", () => {
    const a = tileWire(3, 1, 2, [5, 6, 7], 10);
    const b = tileWire(3, 2, 2, [9]);
    const d = decodeTiles({ version: 4, selection: 2, tiles: [a.content, b.content] }, [...a.buffers, ...b.buffers], LIMITS.levels);
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    expect(d.value.version).toBe(4);
    expect(d.value.selection).toBe(2);
    const [ta, tb] = d.value.tiles;
    expect([ta.z, ta.x, ta.y, ta.count, ta.total]).toEqual([3, 1, 2, 3, 10]);
    expect(Array.from(ta.rows)).toEqual([5, 6, 7]);
    expect(Array.from(ta.xy)).toEqual([0, 0.5, 1, 1.5, 2, 2.5]);
    expect(Array.from(ta.codes)).toEqual([2, 0, 1]);
    expect(Array.from(ta.selected)).toEqual([0, 1, 0]);
    expect(Array.from(tb.rows)).toEqual([9]);
    expect(tileBytes(ta)).toBe(3 * 14);
  });

  it("decodes an empty tile (no rows in it)", () => {
    const t = tileWire(0, 0, 0, []);
    const d = decodeTiles({ version: 0, selection: 0, tiles: [t.content] }, t.buffers, LIMITS.levels);
    expect(d.ok && d.value.tiles[0].count).toBe(0);
  });

  it.each([
    [
      "a buffer count that is not 4 per tile",
      (t: ReturnType<typeof tileWire>) => [{ tiles: [t.content] }, t.buffers.slice(0, 3)],
      "3 buffers for 1 tiles",
    ],
    [
      "a short xy buffer",
      (t: ReturnType<typeof tileWire>) => [{ tiles: [t.content] }, [t.buffers[0], new Float32Array(5), t.buffers[2], t.buffers[3]]],
      "xy holds 20 bytes, expected 24",
    ],
    [
      "rows longer than count",
      (t: ReturnType<typeof tileWire>) => [{ tiles: [{ ...t.content, count: 2, total: 3 }] }, t.buffers],
      "rows holds 12 bytes, expected 8",
    ],
    ["count above total", (t: ReturnType<typeof tileWire>) => [{ tiles: [{ ...t.content, total: 1 }] }, t.buffers], "count <= total"],
    [
      "x outside its level",
      (t: ReturnType<typeof tileWire>) => [{ tiles: [{ ...t.content, z: 1, x: 2 }] }, t.buffers],
      "x, y are not integers in [0, 2**z)",
    ],
    [
      "z past the deepest level",
      (t: ReturnType<typeof tileWire>) => [{ tiles: [{ ...t.content, z: LIMITS.levels + 1 }] }, t.buffers],
      `z is not an integer in [0, ${LIMITS.levels}]`,
    ],
    [
      "a buffer that is not binary",
      (t: ReturnType<typeof tileWire>) => [{ tiles: [t.content] }, [t.buffers[0], t.buffers[1], [1, 2, 0], t.buffers[3]]],
      "not all binary",
    ],
    ["tiles that are not a list", (t: ReturnType<typeof tileWire>) => [{ tiles: t.content }, t.buffers], "tiles is not a list"],
    ["no selection counter", (t: ReturnType<typeof tileWire>) => [{ tiles: [t.content], selection: -2 }, t.buffers], "selection is not"],
  ])("says what is wrong with %s, never throwing", (_, make, message) => {
    const t = tileWire(3, 1, 2, [5, 6, 7]);
    const [content, buffers] = make(t) as [Record<string, unknown>, unknown[]];
    const d = decodeTiles({ version: 1, selection: 0, ...content }, buffers, LIMITS.levels);
    expect(d.ok).toBe(false);
    if (!d.ok) expect(d.error).toContain(message);
  });
});

describe("decodeReply of the overview's replies", () => {
  it("hands tiles and grids over decoded, and a malformed one as an error that says why", () => {
    const t = tileWire(1, 0, 1, [4, 8]);
    const tiles = decodeReply({ type: "tiles", version: 2, selection: 0, tiles: [t.content] }, t.buffers, LIMITS);
    expect(tiles?.type === "tiles" && Array.from(tiles.reply.tiles[0].rows)).toEqual([4, 8]);
    const { counts, top, content } = gridWire();
    const grid = decodeReply({ type: "grid", ...content }, [counts, top]);
    expect(grid?.type === "grid" && grid.grid.max).toBe(100);
    const bad = decodeReply({ type: "tiles", version: 2, selection: 0, tiles: [t.content] }, [], LIMITS);
    expect(bad).toEqual({
      type: "error",
      message: "The kernel sent a malformed tiles reply: 0 buffers for 1 tiles, expected 4 (4 per tile)",
    });
    expect(decodeReply({ type: "lasso", version: 2, count: 17 })).toEqual({ type: "lasso", version: 2, count: 17 });
    expect(decodeReply({ type: "lasso", version: 2, count: -1 })).toBeNull();
  });

  it("checks tiles against the kernel's deepest level, and reads tiles without its limits as an error", () => {
    const t = tileWire(2, 0, 1, [4]);
    const reply = { type: "tiles", version: 2, selection: 0, tiles: [t.content] };
    expect(decodeReply(reply, t.buffers, { ...LIMITS, levels: 2 })?.type).toBe("tiles");
    expect(decodeReply(reply, t.buffers, { ...LIMITS, levels: 1 })).toEqual({
      type: "error",
      message: "The kernel sent a malformed tiles reply: tile 0: z is not an integer in [0, 1]",
    });
    expect(decodeReply(reply, t.buffers)?.type).toBe("error");
  });
});
