/**
 * The wire format of synced state: decode (and, for the selection, encode) the model values
 * that `projector_widget/encoding.py` produces (`_points`, `_columns`, `selected`, `_labels`,
 * `_neighbors`, `_sprites`, `_progress`, ...). Custom messages are protocol.ts's. Pure
 * functions, no DOM.
 *
 * Every binary value may arrive as a DataView (what anywidget hands us), an
 * ArrayBuffer, or any typed-array view. All numbers are little-endian; typed
 * arrays in every browser we target are little-endian too, so a view is used
 * directly when its byte offset is aligned and a copy is made when it is not.
 */

/** A binary value as the model may deliver it. */
export type Binary = DataView | ArrayBuffer | ArrayBufferView;

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
}

export interface CategoryColumn {
  name: string;
  kind: "category";
  categories: string[];
  counts: number[];
  codes: Uint8Array | Uint16Array;
  /** Code of the "missing value" category, or -1 when there is none. */
  missingCode: number;
}

export interface NumberColumn {
  name: string;
  kind: "number";
  values: Float32Array;
  min: number;
  max: number;
}

export interface TextColumn {
  name: string;
  kind: "text";
}

export type Column = CategoryColumn | NumberColumn | TextColumn;

/** `selected` as it is sent to Python. */
export interface SelectionWire {
  indices: DataView;
}

type TypedArrayCtor<T extends ArrayBufferView> = {
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): T;
  new (length: number): T;
  readonly BYTES_PER_ELEMENT: number;
};

/** Whether `x` is a binary value (an ArrayBuffer or a view of one). */
export function isBinary(x: unknown): x is Binary {
  return x instanceof ArrayBuffer || ArrayBuffer.isView(x);
}

/**
 * View `bin` as a typed array of `ctor`, copying when the byte offset is not a
 * multiple of the element size (a DataView into a larger message buffer can
 * start anywhere). Trailing bytes that do not fill an element are ignored.
 */
export function typedView<T extends ArrayBufferView>(bin: Binary, ctor: TypedArrayCtor<T>): T {
  const size = ctor.BYTES_PER_ELEMENT;
  let buffer: ArrayBufferLike;
  let offset: number;
  let bytes: number;
  if (bin instanceof ArrayBuffer) {
    buffer = bin;
    offset = 0;
    bytes = bin.byteLength;
  } else {
    buffer = bin.buffer;
    offset = bin.byteOffset;
    bytes = bin.byteLength;
  }
  const length = Math.floor(bytes / size);
  if (offset % size === 0) return new ctor(buffer, offset, length);
  const copy = new ctor(length);
  new Uint8Array(copy.buffer).set(new Uint8Array(buffer, offset, length * size));
  return copy;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null;
}

function finiteOr(x: unknown, fallback: number): number {
  return typeof x === "number" && Number.isFinite(x) ? x : fallback;
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
  if (!isObject(raw) || !isBinary(raw.data)) return null;
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
  return { n, dims, transitionMs, visible, lo, hi, coords, loaded, version };
}

