/**
 * Property-based tests of the overview's decoders (wireOverview.ts, and the `tiles` and `grid`
 * replies through decodeReply): what the kernel sends, buffers anywhere inside a larger message
 * buffer, decodes exactly; anything else decodes to an error that says what is wrong, or to a
 * value whose every buffer is as long as its fields say, and nothing throws.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { anyBinary, dataViewAt, garbage, name, offset, run, SPEC_WIRE } from "../testing";
import { decodeReply, decodeSpec, type OverviewLimits } from "./protocol";
import { decodeGrid, decodeOverview, decodeTiles, type OverviewGrid, type TilesReply } from "./wireOverview";

const LIMITS = decodeSpec(SPEC_WIRE)?.overview as OverviewLimits;
const finite = fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e12, max: 1e12 });
/** A number as a broken value may hold it. */
const number = fc.oneof(fc.constantFrom(-1, 0, 0.5, 2 ** 32, 2 ** 53, 1e300, Number.NaN, Number.POSITIVE_INFINITY), garbage);

/** A grid's fields and its two buffers (counts, top), as the kernel sends them. */
const grid = fc
  .tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }))
  .chain(([w, h]) =>
    fc.record({
      content: fc.record({
        version: fc.nat(),
        bounds: fc.tuple(finite, finite, fc.double({ min: 1e-3, max: 1e6, noNaN: true }), fc.double({ min: 1e-3, max: 1e6, noNaN: true })),
        size: fc.constant([w, h]),
        max: fc.nat(),
      }),
      counts: fc.array(fc.nat(), { minLength: w * h, maxLength: w * h }),
      top: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: w * h, maxLength: w * h }),
      at: fc.tuple(offset, offset),
    }),
  )
  .map(({ content, counts, top, at }) => {
    const [x0, y0, dx, dy] = content.bounds;
    return {
      content: { ...content, bounds: [x0, y0, x0 + dx, y0 + dy] },
      counts,
      top,
      buffers: [dataViewAt(Uint32Array.from(counts), at[0]), dataViewAt(Uint8Array.from(top), at[1])],
    };
  });

/** One tile of a `tiles` reply and its four buffers. */
const tile = fc
  .integer({ min: 0, max: LIMITS.levels })
  .chain((z) =>
    fc.record({
      z: fc.constant(z),
      x: fc.integer({ min: 0, max: 2 ** z - 1 }),
      y: fc.integer({ min: 0, max: 2 ** z - 1 }),
      rows: fc.array(fc.nat(), { maxLength: 5 }),
      extra: fc.nat({ max: 100 }),
      xy: fc.array(fc.float({ noNaN: true }), { minLength: 10, maxLength: 10 }),
      at: offset,
    }),
  )
  .map(({ z, x, y, rows, extra, xy, at }) => {
    const count = rows.length;
    const pairs = Float32Array.from(xy.slice(0, 2 * count));
    const codes = Uint8Array.from(rows, (r) => r % 256);
    const selected = Uint8Array.from(rows, (r) => r % 2);
    return {
      content: { z, x, y, count, total: count + extra },
      arrays: { rows: Uint32Array.from(rows), xy: pairs, codes, selected },
      buffers: [dataViewAt(Uint32Array.from(rows), at), dataViewAt(pairs, at), dataViewAt(codes, at), dataViewAt(selected, at)],
    };
  });

const tiles = fc.record({ version: fc.nat(), selection: fc.nat(), tiles: fc.array(tile, { maxLength: 4 }) }).map((r) => ({
  content: { version: r.version, selection: r.selection, tiles: r.tiles.map((t) => t.content) },
  tiles: r.tiles,
  buffers: r.tiles.flatMap((t) => t.buffers),
}));

/** `value` with one field of `fields` replaced by a broken value (or none replaced). */
function breakOne(value: Record<string, unknown>, fields: readonly string[]) {
  return fc
    .tuple(fc.option(fc.constantFrom(...fields), { nil: undefined }), fc.oneof(number, finite))
    .map(([field, bad]) => (field === undefined ? value : { ...value, [field]: bad }));
}

/** `buffers` now and then with one dropped, one added, one replaced by any bytes or a non-binary. */
function breakBuffers(buffers: readonly unknown[]) {
  return fc.tuple(fc.nat(), fc.constantFrom("keep", "drop", "add", "bytes", "garbage"), anyBinary, garbage).map(([i, how, bytes, junk]) => {
    const out = [...buffers];
    const at = out.length ? i % out.length : 0;
    if (how === "drop") out.splice(at, 1);
    if (how === "add") out.push(bytes);
    if (how === "bytes" && out.length) out[at] = bytes;
    if (how === "garbage" && out.length) out[at] = junk;
    return out;
  });
}

function expectWholeGrid(g: OverviewGrid): void {
  const [w, h] = g.size;
  expect(Number.isInteger(w) && w > 0 && Number.isInteger(h) && h > 0).toBe(true);
  expect(g.counts).toHaveLength(w * h);
  expect(g.top).toHaveLength(w * h);
  expect(g.bounds.every(Number.isFinite) && g.bounds[2] > g.bounds[0] && g.bounds[3] > g.bounds[1]).toBe(true);
}

