/**
 * Animated transitions between two position sets, as the vertex shader does
 * them: both sets stay quantised on the GPU with their own lo/hi, and
 * world = mix(prev, next, ease(t)). These are the CPU mirror (for labels
 * and tests).
 */

/** Smooth ease-in-out of t in [0, 1] (cubic). */
export function ease(t: number): number {
  const x = Math.max(0, Math.min(1, t));
  return x < 0.5 ? 4 * x * x * x : 1 - (-2 * x + 2) ** 3 / 2;
}

/** Progress in [0, 1] of a transition that started at `start` and lasts `duration` ms. */
export function transitionT(now: number, start: number, duration: number): number {
  if (!(duration > 0)) return 1;
  return Math.max(0, Math.min(1, (now - start) / duration));
}

export interface Quantized {
  coords: Uint16Array;
  dims: 2 | 3;
  lo: ArrayLike<number>;
  hi: ArrayLike<number>;
}

/** World (data) position of point i on axis a. */
export function worldAt(p: Quantized, i: number, a: number): number {
  return p.lo[a] + (p.coords[i * p.dims + a] / 65535) * (p.hi[a] - p.lo[a]);
}

/** Position of point i at eased mix `m` between `prev` (m = 0) and `next` (m = 1). */
export function mixedPosition(prev: Quantized | null, next: Quantized, i: number, m: number): [number, number, number] {
  const out: [number, number, number] = [0, 0, 0];
  for (let a = 0; a < next.dims; a++) {
    const b = worldAt(next, i, a);
    out[a] = prev && m < 1 ? worldAt(prev, i, a) * (1 - m) + b * m : b;
  }
  return out;
}
