/**
 * Property-based tests of the synced-state decoders (wire.ts): valid values, as encoding.py
 * writes them and as anywidget hands them over (a DataView anywhere inside a larger buffer),
 * decode exactly; anything else decodes to an empty or valid value, or fails with the one
 * documented error, and never hands the renderer a NaN or an Infinity.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bytesOf, dataViewAt, PROPERTY_RUNS } from "./testing";
import {
  addPointsPart,
  arrivedPoints,
  axisBounds,
  decodeBookmarks,
  decodeColumns,
  decodeLabels,
  decodeNeighbors,
  decodePoints,
  decodeProgress,
  decodeQueryPoint,
  decodeSelection,
  decodeSprites,
  dequantize,
  encodeSelection,
  FLOAT32_MAX,
  type Points,
  type ProgressState,
} from "./wire";

const run = (p: fc.IProperty<never> | fc.IProperty<unknown[]>) => fc.assert(p as fc.IProperty<unknown[]>, PROPERTY_RUNS);

/** Byte offset of a value inside the message buffer anywidget hands over (0..7: aligned or not). */
const offset = fc.integer({ min: 0, max: 7 });

/** A binary value of arbitrary bytes as the model may deliver it. */
const anyBinary = fc
  .tuple(fc.uint8Array({ maxLength: 64 }), offset, fc.constantFrom("view", "buffer", "typed"))
  .map(([bytes, at, kind]) => (kind === "view" ? dataViewAt(bytes, at) : kind === "buffer" ? bytes.slice().buffer : bytes));

/** Something the model could hold instead of the value: anything at all, any double, or a binary value. */
const garbage = fc.oneof(fc.anything(), fc.double(), anyBinary);

/** Sorted unique uint32 row indices. */
const selection = fc
  .uniqueArray(fc.oneof(fc.nat({ max: 1000 }), fc.nat({ max: 0xffffffff })), { maxLength: 200 })
  .map((a) => Uint32Array.from(a).sort());

function sortedUnique(values: ArrayLike<number>): number[] {
  return [...new Set(Array.from(values))].sort((a, b) => a - b);
}

// ------------------------------------------------------------ selection

describe("selection (property)", () => {
  it("round-trips sorted unique indices exactly, from a subarray too", () => {
    run(
      fc.property(selection, fc.nat({ max: 5 }), (indices, pad) => {
        expect(Array.from(decodeSelection(encodeSelection(indices)))).toEqual(Array.from(indices));
        // A view into a larger array (what a caller may pass) encodes only its own values.
        const big = new Uint32Array(indices.length + 2 * pad).fill(7);
        big.set(indices, pad);
        const wire = encodeSelection(big.subarray(pad, pad + indices.length));
        expect(wire.indices.byteLength).toBe(indices.length * 4);
        expect(Array.from(decodeSelection(wire))).toEqual(Array.from(indices));
      }),
    );
  });

  it("decodes from a DataView at any byte offset of a larger buffer", () => {
    run(
      fc.property(selection, offset, (indices, at) => {
        const view = dataViewAt(bytesOf(encodeSelection(indices).indices), at);
        expect(Array.from(decodeSelection({ indices: view }))).toEqual(Array.from(indices));
      }),
    );
  });

  it("repairs unsorted or repeated indices into the sorted set", () => {
    run(
      fc.property(fc.array(fc.nat({ max: 0xffffffff }), { maxLength: 200 }), offset, (values, at) => {
        const view = dataViewAt(Uint32Array.from(values), at);
        expect(Array.from(decodeSelection({ indices: view }))).toEqual(sortedUnique(values));
      }),
    );
  });

  it("ignores trailing bytes that do not fill a uint32 (the browser only sends whole ones)", () => {
    run(
      fc.property(fc.uint8Array({ maxLength: 203 }), offset, (bytes, at) => {
        const whole = bytes.length - (bytes.length % 4);
        const expected = sortedUnique(new Uint32Array(bytes.slice(0, whole).buffer));
        expect(Array.from(decodeSelection({ indices: dataViewAt(bytes, at) }))).toEqual(expected);
      }),
    );
  });

  it("turns anything else into the empty selection or a valid one, without throwing", () => {
    run(
      fc.property(fc.oneof(garbage, fc.record({ indices: garbage })), (raw) => {
        const out = decodeSelection(raw);
        expect(out).toBeInstanceOf(Uint32Array);
        expect(Array.from(out)).toEqual(sortedUnique(out));
      }),
    );
  });
});

