import { describe, expect, it } from "vitest";
import type { CategoryColumn } from "../wire";
import {
  categoryColor,
  categoryLegend,
  categorySlot,
  LUT_SIZE,
  MISSING_COLOR,
  makeLut,
  numberColor,
  OTHER_COLOR,
  PALETTE,
  PALETTE_SIZE,
  parseCssRgb,
  valueToT,
} from "./colors";
import { FRAGMENT_SHADER, VERTEX_SHADER } from "./shaders";

function category(n: number, missingCode: number): CategoryColumn {
  return {
    name: "c",
    kind: "category",
    categories: Array.from({ length: n }, (_, i) => `k${i}`),
    counts: Array.from({ length: n }, (_, i) => 1000 - i),
    codes: new Uint8Array(0),
    missingCode,
  };
}

describe("category colours", () => {
  it("has at least 20 distinct palette colours, none equal to other/missing", () => {
    expect(PALETTE_SIZE).toBeGreaterThanOrEqual(20);
    const keys = new Set(PALETTE.map((c) => c.join(",")));
    expect(keys.size).toBe(PALETTE_SIZE);
    expect(keys.has(OTHER_COLOR.join(","))).toBe(false);
    expect(keys.has(MISSING_COLOR.join(","))).toBe(false);
  });

  it("maps codes beyond the palette to the other colour", () => {
    expect(categoryColor(0, -1)).toEqual(PALETTE[0]);
    expect(categoryColor(PALETTE_SIZE - 1, -1)).toEqual(PALETTE[PALETTE_SIZE - 1]);
    for (const code of [PALETTE_SIZE, PALETTE_SIZE + 1, 255, 65535]) {
      expect(categoryColor(code, -1)).toEqual(OTHER_COLOR);
      expect(categorySlot(code, -1)).toEqual({ kind: "other" });
    }
  });

  it("draws the missing code grey wherever it falls", () => {
    expect(categoryColor(3, 3)).toEqual(MISSING_COLOR);
    expect(categoryColor(40, 40)).toEqual(MISSING_COLOR);
    expect(categoryColor(4, 3)).toEqual(PALETTE[4]);
    expect(categoryColor(0, -1)).toEqual(PALETTE[0]);
  });
});

describe("category legend", () => {
  it("lists the palette categories, then other (k categories) with summed counts", () => {
    const col = category(25, -1);
    const entries = categoryLegend(col);
    expect(entries.length).toBe(PALETTE_SIZE + 1);
    expect(entries[0]).toEqual({ label: "k0", count: 1000, color: PALETTE[0] });
    const other = entries[entries.length - 1];
    expect(other.label).toBe(`other (${25 - PALETTE_SIZE} categories)`);
    let sum = 0;
    for (let i = PALETTE_SIZE; i < 25; i++) sum += 1000 - i;
    expect(other.count).toBe(sum);
    expect(other.color).toEqual(OTHER_COLOR);
  });

  it("shows the missing category as (missing) and keeps it out of other", () => {
    const low = categoryLegend(category(25, 2));
    expect(low[2]).toEqual({ label: "(missing)", count: 998, color: MISSING_COLOR });
    const high = categoryLegend(category(25, 22));
    const labels = high.map((e) => e.label);
    expect(labels[labels.length - 1]).toBe("(missing)");
    expect(labels).toContain(`other (${25 - PALETTE_SIZE - 1} categories)`);
    const other = high.find((e) => e.label.startsWith("other"));
    let sum = 0;
    for (let i = PALETTE_SIZE; i < 25; i++) if (i !== 22) sum += 1000 - i;
    expect(other?.count).toBe(sum);
  });

  it("has no other row when every category has a colour", () => {
    expect(categoryLegend(category(3, -1)).map((e) => e.label)).toEqual(["k0", "k1", "k2"]);
  });
});

describe("numeric colours", () => {
  it("maps NaN to the missing colour", () => {
    expect(numberColor(NaN, 0, 1)).toEqual(MISSING_COLOR);
    expect(Number.isNaN(valueToT(NaN, 0, 1))).toBe(true);
  });

  it("normalises by min/max and clamps outside", () => {
    expect(valueToT(5, 0, 10)).toBe(0.5);
    expect(valueToT(-3, 0, 10)).toBe(0);
    expect(valueToT(30, 0, 10)).toBe(1);
    expect(valueToT(Infinity, 0, 10)).toBe(1);
    expect(valueToT(7, 7, 7)).toBe(0.5);
    expect(valueToT(7, NaN, NaN)).toBe(0.5);
  });

  it("uses a dark-to-light viridis-like map", () => {
    const lut = makeLut();
    expect(lut.length).toBe(LUT_SIZE * 4);
    expect(numberColor(0, 0, 1)).toEqual([0x44, 0x01, 0x54]);
    expect(numberColor(1, 0, 1)).toEqual([0xfd, 0xe7, 0x25]);
    const lum = (c: number[]) => 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
    let prev = -1;
    for (let i = 0; i < LUT_SIZE; i++) {
      const l = lum([lut[4 * i], lut[4 * i + 1], lut[4 * i + 2]]);
      expect(l).toBeGreaterThanOrEqual(prev - 0.5);
      prev = l;
      expect(lut[4 * i + 3]).toBe(255);
    }
  });
});

describe("shader mirrors the CPU colour logic", () => {
  it("declares the palette size and tests missing before the palette", () => {
    expect(VERTEX_SHADER).toContain(`u_palette[${PALETTE_SIZE}]`);
    const missing = VERTEX_SHADER.indexOf("code == u_missingCode");
    const palette = VERTEX_SHADER.indexOf(`code < ${PALETTE_SIZE}`);
    expect(missing).toBeGreaterThan(0);
    expect(palette).toBeGreaterThan(missing);
    expect(FRAGMENT_SHADER).toContain("discard");
  });
});

describe("parseCssRgb", () => {
  it("reads rgb() and rgba(), rejecting transparent", () => {
    expect(parseCssRgb("rgb(17, 34, 51)")).toEqual([17, 34, 51]);
    expect(parseCssRgb("rgba(1, 2, 3, 0.5)")).toEqual([1, 2, 3]);
    expect(parseCssRgb("rgb(1 2 3 / 50%)")).toEqual([1, 2, 3]);
    expect(parseCssRgb("rgba(0, 0, 0, 0)")).toBeNull();
    expect(parseCssRgb("#fff")).toBeNull();
  });
});
