/**
 * Property-based tests of what a saved page is read from (payload.ts, texts.ts): base64, the
 * payload's JSON with its buffers, and the text table that stands in for the kernel's metadata.
 * Valid pages decode exactly, missing values stay distinct from empty strings, and a malformed
 * page fails with one of the documented messages or loses only the malformed column.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeLabels } from "../contract/wireColumns";
import { dataViewAt, PROPERTY_RUNS } from "../testing";
import { decodeBase64, decodePayload, reviveBuffers } from "./payload";
import { decodeStrings, TextTable } from "./texts";

const run = (p: fc.IProperty<unknown[]>) => fc.assert(p, PROPERTY_RUNS);

/** Base64 through the platform's btoa (independent of the decoder under test). */
function toB64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

/** Any text a value can hold (no lone surrogates: UTF-8 cannot carry them, Python cannot either). */
const text = fc.oneof(
  fc.string({ unit: "binary", maxLength: 12 }),
  fc.constantFrom(
    "",
    "\t",
    "\n",
    "\r",
    "a\rb",
    "  ",
    "nan",
    "None",
    "\u00c9t\u00e9",
    "e\u0301",
    "\u{1f600}",
    "<img src=x onerror=alert(1)>",
  ),
);
/** A value: text, or null for a missing one. */
const value = fc.option(text, { nil: null, freq: 4 });

/** The payload form of a column, as formats/html.py writes it. */
function textColumn(values: (string | null)[], at = 0): Record<string, unknown> {
  const enc = new TextEncoder();
  const parts = values.map((s) => enc.encode(s ?? ""));
  const offsets = new Uint32Array(parts.length + 1);
  for (const [i, p] of parts.entries()) offsets[i + 1] = offsets[i] + p.length;
  const bytes = new Uint8Array(offsets[parts.length]);
  for (const [i, p] of parts.entries()) bytes.set(p, offsets[i]);
  const b64 = (a: ArrayBufferView) => ({ $b64: toB64(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)) });
  const out: Record<string, unknown> = { offsets: b64(dataViewAt(offsets, at)), text: b64(bytes) };
  if (values.includes(null)) out.missing = b64(Uint8Array.from(values, (v) => (v === null ? 1 : 0)));
  return out;
}

/** Columns of n rows each, by name (names unique, "__proto__" possible). */
const table = fc.nat({ max: 40 }).chain((n) =>
  fc
    .uniqueArray(fc.tuple(fc.oneof(text, fc.constant("__proto__")), fc.array(value, { minLength: n, maxLength: n })), {
      maxLength: 4,
      selector: (c) => c[0],
    })
    .map((cols) => ({ n, cols })),
);

function tableOf(n: number, cols: [string, (string | null)[]][]): TextTable {
  const decoded = decodePayload({ version: 1, state: {}, texts: Object.fromEntries(cols.map(([k, v]) => [k, textColumn(v)])) });
  return new TextTable(decoded.texts, n);
}

describe("base64 (property)", () => {
  it("decodes any bytes, padded, unpadded or URL-safe", () => {
    run(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.constantFrom("padded", "bare", "url"), (bytes, form) => {
        let s = toB64(bytes);
        if (form !== "padded") s = s.replace(/=+$/, "");
        if (form === "url") s = s.replace(/\+/g, "-").replace(/\//g, "_");
        expect(decodeBase64(s)).toEqual(bytes);
      }),
    );
  });

  it("decodes any string or refuses it as invalid base64", () => {
    run(
      fc.property(fc.oneof(fc.string(), fc.base64String()), (s) => {
        try {
          expect(decodeBase64(s)).toBeInstanceOf(Uint8Array);
        } catch (err) {
          expect((err as Error).message).toMatch(/^invalid base64: /);
        }
      }),
    );
  });
});

