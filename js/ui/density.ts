/**
 * Density contours of the points as they are drawn: d3-contour's `contourDensity` bins the
 * screen positions of the current frame into a grid, blurs it and traces the contour lines
 * (marching squares); `DensityLayer` strokes them on a canvas of the drawing buffer's size,
 * which the renderer draws under the points (scene/underlay.ts). Screen space, so the lines
 * follow pan, zoom and a streaming t-SNE/UMAP layout once they are traced again
 * (`DensityDriver`: at most every DENSITY_INTERVAL_MS, and only when the positions moved).
 * 2-D views only: in 3-D a point's screen position mixes depth into the density. The blur's
 * width follows the drawing's scale (`densityBandwidth`), so the contours keep their shape as
 * the view zooms or the cell resizes.
 */
import { contourDensity } from "d3-contour";
import { cssColor, type RGB } from "../scene/colors";
import { h } from "./dom";

/** The least time between two tracings while points move. */
export const DENSITY_INTERVAL_MS = 200;
/**
 * Points binned at most; above, every stride-th point, unweighted: the subsample has the same
 * shape of density, and the levels are d3's thresholds over that density's own range, so they
 * fall on the same contours without a weight per point.
 */
const MAX_POINTS = 200_000;

export interface DensityOptions {
  /** Standard deviation of the blur, CSS px; by default `densityBandwidth` of the points drawn. */
  bandwidth?: number;
  /** Grid cell, CSS px (a power of two); by default `densityCell` of the blur. */
  cellSize?: number;
  /** About this many contour levels (d3's nice thresholds over the density's range). */
  levels: number;
}

export const DEFAULT_DENSITY: DensityOptions = { levels: 8 };
/** The coarsest grid cell, CSS px. */
const MAX_CELL = 4;

/**
 * The blur's standard deviation (CSS px) for the points `rows` of `positions` (x, y CSS px per
 * point): half of Scott's normal-reference rule for two dimensions, sqrt(sx * sy) * n^(-1/6),
 * sx and sy the points' standard deviations on screen. Scott's rule is best for one Gaussian
 * cloud; on a layout of separate groups its spread is the spread between them, and the whole
 * rule over-smooths them into one set of rings (digits' t-SNE: the lowest three of ten levels
 * enclose every group); half keeps them apart while the blur still grows with the drawing (zoom
 * in twice as far, a blur twice as wide: the same contours over the same points). At least
 * half a pixel.
 */
export function densityBandwidth(positions: Float32Array, rows: readonly number[]): number {
  const n = rows.length;
  if (n < 2) return 1;
  let mx = 0;
  let my = 0;
  for (const i of rows) {
    mx += positions[2 * i];
    my += positions[2 * i + 1];
  }
  mx /= n;
  my /= n;
  let vx = 0;
  let vy = 0;
  for (const i of rows) {
    vx += (positions[2 * i] - mx) ** 2;
    vy += (positions[2 * i + 1] - my) ** 2;
  }
  const spread = Math.sqrt(Math.sqrt(vx / (n - 1)) * Math.sqrt(vy / (n - 1)));
  return Math.max(0.5, 0.5 * spread * n ** (-1 / 6));
}

/**
 * The grid cell (CSS px) for a blur of `bandwidth`: the largest power of two up to half of it,
 * 1 to 4 px. Binning into cells blurs as well, so a coarse grid under a narrow blur (a small
 * drawing) would join groups the blur keeps apart.
 */
export function densityCell(bandwidth: number): number {
  let cell = 1;
  while (cell * 2 <= Math.min(MAX_CELL, bandwidth / 2)) cell *= 2;
  return cell;
}

/** A contour: its level's rank (0: lowest density) and rings of [x, y] CSS px. */
export interface DensityContour {
  rank: number;
  polygons: number[][][][];
}

/**
 * Contours of the density of `positions` (x, y CSS px per point; NaN for hidden points) in a
 * `width` x `height` area; the zero level (everything) is left out.
 */
