/**
 * Selection as sorted unique Uint32 row indices (the wire form) and as a
 * per-point Uint8 mask (the vertex attribute). Pure.
 */

/** Position of `value` in a sorted array, or the insertion point as -(pos + 1). */
export function binarySearch(sorted: Uint32Array, value: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = sorted[mid];
    if (v < value) lo = mid + 1;
    else if (v > value) hi = mid - 1;
    else return mid;
  }
  return -(lo + 1);
}

/** The selection with `index` added if absent, removed if present. */
export function toggleIndex(sorted: Uint32Array, index: number): Uint32Array {
  const pos = binarySearch(sorted, index);
  if (pos >= 0) {
    const out = new Uint32Array(sorted.length - 1);
    out.set(sorted.subarray(0, pos));
    out.set(sorted.subarray(pos + 1), pos);
    return out;
  }
  const at = -pos - 1;
  const out = new Uint32Array(sorted.length + 1);
  out.set(sorted.subarray(0, at));
  out[at] = index;
  out.set(sorted.subarray(at), at + 1);
  return out;
}

/** Sorted union of two sorted unique index arrays. */
export function unionSorted(a: Uint32Array, b: Uint32Array): Uint32Array {
  const out = new Uint32Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) {
    if (a[i] < b[j]) out[k++] = a[i++];
    else if (a[i] > b[j]) out[k++] = b[j++];
    else {
      out[k++] = a[i++];
      j++;
    }
  }
  while (i < a.length) out[k++] = a[i++];
  while (j < b.length) out[k++] = b[j++];
  return out.slice(0, k);
}

/**
 * Fill `mask` (length n) with 1 for selected rows, 0 elsewhere; indices
 * outside [0, n) are ignored. Returns how many rows are selected.
 */
export function fillMask(mask: Uint8Array, indices: Uint32Array): number {
  mask.fill(0);
  const n = mask.length;
  let count = 0;
  for (let i = 0; i < indices.length; i++) {
    const r = indices[i];
    if (r < n && mask[r] === 0) {
      mask[r] = 1;
      count++;
    }
  }
  return count;
}