describe("decodePayload (property)", () => {
  it("keeps every JSON value without buffers as it was, every key an own property", () => {
    const json = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.dictionary(fc.constantFrom("__proto__", "constructor", "a"), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
    );
    run(
      fc.property(json, (v) => {
        const raw = JSON.parse(JSON.stringify(v));
        const out = reviveBuffers(raw);
        expect(JSON.stringify(out)).toBe(JSON.stringify(raw));
        const state = decodePayload({ version: 1, state: { v: raw } }).state;
        expect(Object.keys(state)).toEqual(["v"]);
        expect(JSON.stringify(state.v)).toBe(JSON.stringify(raw));
      }),
    );
  });

  it("decodes the rows of every column, missing values as null, the empty string as itself", () => {
    run(
      fc.property(table, ({ n, cols }) => {
        const t = tableOf(n, cols);
        expect(t.names).toEqual(cols.map((c) => c[0]));
        for (let i = 0; i < n; i++) expect(t.row(i)).toEqual(cols.map(([name, values]) => [name, values[i]]));
        for (const [name, values] of cols) {
          expect(t.strings(name)).toEqual(values.map((v) => v ?? ""));
          // Labels: a missing row is "" (not drawn), every other row its text.
          expect(decodeLabels(t.labels(name, null))?.texts).toEqual(values.map((v) => v ?? ""));
        }
      }),
    );
  });

  it("never matches a missing value, and matches exactly what the kernel's rule matches", () => {
    run(
      fc.property(
        table,
        fc.oneof(text, fc.constantFrom("", "a", "N")),
        fc.constantFrom("^$", ".", "^a", "\\s"),
        (data, needle, pattern) => {
          const { n, cols } = data;
          if (cols.length === 0) return;
          const t = tableOf(n, cols);
          const expected = (test: (v: string) => boolean) =>
            Array.from({ length: n }, (_, i) => i).filter((i) =>
              cols.some(([, values]) => values[i] !== null && test(values[i] as string)),
            );
          const rx = new RegExp(pattern, "i");
          expect(Array.from(t.search(pattern, "", true))).toEqual(expected((v) => rx.test(v)));
          expect(Array.from(t.search(needle, "", false))).toEqual(expected((v) => v.toLowerCase().includes(needle.toLowerCase())));
          const [first, values] = cols[0];
          if (first === "") return; // "" names no column in a search request: it means every column
          expect(Array.from(t.search("^$", first, true))).toEqual(values.flatMap((v, i) => (v === "" ? [i] : [])));
        },
      ),
    );
  });

  it("opens any payload or refuses it with a readable message; never throws anything else", () => {
    const b64 = fc.oneof(
      fc.base64String().map(($b64) => ({ $b64 })),
      fc.string().map(($b64) => ({ $b64 })),
    );
    const column = fc.record(
      { offsets: fc.oneof(b64, fc.anything()), text: fc.oneof(b64, fc.anything()), missing: fc.oneof(b64, fc.anything()) },
      { requiredKeys: [] },
    );
    const raw = fc.oneof(
      fc.anything(),
      fc.record(
        {
          version: fc.oneof(fc.constant(1), fc.anything()),
          state: fc.oneof(fc.dictionary(fc.string(), fc.oneof(b64, fc.jsonValue({ maxDepth: 2 }))), fc.anything()),
          points_by_dims: fc.oneof(fc.record({ "2": fc.anything(), "3": fc.dictionary(fc.string(), b64) }), fc.anything()),
          texts: fc.oneof(fc.dictionary(fc.string(), fc.oneof(column, fc.anything())), fc.anything()),
        },
        { requiredKeys: [] },
      ),
    );
    const messages =
      /^(the saved page holds no widget data|this page was saved with payload version .*; this widget reads version 1|the saved page has no widget state|invalid base64: .*)$/s;
    run(
      fc.property(raw, fc.nat({ max: 30 }), (r, n) => {
        let d: ReturnType<typeof decodePayload>;
        try {
          d = decodePayload(r);
        } catch (err) {
          expect(err).toBeInstanceOf(Error);
          expect((err as Error).message).toMatch(messages);
          return;
        }
        for (const c of d.texts.values()) {
          expect(c.offsets).toBeInstanceOf(DataView);
          expect(c.text).toBeInstanceOf(DataView);
          if (c.missing !== undefined) expect(c.missing).toBeInstanceOf(DataView);
        }
        // Whatever columns it holds, the table answers without throwing.
        const t = new TextTable(d.texts, n);
        for (const name of t.names) {
          expect(t.strings(name).length).toBe(n);
          const labels = decodeLabels(t.labels(name, null));
          expect(labels?.texts.length).toBe(n);
        }
        if (n > 0) expect(t.row(n - 1).length).toBe(t.names.length);
        if (t.names.length > 0) expect(t.search("a", "", false)).toBeInstanceOf(Uint32Array);
      }),
    );
  });
});

describe("decodeStrings (property)", () => {
  it("cuts any column at its offsets, non-ASCII and control characters included", () => {
    run(
      fc.property(fc.array(text, { maxLength: 50 }), (values) => {
        const enc = new TextEncoder();
        const parts = values.map((s) => enc.encode(s));
        const offsets = new Uint32Array(parts.length + 1);
        for (const [i, p] of parts.entries()) offsets[i + 1] = offsets[i] + p.length;
        const bytes = new Uint8Array(offsets[parts.length]);
        for (const [i, p] of parts.entries()) bytes.set(p, offsets[i]);
        expect(decodeStrings({ offsets, bytes }, values.length)).toEqual(values);
      }),
    );
  });

  it("gives n strings for any bytes and offsets, as a row-by-row decode would", () => {
    run(
      fc.property(
        fc.uint8Array({ maxLength: 80 }),
        fc.array(fc.nat({ max: 100 }), { maxLength: 20 }),
        fc.nat({ max: 25 }),
        (bytes, offs, n) => {
          const offsets = Uint32Array.from(offs);
          const out = decodeStrings({ offsets, bytes }, n);
          expect(out.length).toBe(n);
          const dec = new TextDecoder();
          const at = (j: number) => Math.min(offsets[j] ?? bytes.length, bytes.length);
          for (let j = 0; j < n; j++) expect(out[j]).toBe(dec.decode(bytes.subarray(at(j), Math.max(at(j), at(j + 1)))));
        },
      ),
    );
  });
});