export function densityContours(
  positions: Float32Array,
  width: number,
  height: number,
  options: DensityOptions = DEFAULT_DENSITY,
): DensityContour[] {
  const n = positions.length >> 1;
  if (n === 0 || width <= 0 || height <= 0) return [];
  const stride = Math.max(1, Math.ceil(n / MAX_POINTS));
  const rows: number[] = [];
  for (let i = 0; i < n; i += stride) {
    const x = positions[2 * i];
    const y = positions[2 * i + 1];
    if (x >= 0 && y >= 0 && x <= width && y <= height) rows.push(i);
  }
  if (rows.length < 3) return [];
  const bandwidth = options.bandwidth ?? densityBandwidth(positions, rows);
  const contours = contourDensity<number>()
    .x((i) => positions[2 * i])
    .y((i) => positions[2 * i + 1])
    .size([Math.ceil(width), Math.ceil(height)])
    .cellSize(options.cellSize ?? densityCell(bandwidth))
    .bandwidth(bandwidth)
    .thresholds(options.levels)(rows);
  return contours.filter((c) => c.value > 0).map((c, rank) => ({ rank, polygons: c.coordinates }));
}

/** The canvas the contours are stroked on (the renderer's underlay). */
export class DensityLayer {
  readonly canvas: HTMLCanvasElement = h("canvas");
  private readonly ctx = this.canvas.getContext("2d");
  /** Contours drawn by the last `draw` (0 after `clear`). */
  count = 0;
  /** The separate rings (polygons) of each contour of the last `draw`, lowest level first. */
  groups: number[] = [];

  /** Stroke `contours` in `ink` on a `pixelWidth` x `pixelHeight` canvas, `scale` device px per CSS px. */
  draw(contours: DensityContour[], pixelWidth: number, pixelHeight: number, scale: number, ink: RGB): void {
    const { canvas, ctx } = this;
    if (!ctx) return;
    if (canvas.width !== pixelWidth) canvas.width = pixelWidth;
    if (canvas.height !== pixelHeight) canvas.height = pixelHeight;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, pixelWidth, pixelHeight);
    ctx.setTransform(scale, 0, 0, scale, 0, 0);
    ctx.lineJoin = "round";
    ctx.strokeStyle = cssColor(ink);
    const top = Math.max(1, contours.length - 1);
    for (const c of contours) {
      ctx.globalAlpha = 0.18 + (0.4 * c.rank) / top; // denser levels darker
      ctx.lineWidth = 1.25;
      ctx.beginPath();
      for (const polygon of c.polygons) {
        for (const ring of polygon) {
          for (const [k, [x, y]] of ring.entries()) {
            if (k === 0) ctx.moveTo(x, y);
            else ctx.lineTo(x, y);
          }
          ctx.closePath();
        }
      }
      ctx.stroke();
    }
    ctx.globalAlpha = 1;
    this.count = contours.length;
    this.groups = contours.map((c) => c.polygons.length);
  }

  clear(): void {
    this.ctx?.clearRect(0, 0, this.canvas.width, this.canvas.height);
    this.count = 0;
    this.groups = [];
  }
}

/** A cheap fingerprint of drawn positions (a sample of them, their count and the area). */
export function positionsKey(positions: Float32Array, width: number, height: number): string {
  const n = positions.length >> 1;
  const step = Math.max(1, Math.floor(n / 64));
  let sum = 0;
  for (let i = 0; i < n; i += step) {
    const x = positions[2 * i];
    const y = positions[2 * i + 1];
    if (Number.isFinite(x) && Number.isFinite(y)) sum = (sum * 31 + Math.round(x * 8) * 7 + Math.round(y * 8)) % 1e12;
  }
  return `${n}:${width}x${height}:${sum}`;
}

/**
 * When to trace again: `frame()` after every frame schedules a check at most every
 * DENSITY_INTERVAL_MS (`trace` redraws only when the positions moved).
 */
export class DensityDriver {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private last = 0;

  constructor(private readonly trace: () => void) {}

  frame(): void {
    if (this.timer !== null) return;
    const wait = Math.max(0, this.last + DENSITY_INTERVAL_MS - performance.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      this.last = performance.now();
      this.trace();
    }, wait);
  }

  dispose(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
