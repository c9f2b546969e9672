/**
 * The points on the wire: `_points` (quantised positions, their bounds, which rows are shown,
 * and, for a large value sent in parts, its first part), the later parts (`_points_rest`, or a
 * part the kernel sends on request), and `_sprites`, the thumbnail atlas drawn at the points.
 * Decoded as `projector_widget/encoding.py` writes them. Pure functions, no DOM.
 */
import { type Binary, isBinary, typedView } from "./binary";
import { finiteOr, isNonNegativeInt, isObjectLike } from "./guards";

/** `_points` as it arrives. */
export interface PointsWire {
  n: number;
  dims: 2 | 3;
  lo: number[];
  hi: number[];
  data: Binary;
}

/** `_points` decoded: `coords` holds `n * dims` interleaved uint16 values. */
export interface Points {
  n: number;
  dims: 2 | 3;
  /** Animate from the previous positions over this many ms (0 = jump). */
  transitionMs: number;
  /** 1 = shown, per point; null = all shown. */
  visible: Uint8Array | null;
  /** Per-axis lower bound (length 3; unused axes are 0). */
  lo: [number, number, number];
  /** Per-axis upper bound (length 3; unused axes are 0). */
  hi: [number, number, number];
  coords: Uint16Array;
  /**
   * Rows whose coordinates have arrived (the first `loaded` of `n`; the rest of `coords` is
   * zero until later parts fill it). Equal to `n` unless the kernel sends the points in parts.
   */
  loaded: number;
  /** Identifies a value sent in parts (its later parts carry the same version); 0 otherwise. */
  version: number;
  /**
   * Which layout these are of (the kernel's count): a new projection, or new rows shown, has a
   * new one; the frames of a running layout, a refined PCA and a redraw keep it. The view frames
   * every new layout (scene/viewpoint.ts).
   */
  layout: number;
}

/** The largest finite float32: bounds and spans go to the shader as float32 uniforms. */
export const FLOAT32_MAX = 3.4028234663852886e38;
/** The most rows `_points` may have: row indices travel as uint32. */
export const MAX_ROWS = 0xffffffff;

function bound(x: unknown): number | null {
  return typeof x === "number" && Number.isFinite(x) && Math.abs(x) <= FLOAT32_MAX ? x : null;
}

/**
 * One axis's [lo, hi] as the renderer may use them: both finite within float32, lo <= hi and a
 * span that is a finite float32. Otherwise the axis is drawn flat (a zero span), so no NaN or
 * Infinity ever reaches the camera or the shader: an unusable `hi` (absent, NaN, +-Infinity,
 * below `lo`, or a span beyond float32) becomes `lo`; an unusable `lo` makes the axis [0, 0].
 */
export function axisBounds(rawLo: unknown, rawHi: unknown): [number, number] {
  const lo = bound(rawLo);
  if (lo === null) return [0, 0];
  const hi = bound(rawHi);
  return hi !== null && hi >= lo && hi - lo <= FLOAT32_MAX ? [lo, hi] : [lo, lo];
}

function allocate(n: number, dims: number): Uint16Array<ArrayBuffer> {
  try {
    return new Uint16Array(n * dims);
  } catch {
    throw new Error(`_points: cannot hold ${n} rows in this browser`);
  }
}

/**
 * Decode `_points`; null when it is not a points value (no binary `data`, `dims` not 2 or 3).
 * A negative or non-numeric `n` reads as 0, bounds as `axisBounds` says. Throws an Error whose
 * message starts with "_points:" when `data` is shorter than the rows it claims to hold or `n`
 * is more rows than can be held (more than MAX_ROWS, or more than memory allows).
 */
