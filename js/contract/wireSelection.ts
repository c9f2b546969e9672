/**
 * `selected` on the wire, both ways: sorted unique uint32 row indices in one binary buffer.
 * Pure functions, no DOM.
 */
import { isBinary, typedView } from "./binary";
import { isObjectLike } from "./guards";

/** `selected` as it is sent to Python. */
export interface SelectionWire {
  indices: DataView;
}

/**
 * Decode `selected` into sorted unique row indices; never throws. Anything that is not
 * `{indices: <binary>}` is the empty selection; unsorted or repeated indices are repaired. Bytes
 * past the last whole uint32 are ignored (as typedView does): the kernel only sends whole ones.
 * The other way, the kernel refuses a buffer whose length is not a multiple of 4 with a
 * ValueError naming it, and `encodeSelection` never makes one.
 */
export function decodeSelection(raw: unknown): Uint32Array {
  if (!isObjectLike(raw) || !isBinary(raw.indices)) return new Uint32Array(0);
  const indices = typedView(raw.indices, Uint32Array);
  for (let i = 1; i < indices.length; i++) {
    if (indices[i] <= indices[i - 1]) return normalizeIndices(indices);
  }
  return indices;
}

/** Encode sorted unique row indices as `selected` for Python. */
export function encodeSelection(indices: Uint32Array): SelectionWire {
  // The DataView must cover exactly these values, so own the buffer.
  const own = indices.byteOffset === 0 && indices.byteLength === indices.buffer.byteLength ? indices : indices.slice();
  return { indices: new DataView(own.buffer, 0, own.byteLength) };
}

/** Sort and de-duplicate row indices; returns a new array. */
export function normalizeIndices(indices: ArrayLike<number>): Uint32Array {
  const out = Uint32Array.from(indices).sort();
  let k = 0;
  for (let i = 0; i < out.length; i++) {
    if (i === 0 || out[i] !== out[k - 1]) out[k++] = out[i];
  }
  return out.slice(0, k);
}
