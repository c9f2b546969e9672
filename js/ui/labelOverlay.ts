/**
 * Point labels, the semantic-query marker and focus-to-neighbour lines on a
 * 2-D canvas above the WebGL canvas. Candidates are only points that have a
 * label (from `_labels`), gathered in priority order and placed by
 * scene/labels.ts so that labels never overlap. Text is drawn with fillText.
 */

import type { Labels } from "../contract/wireColumns";
import { binarySearch } from "../interaction/selection";
import { cssColor, type RGB } from "../scene/colors";
import {
  type LabelCandidate,
  OccupancyGrid,
  PRIORITY_FOCUS,
  PRIORITY_HOVER,
  PRIORITY_NEIGHBOR,
  PRIORITY_OTHER,
  PRIORITY_SELECTED,
  placeLabels,
} from "../scene/labels";
import { anchorRows, type ClusterLevels, chooseNames, clusterCandidates, PRIORITY_CLUSTER } from "./clusterLabels";
import { h } from "./dom";

/** Label every labelled visible point only when at most this many are on screen. */
export const MAX_ALL_LABELS = 1500;
/** Cap on selected points considered for labels. */
const MAX_SELECTED_CANDIDATES = 3000;
const MAX_LABEL_CHARS = 40;
const FONT_PX = 11;
const LINE_H = 14;
const CLUSTER_FONT_PX = 13;
const CLUSTER_LINE_H = 18;
/** Radius (CSS px) of the hover ring drawn on the overlay for large sets. */
const HOVER_RING_PX = 6;

export interface LabelScene {
  width: number;
  height: number;
  dpr: number;
  foreground: RGB;
  background: RGB;
  accent: RGB;
  labels: Labels | null;
  hover: number;
  /** Mark the hovered point with a ring here (the renderer does not draw it for large sets). */
  ringHover: boolean;
  focus: number;
  neighbors: Uint32Array;
  selection: Uint32Array;
  /** Screen positions (CSS px, NaN when not shown) of rows, x then y per row. */
  positionsOf(indices: ArrayLike<number>): Float32Array;
  /** The semantic query point on screen, if any. */
  query: { x: number; y: number; text: string } | null;
  /** Areas covered by other overlays (the legend), [left, top, right, bottom] CSS px. */
  reserved: [number, number, number, number][];
  /** Cluster names to show (ui/clusterLabels.ts), or null. */
  clusters: ClusterLevels | null;
}

/** Label text of a row, or null. */
export function labelOf(labels: Labels, row: number): string | null {
  const j = binarySearch(labels.indices, row);
  return j >= 0 ? labels.texts[j] : null;
}

function shorten(text: string): string {
  const t = text.replace(/\s+/g, " ").trim();
  return t.length > MAX_LABEL_CHARS ? `${t.slice(0, MAX_LABEL_CHARS - 1)}\u2026` : t;
}

export class LabelOverlay {
  readonly el: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D | null;
  private widths = new Map<string, number>();
  private font = "";
  /** Labels drawn in the last pass. */
  count = 0;
  /** Boxes [left, top, width, height] (CSS px) of the labels drawn in the last pass. */
  boxes: ReadonlyArray<readonly [number, number, number, number]> = [];
  /** Cluster names drawn in the last pass: their boxes (as `boxes`), texts and the finest level they come from (-1: none). */
  clusterBoxes: ReadonlyArray<readonly [number, number, number, number]> = [];
  clusterTexts: readonly string[] = [];
  clusterLevel = -1;

  constructor() {
    this.el = h("canvas", "pw-labels");
    this.el.setAttribute("aria-hidden", "true");
    this.ctx = this.el.getContext("2d");
  }

  private measure(text: string, font = this.font): number {
    const key = font === this.font ? text : `${font}\u0000${text}`;
    let w = this.widths.get(key);
    if (w === undefined) {
      if (this.ctx) this.ctx.font = font;
      w = this.ctx ? this.ctx.measureText(text).width : text.length * 6;
      if (this.widths.size > 50000) this.widths.clear();
      this.widths.set(key, w);
    }
    return w;
  }