export function decodePoints(raw: unknown): Points | null {
  if (!isObjectLike(raw) || !isBinary(raw.data)) return null;
  const dims = raw.dims === 3 ? 3 : raw.dims === 2 ? 2 : null;
  if (dims === null) return null;
  const n = Math.max(0, Math.floor(finiteOr(raw.n, 0)));
  if (n > MAX_ROWS) throw new Error(`_points: ${n} rows is more than ${MAX_ROWS}`);
  const data = typedView(raw.data, Uint16Array);
  const loaded = raw.loaded === undefined ? n : Math.min(n, Math.max(0, Math.floor(finiteOr(raw.loaded, 0))));
  if (data.length < loaded * dims) {
    throw new Error(`_points: expected ${loaded * dims} uint16 values, got ${data.length}`);
  }
  let coords = data.subarray(0, n * dims);
  if (loaded < n) {
    // Sent in parts: room for every row now, the later parts are copied in as they arrive.
    coords = allocate(n, dims);
    coords.set(data.subarray(0, loaded * dims));
  }
  const lo: [number, number, number] = [0, 0, 0];
  const hi: [number, number, number] = [0, 0, 0];
  const rawLo = Array.isArray(raw.lo) ? raw.lo : [];
  const rawHi = Array.isArray(raw.hi) ? raw.hi : [];
  for (let a = 0; a < dims; a++) [lo[a], hi[a]] = axisBounds(rawLo[a], rawHi[a]);
  let visible: Uint8Array | null = null;
  if (isBinary(raw.visible)) {
    const v = typedView(raw.visible, Uint8Array);
    if (v.length >= n) visible = v.subarray(0, n);
  }
  const transitionMs = Math.max(0, finiteOr(raw.transition_ms, 0));
  const version = loaded < n ? Math.floor(finiteOr(raw.version, 0)) : 0;
  const layout = Math.floor(finiteOr(raw.layout, 0));
  return { n, dims, transitionMs, visible, lo, hi, coords, loaded, version, layout };
}

/** The rows a later part of `_points` carries (`_points_rest`). */
export interface PointsRows {
  version: number;
  start: number;
  count: number;
  /** `count * dims` interleaved uint16 coordinates. */
  data: Uint16Array;
}

/** The `_points_rest` value (see encoding.py): null when empty or malformed. */
export function decodePointsRest(raw: unknown): PointsRows | null {
  if (!isObjectLike(raw)) return null;
  const { version, start, count, data } = raw;
  if (!Number.isInteger(version) || !isNonNegativeInt(start) || !isNonNegativeInt(count) || !isBinary(data)) return null;
  return { version: version as number, start, count, data: typedView(data, Uint16Array) };
}

/**
 * Copy a later part into `points` (decoded from the same version); returns the points as far
 * as they have now arrived, or null when the part does not continue them (stale or out of order).
 */
export function addPointsPart(points: Points, part: PointsRows): Points | null {
  if (part.version !== points.version || part.version === 0 || part.start !== points.loaded) return null;
  const count = Math.min(part.count, points.n - part.start, Math.floor(part.data.length / points.dims));
  if (count <= 0) return null;
  points.coords.set(part.data.subarray(0, count * points.dims), part.start * points.dims);
  return { ...points, loaded: part.start + count, transitionMs: 0 };
}

/** The rows of `points` that have arrived, as points of their own (what gets drawn). */
export function arrivedPoints(points: Points): Points {
  if (points.loaded >= points.n) return points;
  return {
    ...points,
    n: points.loaded,
    coords: points.coords.subarray(0, points.loaded * points.dims),
    visible: points.visible ? points.visible.subarray(0, points.loaded) : null,
    transitionMs: 0,
  };
}

/** Coordinate on one axis from its quantized value (the shader does the same). */
export function dequantize(q: number, lo: number, hi: number): number {
  return lo + (q / 65535) * (hi - lo);
}

// --------------------------------------------------------------- sprites

/** `_sprites` decoded: an RGBA8 atlas of `thumb`-px squares, `perRow` to a row. */
export interface Sprites {
  width: number;
  height: number;
  thumb: number;
  perRow: number;
  data: Uint8Array;
}

export function decodeSprites(raw: unknown): Sprites | null {
  if (!isObjectLike(raw) || !isBinary(raw.data)) return null;
  const width = Math.floor(finiteOr(raw.width, 0));
  const height = Math.floor(finiteOr(raw.height, 0));
  const thumb = Math.floor(finiteOr(raw.thumb, 0));
  const perRow = Math.floor(finiteOr(raw.per_row, 0));
  if (width <= 0 || height <= 0 || thumb <= 0 || perRow <= 0) return null;
  const data = typedView(raw.data, Uint8Array);
  if (data.length < width * height * 4) return null;
  return { width, height, thumb, perRow, data: data.subarray(0, width * height * 4) };
}

/**
 * Texture coordinates [u0, v0, u1, v1] of row i's thumbnail in the atlas
 * (v grows downwards: the atlas is uploaded top row first). The shader does
 * the same with gl_PointCoord.
 */
export function spriteUV(i: number, s: Pick<Sprites, "width" | "height" | "thumb" | "perRow">): [number, number, number, number] {
  const col = i % s.perRow;
  const row = Math.floor(i / s.perRow);
  const u0 = (col * s.thumb) / s.width;
  const v0 = (row * s.thumb) / s.height;
  return [u0, v0, u0 + s.thumb / s.width, v0 + s.thumb / s.height];
}
