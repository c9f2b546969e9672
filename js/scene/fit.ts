/**
 * Fitting the view to what is drawn: the shown points (their bounds in data space, and in 3-D
 * their coordinates), or the overview's square domain while there are no points. Pure.
 */
import type { Points } from "../contract/wirePoints";
import { type Camera, fitCamera, pan, type Viewport } from "./camera";

/** The camera that shows the overview's square `domain` [x0, y0, side]. */
export function fitDomain(domain: readonly [number, number, number], viewport: Viewport): Camera {
  const [x0, y0, side] = domain;
  return fitCamera(2, [x0, y0, 0], [x0 + side, y0 + side, 0], viewport);
}

/**
 * The camera that shows the visible points of `p`, framed left of `insetRight` CSS px at the
 * right (where the inspector floats while it is open; ignored when it would take most of the view).
 */
export function fitPoints(p: Points, viewport: Viewport, insetRight: number): Camera {
  const vis = p.visible;
  let lo: ArrayLike<number> = p.lo;
  let hi: ArrayLike<number> = p.hi;
  let coords = p.coords;
  if (vis && vis.indexOf(0) >= 0) {
    // Fit the shown points only: their bounds in data space, and (3-D) their coordinates.
    coords = visibleCoords(p.coords, p.dims, vis);
    const b = quantizedBounds(coords, p.dims, p.lo, p.hi);
    if (b) [lo, hi] = b;
  }
  const inset = insetRight > 0 && insetRight < viewport.width * 0.6 ? insetRight : 0;
  const area = { width: viewport.width - inset, height: viewport.height };
  let cam = fitCamera(p.dims, lo, hi, area, undefined, p.dims === 3 ? coords : undefined);
  if (inset > 0) cam = pan(cam, area, -inset / 2, 0);
  return cam;
}

/** Whether two visibility masks (null: all shown) show the same of the first `n` rows. */
export function sameVisibility(a: Uint8Array | null, b: Uint8Array | null, n: number): boolean {
  if (a === b) return true;
  if (!a || !b) {
    const m = a ?? b;
    return m !== null && m.indexOf(0) < 0 && m.length >= n;
  }
  for (let i = 0; i < n; i++) if (!a[i] !== !b[i]) return false;
  return true;
}

/** The coordinates of the visible points only. */
export function visibleCoords(coords: Uint16Array, dims: number, visible: Uint8Array): Uint16Array {
  let k = 0;
  for (let i = 0; i < visible.length; i++) if (visible[i]) k++;
  const out = new Uint16Array(k * dims);
  for (let i = 0, o = 0; i < visible.length; i++) {
    if (!visible[i]) continue;
    for (let a = 0; a < dims; a++) out[o++] = coords[i * dims + a];
  }
  return out;
}

/** Data-space bounds [lo, hi] of quantized coordinates; null when empty. */
export function quantizedBounds(
  coords: Uint16Array,
  dims: number,
  lo: ArrayLike<number>,
  hi: ArrayLike<number>,
): [number[], number[]] | null {
  const n = Math.floor(coords.length / dims);
  if (n === 0) return null;
  const mn = [65535, 65535, 65535];
  const mx = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < dims; a++) {
      const q = coords[i * dims + a];
      if (q < mn[a]) mn[a] = q;
      if (q > mx[a]) mx[a] = q;
    }
  }
  const outLo = [0, 0, 0];
  const outHi = [0, 0, 0];
  for (let a = 0; a < dims; a++) {
    outLo[a] = lo[a] + (mn[a] / 65535) * (hi[a] - lo[a]);
    outHi[a] = lo[a] + (mx[a] / 65535) * (hi[a] - lo[a]);
  }
  return [outLo, outHi];
}
