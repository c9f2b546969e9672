/**
 * Cluster names on the map. The kernel sends levels of clusters, coarse to fine (`_clusters`,
 * from `w.cluster()`), each cluster with its name, size and anchor row (its medoid): a label
 * goes where that row is drawn, so labels follow a moving layout without the kernel. Which
 * level shows follows the zoom (`chooseLevel`: the finest whose labels are far enough apart
 * on screen), and the labels are placed with the point labels in one pass (ui/labelOverlay.ts,
 * scene/labels.ts), largest cluster first, so none overlaps another or a point label.
 */
import { finiteOr, isNonNegativeInt, isObject } from "../contract/guards";
import type { LabelCandidate } from "../scene/labels";

/** Cluster labels go after the hovered and focused points' labels, before all others. */
export const PRIORITY_CLUSTER = 1.5;
/** A level shows when its labels' anchors are typically at least this far apart (CSS px). */
export const MIN_SPACING_PX = 90;
const MAX_CHARS = 32;

export interface ClusterLabel {
  cluster: number;
  label: string;
  size: number;
  /** The anchor row. */
  row: number;
}

export interface ClusterLevel {
  minSize: number;
  /** Largest first. */
  clusters: ClusterLabel[];
}

export interface ClusterLevels {
  version: number;
  /** The column that named them ("" when numbered). */
  column: string;
  /** Found on a layout that has changed since. */
  stale: boolean;
  levels: ClusterLevel[];
}

/**
 * Decode `_clusters`; null when there are none. Malformed clusters are skipped; a number that is
 * not finite reads as 0 (it would otherwise order and place labels at random).
 */
export function decodeClusters(raw: unknown): ClusterLevels | null {
  if (!isObject(raw) || !Array.isArray(raw.levels)) return null;
  const levels: ClusterLevel[] = [];
  for (const lv of raw.levels) {
    if (!isObject(lv) || !Array.isArray(lv.clusters)) continue;
    const clusters: ClusterLabel[] = [];
    for (const c of lv.clusters) {
      if (!isObject(c) || !isNonNegativeInt(c.row) || typeof c.label !== "string" || !isNonNegativeInt(c.cluster)) continue;
      clusters.push({ cluster: c.cluster, label: c.label, size: finiteOr(c.size, 0), row: c.row });
    }
    clusters.sort((a, b) => b.size - a.size);
    levels.push({ minSize: finiteOr(lv.min_size, 0), clusters });
  }
  if (levels.length === 0) return null;
  return {
    version: finiteOr(raw.version, 0),
    column: typeof raw.column === "string" ? raw.column : "",
    stale: raw.stale === true,
    levels,
  };
}

/** The rows anchoring a level's labels, in its order. */
export function anchorRows(level: ClusterLevel): Uint32Array {
  return Uint32Array.from(level.clusters, (c) => c.row);
}

const inside = (x: number, y: number, width: number, height: number): boolean => x >= 0 && y >= 0 && x <= width && y <= height;

/**
 * The median distance (CSS px) from each anchor on screen to its nearest other anchor
 * (`positions`: x, y per anchor, NaN when not drawn); Infinity with fewer than two on screen.
 */
export function anchorSpacing(positions: Float32Array, width: number, height: number): number {
  const pts: [number, number][] = [];
  for (let j = 0; j < positions.length; j += 2) {
    if (inside(positions[j], positions[j + 1], width, height)) pts.push([positions[j], positions[j + 1]]);
  }
  if (pts.length < 2) return Infinity;
  const nearest = pts.map(([x, y], a) => {
    let best = Infinity;
    for (let b = 0; b < pts.length; b++) if (b !== a) best = Math.min(best, Math.hypot(pts[b][0] - x, pts[b][1] - y));
    return best;
  });
  nearest.sort((a, b) => a - b);
  return nearest[nearest.length >> 1];
}

/**
 * The level to show: the finest with a name on screen whose anchors are typically `minSpacing`
 * apart there (so zooming in reveals finer clusters), else the coarsest. `positions[l]` are
 * level l's anchors.
 */
export function chooseLevel(positions: Float32Array[], width: number, height: number, minSpacing = MIN_SPACING_PX): number {
  for (let l = positions.length - 1; l > 0; l--) {
    const p = positions[l];
    let shown = false;
    for (let j = 0; j < p.length && !shown; j += 2) shown = inside(p[j], p[j + 1], width, height);
    if (shown && anchorSpacing(p, width, height) >= minSpacing) return l;
  }
  return 0;
}

function shorten(text: string): string {
  const t = text.replace(/\s+/g, " ").trim();
  return t.length > MAX_CHARS ? `${t.slice(0, MAX_CHARS - 1)}\u2026` : t;
}

/** Label candidates of `level`'s clusters on screen, largest first, centred on their anchors. */
export function clusterCandidates(
  level: ClusterLevel,
  positions: Float32Array,
  width: number,
  height: number,
  measure: (text: string) => number,
  lineHeight: number,
): LabelCandidate[] {
  const out: LabelCandidate[] = [];
  level.clusters.forEach((c, j) => {
    const x = positions[2 * j];
    const y = positions[2 * j + 1];
    const text = shorten(c.label);
    if (!inside(x, y, width, height) || text === "") return;
    out.push({ x, y, width: measure(text) + 4, height: lineHeight, priority: PRIORITY_CLUSTER, index: c.row, text, centered: true });
  });
  return out;
}
