import { describe, expect, it } from "vitest";
import { dataViewAt } from "../testing";
import { type CategoryColumn, decodeColumns, decodeLabels, decodeNeighbors, type NumberColumn } from "./wireColumns";

function labelsWire(texts: string[], rows: number[], offset: number) {
  const enc = new TextEncoder();
  const parts = texts.map((t) => enc.encode(t));
  const offsets = new Uint32Array(parts.length + 1);
  let total = 0;
  parts.forEach((p, j) => {
    offsets[j] = total;
    total += p.length;
  });
  offsets[parts.length] = total;
  const bytes = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    bytes.set(p, o);
    o += p.length;
  }
  return {
    column: "name",
    indices: dataViewAt(Uint32Array.from(rows), offset),
    offsets: dataViewAt(offsets, offset + 2),
    text: dataViewAt(bytes, offset + 1),
  };
}

describe("decodeColumns", () => {
  it("reads a number column's range as NaN when it is not finite", () => {
    const values = new Float32Array(2);
    const [col] = decodeColumns([{ name: "x", kind: "number", values, min: Number.NEGATIVE_INFINITY, max: Number.NaN }]);
    expect(col).toMatchObject({ min: Number.NaN, max: Number.NaN });
  });

  it("decodes uint8 and uint16 category codes, float32 values and text columns", () => {
    const codes8 = Uint8Array.from([0, 1, 2, 1]);
    const codes16 = Uint16Array.from([0, 300, 65535, 2]);
    const values = Float32Array.from([1.5, NaN, -2, 1e30]);
    const cols = decodeColumns([
      {
        name: "a",
        kind: "category",
        categories: ["x", "y", "z"],
        counts: [1, 2, 1],
        codes: new DataView(codes8.buffer),
        code_bytes: 1,
        missing_code: null,
      },
      { name: "b", kind: "category", categories: ["p"], counts: [4], codes: dataViewAt(codes16, 3), code_bytes: 2, missing_code: 2 },
      { name: "c", kind: "number", values: dataViewAt(values, 2), min: -2, max: 1e30 },
      { name: "d", kind: "text" },
    ]);
    expect(cols.map((c) => c.kind)).toEqual(["category", "category", "number", "text"]);
    const a = cols[0] as CategoryColumn;
    expect(a.codes).toBeInstanceOf(Uint8Array);
    expect(Array.from(a.codes)).toEqual([0, 1, 2, 1]);
    expect(a.missingCode).toBe(-1);
    const b = cols[1] as CategoryColumn;
    expect(b.codes).toBeInstanceOf(Uint16Array);
    expect(Array.from(b.codes)).toEqual([0, 300, 65535, 2]);
    expect(b.missingCode).toBe(2);
    const c = cols[2] as NumberColumn;
    expect(c.values).toBeInstanceOf(Float32Array);
    expect(c.values[0]).toBe(1.5);
    expect(Number.isNaN(c.values[1])).toBe(true);
    expect(c.values[2]).toBe(-2);
    expect(c.values[3]).toBe(Math.fround(1e30));
    expect(c.min).toBe(-2);
  });

  it("skips malformed entries and non-arrays", () => {
    expect(decodeColumns(null)).toEqual([]);
    const cols = decodeColumns([
      { kind: "text" },
      { name: "x", kind: "category" },
      { name: "y", kind: "weird" },
      { name: "t", kind: "text" },
    ]);
    expect(cols).toEqual([{ name: "t", kind: "text" }]);
  });
});

describe("decodeLabels", () => {
  it("cuts UTF-8 text by byte offsets, from unaligned DataViews", () => {
    const texts = ["caf\u00e9", "", "<b>x</b>", "\u{1F600} smile", "plain"];
    const l = decodeLabels(labelsWire(texts, [3, 5, 8, 13, 21], 1));
    expect(l?.column).toBe("name");
    expect(Array.from(l?.indices ?? [])).toEqual([3, 5, 8, 13, 21]);
    expect(l?.texts).toEqual(texts);
  });

  it("takes the ASCII fast path to the same result", () => {
    const l = decodeLabels(labelsWire(["a", "bc", "def"], [0, 1, 2], 3));
    expect(l?.texts).toEqual(["a", "bc", "def"]);
  });

  it("returns null for an empty value or too few offsets", () => {
    expect(decodeLabels({})).toBeNull();
    const w = labelsWire(["a"], [0], 0);
    expect(decodeLabels({ ...w, offsets: new DataView(new ArrayBuffer(4)) })).toBeNull();
  });
});

describe("decodeNeighbors", () => {
  it("decodes indices, float32 distances and labels from unaligned views", () => {
    const nb = decodeNeighbors({
      index: 7,
      query: null,
      indices: dataViewAt(Uint32Array.of(4, 9, 1), 1),
      distances: dataViewAt(Float32Array.of(0.5, 0.25, 2), 3),
      labels: ["four", null, "one"],
    });
    expect(nb?.index).toBe(7);
    expect(nb?.query).toBeNull();
    expect(Array.from(nb?.indices ?? [])).toEqual([4, 9, 1]);
    expect(Array.from(nb?.distances ?? [])).toEqual([0.5, 0.25, 2]);
    expect(nb?.labels).toEqual(["four", "", "one"]);
  });

  it("marks a semantic query with index -1 and its text", () => {
    const nb = decodeNeighbors({ index: -1, query: "cats", indices: new Uint32Array(0), distances: new Float32Array(0), labels: [] });
    expect(nb?.index).toBe(-1);
    expect(nb?.query).toBe("cats");
    expect(decodeNeighbors({})).toBeNull();
  });
});
