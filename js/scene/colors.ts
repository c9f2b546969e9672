/**
 * Colour mapping shared by the shader (as uniforms / a LUT texture) and the
 * legend (as CSS). The functions here are the CPU mirror of the shader's
 * colour logic, so the legend always shows what the points show.
 */
import type { CategoryColumn, NumberColumn } from "../wire";

export type RGB = [number, number, number];

function hex(h: string): RGB {
  const v = parseInt(h.slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

/** 20 distinct categorical colours: 10 saturated hues, then 10 lighter/darker companions. */
export const PALETTE: readonly RGB[] = [
  "#1f77d4",
  "#f28e1c",
  "#2ca02c",
  "#d62728",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#17becf",
  "#bcbd22",
  "#3b3b98",
  "#9ecae9",
  "#ffbb78",
  "#98df8a",
  "#ff9896",
  "#c5b0d5",
  "#c49c94",
  "#f7b6d2",
  "#9edae5",
  "#dbdb8d",
  "#6b6ecf",
].map(hex);

export const PALETTE_SIZE = PALETTE.length;

/** Colour of categories beyond the palette. */
export const OTHER_COLOR: RGB = hex("#7f7f7f");
/** Colour of missing values (missing category, NaN number). */
export const MISSING_COLOR: RGB = hex("#c7c7c7");
/** Colour of every point when colouring by nothing. */
export const DEFAULT_COLOR: RGB = hex("#2f7ed8");

/** Where a category code's colour comes from. */
export type CategorySlot = { kind: "palette"; index: number } | { kind: "missing" } | { kind: "other" };

/** Colour slot of a category code; mirrors the shader's branch order. */
export function categorySlot(code: number, missingCode: number): CategorySlot {
  if (missingCode >= 0 && code === missingCode) return { kind: "missing" };
  if (code < PALETTE_SIZE) return { kind: "palette", index: code };
  return { kind: "other" };
}

export function categoryColor(code: number, missingCode: number): RGB {
  const slot = categorySlot(code, missingCode);
  if (slot.kind === "palette") return PALETTE[slot.index];
  return slot.kind === "missing" ? MISSING_COLOR : OTHER_COLOR;
}

/** Viridis stops at t = 0, 0.1, ..., 1 (the published colour map's values). */
const VIRIDIS_STOPS: readonly RGB[] = [
  "#440154",
  "#482475",
  "#414487",
  "#355f8d",
  "#2a788e",
  "#21918c",
  "#22a884",
  "#44bf70",
  "#7ad151",
  "#bddf26",
  "#fde725",
].map(hex);

export const LUT_SIZE = 256;

/** A viridis-like colour map as LUT_SIZE RGBA8 texels (the shader's LUT texture). */
export function makeLut(): Uint8Array {
  const lut = new Uint8Array(LUT_SIZE * 4);
  const segments = VIRIDIS_STOPS.length - 1;
  for (let i = 0; i < LUT_SIZE; i++) {
    const t = (i / (LUT_SIZE - 1)) * segments;
    const k = Math.min(segments - 1, Math.floor(t));
    const f = t - k;
    const a = VIRIDIS_STOPS[k];
    const b = VIRIDIS_STOPS[k + 1];
    for (let c = 0; c < 3; c++) lut[i * 4 + c] = Math.round(a[c] + (b[c] - a[c]) * f);
    lut[i * 4 + 3] = 255;
  }
  return lut;
}

let lutCache: Uint8Array | null = null;
function lut(): Uint8Array {
  if (!lutCache) lutCache = makeLut();
  return lutCache;
}

/** Position of `value` on the colour map in [0, 1]; NaN when missing. Equal min/max gives 0.5. */
export function valueToT(value: number, min: number, max: number): number {
  if (Number.isNaN(value)) return NaN;
  const span = max - min;
  if (!(span > 0)) return 0.5;
  return Math.min(1, Math.max(0, (value - min) / span));
}

/** Colour of a numeric value; missing (NaN) values get MISSING_COLOR. */
export function numberColor(value: number, min: number, max: number): RGB {
  const t = valueToT(value, min, max);
  if (Number.isNaN(t)) return MISSING_COLOR;
  const i = Math.round(t * (LUT_SIZE - 1)) * 4;
  const l = lut();
  return [l[i], l[i + 1], l[i + 2]];
}

export function cssColor(c: RGB): string {
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}

/** CSS linear-gradient of the colour map, for the numeric legend. */
export function lutGradientCss(steps = 11): string {
  const parts: string[] = [];
  for (let s = 0; s < steps; s++) {
    const t = s / (steps - 1);
    parts.push(`${cssColor(numberColor(t, 0, 1))} ${(t * 100).toFixed(1)}%`);
  }
  return `linear-gradient(to right, ${parts.join(", ")})`;
}

export interface LegendEntry {
  label: string;
  count: number;
  color: RGB;
}

/**
 * Legend rows for a category column: one per palette colour in use, the
 * missing category as "(missing)", and the rest folded into
 * "other (k categories)", in the order the codes come (most frequent first).
 */
export function categoryLegend(col: CategoryColumn): LegendEntry[] {
  const out: LegendEntry[] = [];
  let otherCount = 0;
  let otherK = 0;
  let missing: LegendEntry | null = null;
  for (let code = 0; code < col.categories.length; code++) {
    const count = col.counts[code] ?? 0;
    const slot = categorySlot(code, col.missingCode);
    if (slot.kind === "missing") {
      missing = { label: "(missing)", count, color: MISSING_COLOR };
      if (code < PALETTE_SIZE) out.push(missing);
    } else if (slot.kind === "palette") {
      out.push({ label: col.categories[code], count, color: PALETTE[slot.index] });
    } else {
      otherCount += count;
      otherK += 1;
    }
  }
  if (otherK > 0) {
    out.push({ label: `other (${otherK.toLocaleString("en-US")} categories)`, count: otherCount, color: OTHER_COLOR });
  }
  if (missing && col.missingCode >= PALETTE_SIZE) out.push(missing);
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
