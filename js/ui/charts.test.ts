import { describe, expect, it } from "vitest";
import type { CategoryColumn, NumberColumn } from "../contract/wireColumns";
import {
  binOf,
  categoryBars,
  chartableColumns,
  countCodes,
  countSelectedBins,
  countSelectedCodes,
  formatValue,
  histogram,
  rowsInBins,
  rowsNotFinite,
  rowsOfCodes,
  withSelection,
} from "./charts";

function category(codes: number[], categories: string[], missingCode = -1): CategoryColumn {
  return { name: "c", kind: "category", categories, counts: [], codes: Uint8Array.from(codes), missingCode };
}

/** Reference: rows whose code satisfies `keep`, by a plain scan. */
const rowsWhere = (n: number, keep: (i: number) => boolean): number[] => [...Array(n).keys()].filter(keep);

describe("category counts", () => {
  // codes: a=0 x3, b=1 x1, c=2 x2, missing=3 x2
  const col = category([0, 1, 0, 2, 3, 0, 2, 3], ["a", "b", "c", "missing"], 3);

  it("counts every code and the selected rows", () => {
    const all = countCodes(col.codes);
    expect([...all.subarray(0, 4)]).toEqual([3, 1, 2, 2]);
    expect(all.length).toBe(256);
    expect(countCodes(Uint16Array.of(300, 300, 1)).subarray(299, 302)).toEqual(Uint32Array.of(0, 2, 0));
    const sel = countSelectedCodes(col.codes, Uint32Array.of(0, 1, 4, 7, 99)); // 99 is past the column
    expect([...sel.subarray(0, 4)]).toEqual([1, 1, 0, 2]);
  });

  it("orders bars by count, with missing last and empty categories left out", () => {
    const bars = categoryBars({ ...col, categories: ["a", "b", "c", "missing", "unused"] }, countCodes(col.codes));
    expect(bars.map((b) => [b.label, b.role, b.all])).toEqual([
      ["a", "category", 3],
      ["c", "category", 2],
      ["b", "category", 1],
      ["missing", "missing", 2],
    ]);
  });

  it("groups what is past the top categories as other, but never a lone one", () => {
    const codes = [0, 0, 0, 0, 1, 1, 1, 2, 2, 3];
    const col4 = category(codes, ["w", "x", "y", "z"]);
    const two = categoryBars(col4, countCodes(col4.codes), 2);
    expect(two.map((b) => [b.label, b.all, b.codes])).toEqual([
      ["w", 4, [0]],
      ["x", 3, [1]],
      ["other (2)", 3, [2, 3]],
    ]);
    expect(two[2].role).toBe("other");
    // Top 3 of 4: the fourth is shown by name rather than as an "other" of one.
    expect(categoryBars(col4, countCodes(col4.codes), 3).map((b) => b.label)).toEqual(["w", "x", "y", "z"]);
  });

  it("puts the selection's counts on the bars, other and missing included", () => {
    const codes = [0, 0, 0, 1, 1, 2, 3, 4, 4];
    const c = category(codes, ["p", "q", "r", "s", "-"], 4);
    const bars = categoryBars(c, countCodes(c.codes), 2);
    const selection = Uint32Array.of(0, 3, 5, 6, 8);
    const counted = withSelection(bars, countSelectedCodes(c.codes, selection));
    expect(counted.map((b) => [b.label, b.all, b.selected])).toEqual([
      ["p", 3, 1],
      ["q", 2, 1],
      ["other (2)", 2, 2],
      ["missing", 2, 1],
    ]);
    // A bar's rows are exactly the rows of its codes, ascending.
    for (const bar of counted) {
      const rows = rowsOfCodes(c.codes, bar.codes);
      expect([...rows]).toEqual(rowsWhere(codes.length, (i) => bar.codes.includes(codes[i])));
      expect(rows.length).toBe(bar.all);
    }
  });

  it("counts a million codes", () => {
    const n = 1_000_000;
    const codes = new Uint16Array(n);
    for (let i = 0; i < n; i++) codes[i] = (i * 7919) % 1000;
    const counts = countCodes(codes);
    expect(counts[0]).toBe(1000);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(n);
  });
});

