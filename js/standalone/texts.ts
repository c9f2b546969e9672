/**
 * What the kernel answers from metadata, answered from the display strings a
 * saved page embeds: tooltip rows, search and `_labels`. Each column stays
 * UTF-8 bytes until it is first needed; then it is decoded once and cached.
 * A missing value (None/NaN in Python) stays distinct from an empty string:
 * the tooltip row says null, search never matches it, its label is "".
 */

import { typedView } from "../contract/binary";
import type { RowValue } from "../contract/protocol";

/** One column: row i is UTF-8 `bytes[offsets[i]:offsets[i + 1]]`. */
export interface TextColumnBytes {
  offsets: Uint32Array;
  bytes: Uint8Array;
}

/** A column as the payload carries it (see payload.TextColumnWire). */
export interface TextColumnBuffers {
  offsets: ArrayBufferView;
  text: ArrayBufferView;
  /** One uint8 per row, 1 (any non-zero) = missing; absent: no row is missing. */
  missing?: ArrayBufferView;
  /** A categorical column: one uint16 per row, the entry of `offsets`/`text` it shows. */
  codes?: ArrayBufferView;
}

interface StoredColumn extends TextColumnBytes {
  /** 1 = row i is missing, else 0 (exactly n bytes); null when no row is. */
  missing: Uint8Array | null;
  /** Row i shows entry codes[i] (exactly n codes); null: row i is entry i. */
  codes: Uint16Array | null;
}

/** `_labels` as the kernel sends it (see encoding.encode_labels). */
export interface LabelsWire {
  column: string;
  indices: DataView;
  offsets: DataView;
  text: DataView;
}

const decoder = new TextDecoder("utf-8");

function view(a: ArrayBufferView): DataView {
  return new DataView(a.buffer, a.byteOffset, a.byteLength);
}

/** UTF-16 code units a UTF-8 byte contributes (continuation bytes none, 4-byte leads two). */
function unitsOf(b: number): number {
  return (b & 0xc0) === 0x80 ? 0 : b >= 0xf0 ? 2 : 1;
}

/**
 * The n strings of a column. The whole text is decoded once and cut at the
 * UTF-16 positions of the byte offsets (one pass over the bytes); malformed
 * UTF-8 or offsets that run backwards fall back to decoding row by row.
 */
export function decodeStrings(col: TextColumnBytes, n: number): string[] {
  const { offsets, bytes } = col;
  const out = new Array<string>(n);
  const at = (j: number): number => Math.min(offsets[j] ?? bytes.length, bytes.length);
  const all = decoder.decode(bytes);
  let p = 0;
  let unit = 0;
  let ok = true;
  for (let j = 0; j < n && ok; j++) {
    const a = at(j);
    const b = Math.max(a, at(j + 1));
    if (a < p) {
      ok = false;
      break;
    }
    while (p < a) unit += unitsOf(bytes[p++]);
    const start = unit;
    while (p < b) unit += unitsOf(bytes[p++]);
    out[j] = all.slice(start, unit);
  }
  if (ok) {
    while (p < bytes.length) unit += unitsOf(bytes[p++]);
    if (unit === all.length) return out;
  }
  for (let j = 0; j < n; j++) {
    const a = at(j);
    out[j] = decoder.decode(bytes.subarray(a, Math.max(a, at(j + 1))));
  }
  return out;
}

export class TextTable {
  /** Column names in display order. */
  readonly names: string[];
  private readonly columns: Map<string, StoredColumn>;
  /** Each column's entries decoded (a categorical column's categories, else its rows). */
  private readonly entries = new Map<string, string[]>();
  private readonly decoded = new Map<string, string[]>();
  private readonly lowered = new Map<string, string[]>();

  /**
   * `order` puts known names first (the `_columns` order); other columns follow. A column with
   * fewer than n + 1 offsets (a categorical one: fewer than n codes, or a code past its
   * entries) or fewer than n missing flags is left out (its rows cannot be told).
   */
  constructor(
    raw: Map<string, TextColumnBuffers>,
    readonly n: number,
    order: readonly string[] = [],
  ) {
    this.columns = new Map();
    for (const [name, c] of raw) {
      const offsets = typedView(c.offsets, Uint32Array);
      let codes: Uint16Array | null = null;
      if (c.codes !== undefined) {
        codes = typedView(c.codes, Uint16Array).subarray(0, n);
        if (codes.length < n || codes.some((code) => code + 1 >= offsets.length)) continue;
      } else if (offsets.length < n + 1) continue;
      let missing: Uint8Array | null = null;
      if (c.missing !== undefined) {
        const flags = typedView(c.missing, Uint8Array);
        if (flags.length < n) continue;
        // Any non-zero flag means missing (as a bool array would); stored as 0/1.
        if (flags.subarray(0, n).some((f) => f !== 0)) missing = Uint8Array.from(flags.subarray(0, n), (f) => (f ? 1 : 0));
      }
      this.columns.set(name, { offsets, bytes: typedView(c.text, Uint8Array), missing, codes });
    }
    const known = order.filter((name) => this.columns.has(name));
    this.names = [...known, ...[...this.columns.keys()].filter((name) => !known.includes(name))];
  }

  has(name: string): boolean {
    return this.columns.has(name);
  }

  /** Whether row `index` of `name` is missing (false for an unknown column or row). */
  isMissing(name: string, index: number): boolean {
    const missing = this.columns.get(name)?.missing;
    return missing ? missing[index] === 1 : false;
  }

  /** A column's entries as strings: its categories when it has codes, else its rows. */
  private entryStrings(col: StoredColumn, name: string): string[] {
    let s = this.entries.get(name);
    if (!s) {
      s = decodeStrings(col, col.codes ? col.offsets.length - 1 : this.n);
      this.entries.set(name, s);
    }
    return s;
  }