// --------------------------------------------------------------- points

/** Finite bounds of one axis, lo <= hi, within float32 (what encoding.py sends). */
const axis = fc
  .tuple(
    fc.float({ noNaN: true, noDefaultInfinity: true, min: Math.fround(-1e30), max: Math.fround(1e30) }),
    fc.float({ noNaN: true, noDefaultInfinity: true, min: 0, max: Math.fround(1e30) }),
  )
  .map(([lo, span]) => [lo, lo + span] as [number, number]);

const pointsWire = fc.integer({ min: 2, max: 3 }).chain((dims) =>
  fc.record({
    n: fc.nat({ max: 300 }),
    dims: fc.constant(dims as 2 | 3),
    axes: fc.array(axis, { minLength: dims, maxLength: dims }),
    seed: fc.nat(),
    at: offset,
    kind: fc.constantFrom("view", "buffer", "typed"),
  }),
);

function quantized(n: number, dims: number, seed: number): Uint16Array {
  const q = new Uint16Array(n * dims);
  for (let i = 0; i < q.length; i++) q[i] = (Math.imul(i + 1, 2654435761) ^ seed) & 0xffff;
  return q;
}

function asBinary(q: Uint16Array, at: number, kind: string): unknown {
  if (kind === "buffer") return q.buffer;
  if (kind === "typed") return q;
  return dataViewAt(q, at);
}

/** What the renderer must be able to rely on in any decoded points. */
function expectDrawable(p: Points): void {
  expect(p.coords.length).toBe(p.n * p.dims);
  expect(p.loaded).toBeLessThanOrEqual(p.n);
  for (let a = 0; a < 3; a++) {
    expect(Number.isFinite(p.lo[a]) && Number.isFinite(p.hi[a])).toBe(true);
    expect(p.hi[a]).toBeGreaterThanOrEqual(p.lo[a]);
    expect(Math.abs(p.lo[a]) <= FLOAT32_MAX && Math.abs(p.hi[a]) <= FLOAT32_MAX).toBe(true);
    expect(p.hi[a] - p.lo[a]).toBeLessThanOrEqual(FLOAT32_MAX);
    expect(Number.isFinite(dequantize(0, p.lo[a], p.hi[a]))).toBe(true);
    expect(Number.isFinite(dequantize(65535, p.lo[a], p.hi[a]))).toBe(true);
  }
  expect(Number.isFinite(p.transitionMs) && p.transitionMs >= 0).toBe(true);
  if (p.visible) expect(p.visible.length).toBe(p.n);
}

