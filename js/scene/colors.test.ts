import { interpolateMagma, interpolateViridis, schemeSet2, schemeTableau10 } from "d3-scale-chromatic";
import { describe, expect, it } from "vitest";
import { type AppearanceSpec, decodeAppearance } from "../contract/protocol";
import type { CategoryColumn } from "../contract/wireColumns";
import {
  categoryColor,
  categoryLegend,
  categorySlot,
  colorMapLut,
  LUT_SIZE,
  lutGradientCss,
  MISSING_COLOR,
  makeLut,
  numberColor,
  OTHER_COLOR,
  PALETTE_MAX,
  paletteColors,
  parseColor,
  parseCssRgb,
  type RGB,
  schemeColors,
  schemeInterpolator,
  sizeFactor,
  valueToT,
} from "./colors";
import { FRAGMENT_SHADER, VERTEX_SHADER } from "./shaders";

/** The shape of `_spec.appearance` (appearance.describe() in Python), with a palette of its own colours. */
const OWN20 = Array.from({ length: 20 }, (_, i) => `#${(i * 12 + 5).toString(16).padStart(2, "0")}4080`);
const SPEC: AppearanceSpec = decodeAppearance({
  color_maps: [
    { name: "viridis", scheme: "Viridis", kind: "sequential" },
    { name: "magma", scheme: "Magma", kind: "sequential" },
    { name: "rdbu", scheme: "RdBu", kind: "diverging" },
  ],
  palettes: [
    { name: "own20", colors: OWN20 },
    { name: "tableau10", scheme: "Tableau10" },
    { name: "set2", scheme: "Set2" },
  ],
  reversed_suffix: "_r",
  size_factor_limits: [0.1, 32],
  point_size_max: 256,
});

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

const texel = (lut: Uint8Array, i: number): RGB => [lut[4 * i], lut[4 * i + 1], lut[4 * i + 2]];

describe("palettes by name", () => {
  it("draws a d3-scale-chromatic palette with its own colours, in order", () => {
    expect(paletteColors(SPEC, "tableau10")).toEqual(schemeTableau10.map(parseColor));
    expect(paletteColors(SPEC, "set2")).toEqual(schemeSet2.map(parseColor));
    expect(paletteColors(SPEC, "set2")).toHaveLength(8);
  });

  it("draws a palette the kernel lists by its colours", () => {
    const own = paletteColors(SPEC, "own20");
    expect(own).toHaveLength(20);
    expect(own[0]).toEqual([0x05, 0x40, 0x80]);
  });

  it("draws the first (the default) for a name it does not know, and d3's tableau10 without a spec", () => {
    expect(paletteColors(SPEC, "nope")).toEqual(paletteColors(SPEC, "own20"));
    expect(paletteColors(null, "own20")).toEqual(schemeTableau10.map(parseColor));
  });

  it("keeps at most PALETTE_MAX colours (the shader's array)", () => {
    const big = decodeAppearance({ palettes: [{ name: "big", colors: Array.from({ length: 40 }, () => "#123456") }] });
    expect(paletteColors(big, "big")).toHaveLength(PALETTE_MAX);
  });

  it("finds d3's schemes by the names the kernel sends, and nothing else", () => {
    expect(schemeColors("Tableau10")).toBe(schemeTableau10);
    expect(schemeInterpolator("Viridis")).toBe(interpolateViridis);
    expect(schemeColors("Blues")).toBeNull(); // sequential: an array of arrays, not a palette
    expect(schemeInterpolator("Tableau10")).toBeNull();
    expect(schemeInterpolator("constructor")).toBeNull();
    expect(schemeColors("__proto__")).toBeNull();
  });
});

describe("category colours", () => {
  const tableau = paletteColors(SPEC, "tableau10");

  it("maps codes beyond the palette to the other colour", () => {
    expect(categoryColor(0, -1, tableau)).toEqual(tableau[0]);
    expect(categoryColor(9, -1, tableau)).toEqual(tableau[9]);
    for (const code of [10, 11, 255, 65535]) {
      expect(categoryColor(code, -1, tableau)).toEqual(OTHER_COLOR);
      expect(categorySlot(code, -1, tableau.length)).toEqual({ kind: "other" });
    }
    expect(categorySlot(10, -1, 20)).toEqual({ kind: "palette", index: 10 });
  });

  it("draws the missing code grey wherever it falls", () => {
    expect(categoryColor(3, 3, tableau)).toEqual(MISSING_COLOR);
    expect(categoryColor(40, 40, tableau)).toEqual(MISSING_COLOR);
    expect(categoryColor(4, 3, tableau)).toEqual(tableau[4]);
  });
});

