/**
 * The metadata on the wire: `_columns` (category codes and numbers as typed arrays; text columns
 * carry only their name), `_labels` (the texts drawn beside the points) and `_neighbors` (a
 * row's or a query's nearest rows). Pure functions, no DOM.
 */
import { isBinary, typedView } from "./binary";
import { finiteOr, isObjectLike } from "./guards";

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

function decodeColumn(raw: unknown): Column | null {
  if (!isObjectLike(raw) || typeof raw.name !== "string") return null;
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

/** `_labels` decoded: the label of row `indices[j]` is `texts[j]`. */
export interface Labels {
  column: string;
  /** Sorted row indices. */
  indices: Uint32Array;
  texts: string[];
}

/** Decode `_labels` (UTF-8 text with offsets); null when empty or malformed. */
export function decodeLabels(raw: unknown): Labels | null {
  if (!isObjectLike(raw) || !isBinary(raw.indices) || !isBinary(raw.offsets) || !isBinary(raw.text)) return null;
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

/** `_neighbors` decoded, closest first. */
export interface Neighbors {
  /** Row the neighbours are of; -1 when they answer a semantic query. */
  index: number;
  query: string | null;
  indices: Uint32Array;
  distances: Float32Array;
  labels: string[];
  /** The column `labels` are the texts of ("" when the rows are only numbered, "#12"). */
  column: string;
}

export function decodeNeighbors(raw: unknown): Neighbors | null {
  if (!isObjectLike(raw) || !isBinary(raw.indices)) return null;
  const indices = typedView(raw.indices, Uint32Array);
  const dist = isBinary(raw.distances) ? typedView(raw.distances, Float32Array) : new Float32Array(0);
  const distances = new Float32Array(indices.length).fill(NaN);
  distances.set(dist.subarray(0, indices.length));
  const rawLabels = Array.isArray(raw.labels) ? raw.labels : [];
  const labels = Array.from(indices, (_, j) => (rawLabels[j] === undefined || rawLabels[j] === null ? "" : String(rawLabels[j])));
  const index = typeof raw.index === "number" && Number.isInteger(raw.index) ? raw.index : -1;
  const query = typeof raw.query === "string" ? raw.query : null;
  const column = typeof raw.column === "string" ? raw.column : "";
  return { index, query, indices, distances, labels, column };
}

/** Format a distance with 4 significant digits. */
export function formatDistance(d: number): string {
  if (!Number.isFinite(d)) return "";
  return Number(d.toPrecision(4)).toString();
}
