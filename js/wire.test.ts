import { describe, expect, it } from "vitest";
import { dataViewAt } from "./testing";
import {
  type CategoryColumn,
  decodeColumns,
  decodePoints,
  decodeSelection,
  dequantize,
  encodeSelection,
  FLOAT32_MAX,
  MAX_ROWS,
  type NumberColumn,
  normalizeIndices,
  typedView,
} from "./wire";

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

  // Issue 11: a t-SNE job on constant data ended with NaN bounds, which reached the browser.
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

describe("decodeColumns", () => {
  it("reads a number column's range as NaN when it is not finite", () => {
    const values = new Float32Array(2);
    const [col] = decodeColumns([{ name: "x", kind: "number", values, min: Number.NEGATIVE_INFINITY, max: Number.NaN }]);
    expect(col).toMatchObject({ min: Number.NaN, max: Number.NaN });
  });

  it("decodes uint8 and uint16 category codes, float32 values and text columns", () => {
    const codes8 = Uint8Array.from([0, 1, 2, 1]);
    const codes16 = Uint16Array.from([0, 300, 65535, 2]);
    const values = Float32Array.from([1.5, NaN, -2, 1e30]);
    const cols = decodeColumns([
      {
        name: "a",
        kind: "category",
        categories: ["x", "y", "z"],
        counts: [1, 2, 1],
        codes: new DataView(codes8.buffer),
        code_bytes: 1,
        missing_code: null,
      },
      { name: "b", kind: "category", categories: ["p"], counts: [4], codes: dataViewAt(codes16, 3), code_bytes: 2, missing_code: 2 },
      { name: "c", kind: "number", values: dataViewAt(values, 2), min: -2, max: 1e30 },
      { name: "d", kind: "text" },
    ]);
    expect(cols.map((c) => c.kind)).toEqual(["category", "category", "number", "text"]);
    const a = cols[0] as CategoryColumn;
    expect(a.codes).toBeInstanceOf(Uint8Array);
    expect(Array.from(a.codes)).toEqual([0, 1, 2, 1]);
    expect(a.missingCode).toBe(-1);
    const b = cols[1] as CategoryColumn;
    expect(b.codes).toBeInstanceOf(Uint16Array);
    expect(Array.from(b.codes)).toEqual([0, 300, 65535, 2]);
    expect(b.missingCode).toBe(2);
    const c = cols[2] as NumberColumn;
    expect(c.values).toBeInstanceOf(Float32Array);
    expect(c.values[0]).toBe(1.5);
    expect(Number.isNaN(c.values[1])).toBe(true);
    expect(c.values[2]).toBe(-2);
    expect(c.values[3]).toBe(Math.fround(1e30));
    expect(c.min).toBe(-2);
  });

  it("skips malformed entries and non-arrays", () => {
    expect(decodeColumns(null)).toEqual([]);
    const cols = decodeColumns([
      { kind: "text" },
      { name: "x", kind: "category" },
      { name: "y", kind: "weird" },
      { name: "t", kind: "text" },
    ]);
    expect(cols).toEqual([{ name: "t", kind: "text" }]);
  });
});

describe("typedView", () => {
  it("copies exactly when the offset is misaligned for the element size", () => {
    const f = Float32Array.from([1, 2, 3]);
    for (let offset = 0; offset < 8; offset++) {
      const v = typedView(dataViewAt(f, offset), Float32Array);
      expect(Array.from(v)).toEqual([1, 2, 3]);
      expect(v.byteOffset % 4).toBe(0);
    }
  });

  it("ignores trailing bytes that do not fill an element", () => {
    const v = typedView(new Uint8Array([1, 0, 2, 0, 9]), Uint16Array);
    expect(Array.from(v)).toEqual([1, 2]);
  });
});

describe("selection", () => {
  it("round-trips through encode and decode exactly", () => {
    const idx = Uint32Array.from([0, 5, 6, 1000, 4294967295]);
    const wire = encodeSelection(idx);
    expect(wire.indices).toBeInstanceOf(DataView);
    expect(wire.indices.byteLength).toBe(20);
    expect(wire.indices.getUint32(12, true)).toBe(1000);
    expect(Array.from(decodeSelection(wire))).toEqual(Array.from(idx));
  });

  it("encodes a subarray without the surrounding values", () => {
    const all = Uint32Array.from([1, 2, 3, 4, 5]);
    const wire = encodeSelection(all.subarray(1, 3));
    expect(wire.indices.byteLength).toBe(8);
    expect(wire.indices.byteOffset).toBe(0);
    expect(wire.indices.buffer.byteLength).toBe(8);
    expect(Array.from(decodeSelection(wire))).toEqual([2, 3]);
  });

  it("decodes an unaligned view, an empty value and repairs unsorted input", () => {
    expect(Array.from(decodeSelection({ indices: dataViewAt(Uint32Array.from([3, 9]), 1) }))).toEqual([3, 9]);
    expect(decodeSelection(null).length).toBe(0);
    expect(decodeSelection({ indices: new ArrayBuffer(0) }).length).toBe(0);
    expect(Array.from(decodeSelection({ indices: Uint32Array.from([9, 3, 3, 1]) }))).toEqual([1, 3, 9]);
  });

  it("normalizeIndices sorts numerically and removes duplicates", () => {
    expect(Array.from(normalizeIndices([10, 2, 100, 2, 33]))).toEqual([2, 10, 33, 100]);
  });
});