/** The rows a later part of `_points` carries (protocol.ts decodes the message). */
export interface PointsRows {
  version: number;
  start: number;
  count: number;
  /** `count * dims` interleaved uint16 coordinates. */
  data: Uint16Array;
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

/** `_timeline` decoded: a sequence's aligned layouts, each step quantised like `_points`. */
export interface Timeline {
  steps: number;
  n: number;
  names: string[];
  /** Per step, its three axes' bounds. */
  lo: [number, number, number][];
  hi: [number, number, number][];
  /** `steps * n * 3` uint16 values, step after step. */
  data: Uint16Array;
}

/** Decode `_timeline` (see encoding.py's `encode_timeline`); null when empty or malformed. */
export function decodeTimeline(raw: unknown): Timeline | null {
  if (!isObject(raw) || !isBinary(raw.data) || raw.dims !== 3) return null;
  const steps = Math.floor(finiteOr(raw.steps, 0));
  const n = Math.floor(finiteOr(raw.n, 0));
  const data = typedView(raw.data, Uint16Array);
  if (steps < 1 || n < 0 || data.length < steps * n * 3 || !Array.isArray(raw.lo) || !Array.isArray(raw.hi)) return null;
  const bounds = (i: number): [[number, number, number], [number, number, number]] => {
    const rawLo = Array.isArray((raw.lo as unknown[])[i]) ? ((raw.lo as unknown[])[i] as unknown[]) : [];
    const rawHi = Array.isArray((raw.hi as unknown[])[i]) ? ((raw.hi as unknown[])[i] as unknown[]) : [];
    const lo: [number, number, number] = [0, 0, 0];
    const hi: [number, number, number] = [0, 0, 0];
    for (let a = 0; a < 3; a++) [lo[a], hi[a]] = axisBounds(rawLo[a], rawHi[a]);
    return [lo, hi];
  };
  const all = Array.from({ length: steps }, (_, i) => bounds(i));
  const names = Array.from({ length: steps }, (_, i) => {
    const name = Array.isArray(raw.names) ? raw.names[i] : undefined;
    return typeof name === "string" ? name : `step ${i}`;
  });
  return { steps, n, names, lo: all.map((b) => b[0]), hi: all.map((b) => b[1]), data: data.subarray(0, steps * n * 3) };
}

/** Step `step` of `timeline` as points to draw in `dims` dimensions (the first axes in 2-D). */
export function timelinePoints(timeline: Timeline, step: number, dims: 2 | 3, transitionMs: number): Points {
  const { n } = timeline;
  const layout = timeline.data.subarray(step * n * 3, (step + 1) * n * 3);
  let coords = layout;
  if (dims === 2) {
    coords = new Uint16Array(n * 2);
    for (let i = 0; i < n; i++) {
      coords[2 * i] = layout[3 * i];
      coords[2 * i + 1] = layout[3 * i + 1];
    }
  }
  const lo: [number, number, number] = [...timeline.lo[step]];
  const hi: [number, number, number] = [...timeline.hi[step]];
  if (dims === 2) lo[2] = hi[2] = 0;
  return { n, dims, transitionMs, visible: null, lo, hi, coords, loaded: n, version: 0 };
}

/** Coordinate on one axis from its quantized value (the shader does the same). */
export function dequantize(q: number, lo: number, hi: number): number {
  return lo + (q / 65535) * (hi - lo);
}

function decodeColumn(raw: unknown): Column | null {
  if (!isObject(raw) || typeof raw.name !== "string") return null;
  const name = raw.name;
  if (raw.kind === "category") {
    if (!isBinary(raw.codes)) return null;
    const codes = raw.code_bytes === 2 ? typedView(raw.codes, Uint16Array) : typedView(raw.codes, Uint8Array);
    const categories = Array.isArray(raw.categories) ? raw.categories.map((c) => String(c)) : [];
    const counts = Array.isArray(raw.counts) ? raw.counts.map((c) => finiteOr(c, 0)) : [];
    const missingCode =
      typeof raw.missing_code === "number" && Number.isInteger(raw.missing_code) && raw.missing_code >= 0 ? raw.missing_code : -1;
    return { name, kind: "category", categories, counts, codes, missingCode };
  }
  if (raw.kind === "number") {
    if (!isBinary(raw.values)) return null;
    const values = typedView(raw.values, Float32Array);
    // NaN when absent or not finite (a column with no finite value): the legend says so.
    const min = finiteOr(raw.min, NaN);
    const max = finiteOr(raw.max, NaN);
    return { name, kind: "number", values, min, max };
  }
  if (raw.kind === "text") return { name, kind: "text" };
  return null;
}

/** Decode `_columns`; unknown or malformed entries are skipped. */
export function decodeColumns(raw: unknown): Column[] {
  if (!Array.isArray(raw)) return [];
  const out: Column[] = [];
  for (const c of raw) {
    const col = decodeColumn(c);
    if (col) out.push(col);
  }
  return out;
}

/** Columns the view can colour by (category and number). */
export function colorableColumns(columns: Column[]): (CategoryColumn | NumberColumn)[] {
  return columns.filter((c): c is CategoryColumn | NumberColumn => c.kind !== "text");
}

/**
 * Decode `selected` into sorted unique row indices; never throws. Anything that is not
 * `{indices: <binary>}` is the empty selection; unsorted or repeated indices are repaired. Bytes
 * past the last whole uint32 are ignored (as typedView does): the kernel only sends whole ones.
 * The other way, the kernel refuses a buffer whose length is not a multiple of 4 with a
 * ValueError naming it, and `encodeSelection` never makes one.
 */
export function decodeSelection(raw: unknown): Uint32Array {
  if (!isObject(raw) || !isBinary(raw.indices)) return new Uint32Array(0);
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

// --------------------------------------------------------------- labels

/** `_labels` decoded: the label of row `indices[j]` is `texts[j]`. */
export interface Labels {
  column: string;
  /** Sorted row indices. */
  indices: Uint32Array;
  texts: string[];
}

/** Decode `_labels` (UTF-8 text with offsets); null when empty or malformed. */
export function decodeLabels(raw: unknown): Labels | null {
  if (!isObject(raw) || !isBinary(raw.indices) || !isBinary(raw.offsets) || !isBinary(raw.text)) return null;
  const indices = typedView(raw.indices, Uint32Array);
  const offsets = typedView(raw.offsets, Uint32Array);
  const bytes = typedView(raw.text, Uint8Array);
  const m = indices.length;
  if (offsets.length < m + 1) return null;
  // Decode the whole text once and cut it by character positions: offsets
  // are byte positions, so map them through the UTF-8 lengths.
  const decoder = new TextDecoder("utf-8");
  const texts = new Array<string>(m);
  const ascii = isAscii(bytes);
  const all = ascii ? decoder.decode(bytes) : "";
  for (let j = 0; j < m; j++) {
    const a = Math.min(offsets[j], bytes.length);
    const b = Math.max(a, Math.min(offsets[j + 1], bytes.length));
    texts[j] = ascii ? all.slice(a, b) : decoder.decode(bytes.subarray(a, b));
  }
  return { column: typeof raw.column === "string" ? raw.column : "", indices, texts };
}

function isAscii(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] > 127) return false;
  return true;
}

