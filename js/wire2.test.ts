import { describe, expect, it } from "vitest";
import { dataViewAt } from "./testing";
import {
  decodeBookmarks,
  decodeLabels,
  decodeNeighbors,
  decodePoints,
  decodeProgress,
  decodeQueryPoint,
  decodeSprites,
  formatDistance,
  spriteUV,
} from "./wire";

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

describe("sprites", () => {
  it("decodes the atlas and rejects inconsistent sizes", () => {
    const data = new Uint8Array(8 * 4 * 4).fill(7);
    const s = decodeSprites({ width: 8, height: 4, thumb: 4, per_row: 2, data: dataViewAt(data, 1) });
    expect(s?.data.length).toBe(128);
    expect(s?.data[127]).toBe(7);
    expect(decodeSprites({ width: 8, height: 8, thumb: 4, per_row: 2, data: dataViewAt(data, 1) })).toBeNull();
    expect(decodeSprites({})).toBeNull();
  });

  it("locates row i's thumbnail at column i % per_row, row i / per_row, top-left origin", () => {
    const s = { width: 64, height: 32, thumb: 16, perRow: 4 };
    expect(spriteUV(0, s)).toEqual([0, 0, 0.25, 0.5]);
    expect(spriteUV(3, s)).toEqual([0.75, 0, 1, 0.5]);
    expect(spriteUV(5, s)).toEqual([0.25, 0.5, 0.5, 1]);
  });
});

describe("points extras", () => {
  it("reads visible (unaligned uint8) and transition_ms", () => {
    const q = new Uint16Array(6);
    const p = decodePoints({
      n: 3,
      dims: 2,
      lo: [0, 0],
      hi: [1, 1],
      data: q,
      visible: dataViewAt(Uint8Array.of(1, 0, 1), 1),
      transition_ms: 300,
    });
    expect(Array.from(p?.visible ?? [])).toEqual([1, 0, 1]);
    expect(p?.transitionMs).toBe(300);
    const plain = decodePoints({ n: 3, dims: 2, lo: [0, 0], hi: [1, 1], data: q, visible: null });
    expect(plain?.visible).toBeNull();
    expect(plain?.transitionMs).toBe(0);
  });
});

describe("progress and small values", () => {
  it("decodes progress, unknown states as idle", () => {
    expect(decodeProgress({ state: "bogus" }).state).toBe("idle");
  });

  it("decodes query points, bookmarks and distances", () => {
    expect(decodeQueryPoint({ text: "q", coords: [1, 2] })).toEqual({ text: "q", coords: [1, 2, 0], dims: 2 });
    expect(decodeQueryPoint({})).toBeNull();
    expect(decodeQueryPoint({ text: "q", coords: [1, NaN] })).toBeNull();
    expect(decodeBookmarks([{ name: "a" }, { x: 1 }, { name: "b" }])).toEqual(["a", "b"]);
    expect(formatDistance(0.123456)).toBe("0.1235");
    expect(formatDistance(1234.5678)).toBe("1235");
  });
});
