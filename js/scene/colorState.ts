/**
 * How the points are coloured and sized, on the CPU: the metadata columns, the colour column and
 * its mode (one colour, categories through the palette, numbers through the colour map's LUT),
 * the size column and its range, the opacity and the theme's colours. `resolve` says which
 * column values the vertex attributes read (pointBuffers.ts binds them); `applyUniforms` sets
 * the point program's colour and size uniforms for a frame. The overview draws with the same
 * palette (`overviewStyle`).
 */
import type { Column, NumberColumn } from "../contract/wireColumns";
import { DEFAULT_COLOR, MISSING_COLOR, makeLut, OTHER_COLOR, PALETTE_MAX, type RGB } from "./colors";
import type { OverviewStyle } from "./overview";
import { MODE_CATEGORY, MODE_NUMBER, MODE_SINGLE, type PointProgram } from "./shaders";

/** A colour in [0, 255] as the shader's vec3 in [0, 1]. */
export function unit(c: RGB): [number, number, number] {
  return [c[0] / 255, c[1] / 255, c[2] / 255];
}

/** Palette colours as the shader's vec3 array (PALETTE_MAX entries, unused ones black). */
function flatPalette(colors: readonly RGB[]): Float32Array {
  const flat = new Float32Array(PALETTE_MAX * 3);
  for (const [i, c] of colors.slice(0, PALETTE_MAX).entries()) flat.set(unit(c), i * 3);
  return flat;
}

/** The column values the vertex attributes read: the colour column's (codes or numbers) and the size column's. */
export interface ColumnBinding {
  color: { name: string; data: Uint8Array | Uint16Array | Float32Array; category: boolean } | null;
  size: NumberColumn | null;
}

export class ColorState {
  columns: Column[] = [];
  colorBy = "";
  /** The colour column in use (null: one colour, or a column shorter than the points). */
  colorColumn: Column | null = null;
  /** The colour map of numeric columns: LUT_SIZE RGBA8 texels. */
  lut: Uint8Array = makeLut();
  opacity = 1;
  sizeBy = "";
  sizeRange: [number, number] = [1, 1];
  /** The size column in use (null: one size). */
  sizeColumn: NumberColumn | null = null;
  background: RGB = [255, 255, 255];
  foreground: RGB = [33, 33, 33];
  accent: RGB = [25, 118, 210];
  private mode = MODE_SINGLE;
  private palette: Float32Array = flatPalette([]);
  private paletteSize = 0;

  /** The colours of categorical columns (at most PALETTE_MAX are used; later codes are "other"). */
  setPalette(colors: readonly RGB[]): void {
    this.palette = flatPalette(colors);
    this.paletteSize = Math.min(colors.length, PALETTE_MAX);
  }

  /** Opacity of the points that are not emphasised, in (0, 1]. */
  setOpacity(opacity: number): void {
    this.opacity = Number.isFinite(opacity) ? Math.min(1, Math.max(0.01, opacity)) : 1;
  }

  /**
   * The colour mode and the colour and size columns for `n` points (a column shorter than the
   * points is not used), and the values their attributes read.
   */
  resolve(n: number): ColumnBinding {
    const col = this.columns.find((c) => c.name === this.colorBy) ?? null;
    let mode = MODE_SINGLE;
    let data: Uint8Array | Uint16Array | Float32Array | null = null;
    if (col && col.kind === "category" && col.codes.length >= n) {
      mode = MODE_CATEGORY;
      data = col.codes;
    } else if (col && col.kind === "number" && col.values.length >= n) {
      mode = MODE_NUMBER;
      data = col.values;
    }
    this.mode = mode;
    this.colorColumn = mode === MODE_SINGLE ? null : col;
    const size = this.columns.find((c) => c.name === this.sizeBy) ?? null;
    this.sizeColumn = size && size.kind === "number" && size.values.length >= n ? size : null;
    return {
      color: col && data ? { name: col.name, data, category: mode === MODE_CATEGORY } : null,
      size: this.sizeColumn,
    };
  }

  /** The codes the level-of-detail draw order is stratified by: the colour column's, when it is categorical. */
  orderCodes(): ArrayLike<number> | null {
    const col = this.colorColumn;
    return col && col.kind === "category" ? col.codes : null;
  }

  /** The largest factor the size column scales a point by (1 without one). */
  get largestSizeFactor(): number {
    return this.sizeColumn ? Math.max(1, this.sizeRange[0], this.sizeRange[1]) : 1;
  }

  /** Set the point program's colour and size uniforms (the program is in use). */
  applyUniforms(gl: WebGL2RenderingContext, u: PointProgram["uniforms"]): void {
    gl.uniform1i(u.u_mode, this.mode);
    gl.uniform3fv(u.u_palette, this.palette);
    gl.uniform1i(u.u_paletteSize, this.paletteSize);
    const sized = this.sizeColumn;
    gl.uniform1i(u.u_sizeBy, sized ? 1 : 0);
    gl.uniform1f(u.u_sizeMin, sized ? sized.min : 0);
    gl.uniform1f(u.u_sizeMax, sized ? sized.max : 1);
    gl.uniform2f(u.u_sizeRange, this.sizeRange[0], this.sizeRange[1]);
    gl.uniform3fv(u.u_default, unit(DEFAULT_COLOR));
    gl.uniform3fv(u.u_other, unit(OTHER_COLOR));
    gl.uniform3fv(u.u_missing, unit(MISSING_COLOR));
    gl.uniform3fv(u.u_background, unit(this.background));
    gl.uniform3fv(u.u_ringColor, unit(this.foreground));
    gl.uniform3fv(u.u_neighborColor, unit(this.accent));
    const col = this.colorColumn;
    gl.uniform1i(u.u_missingCode, col && col.kind === "category" ? col.missingCode : -1);
    gl.uniform1f(u.u_min, col && col.kind === "number" ? col.min : 0);
    gl.uniform1f(u.u_max, col && col.kind === "number" ? col.max : 1);
  }

  /** The overview's colours: the points' palette and theme, points of `pointSize` device px. */
  overviewStyle(pointSize: number): OverviewStyle {
    return {
      palette: this.palette,
      paletteSize: this.paletteSize,
      defaultColor: unit(DEFAULT_COLOR),
      otherColor: unit(OTHER_COLOR),
      background: unit(this.background),
      pointSize,
    };
  }
}