// ------------------------------------------------------------ neighbours

/** `_neighbors` decoded, closest first. */
export interface Neighbors {
  /** Row the neighbours are of; -1 when they answer a semantic query. */
  index: number;
  query: string | null;
  indices: Uint32Array;
  distances: Float32Array;
  labels: string[];
}

export function decodeNeighbors(raw: unknown): Neighbors | null {
  if (!isObject(raw) || !isBinary(raw.indices)) return null;
  const indices = typedView(raw.indices, Uint32Array);
  const dist = isBinary(raw.distances) ? typedView(raw.distances, Float32Array) : new Float32Array(0);
  const distances = new Float32Array(indices.length).fill(NaN);
  distances.set(dist.subarray(0, indices.length));
  const rawLabels = Array.isArray(raw.labels) ? raw.labels : [];
  const labels = Array.from(indices, (_, j) => (rawLabels[j] === undefined || rawLabels[j] === null ? "" : String(rawLabels[j])));
  const index = typeof raw.index === "number" && Number.isInteger(raw.index) ? raw.index : -1;
  const query = typeof raw.query === "string" ? raw.query : null;
  return { index, query, indices, distances, labels };
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
  if (!isObject(raw) || !isBinary(raw.data)) return null;
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

// -------------------------------------------------------------- progress

export type ProgressState = "idle" | "running" | "paused" | "done" | "stopped" | "error";

export interface Progress {
  method: string;
  state: ProgressState;
  iteration: number;
  total: number;
  etaS: number | null;
  message: string;
}

const STATES: readonly ProgressState[] = ["idle", "running", "paused", "done", "stopped", "error"];

export function decodeProgress(raw: unknown): Progress {
  const r = isObject(raw) ? raw : {};
  const state = STATES.find((s) => s === r.state) ?? "idle";
  return {
    method: typeof r.method === "string" ? r.method : "",
    state,
    iteration: finiteOr(r.iteration, 0),
    total: finiteOr(r.total, 0),
    etaS: typeof r.eta_s === "number" && Number.isFinite(r.eta_s) ? r.eta_s : null,
    message: typeof r.message === "string" ? r.message : "",
  };
}

// ------------------------------------------------------------ layout quality

/** `_quality`: the scores of the kernel's last `layout_quality` (explain.quality_payload). */
export interface Quality {
  version: number;
  /** The metadata column holding each row's neighbours kept. */
  column: string;
  k: number;
  metric: string;
  /** Every row evaluated; otherwise the scores are estimates with standard errors. */
  exact: boolean;
  evaluated: number;
  trustworthiness: number;
  continuity: number;
  trustworthinessSe: number;
  continuitySe: number;
  /** The layout changed since it was measured. */
  stale: boolean;
}

const unitScore = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x) && x >= 0 && x <= 1;