describe("decodePoints (property)", () => {
  it("decodes exactly the coordinates and bounds sent, aligned or not", () => {
    run(
      fc.property(pointsWire, ({ n, dims, axes, seed, at, kind }) => {
        const q = quantized(n, dims, seed);
        const p = decodePoints({ n, dims, lo: axes.map((b) => b[0]), hi: axes.map((b) => b[1]), data: asBinary(q, at, kind) });
        expect(p).not.toBeNull();
        if (!p) return;
        expect(Array.from(p.coords)).toEqual(Array.from(q));
        expect(p.lo).toEqual([0, 1, 2].map((a) => axes[a]?.[0] ?? 0));
        expect(p.hi).toEqual([0, 1, 2].map((a) => axes[a]?.[1] ?? 0));
        expect([p.n, p.dims, p.loaded, p.version]).toEqual([n, dims, n, 0]);
        expectDrawable(p);
      }),
    );
  });

  it("assembles a value sent in parts, in any split, to the same coordinates", () => {
    run(
      fc.property(pointsWire, fc.array(fc.nat({ max: 80 }), { maxLength: 8 }), fc.integer({ min: 1, max: 1e6 }), (w, sizes, version) => {
        const { n, dims, seed, at } = w;
        const q = quantized(n, dims, seed);
        const first = Math.min(n, sizes[0] ?? n);
        let p = decodePoints({
          n,
          dims,
          lo: [0, 0, 0],
          hi: [1, 1, 1],
          data: dataViewAt(q.subarray(0, first * dims), at),
          loaded: first,
          version,
        });
        expect(p).not.toBeNull();
        for (const size of [...sizes.slice(1), n]) {
          if (!p || p.loaded >= n) break;
          const start = p.loaded;
          const count = Math.min(size, n - start);
          const grown = addPointsPart(p, { version, start, count, data: q.slice(start * dims, (start + count) * dims) });
          if (count === 0) expect(grown).toBeNull();
          else p = grown;
          if (p) {
            const shown = arrivedPoints(p);
            expect(Array.from(shown.coords)).toEqual(Array.from(q.subarray(0, p.loaded * dims)));
            expectDrawable(shown);
          }
        }
        expect(p?.loaded).toBe(n);
        expect(Array.from(p?.coords ?? [])).toEqual(Array.from(q));
      }),
    );
  });

  it("drops a part that is stale or out of order", () => {
    run(
      fc.property(
        fc.integer({ min: 2, max: 50 }),
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: -3, max: 3 }),
        (n, version, shift) => {
          const p = decodePoints({ n, dims: 2, lo: [0, 0], hi: [1, 1], data: new Uint16Array(2), loaded: 1, version });
          if (!p) throw new Error("valid points did not decode");
          const part = { version, start: 1 + shift, count: 1, data: new Uint16Array(2) };
          expect(addPointsPart(p, part) === null).toBe(shift !== 0);
          expect(addPointsPart(p, { ...part, start: 1, version: version + 1 })).toBeNull();
        },
      ),
    );
  });

  const number = fc.oneof(
    fc.integer({ min: -5, max: 400 }),
    fc.double(),
    fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 2 ** 33, 1e308, -1e308, FLOAT32_MAX, -FLOAT32_MAX),
  );
  const field = fc.oneof(number, fc.anything());

  it("either refuses a malformed value or hands over drawable points: never NaN bounds", () => {
    const raw = fc.record(
      {
        n: field,
        dims: fc.oneof(fc.constantFrom(2, 3), field),
        lo: fc.oneof(fc.array(number, { maxLength: 4 }), field),
        hi: fc.oneof(fc.array(number, { maxLength: 4 }), field),
        data: fc.oneof(
          anyBinary,
          fc.uint16Array({ maxLength: 1200 }).map((a) => a as unknown),
          field,
        ),
        loaded: field,
        version: field,
        visible: fc.oneof(anyBinary, field),
        transition_ms: field,
      },
      { requiredKeys: ["data", "dims"] },
    );
    run(
      fc.property(fc.oneof(raw, garbage), (value) => {
        let p: Points | null;
        try {
          p = decodePoints(value);
        } catch (err) {
          // The one documented failure: data shorter than it claims, or too many rows.
          expect(err).toBeInstanceOf(Error);
          expect((err as Error).message).toMatch(/^_points: /);
          return;
        }
        if (p) {
          expectDrawable(p);
          expectDrawable(arrivedPoints(p));
        }
      }),
    );
  });

  it("keeps every axis usable: any bounds at all come out finite, ordered and float32-sized", () => {
    const any = fc.oneof(number, fc.anything());
    run(
      fc.property(any, any, (lo, hi) => {
        const [l, h] = axisBounds(lo, hi);
        expect(Number.isFinite(l) && Number.isFinite(h) && l <= h && h - l <= FLOAT32_MAX).toBe(true);
        expect(Math.abs(l) <= FLOAT32_MAX && Math.abs(h) <= FLOAT32_MAX).toBe(true);
      }),
    );
  });
});

