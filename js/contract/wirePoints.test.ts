import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { dataViewAt, PROPERTY_RUNS } from "../testing";
import {
  addPointsPart,
  arrivedPoints,
  decodePoints,
  decodePointsRest,
  decodeSprites,
  dequantize,
  FLOAT32_MAX,
  MAX_ROWS,
  spriteUV,
} from "./wirePoints";

/** `value`, which the test needs to exist. */
function must<T>(value: T | null | undefined): T {
  if (value === null || value === undefined) throw new Error("missing value");
  return value;
}

/** A 5-point 2-D value sent in parts: rows 0-1 now, version 7. */
function firstPart() {
  const data = Uint16Array.from([1, 2, 3, 4]);
  const p = decodePoints({ n: 5, dims: 2, lo: [0, 0], hi: [1, 1], data: new DataView(data.buffer), loaded: 2, version: 7 });
  if (!p) throw new Error("decode failed");
  return p;
}

describe("decodePoints", () => {
  it("de-quantizes uint16 coordinates with lo/hi per axis", () => {
    const q = Uint16Array.from([0, 65535, 65535, 0, 32768, 13107]);
    const p = decodePoints({ n: 3, dims: 2, lo: [-1, 10], hi: [3, 20], data: new DataView(q.buffer) });
    expect(p).not.toBeNull();
    if (!p) return;
    expect(p.n).toBe(3);
    expect(p.dims).toBe(2);
    expect(Array.from(p.coords)).toEqual(Array.from(q));
    const xy = (i: number) => [0, 1].map((a) => dequantize(p.coords[i * 2 + a], p.lo[a], p.hi[a]));
    expect(xy(0)).toEqual([-1, 20]);
    expect(xy(1)).toEqual([3, 10]);
    expect(xy(2)[0]).toBeCloseTo(-1 + (32768 / 65535) * 4, 12);
    expect(xy(2)[1]).toBeCloseTo(10 + (13107 / 65535) * 10, 12);
  });

  it("keeps 3-D values interleaved x, y, z", () => {
    const q = Uint16Array.from([1, 2, 3, 4, 5, 6]);
    const p = decodePoints({ n: 2, dims: 3, lo: [0, 0, 0], hi: [1, 1, 1], data: q.buffer });
    expect(p?.dims).toBe(3);
    expect(Array.from(p?.coords ?? [])).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("copies an unaligned DataView instead of misreading it", () => {
    const q = Uint16Array.from([0x0102, 0xfffe, 0x8000, 7]);
    const view = dataViewAt(q, 1); // odd byte offset: a Uint16Array view is impossible
    const p = decodePoints({ n: 2, dims: 2, lo: [0, 0], hi: [1, 1], data: view });
    expect(Array.from(p?.coords ?? [])).toEqual([0x0102, 0xfffe, 0x8000, 7]);
  });

  it("reads an aligned DataView at a non-zero offset without copying", () => {
    const q = Uint16Array.from([9, 8, 7, 6]);
    const view = dataViewAt(q, 4);
    const p = decodePoints({ n: 2, dims: 2, lo: [0, 0], hi: [1, 1], data: view });
    expect(Array.from(p?.coords ?? [])).toEqual([9, 8, 7, 6]);
    expect(p?.coords.buffer).toBe(view.buffer);
  });

  it("accepts a typed array as the data", () => {
    const q = Uint16Array.from([5, 6, 7, 8]);
    const p = decodePoints({ n: 2, dims: 2, lo: [0, 0], hi: [2, 2], data: q });
    expect(Array.from(p?.coords ?? [])).toEqual([5, 6, 7, 8]);
  });

  it("rejects data shorter than n * dims and ignores empty state", () => {
    const q = new Uint16Array(5);
    expect(() => decodePoints({ n: 3, dims: 2, lo: [0, 0], hi: [1, 1], data: q })).toThrow(/expected 6/);
    expect(decodePoints(null)).toBeNull();
    expect(decodePoints({})).toBeNull();
    expect(decodePoints({ n: 1, dims: 4, lo: [], hi: [], data: q })).toBeNull();
  });

  it("treats a missing hi as lo (zero span) and pads unused axes with 0", () => {
    const p = decodePoints({ n: 1, dims: 2, lo: [2, 3], hi: [5], data: new Uint16Array(2) });
    expect(p?.lo).toEqual([2, 3, 0]);
    expect(p?.hi).toEqual([5, 3, 0]);
  });

  // A t-SNE job on constant data can end with NaN bounds: they must not reach the renderer.
  it("draws an axis with NaN or infinite bounds flat instead of handing NaN to the renderer", () => {
    const data = Uint16Array.of(0, 65535, 65535, 0);
    const p = decodePoints({ n: 2, dims: 2, lo: [Number.NaN, 1], hi: [Number.NaN, Number.POSITIVE_INFINITY], data });
    expect(p?.lo).toEqual([0, 1, 0]);
    expect(p?.hi).toEqual([0, 1, 0]);
    const q = decodePoints({ n: 2, dims: 2, lo: [Number.NEGATIVE_INFINITY, null], hi: [3, "2"], data });
    expect(q?.lo).toEqual([0, 0, 0]);
    expect(q?.hi).toEqual([0, 0, 0]);
    for (const a of [0, 1]) expect(Number.isFinite(dequantize(65535, q?.lo[a] ?? 0, q?.hi[a] ?? 0))).toBe(true);
  });

  it("draws an axis flat when hi is below lo (found by the property test: hi = -5e-324, lo = 0)", () => {
    const p = decodePoints({ n: 1, dims: 2, lo: [0, 4], hi: [-5e-324, 2], data: new Uint16Array(2) });
    expect(p?.lo).toEqual([0, 4, 0]);
    expect(p?.hi).toEqual([0, 4, 0]);
  });

  it("draws an axis flat when its bounds or span do not fit the shader's float32 uniforms", () => {
    // A span of 2e308 is Infinity: dequantize(0) would be -1e308 + 0 * Infinity = NaN.
    const p = decodePoints({ n: 1, dims: 3, lo: [-1e308, -FLOAT32_MAX, -3e38], hi: [1e308, FLOAT32_MAX, 0], data: new Uint16Array(3) });
    expect(p?.lo).toEqual([0, -FLOAT32_MAX, -3e38]);
    expect(p?.hi).toEqual([0, -FLOAT32_MAX, 0]);
  });

  it("refuses more rows than uint32 indices can name before allocating them", () => {
    expect(() =>
      decodePoints({ n: MAX_ROWS + 1, dims: 2, lo: [0, 0], hi: [1, 1], data: new Uint16Array(0), loaded: 0, version: 1 }),
    ).toThrow(/^_points: 4294967296 rows is more than 4294967295$/);
  });
});

describe("sprites", () => {
  it("decodes the atlas and rejects inconsistent sizes", () => {
    const data = new Uint8Array(8 * 4 * 4).fill(7);
    const s = decodeSprites({ width: 8, height: 4, thumb: 4, per_row: 2, data: dataViewAt(data, 1) });
    expect(s?.data.length).toBe(128);
    expect(s?.data[127]).toBe(7);
    expect(decodeSprites({ width: 8, height: 8, thumb: 4, per_row: 2, data: dataViewAt(data, 1) })).toBeNull();
    expect(decodeSprites({})).toBeNull();
  });

  it("locates row i's thumbnail at column i % per_row, row i / per_row, top-left origin", () => {
    const s = { width: 64, height: 32, thumb: 16, perRow: 4 };
    expect(spriteUV(0, s)).toEqual([0, 0, 0.25, 0.5]);
    expect(spriteUV(3, s)).toEqual([0.75, 0, 1, 0.5]);
    expect(spriteUV(5, s)).toEqual([0.25, 0.5, 0.5, 1]);
  });
});

describe("points extras", () => {
  it("reads visible (unaligned uint8) and transition_ms", () => {
    const q = new Uint16Array(6);
    const p = decodePoints({
      n: 3,
      dims: 2,
      lo: [0, 0],
      hi: [1, 1],
      data: q,
      visible: dataViewAt(Uint8Array.of(1, 0, 1), 1),
      transition_ms: 300,
    });
    expect(Array.from(p?.visible ?? [])).toEqual([1, 0, 1]);
    expect(p?.transitionMs).toBe(300);
    const plain = decodePoints({ n: 3, dims: 2, lo: [0, 0], hi: [1, 1], data: q, visible: null });
    expect(plain?.visible).toBeNull();
    expect(plain?.transitionMs).toBe(0);
  });
});

describe("points sent in parts", () => {
  it("decodes the first part into room for every row", () => {
    const p = firstPart();
    expect(p.n).toBe(5);
    expect(p.loaded).toBe(2);
    expect(p.version).toBe(7);
    expect(Array.from(p.coords)).toEqual([1, 2, 3, 4, 0, 0, 0, 0, 0, 0]);
    const shown = arrivedPoints(p);
    expect(shown.n).toBe(2);
    expect(Array.from(shown.coords)).toEqual([1, 2, 3, 4]);
  });

  it("a whole value is complete with version 0", () => {
    const data = Uint16Array.from([1, 2, 3, 4]);
    const p = decodePoints({ n: 2, dims: 2, lo: [0, 0], hi: [1, 1], data: data.buffer, version: 3 });
    expect(p?.loaded).toBe(2);
    expect(p?.version).toBe(0);
    expect(p && arrivedPoints(p)).toBe(p);
  });

  it("rejects a first part shorter than it claims", () => {
    const data = Uint16Array.from([1, 2]);
    expect(() => decodePoints({ n: 5, dims: 2, lo: [0, 0], hi: [1, 1], data: data.buffer, loaded: 2, version: 1 })).toThrow(
      /expected 4 uint16 values/,
    );
  });

  it("adds the rest in order and ignores a stale or out-of-order one", () => {
    let p = firstPart();
    const part = (start: number, values: number[], version = 7) =>
      decodePointsRest({ version, start, count: values.length / 2, data: new DataView(Uint16Array.from(values).buffer) });
    const second = part(2, [5, 6, 7, 8]);
    expect(second).not.toBeNull();
    expect(addPointsPart(p, must(part(4, [9, 10])))).toBeNull(); // skips rows 2-3
    expect(addPointsPart(p, must(part(2, [5, 6, 7, 8], 6)))).toBeNull(); // an older value's part
    const grown = addPointsPart(p, must(second));
    expect(grown?.loaded).toBe(4);
    p = must(grown);
    const done = addPointsPart(p, must(part(4, [9, 10])));
    expect(done?.loaded).toBe(5);
    expect(Array.from(must(done).coords)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(arrivedPoints(must(done)).n).toBe(5);
    expect(addPointsPart(must(done), must(part(5, [1, 1])))).toBeNull(); // nothing left to fill
  });

  it("decodes only a well-formed _points_rest value", () => {
    const data = new DataView(new Uint16Array(2).buffer);
    expect(decodePointsRest({})).toBeNull(); // no rest: the kernel's default
    expect(decodePointsRest(null)).toBeNull();
    expect(decodePointsRest({ version: 1, start: 0, data })).toBeNull();
    expect(decodePointsRest({ version: 1, start: 0, count: 1 })).toBeNull();
    expect(decodePointsRest({ version: 1, start: 0, count: 1, data: "not binary" })).toBeNull();
    expect(decodePointsRest({ version: 1, start: -1, count: 1, data })).toBeNull();
    expect(decodePointsRest({ version: 1, start: 0, count: 1.5, data })).toBeNull();
    expect(decodePointsRest({ version: Number.POSITIVE_INFINITY, start: 0, count: 1, data })).toBeNull();
    expect(decodePointsRest({ version: 1, start: 0, count: 1, data })?.data.length).toBe(2);
  });

  it("decodes a _points_rest buffer at any byte offset exactly (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -5, max: 1e9 }),
        fc.nat(),
        fc.uint16Array({ maxLength: 60 }),
        fc.integer({ min: 0, max: 7 }),
        (version, start, data, at) => {
          const out = decodePointsRest({ version, start, count: data.length >> 1, data: dataViewAt(data, at) });
          expect(out).toEqual({ version, start, count: data.length >> 1, data });
        },
      ),
      PROPERTY_RUNS,
    );
  });
});