  draw(s: LabelScene, fontFamily: string): void {
    const ctx = this.ctx;
    if (!ctx) return;
    const pw = Math.max(1, Math.round(s.width * s.dpr));
    const ph = Math.max(1, Math.round(s.height * s.dpr));
    if (this.el.width !== pw) this.el.width = pw;
    if (this.el.height !== ph) this.el.height = ph;
    ctx.setTransform(s.dpr, 0, 0, s.dpr, 0, 0);
    ctx.clearRect(0, 0, s.width, s.height);
    const font = `${FONT_PX}px ${fontFamily}`;
    if (font !== this.font) {
      this.font = font;
      this.widths.clear();
    }
    ctx.font = font;
    ctx.textBaseline = "middle";

    const cands: LabelCandidate[] = [];
    const seen = new Set<number>();
    const labels = s.labels;
    const add = (rows: ArrayLike<number>, priority: number): void => {
      if (!labels || rows.length === 0) return;
      const pos = s.positionsOf(rows);
      for (let j = 0; j < rows.length; j++) {
        const row = rows[j];
        const x = pos[2 * j];
        const y = pos[2 * j + 1];
        if (seen.has(row) || !(x >= 0 && y >= 0 && x <= s.width && y <= s.height)) continue;
        const text = labelOf(labels, row);
        if (text === null || text === "") continue;
        seen.add(row);
        const t = shorten(text);
        cands.push({ x, y, width: this.measure(t) + 2, height: LINE_H, priority, index: row, text: t });
      }
    };

    // Focus-to-neighbour lines under everything else.
    if (s.focus >= 0 && s.neighbors.length > 0) {
      const f = s.positionsOf([s.focus]);
      const pos = s.positionsOf(s.neighbors);
      if (Number.isFinite(f[0])) {
        ctx.strokeStyle = cssColor(s.accent);
        ctx.globalAlpha = 0.45;
        ctx.lineWidth = 1;
        ctx.beginPath();
        for (let j = 0; j < s.neighbors.length; j++) {
          if (!Number.isFinite(pos[2 * j])) continue;
          ctx.moveTo(f[0], f[1]);
          ctx.lineTo(pos[2 * j], pos[2 * j + 1]);
        }
        ctx.stroke();
        ctx.globalAlpha = 1;
      }
    }

    const grid = new OccupancyGrid(s.width, s.height);
    for (const r of s.reserved) grid.take(r[0], r[1], r[2], r[3]);
    if (s.query && Number.isFinite(s.query.x)) {
      const q = s.query;
      drawStar(ctx, q.x, q.y, 8, s.foreground, s.background);
      // Keep the marker itself clear of labels.
      grid.take(q.x - 8, q.y - 8, q.x + 8, q.y + 8);
      const t = shorten(q.text);
      if (t) cands.push({ x: q.x + 4, y: q.y, width: this.measure(t) + 2, height: LINE_H, priority: -1, index: -1, text: t });
    }
    if (s.hover >= 0 && s.ringHover) {
      const [hx, hy] = s.positionsOf([s.hover]);
      if (Number.isFinite(hx) && Number.isFinite(hy)) {
        drawRing(ctx, hx, hy, HOVER_RING_PX, s.foreground, s.background);
        grid.take(hx - HOVER_RING_PX, hy - HOVER_RING_PX, hx + HOVER_RING_PX, hy + HOVER_RING_PX);
      }
    }
    if (s.hover >= 0) add([s.hover], PRIORITY_HOVER);
    if (s.focus >= 0) add([s.focus], PRIORITY_FOCUS);
    add(s.neighbors, PRIORITY_NEIGHBOR);
    add(s.selection.length > MAX_SELECTED_CANDIDATES ? s.selection.subarray(0, MAX_SELECTED_CANDIDATES) : s.selection, PRIORITY_SELECTED);
    if (labels && labels.indices.length > 0) {
      // Every other labelled point, when few enough are on screen.
      const pos = s.positionsOf(labels.indices);
      let onScreen = 0;
      for (let j = 0; j < labels.indices.length && onScreen <= MAX_ALL_LABELS; j++) {
        const x = pos[2 * j];
        const y = pos[2 * j + 1];
        if (x >= 0 && y >= 0 && x <= s.width && y <= s.height) onScreen++;
      }
      if (onScreen <= MAX_ALL_LABELS) {
        for (let j = 0; j < labels.indices.length; j++) {
          const row = labels.indices[j];
          const x = pos[2 * j];
          const y = pos[2 * j + 1];
          if (seen.has(row) || !(x >= 0 && y >= 0 && x <= s.width && y <= s.height) || !labels.texts[j]) continue;
          const t = shorten(labels.texts[j]);
          cands.push({ x, y, width: this.measure(t) + 2, height: LINE_H, priority: PRIORITY_OTHER, index: row, text: t });
        }
      }
    }

    const clusterFont = `600 ${CLUSTER_FONT_PX}px ${fontFamily}`;
    this.clusterLevel = -1;
    if (s.clusters) {
      // The names that fit the zoom go in with the point labels, by priority.
      const levels = s.clusters.levels;
      const anchors = levels.map((lv) => s.positionsOf(anchorRows(lv)));
      const measure = (t: string): number => this.measure(t, clusterFont);
      const shown = chooseNames(levels, anchors, s.width, s.height, measure, CLUSTER_LINE_H);
      this.clusterLevel = shown.reduce((finest, n) => Math.max(finest, n.level), -1);
      cands.push(...clusterCandidates(levels, anchors, shown, s.width, s.height, measure, CLUSTER_LINE_H));
      ctx.font = font;
    }

    const placed = placeLabels(cands, s.width, s.height, Infinity, grid);
    ctx.lineJoin = "round";
    ctx.strokeStyle = cssColor(s.background);
    ctx.fillStyle = cssColor(s.foreground);
    const points = placed.filter((p) => p.candidate.priority !== PRIORITY_CLUSTER);
    const clusters = placed.filter((p) => p.candidate.priority === PRIORITY_CLUSTER);
    for (const p of points) {
      const c = p.candidate;
      ctx.font = c.priority <= PRIORITY_FOCUS ? `600 ${font}` : font;
      ctx.lineWidth = 3;
      ctx.strokeText(c.text, p.left + 1, p.top + LINE_H / 2);
      ctx.fillText(c.text, p.left + 1, p.top + LINE_H / 2);
    }
    // Cluster names: larger, bold, with a wider halo in the background colour (legible on
    // points in light and dark themes).
    ctx.font = clusterFont;
    ctx.lineWidth = 4;
    for (const p of clusters) {
      ctx.strokeText(p.candidate.text, p.left + 2, p.top + CLUSTER_LINE_H / 2);
      ctx.fillText(p.candidate.text, p.left + 2, p.top + CLUSTER_LINE_H / 2);
    }
    ctx.font = font;
    const box = (p: (typeof placed)[number]): readonly [number, number, number, number] =>
      [p.left, p.top, p.candidate.width, p.candidate.height] as const;
    this.count = points.length;
    this.boxes = points.map(box);
    this.clusterBoxes = clusters.map(box);
    this.clusterTexts = clusters.map((p) => p.candidate.text);
  }