/** Decode `_quality`; null before any measure, or when either score is not a number in [0, 1]. */
export function decodeQuality(raw: unknown): Quality | null {
  if (!isObject(raw) || !unitScore(raw.trustworthiness) || !unitScore(raw.continuity)) return null;
  const se = (x: unknown): number => Math.max(0, finiteOr(x, 0));
  return {
    version: finiteOr(raw.version, 0),
    column: typeof raw.column === "string" ? raw.column : "",
    k: finiteOr(raw.k, 0),
    metric: typeof raw.metric === "string" ? raw.metric : "",
    exact: raw.exact !== false,
    evaluated: finiteOr(raw.evaluated, 0),
    trustworthiness: raw.trustworthiness,
    continuity: raw.continuity,
    trustworthinessSe: se(raw.trustworthiness_se),
    continuitySe: se(raw.continuity_se),
    stale: raw.stale === true,
  };
}

// ------------------------------------------------------------ query point

export interface QueryPoint {
  text: string;
  coords: [number, number, number];
  dims: 2 | 3;
}

export function decodeQueryPoint(raw: unknown): QueryPoint | null {
  if (!isObject(raw) || !Array.isArray(raw.coords)) return null;
  const c = raw.coords;
  if (c.length !== 2 && c.length !== 3) return null;
  if (!c.every((v) => typeof v === "number" && Number.isFinite(v))) return null;
  const coords: [number, number, number] = [c[0] as number, c[1] as number, c.length === 3 ? (c[2] as number) : 0];
  return { text: typeof raw.text === "string" ? raw.text : "", coords, dims: c.length === 3 ? 3 : 2 };
}

// ---------------------------------------------------------- other values

/** Bookmark names from `bookmarks`. */
export function decodeBookmarks(raw: unknown): string[] {
  if (!Array.isArray(raw)) return [];
  const out: string[] = [];
  for (const b of raw) if (isObject(b) && typeof b.name === "string") out.push(b.name);
  return out;
}

/** Format a distance with 4 significant digits. */
export function formatDistance(d: number): string {
  if (!Number.isFinite(d)) return "";
  return Number(d.toPrecision(4)).toString();
}

// -------------------------------------------------------------- overview

/**
 * A decoded value, or what is wrong with it: the overview's decoders never throw on a malformed
 * value from the kernel, they say which field is wrong so the view can report it.
 */
export type Decoded<T> = { ok: true; value: T } | { ok: false; error: string };

const fail = (error: string): { ok: false; error: string } => ({ ok: false, error });

/** A grid of per-category counts over a region of the layout (`_overview`, or a `grid` reply). */
export interface OverviewGrid {
  /** The layout version it was aggregated for. */
  version: number;
  /** The grid's region in data coordinates: [x0, y0, x1, y1]. */
  bounds: [number, number, number, number];
  /** Cells across and up. */
  size: [number, number];
  /** Rows per cell, `w * h`, row-major, row 0 the lowest y. */
  counts: Uint32Array;
  /** The most frequent category code per cell (255: none). */
  top: Uint8Array;
  /** The largest count (the colour scale's top). */
  max: number;
}

/** `_overview` decoded: the first grid and what the browser needs to ask for tiles. */
export interface Overview extends OverviewGrid {
  /** Rows in the layout. */
  n: number;
  /** The quadtree's square domain: [x0, y0, side]. */
  domain: [number, number, number];
  /** The categorical colour column of the grid and the tiles ("" = none). */
  column: string;
  /** Its category names, code order. */
  categories: string[];
  /** Points the browser may hold. */
  budget: number;
  /** Rows at most per tile reply. */
  tileBudget: number;
}