describe("category legend", () => {
  it("lists the palette categories, then other (k categories) with summed counts", () => {
    for (const name of ["own20", "tableau10", "set2"]) {
      const palette = paletteColors(SPEC, name);
      const size = palette.length;
      const entries = categoryLegend(category(25, -1), palette);
      expect(entries.length).toBe(size + 1);
      expect(entries[0]).toEqual({ label: "k0", count: 1000, color: palette[0] });
      expect(entries[size - 1].color).toEqual(palette[size - 1]);
      const other = entries[entries.length - 1];
      expect(other.label).toBe(`other (${25 - size} categories)`);
      let sum = 0;
      for (let i = size; i < 25; i++) sum += 1000 - i;
      expect(other.count).toBe(sum);
      expect(other.color).toEqual(OTHER_COLOR);
    }
  });

  it("shows the missing category as (missing) and keeps it out of other", () => {
    const palette = paletteColors(SPEC, "own20");
    const low = categoryLegend(category(25, 2), palette);
    expect(low[2]).toEqual({ label: "(missing)", count: 998, color: MISSING_COLOR });
    const high = categoryLegend(category(25, 22), palette);
    const labels = high.map((e) => e.label);
    expect(labels[labels.length - 1]).toBe("(missing)");
    expect(labels).toContain(`other (${25 - 20 - 1} categories)`);
    const other = high.find((e) => e.label.startsWith("other"));
    let sum = 0;
    for (let i = 20; i < 25; i++) if (i !== 22) sum += 1000 - i;
    expect(other?.count).toBe(sum);
  });

  it("has no other row when every category has a colour", () => {
    const palette = paletteColors(SPEC, "tableau10");
    expect(categoryLegend(category(3, -1), palette).map((e) => e.label)).toEqual(["k0", "k1", "k2"]);
    expect(categoryLegend(category(10, -1), palette).some((e) => e.label.startsWith("other"))).toBe(false);
  });
});

describe("colour maps by name", () => {
  it("samples d3's interpolator into the LUT, both ends included", () => {
    const lut = colorMapLut(SPEC, "magma");
    expect(lut.length).toBe(LUT_SIZE * 4);
    expect(texel(lut, 0)).toEqual(parseColor(interpolateMagma(0)));
    expect(texel(lut, LUT_SIZE - 1)).toEqual(parseColor(interpolateMagma(1)));
    expect(texel(lut, 128)).toEqual(parseColor(interpolateMagma(128 / 255)));
    for (let i = 0; i < LUT_SIZE; i++) expect(lut[4 * i + 3]).toBe(255);
  });

  it("keeps viridis (the default) as the points had it: dark purple to yellow", () => {
    const lut = colorMapLut(SPEC, "viridis");
    expect(numberColor(0, 0, 1, lut)).toEqual([0x44, 0x01, 0x54]);
    expect(numberColor(1, 0, 1, lut)).toEqual([0xfd, 0xe7, 0x25]);
    const lum = (c: number[]) => 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
    let prev = -1;
    for (let i = 0; i < LUT_SIZE; i++) {
      const l = lum(texel(lut, i));
      expect(l).toBeGreaterThanOrEqual(prev - 0.5);
      prev = l;
    }
  });

  it("reverses a map whose name ends in the suffix", () => {
    const fwd = colorMapLut(SPEC, "rdbu");
    const rev = colorMapLut(SPEC, "rdbu_r");
    for (let i = 0; i < LUT_SIZE; i++) expect(texel(rev, i)).toEqual(texel(fwd, LUT_SIZE - 1 - i));
    expect(texel(fwd, 0)).not.toEqual(texel(rev, 0));
  });

  it("draws the first map for an unknown name, and viridis without a spec", () => {
    expect(colorMapLut(SPEC, "nope")).toEqual(colorMapLut(SPEC, "viridis"));
    expect(colorMapLut(SPEC, "nope_r")).toEqual(colorMapLut(SPEC, "viridis"));
    expect(colorMapLut(null, "magma")).toEqual(makeLut(interpolateViridis));
  });

  it("shows the same colours in the legend's gradient", () => {
    const lut = colorMapLut(SPEC, "rdbu_r");
    const css = lutGradientCss(lut);
    const [r0, g0, b0] = texel(lut, 0);
    const [r1, g1, b1] = texel(lut, LUT_SIZE - 1);
    expect(css.startsWith(`linear-gradient(to right, rgb(${r0}, ${g0}, ${b0}) 0.0%`)).toBe(true);
    expect(css.endsWith(`rgb(${r1}, ${g1}, ${b1}) 100.0%)`)).toBe(true);
  });
});

