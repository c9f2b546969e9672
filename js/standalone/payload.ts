/**
 * The payload of a saved page (`Projector.save_html`): the model state as it
 * was, the points of each embedded dimensionality, and every column as
 * display strings. Binary buffers arrive as `{"$b64": "..."}` and are turned
 * into DataViews here, the same shape the kernel's binary frames have.
 */
import { isObject } from "../contract/guards";

/**
 * One column's display strings: row i is UTF-8 `text[offsets[i]:offsets[i + 1]]` (uint32 offsets,
 * n + 1), and `missing`, when present, one uint8 per row (1 = the value is missing, None/NaN in
 * Python; its text is ""). No `missing` means no row is missing. A categorical column has
 * `codes`, one uint16 per row: then the offsets and text hold each category once, and row i is
 * category `codes[i]`.
 */
export interface TextColumnWire {
  offsets: DataView;
  text: DataView;
  missing?: DataView;
  codes?: DataView;
}

/** The JSON a saved page carries (version 1). */
export interface StandalonePayload {
  version: number;
  /** Every synced trait by name, plus `_standalone: true`. */
  state: Record<string, unknown>;
  /** `_points` values by dimensionality ("2", "3"): one or both. */
  points_by_dims?: Record<string, unknown>;
  /** Display strings of every row per column (`TextColumnWire`, buffers as `{"$b64": ...}`). */
  texts?: Record<string, unknown>;
}

/** The payload with its buffers decoded. */
export interface DecodedPayload {
  state: Record<string, unknown>;
  pointsByDims: Map<2 | 3, unknown>;
  /** Well-formed columns only: one whose buffers are absent or not base64 is left out. */
  texts: Map<string, TextColumnWire>;
}

export const PAYLOAD_VERSION = 1;

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const INVALID = 255;
/** Character code -> 6-bit value (INVALID elsewhere); also accepts the URL-safe "-" and "_". */
const TABLE: Uint8Array = (() => {
  const t = new Uint8Array(256).fill(INVALID);
  for (let i = 0; i < ALPHABET.length; i++) t[ALPHABET.charCodeAt(i)] = i;
  t["-".charCodeAt(0)] = 62;
  t["_".charCodeAt(0)] = 63;
  return t;
})();

function sextet(s: string, i: number): number {
  const c = s.charCodeAt(i);
  const v = c < 256 ? TABLE[c] : INVALID;
  if (v === INVALID) throw new Error(`invalid base64: unexpected character at position ${i}`);
  return v;
}

/**
 * Decode base64 (padded or not) into bytes in one pass over the string: no
 * intermediate binary string and no per-byte objects.
 */
export function decodeBase64(s: string): Uint8Array {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 61 /* = */) end--;
  const rem = end & 3;
  if (rem === 1) throw new Error("invalid base64: truncated input");
  const out = new Uint8Array((end * 3) >> 2);
  const full = end - rem;
  let o = 0;
  for (let i = 0; i < full; i += 4) {
    const v = (sextet(s, i) << 18) | (sextet(s, i + 1) << 12) | (sextet(s, i + 2) << 6) | sextet(s, i + 3);
    out[o++] = v >>> 16;
    out[o++] = (v >>> 8) & 255;
    out[o++] = v & 255;
  }
  if (rem >= 2) {
    const v = (sextet(s, full) << 18) | (sextet(s, full + 1) << 12) | (rem === 3 ? sextet(s, full + 2) << 6 : 0);
    out[o++] = v >>> 16;
    if (rem === 3) out[o++] = (v >>> 8) & 255;
  }
  return out;
}

/** A DataView over the bytes of a base64 string (its own buffer, offset 0). */
export function base64ToDataView(s: string): DataView {
  const bytes = decodeBase64(s);
  return new DataView(bytes.buffer, 0, bytes.byteLength);
}

/**
 * Replace every `{"$b64": string}` inside `value` with a DataView (returns new containers; every
 * key stays an own property, "__proto__" included). Throws "invalid base64: ..." on a bad string.
 */
export function reviveBuffers(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reviveBuffers);
  if (!isObject(value)) return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && keys[0] === "$b64" && typeof value.$b64 === "string") return base64ToDataView(value.$b64);
  return Object.fromEntries(keys.map((k) => [k, reviveBuffers(value[k])]));
}

/** A text column, or null when its buffers are absent or of the wrong kind (it is left out). */
function decodeTextColumn(raw: unknown): TextColumnWire | null {
  const c = reviveBuffers(raw);
  if (!isObject(c) || !(c.offsets instanceof DataView) || !(c.text instanceof DataView)) return null;
  const out: TextColumnWire = { offsets: c.offsets, text: c.text };
  for (const key of ["missing", "codes"] as const) {
    if (c[key] === undefined) continue;
    const buffer = c[key];
    if (!(buffer instanceof DataView)) return null;
    out[key] = buffer;
  }
  return out;
}

/**
 * Check and decode a payload; throws an Error with a readable message when it is not one: not an
 * object, another version, no state, or a bad base64 string anywhere. Never throws anything else;
 * a text column without its buffers is left out.
 */
export function decodePayload(raw: unknown): DecodedPayload {
  if (!isObject(raw)) throw new Error("the saved page holds no widget data");
  if (raw.version !== PAYLOAD_VERSION) {
    const v = typeof raw.version === "number" || typeof raw.version === "string" ? raw.version : "(none)";
    throw new Error(`this page was saved with payload version ${v}; this widget reads version ${PAYLOAD_VERSION}`);
  }
  if (!isObject(raw.state)) throw new Error("the saved page has no widget state");
  const state = reviveBuffers(raw.state) as Record<string, unknown>;
  const pointsByDims = new Map<2 | 3, unknown>();
  if (isObject(raw.points_by_dims)) {
    for (const d of [2, 3] as const) {
      const p = raw.points_by_dims[String(d)];
      if (isObject(p)) pointsByDims.set(d, reviveBuffers(p));
    }
  }
  const texts = new Map<string, TextColumnWire>();
  if (isObject(raw.texts)) {
    for (const [name, col] of Object.entries(raw.texts)) {
      const c = decodeTextColumn(col);
      if (c) texts.set(name, c);
    }
  }
  return { state, pointsByDims, texts };
}