/** The category code that means "none" (no column, or a category past the 255th). */
export const NO_CATEGORY = 255;

/** One tile of a `tiles` reply: a sample of the rows in tile (z, x, y). */
export interface Tile {
  z: number;
  x: number;
  y: number;
  /** Rows sent (the sample's size). */
  count: number;
  /** Rows in the tile. */
  total: number;
  rows: Uint32Array;
  /** `count * 2` interleaved x, y data coordinates. */
  xy: Float32Array;
  codes: Uint8Array;
  /** 1 = selected, per row. */
  selected: Uint8Array;
}

/** A `tiles` reply decoded. */
export interface TilesReply {
  version: number;
  /** The kernel's selection counter when the flags were read. */
  selection: number;
  tiles: Tile[];
}

const finiteNumber = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x);
const nonNegativeInt = (x: unknown): x is number => typeof x === "number" && Number.isInteger(x) && x >= 0;

function finiteTuple(x: unknown, length: number): number[] | null {
  return Array.isArray(x) && x.length === length && x.every(finiteNumber) ? (x as number[]) : null;
}

/** The grid fields shared by `_overview` and a `grid` reply, with their two buffers. */
function decodeGridParts(raw: Record<string, unknown>, countsBin: unknown, topBin: unknown, what: string): Decoded<OverviewGrid> {
  if (!nonNegativeInt(raw.version)) return fail(`${what}: version is not a non-negative integer`);
  const bounds = finiteTuple(raw.bounds, 4);
  if (!bounds || !(bounds[2] > bounds[0]) || !(bounds[3] > bounds[1]))
    return fail(`${what}: bounds is not [x0, y0, x1, y1] with x1 > x0 and y1 > y0`);
  const size =
    Array.isArray(raw.size) && raw.size.length === 2 && raw.size.every((s) => nonNegativeInt(s) && s > 0) ? (raw.size as number[]) : null;
  if (!size) return fail(`${what}: size is not [w, h] of positive integers`);
  const cells = size[0] * size[1];
  if (!isBinary(countsBin)) return fail(`${what}: counts is not a binary buffer`);
  if (!isBinary(topBin)) return fail(`${what}: top is not a binary buffer`);
  if (countsBin.byteLength !== 4 * cells) {
    return fail(`${what}: counts holds ${countsBin.byteLength} bytes, expected ${4 * cells} (${size[0]} x ${size[1]} uint32)`);
  }
  if (topBin.byteLength !== cells)
    return fail(`${what}: top holds ${topBin.byteLength} bytes, expected ${cells} (${size[0]} x ${size[1]} uint8)`);
  const counts = typedView(countsBin, Uint32Array);
  const top = typedView(topBin, Uint8Array);
  if (!nonNegativeInt(raw.max)) return fail(`${what}: max is not a non-negative integer`);
  return {
    ok: true,
    value: {
      version: raw.version,
      bounds: bounds as [number, number, number, number],
      size: size as [number, number],
      counts,
      top,
      max: raw.max,
    },
  };
}

/**
 * Decode `_overview`: null when the overview is off (`{}`, or no value at all), the overview when
 * it is well formed, otherwise what is wrong with it.
 */
export function decodeOverview(raw: unknown): Decoded<Overview | null> {
  if (!isObject(raw) || Object.keys(raw).length === 0) return { ok: true, value: null };
  const grid = decodeGridParts(raw, raw.counts, raw.top, "_overview");
  if (!grid.ok) return grid;
  if (!nonNegativeInt(raw.n)) return fail("_overview: n is not a non-negative integer");
  const domain = finiteTuple(raw.domain, 3);
  if (!domain || !(domain[2] > 0)) return fail("_overview: domain is not [x0, y0, side] with side > 0");
  if (typeof raw.column !== "string") return fail("_overview: column is not a string");
  if (!Array.isArray(raw.categories) || !raw.categories.every((c) => typeof c === "string")) {
    return fail("_overview: categories is not a list of strings");
  }
  if (raw.categories.length > NO_CATEGORY) return fail(`_overview: ${raw.categories.length} categories, more than ${NO_CATEGORY}`);
  if (!nonNegativeInt(raw.budget) || raw.budget === 0) return fail("_overview: budget is not a positive integer");
  if (!nonNegativeInt(raw.tile_budget) || raw.tile_budget === 0) return fail("_overview: tile_budget is not a positive integer");
  return {
    ok: true,
    value: {
      ...grid.value,
      n: raw.n,
      domain: domain as [number, number, number],
      column: raw.column,
      categories: [...(raw.categories as string[])],
      budget: raw.budget,
      tileBudget: raw.tile_budget,
    },
  };
}