  clear(): void {
    this.ctx?.clearRect(0, 0, this.el.width, this.el.height);
    this.count = 0;
    this.boxes = [];
    this.clusterBoxes = [];
    this.clusterTexts = [];
  }
}

/** A ring with a halo, around a point. */
function drawRing(ctx: CanvasRenderingContext2D, x: number, y: number, r: number, fg: RGB, bg: RGB): void {
  ctx.beginPath();
  ctx.arc(x, y, r, 0, 2 * Math.PI);
  ctx.lineWidth = 4;
  ctx.strokeStyle = cssColor(bg);
  ctx.stroke();
  ctx.lineWidth = 2;
  ctx.strokeStyle = cssColor(fg);
  ctx.stroke();
}

/** A five-pointed star with a halo. */
function drawStar(ctx: CanvasRenderingContext2D, x: number, y: number, r: number, fg: RGB, bg: RGB): void {
  ctx.beginPath();
  for (let k = 0; k < 10; k++) {
    const a = -Math.PI / 2 + (k * Math.PI) / 5;
    const rr = k % 2 === 0 ? r : r * 0.45;
    const px = x + rr * Math.cos(a);
    const py = y + rr * Math.sin(a);
    if (k === 0) ctx.moveTo(px, py);
    else ctx.lineTo(px, py);
  }
  ctx.closePath();
  ctx.lineWidth = 3;
  ctx.lineJoin = "round";
  ctx.strokeStyle = cssColor(bg);
  ctx.stroke();
  ctx.fillStyle = cssColor(fg);
  ctx.fill();
}
