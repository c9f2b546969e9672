/**
 * Per-point flag bits (the uint8 vertex attribute `a_flags`), composed on the
 * CPU from the selection, the neighbours, the focus and the visibility. Pure.
 */

export const FLAG_SELECTED = 1;
export const FLAG_NEIGHBOR = 2;
export const FLAG_FOCUS = 4;
export const FLAG_HIDDEN = 8;

export interface FlagInputs {
  selected: Uint32Array;
  neighbors: Uint32Array;
  /** -1 = none. */
  focus: number;
  /** 1 = shown; null = all shown. */
  visible: Uint8Array | null;
}

/**
 * Fill `out` (length n) with the flag bits; indices outside [0, n) are ignored.
 * Returns the number of distinct selected rows.
 */
export function composeFlags(out: Uint8Array, inputs: FlagInputs): number {
  const n = out.length;
  const vis = inputs.visible;
  if (vis && vis.length >= n) {
    for (let i = 0; i < n; i++) out[i] = vis[i] ? 0 : FLAG_HIDDEN;
  } else {
    out.fill(0);
  }
  let count = 0;
  const sel = inputs.selected;
  for (let j = 0; j < sel.length; j++) {
    const r = sel[j];
    if (r < n && !(out[r] & FLAG_SELECTED)) {
      out[r] |= FLAG_SELECTED;
      count++;
    }
  }
  const nb = inputs.neighbors;
  for (let j = 0; j < nb.length; j++) if (nb[j] < n) out[nb[j]] |= FLAG_NEIGHBOR;
  if (inputs.focus >= 0 && inputs.focus < n) out[inputs.focus] |= FLAG_FOCUS;
  return count;
}

/** Whether any point is emphasised (then the others are dimmed). */
export function hasEmphasis(inputs: FlagInputs): boolean {
  return inputs.selected.length > 0 || inputs.neighbors.length > 0 || inputs.focus >= 0;
}