function expectWholeTiles(r: TilesReply): void {
  for (const t of r.tiles) {
    expect(t.z <= LIMITS.levels && t.x < 2 ** t.z && t.y < 2 ** t.z && t.count <= t.total).toBe(true);
    expect([t.rows.length, t.xy.length / 2, t.codes.length, t.selected.length]).toEqual([t.count, t.count, t.count, t.count]);
  }
}

describe("decodeGrid, decodeOverview, decodeTiles (property)", () => {
  it("decode what the kernel sends exactly", () => {
    const overview = fc.record({
      n: fc.nat(),
      side: fc.double({ min: 1e-3, max: 1e6, noNaN: true }),
      column: name,
      categories: fc.array(name, { maxLength: 5 }),
      budget: fc.integer({ min: 1, max: 1e6 }),
      tileBudget: fc.integer({ min: 1, max: 1e4 }),
    });
    run(
      fc.property(grid, overview, tiles, (g, o, t) => {
        const decoded = decodeGrid(g.content, g.buffers);
        expect(decoded.ok && Array.from(decoded.value.counts)).toEqual(g.counts);
        expect(decoded.ok && Array.from(decoded.value.top)).toEqual(g.top);
        const raw = {
          ...g.content,
          n: o.n,
          domain: [0, 0, o.side],
          column: o.column,
          categories: o.categories,
          budget: o.budget,
          tile_budget: o.tileBudget,
          counts: g.buffers[0],
          top: g.buffers[1],
        };
        const ov = decodeOverview(raw);
        expect(ov.ok && ov.value).toMatchObject({
          n: o.n,
          column: o.column,
          categories: o.categories,
          budget: o.budget,
          tileBudget: o.tileBudget,
        });
        const tr = decodeTiles(t.content, t.buffers, LIMITS.levels);
        expect(tr.ok).toBe(true);
        if (!tr.ok) return;
        expect(tr.value.tiles.map(({ z, x, y, count, total }) => ({ z, x, y, count, total }))).toEqual(t.content.tiles);
        tr.value.tiles.forEach((d, i) => {
          const want = t.tiles[i].arrays;
          expect([Array.from(d.rows), Array.from(d.xy), Array.from(d.codes), Array.from(d.selected)]).toEqual([
            Array.from(want.rows),
            Array.from(want.xy),
            Array.from(want.codes),
            Array.from(want.selected),
          ]);
        });
      }),
    );
  });

  it("decode anything else to an error or a whole value, without throwing", () => {
    const brokenGrid = grid.chain((g) => fc.tuple(breakOne(g.content, ["version", "bounds", "size", "max"]), breakBuffers(g.buffers)));
    const brokenTile = (t: Record<string, unknown>) => breakOne(t, ["z", "x", "y", "count", "total"]);
    const brokenTiles = tiles.chain((t) =>
      fc.tuple(
        fc
          .tuple(breakOne(t.content, ["version", "selection", "tiles"]), fc.tuple(...t.content.tiles.map(brokenTile)))
          .map(([c, ts]) => (Array.isArray(c.tiles) ? { ...c, tiles: ts } : c)),
        breakBuffers(t.buffers),
      ),
    );
    const brokenOverview = grid.chain((g) =>
      breakOne(
        {
          ...g.content,
          n: 5,
          domain: [0, 0, 1],
          column: "c",
          categories: ["a"],
          budget: 10,
          tile_budget: 5,
          counts: g.buffers[0],
          top: g.buffers[1],
        },
        ["n", "domain", "column", "categories", "budget", "tile_budget", "counts", "top", "size"],
      ),
    );
    run(
      fc.property(
        fc.oneof(brokenGrid, fc.tuple(garbage, fc.array(garbage, { maxLength: 3 }))),
        fc.oneof(brokenTiles, fc.tuple(garbage, fc.array(garbage, { maxLength: 5 }))),
        fc.oneof(brokenOverview, garbage),
        ([content, buffers], [tcontent, tbuffers], overview) => {
          const g = decodeGrid(content, buffers);
          if (g.ok) expectWholeGrid(g.value);
          else expect(g.error).toMatch(/^grid reply: ./);
          const t = decodeTiles(tcontent, tbuffers, LIMITS.levels);
          if (t.ok) expectWholeTiles(t.value);
          else expect(t.error).toMatch(/^tiles reply: ./);
          const o = decodeOverview(overview);
          if (!o.ok) expect(o.error).toMatch(/^_overview: ./);
          else if (o.value !== null) {
            expectWholeGrid(o.value);
            expect(o.value.categories.length <= 255 && o.value.budget > 0 && o.value.domain[2] > 0).toBe(true);
          }
          // Through decodeReply, as the comm delivers them: a reply, or an error that says why.
          for (const [type, body, bins] of [
            ["grid", content, buffers],
            ["tiles", tcontent, tbuffers],
          ] as const) {
            const r = decodeReply({ ...(typeof body === "object" && body !== null ? body : {}), type }, bins, LIMITS);
            expect(r === null || r.type === type || (r.type === "error" && r.message.includes("malformed"))).toBe(true);
          }
        },
      ),
    );
  });
});