// -------------------------------------------------------------- columns

const name = fc.string({ unit: "binary", maxLength: 12 });

const categoryColumn = fc
  .record({
    name,
    categories: fc.array(name, { maxLength: 20 }),
    counts: fc.array(fc.nat(), { maxLength: 20 }),
    wide: fc.boolean(),
    codes: fc.array(fc.nat({ max: 0xffff }), { maxLength: 100 }),
    missing: fc.option(fc.nat({ max: 20 }), { nil: -1 }),
    at: offset,
  })
  .map((c) => ({ ...c, typed: c.wide ? Uint16Array.from(c.codes) : Uint8Array.from(c.codes) }));

const numberColumn = fc.record({
  name,
  values: fc.float32Array({ maxLength: 100 }),
  min: fc.float({ noNaN: true, noDefaultInfinity: true }),
  max: fc.float({ noNaN: true, noDefaultInfinity: true }),
  at: offset,
});

describe("decodeColumns (property)", () => {
  it("decodes category codes (uint8 and uint16), categories and counts exactly", () => {
    run(
      fc.property(categoryColumn, (c) => {
        const [col] = decodeColumns([
          {
            name: c.name,
            kind: "category",
            categories: c.categories,
            counts: c.counts,
            codes: dataViewAt(c.typed, c.at),
            code_bytes: c.wide ? 2 : 1,
            missing_code: c.missing,
          },
        ]);
        expect(col).toEqual({
          name: c.name,
          kind: "category",
          categories: c.categories,
          counts: c.counts,
          codes: c.typed,
          missingCode: c.missing,
        });
      }),
    );
  });

  it("decodes number columns bit for bit (NaN for missing values included)", () => {
    run(
      fc.property(numberColumn, (c) => {
        const [col] = decodeColumns([{ name: c.name, kind: "number", values: dataViewAt(c.values, c.at), min: c.min, max: c.max }]);
        if (col?.kind !== "number") throw new Error("number column did not decode");
        expect(bytesOf(col.values)).toEqual(bytesOf(c.values));
        expect([col.name, col.min, col.max]).toEqual([c.name, c.min, c.max]);
      }),
    );
  });

  it("skips what is not a column and never throws", () => {
    const entry = fc.oneof(
      garbage,
      fc.record(
        {
          name: fc.oneof(name, fc.anything()),
          kind: fc.constantFrom("category", "number", "text", "other"),
          codes: garbage,
          values: garbage,
          code_bytes: garbage,
          categories: garbage,
          counts: garbage,
          missing_code: garbage,
          min: garbage,
          max: garbage,
        },
        { requiredKeys: [] },
      ),
    );
    run(
      fc.property(fc.oneof(garbage, fc.array(entry, { maxLength: 6 })), (raw) => {
        for (const col of decodeColumns(raw)) {
          expect(typeof col.name).toBe("string");
          if (col.kind === "category") {
            expect(col.categories.every((s) => typeof s === "string")).toBe(true);
            expect(col.counts.every(Number.isFinite)).toBe(true);
            expect(Number.isInteger(col.missingCode) && col.missingCode >= -1).toBe(true);
          } else if (col.kind === "number") {
            expect(col.values).toBeInstanceOf(Float32Array);
            expect(Number.isNaN(col.min) || Number.isFinite(col.min)).toBe(true);
            expect(Number.isNaN(col.max) || Number.isFinite(col.max)).toBe(true);
          } else {
            expect(col.kind).toBe("text");
          }
        }
      }),
    );
  });
});

// --------------------------------------------------------------- labels

