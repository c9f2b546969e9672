/**
 * Lasso hit-testing, pure: which screen positions lie inside a polygon.
 *
 * Polygons are flat arrays [x0, y0, x1, y1, ...] in CSS pixels, implicitly
 * closed. The even-odd rule with half-open edge crossings is used, so a point
 * on an edge shared by two polygons that tile the plane belongs to exactly one
 * of them, and a point with NaN coordinates (behind the camera) never matches.
 */

export interface Bounds {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

export function polygonBounds(poly: ArrayLike<number>): Bounds {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (let i = 0; i + 1 < poly.length; i += 2) {
    const x = poly[i];
    const y = poly[i + 1];
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  }
  return { minX, minY, maxX, maxY };
}

/** Whether (x, y) is inside the polygon (even-odd rule). */
export function pointInPolygon(x: number, y: number, poly: ArrayLike<number>): boolean {
  const m = poly.length >> 1;
  if (m < 3 || Number.isNaN(x) || Number.isNaN(y)) return false;
  let inside = false;
  let xj = poly[2 * (m - 1)];
  let yj = poly[2 * (m - 1) + 1];
  for (let i = 0; i < m; i++) {
    const xi = poly[2 * i];
    const yi = poly[2 * i + 1];
    // The edge crosses the horizontal line through y (half-open in y) ...
    if (yi > y !== yj > y) {
      // ... to the right of x. Computed from the lower endpoint so that an
      // edge shared by two polygons (traversed in opposite directions) gives
      // bit-identical crossings in both.
      const xCross = yi < yj ? xi + ((y - yi) * (xj - xi)) / (yj - yi) : xj + ((y - yj) * (xi - xj)) / (yi - yj);
      if (x < xCross) inside = !inside;
    }
    xj = xi;
    yj = yi;
  }
  return inside;
}

/**
 * Indices (ascending) of the points whose screen positions (x, y pairs, as
 * from projectQuantized) lie inside the polygon. A bounding-box test rejects
 * most points before the exact test.
 */
export function selectInPolygon(positions: Float32Array, poly: ArrayLike<number>): Uint32Array {
  const n = positions.length >> 1;
  if (poly.length < 6) return new Uint32Array(0);
  const b = polygonBounds(poly);
  // Flat copy so the inner loop reads a Float64Array, whatever `poly` is.
  const p = Float64Array.from(poly);
  let hits = new Uint32Array(1024);
  let k = 0;
  for (let i = 0; i < n; i++) {
    const x = positions[2 * i];
    const y = positions[2 * i + 1];
    // NaN fails every comparison, so hidden points are culled here.
    if (!(x >= b.minX && x <= b.maxX && y >= b.minY && y <= b.maxY)) continue;
    if (!pointInPolygon(x, y, p)) continue;
    if (k === hits.length) {
      const grown = new Uint32Array(Math.min(n, hits.length * 2));
      grown.set(hits);
      hits = grown;
    }
    hits[k++] = i;
  }
  return hits.slice(0, k);
}

/** Distance (CSS px) a drag must exceed before it stops counting as a click. */
export const CLICK_SLOP_PX = 4;

/**
 * Append a pointer position to a lasso path unless it is within `minStep`
 * pixels of the last vertex; returns whether it was appended.
 */
export function extendPath(path: number[], x: number, y: number, minStep = 2): boolean {
  const m = path.length;
  if (m >= 2) {
    const dx = x - path[m - 2];
    const dy = y - path[m - 1];
    if (dx * dx + dy * dy < minStep * minStep) return false;
  }
  path.push(x, y);
  return true;
}
