/**
 * Cluster names on the map. The kernel sends levels of clusters, coarse to fine (`_clusters`,
 * from `w.cluster()`), each cluster with its name, size, anchor row (its medoid) and parent
 * (the cluster of the level above that holds it): a label goes where that row is drawn, so
 * labels follow a moving layout without the kernel. Which names show follows the zoom, cluster
 * by cluster (`chooseNames`): every island gets a name (a cluster too small for a coarser level
 * is named from the finer one that found it), and a cluster gives way to its parts once they
 * are far enough apart on screen. The labels are placed with the point labels in one pass
 * (ui/labelOverlay.ts, scene/labels.ts), largest cluster first, so none overlaps another or a
 * point label.
 */
import { finiteOr, isNonNegativeInt, isObject } from "../contract/guards";
import { type LabelCandidate, placeLabels } from "../scene/labels";

/** Cluster labels go after the hovered and focused points' labels, before all others. */
export const PRIORITY_CLUSTER = 1.5;
/** A cluster's parts are named instead of it when their anchors are typically this far apart (CSS px) and their names fit. */
export const MIN_SPACING_PX = 60;
const MAX_CHARS = 32;

export interface ClusterLabel {
  cluster: number;
  label: string;
  size: number;
  /** The anchor row. */
  row: number;
  /** The cluster (`cluster`) of the level above that holds it; -1: none (the coarsest level, or found in the noise above). */
  parent: number;
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
      const parent = Number.isInteger(c.parent) && (c.parent as number) >= 0 ? (c.parent as number) : -1;
      clusters.push({ cluster: c.cluster, label: c.label, size: finiteOr(c.size, 0), row: c.row, parent });
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

/** A name to show: cluster `index` (of `levels[level].clusters`). */
export interface Shown {
  level: number;
  index: number;
}

/** For each level, each cluster's parts: indices into the next level's clusters. */
function partsOf(levels: ClusterLevel[]): number[][][] {
  return levels.map((lv, l) => {
    const parts: number[][] = lv.clusters.map(() => []);
    const next = levels[l + 1];
    if (!next) return parts;
    const at = new Map(lv.clusters.map((c, j) => [c.cluster, j]));
    next.clusters.forEach((c, k) => {
      const j = at.get(c.parent);
      if (j !== undefined) parts[j].push(k);
    });
    return parts;
  });
}

/**
 * The names to show at this zoom, largest cluster first: a cut through the levels. The roots
 * are the coarsest level's clusters and every finer cluster found in the noise above it (so an
 * island too small for a coarser level is still named). A cluster gives way to its parts (the
 * next level's clusters inside it) when at least two of them are on screen, typically
 * `minSpacing` apart there (`anchorSpacing`), and their names (`measure`d) can all be placed on
 * or beside their anchors without covering each other (so no part loses its name to a sibling's), or when its own anchor is
 * off screen and a part's is on it; a cluster with one part is that part (the same rows, a level
 * finer). `positions[l]` are level l's anchors (x, y per cluster, NaN when not drawn).
 */
export function chooseNames(
  levels: ClusterLevel[],
  positions: Float32Array[],
  width: number,
  height: number,
  measure: (text: string) => number = (t) => 7 * t.length,
  lineHeight = 18,
  minSpacing = MIN_SPACING_PX,
): Shown[] {
  const parts = partsOf(levels);
  const on = (l: number, j: number): boolean => inside(positions[l][2 * j], positions[l][2 * j + 1], width, height);
  /** Whether the names of clusters `ks` of level `l` can all be placed at their anchors, none over another. */
  const namesFit = (l: number, ks: number[]): boolean => {
    const cands = clusterCandidates(
      levels,
      positions,
      ks.map((index) => ({ level: l, index })),
      width,
      height,
      measure,
      lineHeight,
    );
    return placeLabels(cands, width, height).length === ks.length;
  };
  const out: Shown[] = [];
  const visit = (l: number, j: number): void => {
    const kids = parts[l][j];
    if (kids.length === 1) {
      visit(l + 1, kids[0]);
      return;
    }
    if (kids.length > 1) {
      const shown = kids.filter((k) => on(l + 1, k));
      const apart = (): boolean => {
        const p = new Float32Array(shown.flatMap((k) => [positions[l + 1][2 * k], positions[l + 1][2 * k + 1]]));
        return anchorSpacing(p, width, height) >= minSpacing && namesFit(l + 1, shown);
      };
      if ((!on(l, j) && shown.length > 0) || (shown.length > 1 && apart())) {
        for (const k of kids) visit(l + 1, k);
        return;
      }
    }
    out.push({ level: l, index: j });
  };
  levels.forEach((lv, l) => {
    lv.clusters.forEach((c, j) => {
      if (l === 0 || c.parent < 0) visit(l, j);
    });
  });
  return out.sort((a, b) => levels[b.level].clusters[b.index].size - levels[a.level].clusters[a.index].size);
}

function shorten(text: string): string {
  const t = text.replace(/\s+/g, " ").trim();
  return t.length > MAX_CHARS ? `${t.slice(0, MAX_CHARS - 1)}\u2026` : t;
}

/** Label candidates of the `shown` clusters on screen, in that order, centred on their anchors. */
export function clusterCandidates(
  levels: ClusterLevel[],
  positions: Float32Array[],
  shown: Shown[],
  width: number,
  height: number,
  measure: (text: string) => number,
  lineHeight: number,
): LabelCandidate[] {
  const out: LabelCandidate[] = [];
  for (const { level, index } of shown) {
    const c = levels[level].clusters[index];
    const x = positions[level][2 * index];
    const y = positions[level][2 * index + 1];
    const text = shorten(c.label);
    if (!inside(x, y, width, height) || text === "") continue;
    out.push({ x, y, width: measure(text) + 4, height: lineHeight, priority: PRIORITY_CLUSTER, index: c.row, text, centered: true });
  }
  return out;
}
