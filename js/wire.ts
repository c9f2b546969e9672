/**
 * The wire format: decode (and, for the selection, encode) the binary model
 * state that `projector_widget/encoding.py` produces. Pure functions, no DOM.
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
  /** Per-axis lower bound (length 3; unused axes are 0). */
  lo: [number, number, number];
  /** Per-axis upper bound (length 3; unused axes are 0). */
  hi: [number, number, number];
  coords: Uint16Array;
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

/** A row of metadata sent by Python for the tooltip. */
export interface RowReply {
  type: "row";
  index: number;
  values: [string, string][];
}

type TypedArrayCtor<T extends ArrayBufferView> = {
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): T;
  new (length: number): T;
  readonly BYTES_PER_ELEMENT: number;
};

function isBinary(x: unknown): x is Binary {
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

/** Decode `_points`; returns null for an empty or malformed value. */
export function decodePoints(raw: unknown): Points | null {
  if (!isObject(raw) || !isBinary(raw.data)) return null;
  const dims = raw.dims === 3 ? 3 : raw.dims === 2 ? 2 : null;
  if (dims === null) return null;
  const n = Math.max(0, Math.floor(finiteOr(raw.n, 0)));
  const coords = typedView(raw.data, Uint16Array);
  if (coords.length < n * dims) {
    throw new Error(`_points: expected ${n * dims} uint16 values, got ${coords.length}`);
  }
  const lo: [number, number, number] = [0, 0, 0];
  const hi: [number, number, number] = [0, 0, 0];
  const rawLo = Array.isArray(raw.lo) ? raw.lo : [];
  const rawHi = Array.isArray(raw.hi) ? raw.hi : [];
  for (let a = 0; a < dims; a++) {
    lo[a] = finiteOr(rawLo[a], 0);
    hi[a] = finiteOr(rawHi[a], lo[a]);
  }
  return { n, dims, lo, hi, coords: coords.subarray(0, n * dims) };
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
      typeof raw.missing_code === "number" && Number.isInteger(raw.missing_code) && raw.missing_code >= 0
        ? raw.missing_code
        : -1;
    return { name, kind: "category", categories, counts, codes, missingCode };
  }
  if (raw.kind === "number") {
    if (!isBinary(raw.values)) return null;
    const values = typedView(raw.values, Float32Array);
    const min = typeof raw.min === "number" ? raw.min : NaN;
    const max = typeof raw.max === "number" ? raw.max : NaN;
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

/** Decode `selected` into sorted unique row indices (empty for null); unsorted input is repaired. */
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
  const own =
    indices.byteOffset === 0 && indices.byteLength === indices.buffer.byteLength ? indices : indices.slice();
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

/** Parse a custom message from Python; null unless it is a row reply. */
export function decodeRowReply(msg: unknown): RowReply | null {
  if (!isObject(msg) || msg.type !== "row" || typeof msg.index !== "number") return null;
  const values: [string, string][] = [];
  if (Array.isArray(msg.values)) {
    for (const pair of msg.values) {
      if (Array.isArray(pair) && pair.length >= 2) values.push([String(pair[0]), String(pair[1])]);
    }
  }
  return { type: "row", index: msg.index, values };
}
