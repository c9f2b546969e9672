/**
 * Property-based tests of the points decoders (wirePoints.ts): valid values, as encoding.py
 * writes them and as anywidget hands them over (a DataView anywhere inside a larger buffer),
 * decode exactly; anything else decodes to an empty or valid value, or fails with the one
 * documented error, and never hands the renderer a NaN or an Infinity.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { anyBinary, dataViewAt, garbage, offset, run } from "../testing";
import { addPointsPart, arrivedPoints, axisBounds, decodePoints, decodeSprites, dequantize, FLOAT32_MAX, type Points } from "./wirePoints";

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
