import { describe, expect, it } from "vitest";
import { decodeLabels } from "../contract/wireColumns";
import { decodePoints } from "../contract/wirePoints";
import { decodeSelection, encodeSelection } from "../contract/wireSelection";
import { SPEC_WIRE, seededRandom } from "../testing";
import { LocalModel } from "./model";
import { base64ToDataView, decodeBase64, decodePayload, reviveBuffers, type StandalonePayload } from "./payload";
import { decodeStrings, TextTable } from "./texts";

// ------------------------------------------------------------- helpers

/** Base64 through the platform's btoa (independent of the decoder under test). */
function toB64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function b64(a: ArrayBufferView): { $b64: string } {
  return { $b64: toB64(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)) };
}

type B64 = { $b64: string };

/**
 * The payload form of a text column (row i = strings[i]; null = missing, written as "" with a
 * `missing` flag, as formats/html.py does; no `missing` when no row is).
 */
function textColumn(strings: (string | null)[]): { offsets: B64; text: B64; missing?: B64 } {
  const enc = new TextEncoder();
  const parts = strings.map((s) => enc.encode(s ?? ""));
  const offsets = new Uint32Array(parts.length + 1);
  for (const [i, p] of parts.entries()) offsets[i + 1] = offsets[i] + p.length;
  const text = new Uint8Array(offsets[parts.length]);
  for (const [i, p] of parts.entries()) text.set(p, offsets[i]);
  if (!strings.includes(null)) return { offsets: b64(offsets), text: b64(text) };
  return { offsets: b64(offsets), text: b64(text), missing: b64(Uint8Array.from(strings, (s) => (s === null ? 1 : 0))) };
}

function pointsValue(n: number, dims: 2 | 3): Record<string, unknown> {
  const q = new Uint16Array(n * dims);
  for (let i = 0; i < q.length; i++) q[i] = (i * 7919) % 65536;
  return { n, dims, lo: Array(dims).fill(-1), hi: Array(dims).fill(1), data: b64(q) };
}

function tableOf(cols: Record<string, (string | null)[]>): TextTable {
  const n = Object.values(cols)[0]?.length ?? 0;
  const decoded = decodePayload({
    version: 1,
    state: {},
    texts: Object.fromEntries(Object.entries(cols).map(([k, v]) => [k, textColumn(v)])),
  });
  return new TextTable(decoded.texts, n);
}

const NAMES = ["Alice", "bob", "", "Carol <script>alert(1)</script>", "ALICE-2", "dave"];
const KINDS = ["cat", "dog", "cat", "", "bird", "Dog"];

function payload(extra: Partial<StandalonePayload> = {}, state: Record<string, unknown> = {}): StandalonePayload {
  const n = NAMES.length;
  return {
    version: 1,
    state: {
      _points: pointsValue(n, 3),
      _columns: [
        {
          name: "kind",
          kind: "category",
          categories: ["cat", "dog"],
          counts: [2, 1],
          codes: b64(new Uint8Array(n)),
          code_bytes: 1,
          missing_code: -1,
        },
        { name: "name", kind: "text" },
      ],
      dimensions: 3,
      label_by: "",
      selected: { indices: b64(new Uint32Array(0)) },
      _labels: {},
      _standalone: true,
      _spec: SPEC_WIRE,
      ...state,
    },
    points_by_dims: { "2": pointsValue(n, 2), "3": pointsValue(n, 3) },
    texts: { name: textColumn(NAMES), kind: textColumn(KINDS) },
    ...extra,
  };
}

