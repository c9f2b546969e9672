import { describe, expect, it } from "vitest";
import { dataViewAt } from "../testing";
import { decodeSelection, encodeSelection, normalizeIndices } from "./wireSelection";

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