/** Decode a `grid` reply (its content and its two buffers: counts, top). */
export function decodeGrid(content: unknown, buffers: readonly unknown[]): Decoded<OverviewGrid> {
  if (!isObject(content)) return fail("grid reply: not an object");
  if (buffers.length !== 2) return fail(`grid reply: ${buffers.length} buffers, expected 2 (counts, top)`);
  return decodeGridParts(content, buffers[0], buffers[1], "grid reply");
}

/** The largest quadtree level (both sides agree on it). */
export const MAX_TILE_LEVEL = 16;

/**
 * Decode a `tiles` reply: its content lists the tiles, and its buffers hold four per tile, in
 * tile order (rows uint32, xy float32 pairs, codes uint8, selected uint8), each as long as the
 * tile's `count` says.
 */
export function decodeTiles(content: unknown, buffers: readonly unknown[]): Decoded<TilesReply> {
  if (!isObject(content)) return fail("tiles reply: not an object");
  if (!nonNegativeInt(content.version)) return fail("tiles reply: version is not a non-negative integer");
  if (!nonNegativeInt(content.selection)) return fail("tiles reply: selection is not a non-negative integer");
  if (!Array.isArray(content.tiles)) return fail("tiles reply: tiles is not a list");
  const entries = content.tiles as unknown[];
  if (buffers.length !== entries.length * 4) {
    return fail(`tiles reply: ${buffers.length} buffers for ${entries.length} tiles, expected ${entries.length * 4} (4 per tile)`);
  }
  const tiles: Tile[] = [];
  for (const [i, t] of entries.entries()) {
    const at = `tiles reply: tile ${i}`;
    if (!isObject(t)) return fail(`${at} is not an object`);
    const { z, x, y, count, total } = t;
    if (!nonNegativeInt(z) || z > MAX_TILE_LEVEL) return fail(`${at}: z is not an integer in [0, ${MAX_TILE_LEVEL}]`);
    if (!nonNegativeInt(x) || !nonNegativeInt(y) || x >= 2 ** z || y >= 2 ** z) return fail(`${at}: x, y are not integers in [0, 2**z)`);
    if (!nonNegativeInt(count) || !nonNegativeInt(total) || count > total)
      return fail(`${at}: count and total are not integers with count <= total`);
    const bins = buffers.slice(4 * i, 4 * i + 4);
    if (!bins.every(isBinary)) return fail(`${at}: its buffers are not all binary`);
    const [rowsBin, xyBin, codesBin, selBin] = bins as Binary[];
    if (rowsBin.byteLength !== 4 * count)
      return fail(`${at}: rows holds ${rowsBin.byteLength} bytes, expected ${4 * count} (count ${count} uint32)`);
    if (xyBin.byteLength !== 8 * count)
      return fail(`${at}: xy holds ${xyBin.byteLength} bytes, expected ${8 * count} (count ${count} float32 pairs)`);
    if (codesBin.byteLength !== count) return fail(`${at}: codes holds ${codesBin.byteLength} bytes, expected ${count}`);
    if (selBin.byteLength !== count) return fail(`${at}: selected holds ${selBin.byteLength} bytes, expected ${count}`);
    const rows = typedView(rowsBin, Uint32Array);
    const xy = typedView(xyBin, Float32Array);
    const codes = typedView(codesBin, Uint8Array);
    const selected = typedView(selBin, Uint8Array);
    tiles.push({ z, x, y, count, total, rows, xy, codes, selected });
  }
  return { ok: true, value: { version: content.version, selection: content.selection, tiles } };
}

/** Bytes of a tile's buffers (what it cost to receive). */
export function tileBytes(tile: Tile): number {
  return tile.count * (4 + 8 + 1 + 1);
}