/** Messages and change events a LocalModel emits, in order. */
function record(model: LocalModel, events: string[]): { log: [string, unknown][] } {
  const log: [string, unknown][] = [];
  for (const e of events) model.on(e, ((...args: unknown[]) => log.push([e, e === "msg:custom" ? args[0] : args[1]])) as never);
  return { log };
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

/** The label limit of the saved `_spec`. */
const ALL_LABELS_MAX = SPEC_WIRE.all_labels_max;

// ------------------------------------------------------------- base64

describe("decodeBase64", () => {
  it("decodes every length, with and without padding", () => {
    const rand = seededRandom(7);
    for (let len = 0; len < 40; len++) {
      const bytes = Uint8Array.from({ length: len }, () => Math.floor(rand() * 256));
      const s = toB64(bytes);
      expect(Array.from(decodeBase64(s))).toEqual(Array.from(bytes));
      expect(Array.from(decodeBase64(s.replace(/=+$/, "")))).toEqual(Array.from(bytes));
    }
  });

  it("accepts the URL-safe alphabet and rejects garbage", () => {
    expect(Array.from(decodeBase64("-_8"))).toEqual([0xfb, 0xff]);
    expect(() => decodeBase64("ab!d")).toThrow(/position 2/);
    expect(() => decodeBase64("abcde")).toThrow(/truncated/);
    expect(() => decodeBase64("ab\u0100d")).toThrow(/invalid base64/);
  });

  it("gives a little-endian DataView the wire decoders read", () => {
    const dv = base64ToDataView(toB64(new Uint8Array([1, 0, 0, 0, 0xff, 0xff])));
    expect(dv.byteLength).toBe(6);
    expect(dv.getUint32(0, true)).toBe(1);
    expect(dv.getUint16(4, true)).toBe(65535);
  });

  it("decodes 1M points (6 MB) exactly and in well under a second", () => {
    const n = 1_000_000;
    const q = new Uint16Array(n * 3);
    for (let i = 0; i < q.length; i++) q[i] = (i * 2654435761) >>> 16;
    const s = toB64(new Uint8Array(q.buffer));
    const t0 = performance.now();
    const dv = base64ToDataView(s);
    const ms = performance.now() - t0;
    expect(dv.byteLength).toBe(n * 6);
    const back = new Uint16Array(dv.buffer, dv.byteOffset, n * 3);
    expect(back[0]).toBe(q[0]);
    expect(back[n * 3 - 1]).toBe(q[n * 3 - 1]);
    let same = true;
    for (let i = 0; i < q.length; i += 997) if (back[i] !== q[i]) same = false;
    expect(same).toBe(true);
    expect(ms).toBeLessThan(800);
  });
});

describe("decodePayload", () => {
  it("turns nested $b64 objects into DataViews and keeps everything else", () => {
    const r = reviveBuffers({ a: [1, { $b64: "AQID" }], b: { c: "x", d: null }, e: { $b64: "AQ==", other: 1 } }) as Record<string, unknown>;
    const a = r.a as unknown[];
    expect(a[0]).toBe(1);
    expect(a[1]).toBeInstanceOf(DataView);
    expect(Array.from(new Uint8Array((a[1] as DataView).buffer))).toEqual([1, 2, 3]);
    expect(r.b).toEqual({ c: "x", d: null });
    // Only an object with exactly the one key is a buffer.
    expect(r.e).toEqual({ $b64: "AQ==", other: 1 });
  });

  it("keeps a key called __proto__ as an own key (found by the property test)", () => {
    const raw = JSON.parse('{"version":1,"state":{"bookmarks":{"__proto__":[1],"b":{"$b64":"AQ=="}}}}');
    const bookmarks = decodePayload(raw).state.bookmarks as Record<string, unknown>;
    expect(Object.keys(bookmarks)).toEqual(["__proto__", "b"]);
    expect(Object.getOwnPropertyDescriptor(bookmarks, "__proto__")?.value).toEqual([1]);
    expect(Object.getPrototypeOf(bookmarks)).toBe(Object.prototype);
    expect(bookmarks.b).toBeInstanceOf(DataView);
  });

  it("decodes state buffers the wire decoders accept", () => {
    const d = decodePayload(payload({}, { selected: { indices: b64(Uint32Array.of(1, 4)) } }));
    expect(Array.from(decodeSelection(d.state.selected))).toEqual([1, 4]);
    expect(decodePoints(d.pointsByDims.get(2))?.dims).toBe(2);
    expect([...d.texts.keys()].sort()).toEqual(["kind", "name"]);
  });

  it("refuses other versions and missing state with a message", () => {
    expect(() => decodePayload({ version: 2, state: {} })).toThrow(/version 2/);
    expect(() => decodePayload({ version: 1 })).toThrow(/no widget state/);
    expect(() => decodePayload(null)).toThrow();
  });
});

// ---------------------------------------------------------------- text

describe("TextTable", () => {
  it("decodes non-ASCII rows at the right places", () => {
    const rows = ["héllo", "", "😀 smile", "日本語", "plain", "e\u0301"];
    const t = tableOf({ s: rows });
    expect(t.strings("s")).toEqual(rows);
    expect(t.value("s", 3)).toBe("日本語");
  });

  it("falls back to row-by-row decoding for malformed UTF-8", () => {
    const bytes = Uint8Array.of(0x61, 0xc3, 0x62, 0x63); // "a", a broken lead byte, "bc"
    const out = decodeStrings({ offsets: Uint32Array.of(0, 1, 2, 4), bytes }, 3);
    expect(out[0]).toBe("a");
    expect(out[2]).toBe("bc");
  });

  it("searches substrings case-insensitively; an empty string is a value", () => {
    const t = tableOf({ name: NAMES, kind: KINDS });
    expect(Array.from(t.search("alice", "name", false))).toEqual([0, 4]);
    expect(Array.from(t.search("DOG", "kind", false))).toEqual([1, 5]);
    expect(Array.from(t.search("", "name", false))).toEqual([0, 1, 2, 3, 4, 5]);
    expect(Array.from(t.search("<script>", "name", false))).toEqual([3]);
    expect(Array.from(t.search("a.i", "name", false))).toEqual([]); // literal, not a pattern
  });

  it("searches every column when the column is empty", () => {
    const t = tableOf({ name: NAMES, kind: KINDS });
    expect(Array.from(t.search("o", "", false))).toEqual([1, 3, 5]); // "bob"/"dog", "Carol", "Dog"
    expect(Array.from(t.search("b", "", false))).toEqual([1, 4]); // "bob", "bird"
  });

  it("searches with regular expressions (case-insensitive) and reports invalid ones", () => {
    const t = tableOf({ name: NAMES, kind: KINDS });
    expect(Array.from(t.search("^a", "name", true))).toEqual([0, 4]);
    expect(Array.from(t.search("^(cat|bird)$", "kind", true))).toEqual([0, 2, 4]);
    expect(Array.from(t.search("^$", "name", true))).toEqual([2]); // the empty string, a value
    expect(() => t.search("(", "name", true)).toThrow(/invalid regular expression/);
    expect(() => t.search("x", "nope", false)).toThrow(/no metadata column/);
  });

  it("only matches visible rows when points are isolated", () => {
    const t = tableOf({ name: NAMES });
    expect(Array.from(t.search("a", "name", false, Uint8Array.of(1, 1, 1, 0, 0, 1)))).toEqual([0, 5]);
  });

  it("searches 200k rows quickly", () => {
    const n = 200_000;
    const rows = Array.from({ length: n }, (_, i) => `item ${i} ${i % 7 === 0 ? "Seven" : "other"}`);
    const t = tableOf({ s: rows });
    const t0 = performance.now();
    const hits = t.search("seven", "s", false);
    const hits2 = t.search("seven", "s", false);
    const ms = performance.now() - t0;
    expect(hits.length).toBe(Math.ceil(n / 7));
    expect(hits2.length).toBe(hits.length);
    expect(hits[1]).toBe(7);
    expect(ms).toBeLessThan(1500);
  });

  it("builds _labels for all rows or for chosen rows", () => {
    const t = tableOf({ name: NAMES });
    const all = decodeLabels(t.labels("name", null));
    expect(all?.column).toBe("name");
    expect(Array.from(all?.indices ?? [])).toEqual([0, 1, 2, 3, 4, 5]);
    expect(all?.texts).toEqual(NAMES);
    const some = decodeLabels(t.labels("name", Uint32Array.of(1, 3, 99)));
    expect(Array.from(some?.indices ?? [])).toEqual([1, 3]);
    expect(some?.texts).toEqual(["bob", "Carol <script>alert(1)</script>"]);
    expect(t.labels("nope", null)).toBeNull();
  });
});

// ------------------------------------------------- categorical columns

describe("a categorical column in a saved page", () => {
  /**
   * The payload form of a categorical column (formats/html.py): each category's text once, a
   * uint16 code per row, and the missing flags (the missing category's text is "").
   */
  function categoryColumn(categories: string[], codes: number[], missing?: number[]): Record<string, B64> {
    const { offsets, text } = textColumn(categories);
    const col: Record<string, B64> = { offsets, text, codes: b64(Uint16Array.from(codes)) };
    if (missing) col.missing = b64(Uint8Array.from(missing));
    return col;
  }
  // Rows: cat, Dog, cat, (missing), bird, Dog.
  const KIND = categoryColumn(["cat", "Dog", "bird", ""], [0, 1, 0, 3, 2, 1], [0, 0, 0, 1, 0, 0]);
  const table = (col: Record<string, B64>, n = 6): TextTable =>
    new TextTable(decodePayload({ version: 1, state: {}, texts: { kind: col } }).texts, n);

  it("reads every row through its category", () => {
    const t = table(KIND);
    expect(t.strings("kind")).toEqual(["cat", "Dog", "cat", "", "bird", "Dog"]);
    expect(t.value("kind", 4)).toBe("bird");
    expect(t.value("kind", 3)).toBeNull();
    expect(t.row(1)).toEqual([["kind", "Dog"]]);
  });

  it("searches, never matching the missing rows", () => {
    const t = table(KIND);
    expect(Array.from(t.search("dog", "kind", false))).toEqual([1, 5]);
    expect(Array.from(t.search("^(cat|bird)$", "kind", true))).toEqual([0, 2, 4]);
    expect(Array.from(t.search("^$", "kind", true))).toEqual([]);
  });

  it("labels all rows or chosen rows", () => {
    const t = table(KIND);
    expect(decodeLabels(t.labels("kind", null))?.texts).toEqual(["cat", "Dog", "cat", "", "bird", "Dog"]);
    expect(decodeLabels(t.labels("kind", Uint32Array.of(3, 4, 5)))?.texts).toEqual(["", "bird", "Dog"]);
  });

  it("leaves out a column whose codes are too few or name no category", () => {
    expect(table(categoryColumn(["a", "b"], [0, 1, 0]), 4).names).toEqual([]);
    expect(table(categoryColumn(["a", "b"], [0, 2, 0]), 3).names).toEqual([]);
  });

  it("matches a long value once, not once per row", () => {
    const n = 20_000;
    const long = "x".repeat(1_000_000);
    const t = table(
      categoryColumn(
        [long, "y"],
        Array.from({ length: n }, (_, i) => i % 2),
      ),
      n,
    );
    const t0 = performance.now();
    const hits = t.search("x{1000}", "kind", true);
    const found = t.search("Y", "kind", false);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(hits.length).toBe(n / 2);
    expect(found[0]).toBe(1);
  });
});

// ------------------------------------------------------- missing values

describe("missing values in a saved page", () => {
  // "" is an empty string, null a missing value (None/NaN in Python).
  const CITY = ["Paris", null, "", "Oslo", null, ""];

  it("keep a column's missing flags through the payload", () => {
    const d = decodePayload({ version: 1, state: {}, texts: { city: textColumn(CITY), name: textColumn(NAMES) } });
    expect(Array.from(new Uint8Array(d.texts.get("city")?.missing?.buffer ?? new ArrayBuffer(0)))).toEqual([0, 1, 0, 0, 1, 0]);
    expect(d.texts.get("name")?.missing).toBeUndefined();
  });

  it("leave out a column whose missing flags are not a buffer or too short", () => {
    const bad = { ...textColumn(["a", "b"]), missing: [0, 1] };
    expect([...decodePayload({ version: 1, state: {}, texts: { c: bad } }).texts.keys()]).toEqual([]);
    const short = { ...textColumn(["a", "b"]), missing: b64(Uint8Array.of(0)) };
    const d = decodePayload({ version: 1, state: {}, texts: { c: short, ok: textColumn(["x", "y"]) } });
    expect(new TextTable(d.texts, 2).names).toEqual(["ok"]);
  });

  it("answer a tooltip row with null for a missing value and the empty string for an empty one", () => {
    const t = tableOf({ city: CITY, name: NAMES });
    expect(t.row(1)).toEqual([
      ["city", null],
      ["name", "bob"],
    ]);
    expect(t.row(2)).toEqual([
      ["city", ""],
      ["name", ""],
    ]);
    expect(t.value("city", 4)).toBeNull();
    t.strings("city"); // the decoded cache must not lose missing-ness
    expect(t.value("city", 4)).toBeNull();
    expect(t.value("city", 5)).toBe("");
    expect(t.isMissing("city", 1)).toBe(true);
    expect(t.isMissing("city", 2)).toBe(false);
  });

  it("never match a missing value in a search, while ^$ and the empty query match empty strings", () => {
    const t = tableOf({ city: CITY });
    expect(Array.from(t.search("^$", "city", true))).toEqual([2, 5]);
    expect(Array.from(t.search("", "city", false))).toEqual([0, 2, 3, 5]);
    expect(Array.from(t.search(".*", "", true))).toEqual([0, 2, 3, 5]);
    expect(Array.from(t.search("o", "city", false))).toEqual([3]);
  });

  it("treat any non-zero flag as missing", () => {
    const col = { ...textColumn(["a", "b", "c"]), missing: b64(Uint8Array.of(0, 7, 0)) };
    const t = new TextTable(decodePayload({ version: 1, state: {}, texts: { c: col } }).texts, 3);
    expect(t.row(1)).toEqual([["c", null]]);
    expect(Array.from(t.search("", "c", false))).toEqual([0, 2]);
  });

  it("label a missing row with the empty string (not drawn), whatever its bytes say", () => {
    // A writer that left text in a missing row: the flag wins.
    const col = { ...textColumn(["a", "nan", "c"]), missing: b64(Uint8Array.of(0, 1, 0)) };
    const t = new TextTable(decodePayload({ version: 1, state: {}, texts: { c: col } }).texts, 3);
    expect(decodeLabels(t.labels("c", null))?.texts).toEqual(["a", "", "c"]);
    expect(decodeLabels(t.labels("c", Uint32Array.of(1, 2)))?.texts).toEqual(["", "c"]);
    expect(t.strings("c")).toEqual(["a", "", "c"]);
    expect(t.value("c", 1)).toBeNull();
  });

  it("reach the tooltip through the saved page's model as null", async () => {
    const m = new LocalModel(
      decodePayload(payload({ texts: { name: textColumn(NAMES), kind: textColumn(["cat", null, "", "", "", ""]) } })),
    );
    const { log } = record(m, ["msg:custom"]);
    m.send({ type: "row", index: 1 });
    await tick();
    expect(log).toEqual([
      [
        "msg:custom",
        {
          type: "row",
          index: 1,
          values: [
            ["kind", null],
            ["name", "bob"],
          ],
        },
      ],
    ]);
  });
});

// --------------------------------------------------------------- model

describe("LocalModel", () => {
  it("notifies change listeners synchronously on set, once per new value", () => {
    const m = new LocalModel(decodePayload(payload()));
    const { log } = record(m, ["change:color_by"]);
    m.set("color_by", "kind");
    m.set("color_by", "kind");
    expect(log).toEqual([["change:color_by", "kind"]]);
    expect(m.get("color_by")).toBe("kind");
    m.off("change:color_by");
    m.set("color_by", "");
    expect(log.length).toBe(1);
  });

  it("marks itself standalone and lists the embedded dimensionalities", () => {
    const m = new LocalModel(decodePayload(payload()));
    expect(m.get("_standalone")).toBe(true);
    expect(m.get("_standalone_dims")).toEqual([2, 3]);
    expect(m.get("_has_encoder")).toBe(false);
  });

  it("answers row requests asynchronously from the embedded strings", async () => {
    const m = new LocalModel(decodePayload(payload()));
    const { log } = record(m, ["msg:custom"]);
    m.send({ type: "row", index: 3 });
    expect(log).toEqual([]);
    await tick();
    // _columns order first ("kind" before "name").
    expect(log).toEqual([
      [
        "msg:custom",
        {
          type: "row",
          index: 3,
          values: [
            ["kind", ""],
            ["name", "Carol <script>alert(1)</script>"],
          ],
        },
      ],
    ]);
    m.send({ type: "row", index: 99 });
    await tick();
    expect(log.length).toBe(1);
  });

  it("selects search hits through the model, then replies with the count", async () => {
    const m = new LocalModel(decodePayload(payload()));
    const { log } = record(m, ["change:selected", "msg:custom"]);
    m.send({ type: "search", query: "ALICE", column: "", regex: false });
    await tick();
    expect(log.map(([e]) => e)).toEqual(["change:selected", "msg:custom"]);
    expect(Array.from(decodeSelection(m.get("selected")))).toEqual([0, 4]);
    expect(log[1][1]).toEqual({ type: "search", query: "ALICE", count: 2 });
  });

  it("replies to an invalid regex with an error and keeps the selection", async () => {
    const sel = encodeSelection(Uint32Array.of(2));
    const m = new LocalModel(decodePayload(payload()));
    m.set("selected", sel);
    const { log } = record(m, ["change:selected", "msg:custom"]);
    m.send({ type: "search", query: "[", column: "name", regex: true });
    await tick();
    expect(log.length).toBe(1);
    expect((log[0][1] as { type: string; message: string }).type).toBe("error");
    expect((log[0][1] as { message: string }).message).toMatch(/invalid regular expression/);
    expect(m.get("selected")).toBe(sel);
  });

  it("answers kernel-only requests with an error saying a kernel is needed", async () => {
    const m = new LocalModel(decodePayload(payload()));
    const { log } = record(m, ["msg:custom"]);
    for (const type of ["project", "control", "label", "isolate", "show_all", "bookmark", "query"]) m.send({ type });
    await tick();
    expect(log.length).toBe(7);
    for (const [, msg] of log) {
      expect((msg as { type: string }).type).toBe("error");
      expect((msg as { message: string }).message).toMatch(/needs a running Python kernel \(this is a saved page\)/);
    }
  });

  it("rebuilds _labels when label_by changes", async () => {
    const m = new LocalModel(decodePayload(payload()));
    const { log } = record(m, ["change:_labels"]);
    m.set("label_by", "name");
    m.save_changes();
    expect(log.length).toBe(0); // the "kernel" answers after the view's own change handling
    await tick();
    expect(log.length).toBe(1);
    expect(decodeLabels(m.get("_labels"))?.texts).toEqual(NAMES);
    m.set("label_by", "");
    m.save_changes();
    await tick();
    expect(decodeLabels(m.get("_labels"))).toBeNull();
  });

  it("labels from the start when label_by is set in the saved state", () => {
    const m = new LocalModel(decodePayload(payload({}, { label_by: "kind" })));
    expect(decodeLabels(m.get("_labels"))?.texts).toEqual(KINDS);
  });

  it("labels only selected rows above ALL_LABELS_MAX points", async () => {
    const n = ALL_LABELS_MAX + 10;
    const rows = Array.from({ length: n }, (_, i) => `r${i}`);
    const p: StandalonePayload = {
      version: 1,
      state: { _points: pointsValue(n, 2), dimensions: 2, label_by: "s", _columns: [{ name: "s", kind: "text" }], _spec: SPEC_WIRE },
      points_by_dims: { "2": pointsValue(n, 2) },
      texts: { s: textColumn(rows) },
    };
    const m = new LocalModel(decodePayload(p));
    expect(decodeLabels(m.get("_labels"))?.indices.length ?? 0).toBe(0);
    m.set("selected", encodeSelection(Uint32Array.of(5, n - 1)));
    m.save_changes();
    await tick();
    expect(decodeLabels(m.get("_labels"))?.texts).toEqual(["r5", `r${n - 1}`]);
  });

  it("swaps _points when dimensions change", async () => {
    const m = new LocalModel(decodePayload(payload()));
    expect(decodePoints(m.get("_points"))?.dims).toBe(3);
    const { log } = record(m, ["change:_points", "change:dimensions"]);
    m.set("dimensions", 2);
    m.save_changes();
    await tick();
    expect(log.map(([e]) => e)).toEqual(["change:dimensions", "change:_points"]);
    expect(decodePoints(m.get("_points"))?.dims).toBe(2);
    m.set("dimensions", 3);
    m.save_changes();
    await tick();
    expect(decodePoints(m.get("_points"))?.dims).toBe(3);
  });

  it("keeps the points and reverts dimensions when that view was not saved", async () => {
    const m = new LocalModel(decodePayload(payload({ points_by_dims: { "3": pointsValue(NAMES.length, 3) } })));
    expect(m.get("_standalone_dims")).toEqual([3]);
    const before = m.get("_points");
    const { log } = record(m, ["msg:custom"]);
    m.set("dimensions", 2);
    m.save_changes();
    await tick();
    expect(m.get("_points")).toBe(before);
    expect(m.get("dimensions")).toBe(3);
    expect((log[0][1] as { message: string }).message).toMatch(/2-D view was not saved/);
  });

  it("starts on embedded points when the state has none", () => {
    const m = new LocalModel(decodePayload(payload({}, { _points: {}, dimensions: 2 })));
    expect(decodePoints(m.get("_points"))?.dims).toBe(2);
    expect(m.get("dimensions")).toBe(2);
  });

  it("answers background requests with nothing (every point is embedded, nothing waits for a frame)", async () => {
    const m = new LocalModel(decodePayload(payload()));
    const { log } = record(m, ["msg:custom"]);
    m.send({ type: "drawn" });
    m.send({ type: "points", version: 1, start: 0 });
    await tick();
    expect(log).toEqual([]);
  });

  it("labels every row of a page saved without _spec (no limits to apply)", () => {
    const n = ALL_LABELS_MAX + 10;
    const rows = Array.from({ length: n }, (_, i) => `r${i}`);
    const p: StandalonePayload = {
      version: 1,
      state: { _points: pointsValue(n, 2), dimensions: 2, label_by: "s", _columns: [{ name: "s", kind: "text" }] },
      points_by_dims: { "2": pointsValue(n, 2) },
      texts: { s: textColumn(rows) },
    };
    const m = new LocalModel(decodePayload(p));
    expect(decodeLabels(m.get("_labels"))?.indices.length).toBe(n);
  });

  it("stops answering once disposed", async () => {
    const m = new LocalModel(decodePayload(payload()));
    const { log } = record(m, ["msg:custom"]);
    m.send({ type: "row", index: 0 });
    m.dispose();
    await tick();
    expect(log).toEqual([]);
  });
});