/** Label texts: any Unicode (no lone surrogates: neither side can encode them), tabs, newlines, "\r", "". */
const labelText = fc.oneof(
  fc.string({ unit: "binary", maxLength: 16 }),
  fc.constantFrom("", "\t", "\n", "\r", "\r\n", "a\rb", " ", "\u00e9", "e\u0301", "\u{1f600}", "<img src=x onerror=alert(1)>"),
);

function labelsWire(texts: string[], indices: Uint32Array, at: number): Record<string, unknown> {
  const enc = new TextEncoder();
  const parts = texts.map((t) => enc.encode(t));
  const offsets = new Uint32Array(parts.length + 1);
  for (const [j, p] of parts.entries()) offsets[j + 1] = offsets[j] + p.length;
  const text = new Uint8Array(offsets[parts.length]);
  for (const [j, p] of parts.entries()) text.set(p, offsets[j]);
  return {
    column: "c",
    indices: dataViewAt(indices, at),
    offsets: dataViewAt(offsets, (at + 3) % 8),
    text: dataViewAt(text, (at + 5) % 8),
  };
}

describe("decodeLabels (property)", () => {
  it("decodes any labels encoded as UTF-8 with offsets back to the same strings", () => {
    run(
      fc.property(fc.array(labelText, { maxLength: 60 }), offset, (texts, at) => {
        const indices = Uint32Array.from(texts, (_, j) => j * 3);
        const out = decodeLabels(labelsWire(texts, indices, at));
        expect(out?.texts).toEqual(texts);
        expect(Array.from(out?.indices ?? [])).toEqual(Array.from(indices));
        expect(out?.column).toBe("c");
      }),
    );
  });

  it("gives one string per index for any buffers, without throwing", () => {
    run(
      fc.property(fc.oneof(garbage, fc.record({ column: garbage, indices: anyBinary, offsets: anyBinary, text: anyBinary })), (raw) => {
        const out = decodeLabels(raw);
        if (out) {
          expect(out.texts.length).toBe(out.indices.length);
          expect(out.texts.every((t) => typeof t === "string")).toBe(true);
        }
      }),
    );
  });
});

// ------------------------------------------------ neighbours, sprites, ...

describe("decodeNeighbors (property)", () => {
  it("decodes indices, distances and labels exactly", () => {
    run(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: 0xffffffff }), fc.float(), labelText), { maxLength: 50 }),
        fc.oneof(fc.integer({ min: -1, max: 1e6 })),
        fc.option(labelText, { nil: null }),
        offset,
        (rows, index, query, at) => {
          const indices = Uint32Array.from(rows, (r) => r[0]);
          const distances = Float32Array.from(rows, (r) => r[1]);
          const out = decodeNeighbors({
            index,
            query,
            indices: dataViewAt(indices, at),
            distances: dataViewAt(distances, (at + 1) % 8),
            labels: rows.map((r) => r[2]),
          });
          expect(out).not.toBeNull();
          expect(Array.from(out?.indices ?? [])).toEqual(Array.from(indices));
          expect(bytesOf(out?.distances ?? new Float32Array(0))).toEqual(bytesOf(distances));
          expect(out?.labels).toEqual(rows.map((r) => r[2]));
          expect([out?.index, out?.query]).toEqual([index, query]);
        },
      ),
    );
  });

  it("gives a distance and a label per neighbour for anything, without throwing", () => {
    run(
      fc.property(
        fc.oneof(garbage, fc.record({ index: garbage, query: garbage, indices: anyBinary, distances: garbage, labels: garbage })),
        (raw) => {
          const out = decodeNeighbors(raw);
          if (out) {
            expect(out.distances.length).toBe(out.indices.length);
            expect(out.labels.length).toBe(out.indices.length);
            expect(out.labels.every((l) => typeof l === "string")).toBe(true);
            expect(Number.isInteger(out.index)).toBe(true);
          }
        },
      ),
    );
  });
});

