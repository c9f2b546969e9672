/**
 * Label placement, pure: greedy, in priority order, against an occupancy
 * grid, so that placed labels never overlap each other (or reserved areas).
 * Only points that have a label are ever candidates, so the cost follows the
 * number of labels, not the number of points.
 */

export const PRIORITY_HOVER = 0;
export const PRIORITY_FOCUS = 1;
export const PRIORITY_NEIGHBOR = 2;
export const PRIORITY_SELECTED = 3;
export const PRIORITY_OTHER = 4;

export interface LabelCandidate {
  /** Anchor (the point) in CSS px. */
  x: number;
  y: number;
  /** Text box size in CSS px. */
  width: number;
  height: number;
  /** Lower is more important. */
  priority: number;
  /** Row index (or -1 for e.g. the query point). */
  index: number;
  text: string;
  /** Try the box centred on the anchor first (a cluster's name sits on its cluster). */
  centered?: boolean;
}

export interface PlacedLabel {
  candidate: LabelCandidate;
  /** Top-left of the text box. */
  left: number;
  top: number;
}

/** Gap between the point and its label, CSS px. */
export const LABEL_GAP = 5;

/** A grid of `cell`-px cells over a w x h area; a cell is taken once any box touches it. */
export class OccupancyGrid {
  readonly cols: number;
  readonly rows: number;
  private readonly cells: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
    readonly cell = 4,
  ) {
    this.cols = Math.max(1, Math.ceil(width / cell));
    this.rows = Math.max(1, Math.ceil(height / cell));
    this.cells = new Uint8Array(this.cols * this.rows);
  }

  private range(x0: number, y0: number, x1: number, y1: number): [number, number, number, number] {
    const c = this.cell;
    return [
      Math.max(0, Math.floor(x0 / c)),
      Math.max(0, Math.floor(y0 / c)),
      Math.min(this.cols - 1, Math.floor((x1 - 1e-6) / c)),
      Math.min(this.rows - 1, Math.floor((y1 - 1e-6) / c)),
    ];
  }

  /** Whether the box [x0, x1) x [y0, y1) is inside the area and touches no taken cell. */
  free(x0: number, y0: number, x1: number, y1: number): boolean {
    if (x0 < 0 || y0 < 0 || x1 > this.width || y1 > this.height) return false;
    const [c0, r0, c1, r1] = this.range(x0, y0, x1, y1);
    for (let r = r0; r <= r1; r++) {
      const base = r * this.cols;
      for (let c = c0; c <= c1; c++) if (this.cells[base + c]) return false;
    }
    return true;
  }

  take(x0: number, y0: number, x1: number, y1: number): void {
    const [c0, r0, c1, r1] = this.range(x0, y0, x1, y1);
    for (let r = r0; r <= r1; r++) {
      const base = r * this.cols;
      for (let c = c0; c <= c1; c++) this.cells[base + c] = 1;
    }
  }
}

/**
 * Place labels greedily: candidates sorted by priority (stable), each tried
 * right of, left of, above and below its point; the first free spot wins and
 * labels with no free spot are skipped. `maxLabels` caps the result.
 */
export function placeLabels(
  candidates: LabelCandidate[],
  width: number,
  height: number,
  maxLabels = Infinity,
  grid: OccupancyGrid = new OccupancyGrid(width, height),
): PlacedLabel[] {
  const order = candidates.map((c, k) => ({ c, k })).sort((a, b) => a.c.priority - b.c.priority || a.k - b.k);
  const placed: PlacedLabel[] = [];
  for (const { c } of order) {
    if (placed.length >= maxLabels) break;
    if (!Number.isFinite(c.x) || !Number.isFinite(c.y)) continue;
    const w = c.width;
    const hh = c.height;
    const spots: [number, number][] = [
      ...(c.centered ? [[c.x - w / 2, c.y - hh / 2] as [number, number]] : []),
      [c.x + LABEL_GAP, c.y - hh / 2],
      [c.x - LABEL_GAP - w, c.y - hh / 2],
      [c.x - w / 2, c.y - LABEL_GAP - hh],
      [c.x - w / 2, c.y + LABEL_GAP],
    ];
    for (const [left, top] of spots) {
      if (grid.free(left, top, left + w, top + hh)) {
        grid.take(left, top, left + w, top + hh);
        placed.push({ candidate: c, left, top });
        break;
      }
    }
  }
  return placed;
}

/** Whether two placed labels overlap (for tests and assertions). */
export function overlaps(a: PlacedLabel, b: PlacedLabel): boolean {
  return (
    a.left < b.left + b.candidate.width &&
    b.left < a.left + a.candidate.width &&
    a.top < b.top + b.candidate.height &&
    b.top < a.top + a.candidate.height
  );
}