  /** Every row of `name` as a string, "" where missing (decoded on first use, then cached). */
  strings(name: string): string[] {
    let s = this.decoded.get(name);
    if (!s) {
      const col = this.columns.get(name);
      if (!col) s = new Array<string>(this.n).fill("");
      else {
        const entries = this.entryStrings(col, name);
        const codes = col.codes;
        s = codes ? Array.from(codes, (code) => entries[code]) : entries.slice();
      }
      const missing = col?.missing;
      if (missing) for (let i = 0; i < this.n; i++) if (missing[i]) s[i] = "";
      this.decoded.set(name, s);
    }
    return s;
  }

  /** Lower-cased entries (categories, or rows) of a column, for substring search. */
  private lower(col: StoredColumn, name: string): string[] {
    let s = this.lowered.get(name);
    if (!s) {
      s = this.entryStrings(col, name).map((t) => t.toLowerCase());
      this.lowered.set(name, s);
    }
    return s;
  }

  /** Where row `index`'s text is in a column's bytes. */
  private span(col: StoredColumn, index: number): [number, number] {
    const j = col.codes ? col.codes[index] : index;
    const a = Math.min(col.offsets[j], col.bytes.length);
    return [a, Math.max(a, Math.min(col.offsets[j + 1], col.bytes.length))];
  }

  /** One row's value, null when missing; does not decode the whole column for a single tooltip. */
  value(name: string, index: number): string | null {
    const col = this.columns.get(name);
    if (!col || !Number.isInteger(index) || index < 0 || index >= this.n) return "";
    if (col.missing?.[index]) return null;
    const cached = this.decoded.get(name);
    if (cached) return cached[index];
    const [a, b] = this.span(col, index);
    return decoder.decode(col.bytes.subarray(a, b));
  }

  /** The tooltip row: [column, value] for every column, as the kernel's `row` reply (null = missing). */
  row(index: number): RowValue[] {
    return this.names.map((name) => [name, this.value(name, index)]);
  }

  /**
   * Sorted rows whose value in `column` (every column when "") matches
   * `query`: a case-insensitive substring, or a RegExp with the "i" flag when
   * `regex`. Missing values never match; an empty string is a value ("^$"
   * finds it), as in search.py. With `visible`, only rows it marks can match.
   * Throws an Error with a user-facing message.
   */
  search(query: string, column: string, regex: boolean, visible: Uint8Array | null = null): Uint32Array {
    if (this.names.length === 0) throw new Error("there is no metadata to search in this saved page");
    if (column && !this.columns.has(column)) {
      throw new Error(`there is no metadata column \u201c${column}\u201d; columns are ${this.names.join(", ")}`);
    }
    let rx: RegExp | null = null;
    if (regex) {
      try {
        rx = new RegExp(query, "i");
      } catch (err) {
        throw new Error(`invalid regular expression \u201c${query}\u201d: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    const needle = query.toLowerCase();
    const n = this.n;
    const hits = new Uint8Array(n);
    for (const name of column ? [column] : this.names) {
      const col = this.columns.get(name);
      if (!col) continue;
      // Each entry (a category, or a row) is tested once, at most.
      const entries = rx ? this.entryStrings(col, name) : this.lower(col, name);
      const verdicts = new Int8Array(entries.length).fill(-1);
      const matches = (j: number): boolean => {
        if (verdicts[j] < 0) verdicts[j] = (rx ? rx.test(entries[j]) : entries[j].includes(needle)) ? 1 : 0;
        return verdicts[j] === 1;
      };
      // A missing row counts as already decided, so it is never tested.
      const skip = col.missing ?? new Uint8Array(n);
      const codes = col.codes;
      for (let i = 0; i < n; i++) if (hits[i] === 0 && skip[i] === 0 && matches(codes ? codes[i] : i)) hits[i] = 1;
    }
    let count = 0;
    for (let i = 0; i < n; i++) {
      if (visible && i < visible.length && visible[i] === 0) hits[i] = 0;
      count += hits[i];
    }
    const out = new Uint32Array(count);
    for (let i = 0, k = 0; k < count; i++) if (hits[i]) out[k++] = i;
    return out;
  }

  /**
   * The `_labels` value for `column`: every row when `rows` is null (the
   * column's own buffers, no copy, when no row is missing), else those sorted
   * rows. A missing row's label is "" (not drawn). Null when the column is unknown.
   */
  labels(column: string, rows: Uint32Array | null): LabelsWire | null {
    const col = this.columns.get(column);
    if (!col) return null;
    if (rows === null && (col.missing || col.codes)) rows = Uint32Array.from({ length: this.n }, (_, i) => i);
    if (rows === null) {
      const indices = new Uint32Array(this.n);
      for (let i = 0; i < this.n; i++) indices[i] = i;
      return { column, indices: view(indices), offsets: view(col.offsets.subarray(0, this.n + 1)), text: view(col.bytes) };
    }
    const kept = rows.filter((r) => r < this.n);
    const offsets = new Uint32Array(kept.length + 1);
    const span = (r: number): [number, number] => (col.missing?.[r] ? [0, 0] : this.span(col, r));
    for (let j = 0; j < kept.length; j++) {
      const [a, b] = span(kept[j]);
      offsets[j + 1] = offsets[j] + (b - a);
    }
    const text = new Uint8Array(offsets[kept.length]);
    for (let j = 0; j < kept.length; j++) {
      const [a, b] = span(kept[j]);
      text.set(col.bytes.subarray(a, b), offsets[j]);
    }
    return { column, indices: view(kept), offsets: view(offsets), text: view(text) };
  }
}