describe("decodeSprites (property)", () => {
  it("decodes a well-formed atlas exactly and refuses one too small for its size", () => {
    run(
      fc.property(
        fc.integer({ min: 1, max: 24 }),
        fc.integer({ min: 1, max: 24 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: -1, max: 2 }),
        offset,
        (width, height, thumb, extra, at) => {
          const size = width * height * 4 + extra;
          const data = Uint8Array.from({ length: Math.max(0, size) }, (_, i) => (i * 31) & 255);
          const out = decodeSprites({ width, height, thumb, per_row: Math.max(1, Math.floor(width / thumb)), data: dataViewAt(data, at) });
          if (extra < 0) {
            expect(out).toBeNull();
            return;
          }
          expect(out).toMatchObject({ width, height, thumb });
          expect(out?.data).toEqual(data.subarray(0, width * height * 4));
        },
      ),
    );
  });

  it("never throws and only hands over an atlas as large as it says", () => {
    const dim = fc.oneof(fc.integer({ min: -2, max: 12 }), garbage);
    run(
      fc.property(fc.oneof(garbage, fc.record({ width: dim, height: dim, thumb: dim, per_row: dim, data: anyBinary })), (raw) => {
        const out = decodeSprites(raw);
        if (out) {
          expect(out.width > 0 && out.height > 0 && out.thumb > 0 && out.perRow > 0).toBe(true);
          expect(out.data.length).toBe(out.width * out.height * 4);
        }
      }),
    );
  });
});

const STATES: ProgressState[] = ["idle", "running", "paused", "done", "stopped", "error"];

describe("decodeProgress, decodeQueryPoint, decodeBookmarks (property)", () => {
  it("decode valid values exactly", () => {
    run(
      fc.property(
        fc.record({
          method: name,
          state: fc.constantFrom(...STATES),
          iteration: fc.nat(),
          total: fc.nat(),
          eta_s: fc.option(fc.double({ noNaN: true, noDefaultInfinity: true }), { nil: null }),
          message: labelText,
        }),
        fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { minLength: 2, maxLength: 3 }),
        fc.array(name, { maxLength: 10 }),
        (progress, coords, names) => {
          expect(decodeProgress(progress)).toEqual({ ...progress, etaS: progress.eta_s, eta_s: undefined });
          const q = decodeQueryPoint({ text: progress.message, coords });
          expect(q).toEqual({ text: progress.message, coords: [coords[0], coords[1], coords[2] ?? 0], dims: coords.length });
          expect(decodeBookmarks(names.map((n) => ({ name: n, extra: 1 })))).toEqual(names);
        },
      ),
    );
  });

  it("decode anything else to safe values, without throwing", () => {
    const num = fc.oneof(fc.double(), fc.anything());
    run(
      fc.property(
        fc.oneof(
          garbage,
          fc.record(
            {
              method: garbage,
              state: fc.oneof(fc.constantFrom(...STATES), garbage),
              iteration: num,
              total: num,
              eta_s: num,
              message: garbage,
            },
            { requiredKeys: [] },
          ),
        ),
        fc.oneof(garbage, fc.record({ text: garbage, coords: fc.oneof(fc.array(num, { maxLength: 4 }), garbage) })),
        fc.oneof(garbage, fc.array(fc.oneof(garbage, fc.record({ name: garbage })))),
        (progress, query, bookmarks) => {
          const p = decodeProgress(progress);
          expect(STATES).toContain(p.state);
          expect(Number.isFinite(p.iteration) && Number.isFinite(p.total)).toBe(true);
          expect(p.etaS === null || Number.isFinite(p.etaS)).toBe(true);
          expect(typeof p.method === "string" && typeof p.message === "string").toBe(true);
          const q = decodeQueryPoint(query);
          if (q) expect(q.coords.every(Number.isFinite)).toBe(true);
          expect(decodeBookmarks(bookmarks).every((b) => typeof b === "string")).toBe(true);
        },
      ),
    );
  });
});
