/**
 * Property-based tests of the selection decoder and encoder (wireSelection.ts): valid values, as encoding.py
 * writes them and as anywidget hands them over (a DataView anywhere inside a larger buffer),
 * decode exactly; anything else decodes to an empty or valid value, or fails with the one
 * documented error, and never hands the renderer a NaN or an Infinity.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bytesOf, dataViewAt, garbage, offset, run } from "../testing";
import { decodeSelection, encodeSelection } from "./wireSelection";

/** Sorted unique uint32 row indices. */
const selection = fc
  .uniqueArray(fc.oneof(fc.nat({ max: 1000 }), fc.nat({ max: 0xffffffff })), { maxLength: 200 })
  .map((a) => Uint32Array.from(a).sort());

function sortedUnique(values: ArrayLike<number>): number[] {
  return [...new Set(Array.from(values))].sort((a, b) => a - b);
}

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