describe("numeric colours", () => {
  const lut = colorMapLut(SPEC, "viridis");

  it("maps NaN to the missing colour", () => {
    expect(numberColor(NaN, 0, 1, lut)).toEqual(MISSING_COLOR);
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
});

describe("point sizes from a numeric column", () => {
  it("goes linearly from the first factor at the minimum to the second at the maximum", () => {
    expect(sizeFactor(0, 0, 10, [0.5, 2.5])).toBe(0.5);
    expect(sizeFactor(10, 0, 10, [0.5, 2.5])).toBe(2.5);
    expect(sizeFactor(5, 0, 10, [0.5, 2.5])).toBe(1.5);
    expect(sizeFactor(2.5, 0, 10, [1, 3])).toBe(1.5);
  });

  it("clamps outside the range, gives the point size to missing values and the middle to a constant column", () => {
    expect(sizeFactor(-5, 0, 10, [0.5, 2.5])).toBe(0.5);
    expect(sizeFactor(50, 0, 10, [0.5, 2.5])).toBe(2.5);
    expect(sizeFactor(NaN, 0, 10, [0.5, 2.5])).toBe(1);
    expect(sizeFactor(3, 3, 3, [0.5, 2.5])).toBe(1.5);
  });

  it("shrinks large values when the range runs downward", () => {
    expect(sizeFactor(10, 0, 10, [3, 1])).toBe(1);
    expect(sizeFactor(0, 0, 10, [3, 1])).toBe(3);
  });
});

describe("shader mirrors the CPU colour and size logic", () => {
  it("declares the palette array, tests missing before the palette and uses the palette's size", () => {
    expect(VERTEX_SHADER).toContain(`u_palette[${PALETTE_MAX}]`);
    const missing = VERTEX_SHADER.indexOf("code == u_missingCode");
    const palette = VERTEX_SHADER.indexOf("code < u_paletteSize");
    expect(missing).toBeGreaterThan(0);
    expect(palette).toBeGreaterThan(missing);
    expect(FRAGMENT_SHADER).toContain("discard");
  });

  it("gives missing size values the point size and scales the rest by mix(range)", () => {
    expect(VERTEX_SHADER).toMatch(/if \(!u_sizeBy \|\| isNaN32\(a_sizeBits\)\) return u_size;/);
    expect(VERTEX_SHADER).toContain("u_size * mix(u_sizeRange.x, u_sizeRange.y, t)");
  });

  it("writes the opacity as the fragment's alpha", () => {
    expect(VERTEX_SHADER).toContain("v_alpha = emphasised || hovered ? 1.0 : u_opacity;");
    expect(FRAGMENT_SHADER).toContain("o_color = vec4(col, v_alpha);");
  });
});

describe("parseColor", () => {
  it("reads the forms d3-scale-chromatic writes", () => {
    expect(parseColor("#1f77b4")).toEqual([0x1f, 0x77, 0xb4]);
    expect(parseColor("#fff")).toEqual([255, 255, 255]);
    expect(parseColor("rgb(35, 23, 27)")).toEqual([35, 23, 27]);
    expect(parseColor("red")).toBeNull();
    expect(parseColor("#12345")).toBeNull();
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
