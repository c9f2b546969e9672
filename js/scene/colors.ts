/**
 * Colour and size mapping shared by the shader (as uniforms, a LUT texture and a size
 * attribute) and the legend (as CSS). The functions here are the CPU mirror of the shader's
 * logic, so the legend always shows what the points show. The colour maps and palettes are
 * d3-scale-chromatic's, chosen by the names the kernel declares in `_spec` (appearance.py).
 */
import * as chromatic from "d3-scale-chromatic";
import type { AppearanceSpec } from "../contract/protocol";
import type { CategoryColumn, NumberColumn } from "../contract/wireColumns";

export type RGB = [number, number, number];

function hex(h: string): RGB {
  const v = parseInt(h.slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

/** A CSS colour as d3-scale-chromatic writes them (`#rrggbb`, `#rgb`, `rgb(r, g, b)`); null otherwise. */
export function parseColor(css: string): RGB | null {
  const s = css.trim();
  if (/^#[0-9a-f]{6}$/i.test(s)) return hex(s);
  if (/^#[0-9a-f]{3}$/i.test(s)) return hex(`#${s[1]}${s[1]}${s[2]}${s[2]}${s[3]}${s[3]}`);
  const rgb = parseCssRgb(s);
  return rgb ? (rgb.map((c) => Math.max(0, Math.min(255, c))) as RGB) : null;
}

/** The most palette colours the shader holds; a palette's colours beyond them count as "other". */
export const PALETTE_MAX = 32;

/** Colour of categories beyond the palette. */
export const OTHER_COLOR: RGB = hex("#7f7f7f");
/** Colour of missing values (missing category, NaN number). */
export const MISSING_COLOR: RGB = hex("#c7c7c7");
/** Colour of every point when colouring by nothing. */
export const DEFAULT_COLOR: RGB = hex("#2f7ed8");

export const LUT_SIZE = 256;

/** A colour map: t in [0, 1] to a CSS colour (d3-scale-chromatic's interpolators). */
export type Interpolator = (t: number) => string;

/** What draws when the kernel names no colour map or palette this page knows (a malformed `_spec`). */
const FALLBACK_INTERPOLATOR: Interpolator = chromatic.interpolateViridis;
const FALLBACK_PALETTE: readonly string[] = chromatic.schemeTableau10;

const CHROMATIC: Readonly<Record<string, unknown>> = chromatic;
const CHROMATIC_NAMES: ReadonlySet<string> = new Set(Object.keys(chromatic));

/** d3-scale-chromatic's export `key` (null when it has none: nothing inherited is looked up). */
function chromaticExport(key: string): unknown {
  return CHROMATIC_NAMES.has(key) ? CHROMATIC[key] : null;
}

/** d3-scale-chromatic's interpolator for `scheme` ("Viridis", "RdBu"); null when it has none. */
export function schemeInterpolator(scheme: string): Interpolator | null {
  const f = chromaticExport(`interpolate${scheme}`);
  return typeof f === "function" ? (f as Interpolator) : null;
}

/** d3-scale-chromatic's categorical colours for `scheme` ("Tableau10"); null when it has none. */
export function schemeColors(scheme: string): readonly string[] | null {
  const c = chromaticExport(`scheme${scheme}`);
  // Categorical schemes are flat arrays of strings (the sequential ones are arrays of arrays).
  return Array.isArray(c) && c.length > 0 && c.every((x) => typeof x === "string") ? (c as string[]) : null;
}

/** A colour map as LUT_SIZE RGBA8 texels (the shader's LUT texture), reversed when asked. */
export function makeLut(interpolate: Interpolator = FALLBACK_INTERPOLATOR, reversed = false): Uint8Array {
  const lut = new Uint8Array(LUT_SIZE * 4);
  for (let i = 0; i < LUT_SIZE; i++) {
    const c = parseColor(interpolate((reversed ? LUT_SIZE - 1 - i : i) / (LUT_SIZE - 1))) ?? MISSING_COLOR;
    lut.set(c, i * 4);
    lut[i * 4 + 3] = 255;
  }
  return lut;
}

const lutCache = new Map<string, Uint8Array>();

/**
 * The LUT of the colour map `name` (as the `color_map` trait holds it: "viridis", "rdbu_r") among
 * those `spec` declares; an unknown name draws the first (the default).
 */
export function colorMapLut(spec: AppearanceSpec | null, name: string): Uint8Array {
  const maps = spec?.colorMaps ?? [];
  const suffix = spec?.reversedSuffix ?? "_r";
  let entry = maps.find((m) => m.name === name);
  let reversed = false;
  if (!entry && suffix && name.endsWith(suffix)) {
    entry = maps.find((m) => m.name === name.slice(0, -suffix.length));
    reversed = entry !== undefined;
  }
  entry ??= maps[0];
  const scheme = entry?.scheme ?? "";
  const key = `${scheme}${reversed ? "/r" : ""}`;
  let lut = lutCache.get(key);
  if (!lut) {
    lut = makeLut(schemeInterpolator(scheme) ?? FALLBACK_INTERPOLATOR, reversed);
    lutCache.set(key, lut);
  }
  return lut;
}

/**
 * The colours of the palette `name` among those `spec` declares (an unknown name gives the
 * first, the default), at most PALETTE_MAX of them.
 */
export function paletteColors(spec: AppearanceSpec | null, name: string): RGB[] {
  const palettes = spec?.palettes ?? [];
  const entry = palettes.find((p) => p.name === name) ?? palettes[0];
  const css = (entry && (entry.scheme !== null ? schemeColors(entry.scheme) : entry.colors)) || FALLBACK_PALETTE;
  const out = css.map(parseColor).filter((c): c is RGB => c !== null);
  return (out.length > 0 ? out : FALLBACK_PALETTE.map(hex)).slice(0, PALETTE_MAX);
}

/** Where a category code's colour comes from. */
export type CategorySlot = { kind: "palette"; index: number } | { kind: "missing" } | { kind: "other" };

/** Colour slot of a category code with a palette of `paletteSize` colours; mirrors the shader's branch order. */
export function categorySlot(code: number, missingCode: number, paletteSize: number): CategorySlot {
  if (missingCode >= 0 && code === missingCode) return { kind: "missing" };
  if (code < Math.min(paletteSize, PALETTE_MAX)) return { kind: "palette", index: code };
  return { kind: "other" };
}

export function categoryColor(code: number, missingCode: number, palette: readonly RGB[]): RGB {
  const slot = categorySlot(code, missingCode, palette.length);
  if (slot.kind === "palette") return palette[slot.index];
  return slot.kind === "missing" ? MISSING_COLOR : OTHER_COLOR;
}

/** Position of `value` on the colour map in [0, 1]; NaN when missing. Equal min/max gives 0.5. */
export function valueToT(value: number, min: number, max: number): number {
  if (Number.isNaN(value)) return NaN;
  const span = max - min;
  if (!(span > 0)) return 0.5;
  return Math.min(1, Math.max(0, (value - min) / span));
}

/** Colour of a numeric value on the colour map `lut`; missing (NaN) values get MISSING_COLOR. */
export function numberColor(value: number, min: number, max: number, lut: Uint8Array): RGB {
  const t = valueToT(value, min, max);
  if (Number.isNaN(t)) return MISSING_COLOR;
  const i = Math.round(t * (LUT_SIZE - 1)) * 4;
  return [lut[i], lut[i + 1], lut[i + 2]];
}

/**
 * A point's diameter as a multiple of the point size when sized by a numeric column: from
 * `range[0]` at the column's minimum to `range[1]` at its maximum, linearly (0.5 of the way when
 * all values are equal); 1 (the point size itself) for a missing value. Mirrors the shader.
 */
export function sizeFactor(value: number, min: number, max: number, range: readonly [number, number]): number {
  const t = valueToT(value, min, max);
  if (Number.isNaN(t)) return 1;
  return range[0] + (range[1] - range[0]) * t;
}

export function cssColor(c: RGB): string {
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}

/** CSS linear-gradient of the colour map `lut`, for the numeric legend (`steps` stops sampled from it). */
export function lutGradientCss(lut: Uint8Array, steps = 33): string {
  const parts: string[] = [];
  for (let s = 0; s < steps; s++) {
    const t = s / (steps - 1);
    parts.push(`${cssColor(numberColor(t, 0, 1, lut))} ${(t * 100).toFixed(1)}%`);
  }
  return `linear-gradient(to right, ${parts.join(", ")})`;
}

export interface LegendEntry {
  label: string;
  count: number;
  color: RGB;
}

/**
 * Legend rows for a category column coloured with `palette`: one per palette colour in use,
 * the missing category as "(missing)", and the rest folded into "other (k categories)", in the
 * order the codes come (most frequent first).
 */
export function categoryLegend(col: CategoryColumn, palette: readonly RGB[]): LegendEntry[] {
  const size = Math.min(palette.length, PALETTE_MAX);
  const out: LegendEntry[] = [];
  let otherCount = 0;
  let otherK = 0;
  let missing: LegendEntry | null = null;
  for (let code = 0; code < col.categories.length; code++) {
    const count = col.counts[code] ?? 0;
    const slot = categorySlot(code, col.missingCode, size);
    if (slot.kind === "missing") {
      missing = { label: "(missing)", count, color: MISSING_COLOR };
      if (code < size) out.push(missing);
    } else if (slot.kind === "palette") {
      out.push({ label: col.categories[code], count, color: palette[slot.index] });
    } else {
      otherCount += count;
      otherK += 1;
    }
  }
  if (otherK > 0) {
    out.push({ label: `other (${otherK.toLocaleString("en-US")} categories)`, count: otherCount, color: OTHER_COLOR });
  }
  if (missing && col.missingCode >= size) out.push(missing);
  return out;
}

/** Min/max labels for a number column's legend. */
export function numberLegendRange(col: NumberColumn): [string, string] {
  return [formatNumber(col.min), formatNumber(col.max)];
}

export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a >= 1e6 || a < 1e-3)) return x.toExponential(2);
  return x.toLocaleString("en-US", { maximumFractionDigits: 3 });
}

/** Parse a CSS `rgb()`/`rgba()` colour; null when not in that form or fully transparent. */
export function parseCssRgb(css: string): RGB | null {
  const m = /^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)(?:[\s,/]+([\d.]+%?))?\s*\)$/i.exec(css.trim());
  if (!m) return null;
  if (m[4] !== undefined) {
    const a = m[4].endsWith("%") ? parseFloat(m[4]) / 100 : parseFloat(m[4]);
    if (a === 0) return null;
  }
  return [Math.round(+m[1]), Math.round(+m[2]), Math.round(+m[3])];
}