describe("histograms", () => {
  const values = Float32Array.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, Number.NaN, Number.POSITIVE_INFINITY);

  it("bins the finite range and counts NaN apart", () => {
    const hist = histogram(values, 5);
    expect([hist.lo, hist.hi, hist.width]).toEqual([0, 10, 2]);
    // [0,2) [2,4) [4,6) [6,8) [8,10]: the maximum falls in the last bin.
    expect([...hist.all]).toEqual([2, 2, 2, 2, 3]);
    expect(hist.nan).toBe(2);
  });

  it("makes one bin of equal values and none of no finite value", () => {
    const same = histogram(Float32Array.of(3, 3, Number.NaN), 10);
    expect([...same.all]).toEqual([2]);
    expect(same.nan).toBe(1);
    const none = histogram(Float32Array.of(Number.NaN, Number.NEGATIVE_INFINITY), 10);
    expect(none.all.length).toBe(0);
    expect(none.nan).toBe(2);
  });

  it("counts the selection per bin and its NaN", () => {
    const hist = histogram(values, 5);
    const sel = countSelectedBins(values, hist, Uint32Array.of(0, 1, 9, 10, 11, 50));
    expect([...sel.bins]).toEqual([2, 0, 0, 0, 2]);
    expect(sel.nan).toBe(1);
  });

  it("maps a brushed bin range to exactly the rows in it, in either direction", () => {
    const hist = histogram(values, 5);
    expect([...rowsInBins(values, hist, 1, 2)]).toEqual([2, 3, 4, 5]);
    expect([...rowsInBins(values, hist, 2, 1)]).toEqual([2, 3, 4, 5]);
    expect([...rowsInBins(values, hist, 4, 4)]).toEqual([8, 9, 10]);
    expect([...rowsInBins(values, hist, -3, 99)]).toEqual(rowsWhere(11, () => true));
    expect([...rowsNotFinite(values)]).toEqual([11, 12]);
  });

  it("agrees with the bins it draws on random data", () => {
    let seed = 7;
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const v = Float32Array.from({ length: 5000 }, () => (rand() < 0.05 ? Number.NaN : rand() * 200 - 50));
    const hist = histogram(v, 20);
    expect(hist.all.reduce((a, b) => a + b, 0) + hist.nan).toBe(v.length);
    let total = 0;
    for (let b = 0; b < 20; b++) {
      const rows = rowsInBins(v, hist, b, b);
      expect(rows.length).toBe(hist.all[b]);
      for (const r of rows) expect(binOf(v[r], hist.lo, hist.width, 20)).toBe(b);
      total += rows.length;
    }
    expect(total + rowsNotFinite(v).length).toBe(v.length);
  });
});

describe("chart helpers", () => {
  it("offers category and number columns, not text", () => {
    const num: NumberColumn = { name: "n", kind: "number", values: new Float32Array(0), min: 0, max: 0 };
    const cols = chartableColumns([category([], []), num, { name: "t", kind: "text" }]);
    expect(cols.map((c) => c.name)).toEqual(["c", "n"]);
  });

  it("formats axis values", () => {
    expect(formatValue(0)).toBe("0");
    expect(formatValue(12.3456)).toBe("12.35");
    expect(formatValue(123456)).toBe("1.23e+5");
    expect(formatValue(-0.0001)).toBe("-1.00e-4");
  });
});

describe("rows hidden by isolate", () => {
  // Rows 1, 3 and 4 are hidden (an isolated selection of 0, 2, 5, 6, 7); row 8 lies past the mask.
  const visible = Uint8Array.of(1, 0, 1, 0, 0, 1, 1, 1);
  const shown = (i: number): boolean => i >= visible.length || visible[i] === 1;

  it("counts and selects only the shown rows of a category column", () => {
    const col = category([0, 1, 0, 2, 3, 0, 2, 3, 1], ["a", "b", "c", "missing"], 3);
    const all = countCodes(col.codes, visible);
    expect([...all.subarray(0, 4)]).toEqual([3, 1, 1, 1]);
    const sel = countSelectedCodes(col.codes, Uint32Array.of(0, 1, 3, 8), visible);
    expect([...sel.subarray(0, 4)]).toEqual([1, 1, 0, 0]);
    const bars = withSelection(categoryBars(col, all), sel);
    expect(bars.map((b) => [b.label, b.all, b.selected])).toEqual([
      ["a", 3, 1],
      ["b", 1, 1],
      ["c", 1, 0],
      ["missing", 1, 0],
    ]);
    for (const codes of [[0], [1], [2], [0, 2], [3]]) {
      const want = rowsWhere(col.codes.length, (i) => codes.includes(col.codes[i]) && shown(i));
      expect([...rowsOfCodes(col.codes, codes, visible)]).toEqual(want);
    }
    // Without a mask every row counts, as before.
    expect([...countCodes(col.codes).subarray(0, 4)]).toEqual([3, 2, 2, 2]);
  });

  it("bins only the shown rows of a number column, over their own range", () => {
    // The hidden rows hold the extremes (-100, 100) and a NaN: the range is the shown rows'.
    const values = Float32Array.of(0, -100, 1, 100, Number.NaN, 2, 3, Number.NaN, 4);
    const hist = histogram(values, 4, visible);
    expect([hist.lo, hist.hi, hist.nan]).toEqual([0, 4, 1]);
    expect([...hist.all]).toEqual([1, 1, 1, 2]);
    const sel = countSelectedBins(values, hist, Uint32Array.of(1, 2, 4, 7, 8), visible);
    expect([...sel.bins]).toEqual([0, 1, 0, 1]);
    expect(sel.nan).toBe(1);
    expect([...rowsInBins(values, hist, 0, 3, visible)]).toEqual([0, 2, 5, 6, 8]);
    expect([...rowsNotFinite(values, visible)]).toEqual([7]);
    // Every shown row with a finite value is in exactly one bin.
    expect(hist.all.reduce((a, b) => a + b, 0) + hist.nan).toBe(rowsWhere(values.length, shown).length);
  });

  it("gives an empty histogram when every shown value is NaN", () => {
    const hist = histogram(Float32Array.of(Number.NaN, 5, Number.NaN), 4, Uint8Array.of(1, 0, 1));
    expect([hist.all.length, hist.nan]).toEqual([0, 2]);
  });
});
