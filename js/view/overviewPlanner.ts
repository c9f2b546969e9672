/**
 * The overview's planner: above `overview_above` rows the kernel sends no points but a grid of
 * per-category counts (`_overview`), and this decides, each time the view settles (never during
 * a drag), what to show and what to ask the kernel for:
 *
 *   - it estimates from the grid how many rows the tiles covering the view hold;
 *   - above the overview's `budget`, the grid is shown; a finer grid is asked for when the view is
 *     much smaller than the current grid's region, or outside it;
 *   - at or below it, the quadtree tiles covering the view, at the level where a tile is about half
 *     the view, are asked for (those not held), and drawn; the grid hides once all of them are in.
 *
 * Tiles are held in a least-recently-used cache of at most `budget` points. When `selected`
 * changes the held tiles' flags are stale, and the visible ones are asked for again. Replies for
 * another layout version, or for a grid no longer wanted, are dropped. Pure logic: the view feeds
 * it the visible rectangle and the kernel's replies; it sends requests and hands what to draw to
 * `show`. The limits of its requests (the deepest level, tiles per request, lasso vertices) are
 * the kernel's (`overview` in `_spec`); without them it shows the first grid and asks for nothing.
 */
import type { OverviewLimits, Request } from "../contract/protocol";
import { type Overview, type OverviewGrid, type Tile, type TilesReply, tileBytes } from "../contract/wireOverview";

/** A rectangle in data coordinates. */
export interface Rect {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** A tile's address: level, column, row (row 0 at the domain's lowest y). */
export type TileKey = [z: number, x: number, y: number];

/** What the scene draws: the grid (null: hidden) and the tiles' points. */
export interface OverviewScene {
  grid: OverviewGrid | null;
  tiles: readonly Tile[];
}

export type OverviewMode = "grid" | "points";

/** What the test hook and the status read. */
export interface OverviewStats {
  mode: OverviewMode;
  /** Tiles held in the cache. */
  tiles: number;
  /** Points held in the cache. */
  points: number;
  /** Bytes received in tile and grid replies (their binary buffers). */
  bytes: number;
  /** Tile and grid requests sent. */
  requests: number;
  /** Points drawn now, and how many of them are flagged selected. */
  drawn: number;
  selected: number;
  /** The data rectangle of the last view seen ([x0, y0, x1, y1]; null before any). */
  view: [number, number, number, number] | null;
  /** The region of the grid shown (null: hidden). */
  grid: [number, number, number, number] | null;
}

/** The region, as a rectangle, of tile `key` of the square `domain` [x0, y0, side]. */
export function tileRect(domain: readonly [number, number, number], [z, x, y]: TileKey): Rect {
  const t = domain[2] / 2 ** z;
  return { x0: domain[0] + x * t, y0: domain[1] + y * t, x1: domain[0] + (x + 1) * t, y1: domain[1] + (y + 1) * t };
}

/**
 * The level whose tiles are about half the view (`viewSide`, the larger side of the view in data
 * units): the shallowest level whose tile side is at most half of it, within [0, levels] (the
 * quadtree's deepest level).
 */
export function tileLevel(domainSide: number, viewSide: number, levels: number): number {
  if (!(viewSide > 0) || !(domainSide > 0)) return levels;
  const z = Math.ceil(Math.log2((2 * domainSide) / viewSide) - 1e-9);
  return Math.max(0, Math.min(levels, z));
}

/** The column or row of the tile holding coordinate `v` at a level of `cells` tiles a side (edges clip to the last). */
function tileIndex(v: number, origin: number, side: number, cells: number): number {
  return Math.max(0, Math.min(cells - 1, Math.floor(((v - origin) / side) * cells)));
}

/** The tiles of level `z` that `view` overlaps (none when it misses the domain), row by row. */
export function tilesCovering(domain: readonly [number, number, number], view: Rect, z: number): TileKey[] {
  const [x0, y0, s] = domain;
  if (view.x1 < x0 || view.x0 > x0 + s || view.y1 < y0 || view.y0 > y0 + s) return [];
  const cells = 2 ** z;
  const i0 = tileIndex(view.x0, x0, s, cells);
  const i1 = tileIndex(view.x1, x0, s, cells);
  const j0 = tileIndex(view.y0, y0, s, cells);
  const j1 = tileIndex(view.y1, y0, s, cells);
  const out: TileKey[] = [];
  for (let j = j0; j <= j1; j++) for (let i = i0; i <= i1; i++) out.push([z, i, j]);
  return out;
}

export function keyOf([z, x, y]: TileKey): string {
  return `${z}/${x}/${y}`;
}

const area = (r: Rect): number => Math.max(0, r.x1 - r.x0) * Math.max(0, r.y1 - r.y0);

export function intersect(a: Rect, b: Rect): Rect | null {
  const r = { x0: Math.max(a.x0, b.x0), y0: Math.max(a.y0, b.y0), x1: Math.min(a.x1, b.x1), y1: Math.min(a.y1, b.y1) };
  return r.x1 > r.x0 && r.y1 > r.y0 ? r : null;
}

function contains(outer: Rect, inner: Rect): boolean {
  return inner.x0 >= outer.x0 && inner.y0 >= outer.y0 && inner.x1 <= outer.x1 && inner.y1 <= outer.y1;
}

export function gridRect(grid: OverviewGrid): Rect {
  const [x0, y0, x1, y1] = grid.bounds;
  return { x0, y0, x1, y1 };
}

/**
 * Rows of `grid` inside `rect`: each cell counts in proportion to the share of its area inside
 * (rows are taken as spread evenly within a cell).
 */
export function estimateRows(grid: OverviewGrid, rect: Rect): number {
  const [bx0, by0, bx1, by1] = grid.bounds;
  const [w, h] = grid.size;
  const cw = (bx1 - bx0) / w;
  const ch = (by1 - by0) / h;
  const r = intersect(rect, gridRect(grid));
  if (!r) return 0;
  const fx0 = (r.x0 - bx0) / cw;
  const fx1 = (r.x1 - bx0) / cw;
  const fy0 = (r.y0 - by0) / ch;
  const fy1 = (r.y1 - by0) / ch;
  const i0 = Math.max(0, Math.floor(fx0));
  const i1 = Math.min(w - 1, Math.ceil(fx1) - 1);
  const j0 = Math.max(0, Math.floor(fy0));
  const j1 = Math.min(h - 1, Math.ceil(fy1) - 1);
  let sum = 0;
  for (let j = j0; j <= j1; j++) {
    const fy = Math.min(fy1, j + 1) - Math.max(fy0, j);
    let row = 0;
    for (let i = i0; i <= i1; i++) {
      const c = grid.counts[j * w + i];
      if (c === 0) continue;
      row += c * (Math.min(fx1, i + 1) - Math.max(fx0, i));
    }
    sum += row * fy;
  }
  return sum;
}

/** How many times smaller (in area) the view may be than the grid's region before a finer grid is asked for. */
export const GRID_REFINE_RATIO = 16;
/** A grid asked for covers the view and this share of its width (and height) again on each side. */
export const GRID_MARGIN = 0.5;

/** What the planner needs from its surroundings. */
export interface PlannerIO {
  send(request: Request): void;
  /** The kernel's limits of overview requests (`_spec`); null: not known, nothing is asked for. */
  limits(): OverviewLimits | null;
  /** Draw this (called when what is drawn changes). */
  show(scene: OverviewScene): void;
  /** Run `fn` after `ms` (the settle delay); returns the function that cancels it. */
  schedule(fn: () => void, ms: number): () => void;
}

interface Held {
  tile: Tile;
  /** The kernel's selection counter its flags were read at. */
  selection: number;
}

/** How long the view must stay still before the planner acts, ms (a wheel burst's pause). */
export const OVERVIEW_SETTLE_MS = 200;

export class OverviewPlanner {
  overview: Overview | null = null;
  private view: Rect | null = null;
  private moving = false;
  private cancelTimer: (() => void) | null = null;
  /** The grid on screen (the first one, or one asked for since). */
  private grid: OverviewGrid | null = null;
  /** The region of the last grid asked for (a reply for another one is stale). */
  private wantedGrid: Rect | null = null;
  /** Tiles held, least recently used first (a Map keeps insertion order). */
  private readonly cache = new Map<string, Held>();
  private held = 0;
  /**
   * Tiles asked for, with the selection epoch they were asked in: a tile is asked for once per
   * epoch while it stays in view (forgotten when it leaves the view or is evicted out of view).
   */
  private readonly asked = new Map<string, number>();
  /** Bumped on every change of `selected`. */
  private epoch = 0;
  /** The largest selection counter seen in a reply, and the smallest whose flags are current. */
  private maxSelection = -1;
  private minSelection = 0;
  /** The tiles covering the view at the last decision (their keys), when it chose points. */
  private visible: string[] = [];
  private shown: OverviewScene = { grid: null, tiles: [] };
  mode: OverviewMode = "grid";
  bytes = 0;
  requests = 0;

  constructor(private readonly io: PlannerIO) {}

  /** `_overview` changed: a new layout version starts afresh; null turns the overview off. */
  setOverview(overview: Overview | null): void {
    const prev = this.overview;
    this.overview = overview;
    if (!overview || !prev || prev.version !== overview.version) {
      this.cache.clear();
      this.asked.clear();
      this.held = 0;
      this.visible = [];
      this.wantedGrid = null;
      this.maxSelection = -1;
      this.minSelection = 0;
    }
    this.grid = overview;
    this.mode = "grid";
    this.evict();
    this.publish();
    if (overview && this.view && !this.moving) this.decide();
  }

  /** The visible region changed (the camera moved, the canvas resized): act once it settles. */
  viewChanged(view: Rect): void {
    this.view = view;
    if (!this.overview) return;
    this.cancelTimer?.();
    this.cancelTimer = null;
    if (!this.moving) this.cancelTimer = this.io.schedule(() => this.settled(), OVERVIEW_SETTLE_MS);
  }

  /** A drag started (true) or ended (false): nothing is asked for while it lasts. */
  setMoving(moving: boolean): void {
    this.moving = moving;
    this.cancelTimer?.();
    this.cancelTimer = null;
    if (!moving && this.view && this.overview) this.cancelTimer = this.io.schedule(() => this.settled(), OVERVIEW_SETTLE_MS);
  }

  private settled(): void {
    this.cancelTimer = null;
    if (!this.moving) this.decide();
  }

  /** `selected` changed: the held tiles' flags are stale; the visible ones are asked for again. */
  selectionChanged(): void {
    if (!this.overview) return;
    this.epoch += 1;
    this.minSelection = this.maxSelection + 1;
    if (this.view && !this.moving) this.decide();
  }

  /** A request failed (the kernel's error reply): tiles asked for may be asked for again. */
  failed(): void {
    this.asked.clear();
    this.wantedGrid = null;
  }

  get stats(): OverviewStats {
    let drawn = 0;
    let selected = 0;
    for (const t of this.shown.tiles) {
      drawn += t.count;
      for (let i = 0; i < t.count; i++) selected += t.selected[i];
    }
    const v = this.view;
    return {
      mode: this.mode,
      tiles: this.cache.size,
      points: this.held,
      bytes: this.bytes,
      requests: this.requests,
      drawn,
      selected,
      view: v ? [v.x0, v.y0, v.x1, v.y1] : null,
      grid: this.shown.grid ? [...this.shown.grid.bounds] : null,
    };
  }

  /** A lasso drawn on the overview (screen path made data coordinates by the caller): the request, or null when it is too short. */
  lassoRequest(polygon: [number, number][], add: boolean): Request | null {
    const limits = this.io.limits();
    if (!this.overview || !limits || polygon.length < limits.polygonMin) return null;
    return {
      type: "lasso",
      version: this.overview.version,
      polygon: thinPolygon(polygon, limits.polygonMax),
      mode: add ? "add" : "replace",
    };
  }

  /** Decide what to show for the current view, and ask for what is missing. */
  decide(): void {
    const ov = this.overview;
    const view = this.view;
    const limits = this.io.limits();
    if (!ov || !view || !limits) return;
    const side = Math.max(view.x1 - view.x0, view.y1 - view.y0);
    const keys = tilesCovering(ov.domain, view, tileLevel(ov.domain[2], side, limits.levels));
    let rows = 0;
    if (keys.length > 0) {
      const cover = {
        ...tileRect(ov.domain, keys[0]),
        x1: tileRect(ov.domain, keys[keys.length - 1]).x1,
        y1: tileRect(ov.domain, keys[keys.length - 1]).y1,
      };
      // The current grid when it covers the tiles (it may be finer), the first one otherwise.
      const grid = this.grid && contains(gridRect(this.grid), cover) ? this.grid : ov;
      rows = estimateRows(grid, cover);
    }
    if (keys.length === 0 || rows > ov.budget) this.decideGrid(ov, view);
    else this.decidePoints(ov, keys, limits.maxTiles);
    this.publish();
  }

  private decideGrid(ov: Overview, view: Rect): void {
    this.visible = [];
    this.mode = "grid";
    const domain = { x0: ov.domain[0], y0: ov.domain[1], x1: ov.domain[0] + ov.domain[2], y1: ov.domain[1] + ov.domain[2] };
    const seen = intersect(view, domain);
    if (!seen) return;
    const current = this.grid ? gridRect(this.grid) : null;
    if (current && contains(current, seen) && area(seen) * GRID_REFINE_RATIO >= area(current)) return; // fine as it is
    const first = gridRect(ov);
    if (contains(first, seen) && area(seen) * GRID_REFINE_RATIO >= area(first)) {
      this.grid = ov; // the first grid is fine enough for this view
      this.wantedGrid = null;
      return;
    }
    const mx = (view.x1 - view.x0) * GRID_MARGIN;
    const my = (view.y1 - view.y0) * GRID_MARGIN;
    const wanted = intersect({ x0: view.x0 - mx, y0: view.y0 - my, x1: view.x1 + mx, y1: view.y1 + my }, domain);
    if (!wanted || (this.wantedGrid && contains(this.wantedGrid, seen) && area(seen) * GRID_REFINE_RATIO >= area(this.wantedGrid))) return;
    this.wantedGrid = wanted;
    this.requests += 1;
    this.io.send({ type: "grid", version: ov.version, bounds: [wanted.x0, wanted.y0, wanted.x1, wanted.y1] });
  }

  private decidePoints(ov: Overview, keys: TileKey[], maxTiles: number): void {
    this.visible = keys.map(keyOf);
    // Tiles of an earlier view are no longer waited for: back on them, they may be asked again.
    const now = new Set(this.visible);
    for (const key of [...this.asked.keys()]) if (!now.has(key)) this.asked.delete(key);
    const missing: TileKey[] = [];
    for (const [i, key] of this.visible.entries()) {
      const held = this.cache.get(key);
      if (held) this.touch(key, held);
      const fresh = held !== undefined && held.selection >= this.minSelection;
      if (!fresh && this.asked.get(key) !== this.epoch) missing.push(keys[i]);
    }
    for (let i = 0; i < missing.length; i += maxTiles) {
      const batch = missing.slice(i, i + maxTiles);
      for (const k of batch) this.asked.set(keyOf(k), this.epoch);
      this.requests += 1;
      this.io.send({ type: "tiles", version: ov.version, tiles: batch });
    }
    this.mode = this.visible.every((k) => this.cache.has(k)) ? "points" : "grid";
  }

  /** A `tiles` reply: held (within the budget), drawn when visible. */
  receiveTiles(reply: TilesReply): void {
    const ov = this.overview;
    if (!ov || reply.version !== ov.version) return; // another layout's
    if (reply.selection < this.maxSelection) {
      // Read before a later reply's flags: keep only tiles not held at all.
      for (const t of reply.tiles) this.bytes += tileBytes(t);
      for (const t of reply.tiles) if (!this.cache.has(keyOf([t.z, t.x, t.y]))) this.store(t, reply.selection);
    } else {
      this.maxSelection = reply.selection;
      for (const t of reply.tiles) {
        this.bytes += tileBytes(t);
        this.store(t, reply.selection);
      }
    }
    this.evict();
    if (this.visible.length > 0) this.mode = this.visible.every((k) => this.cache.has(k)) ? "points" : "grid";
    this.publish();
  }

  /** A `grid` reply: shown when it is the grid last asked for. */
  receiveGrid(grid: OverviewGrid): void {
    const ov = this.overview;
    const wanted = this.wantedGrid;
    if (!ov || grid.version !== ov.version || !wanted) return;
    const [x0, y0, x1, y1] = grid.bounds;
    const tol = 1e-6 * Math.max(wanted.x1 - wanted.x0, wanted.y1 - wanted.y0);
    if (
      Math.abs(x0 - wanted.x0) > tol ||
      Math.abs(y0 - wanted.y0) > tol ||
      Math.abs(x1 - wanted.x1) > tol ||
      Math.abs(y1 - wanted.y1) > tol
    )
      return;
    this.bytes += grid.counts.byteLength + grid.top.byteLength;
    this.grid = grid;
    this.wantedGrid = null;
    this.publish();
  }

  private store(tile: Tile, selection: number): void {
    const key = keyOf([tile.z, tile.x, tile.y]);
    const old = this.cache.get(key);
    if (old) {
      this.held -= old.tile.count;
      this.cache.delete(key);
    }
    this.cache.set(key, { tile, selection });
    this.held += tile.count;
  }

  private touch(key: string, held: Held): void {
    this.cache.delete(key);
    this.cache.set(key, held);
  }

  /** Drop the least recently used tiles until the points held fit the budget (visible ones last). */
  private evict(): void {
    const budget = this.overview?.budget ?? 0;
    if (this.held <= budget) return;
    const visible = new Set(this.visible);
    for (const pass of [false, true]) {
      for (const [key, held] of this.cache) {
        if (this.held <= budget) return;
        if (!pass && visible.has(key)) continue;
        this.cache.delete(key);
        this.held -= held.tile.count;
        // Asked again when next needed; a visible tile that did not fit is not (until the view changes).
        if (!visible.has(key)) this.asked.delete(key);
      }
    }
  }

  private publish(): void {
    const tiles: Tile[] = [];
    for (const key of this.visible) {
      const held = this.cache.get(key);
      if (held) tiles.push(held.tile);
    }
    const grid = this.overview && this.mode === "grid" ? this.grid : null;
    const prev = this.shown;
    if (prev.grid === grid && prev.tiles.length === tiles.length && prev.tiles.every((t, i) => t === tiles[i])) return;
    this.shown = { grid, tiles };
    this.io.show(this.shown);
  }

  dispose(): void {
    this.cancelTimer?.();
    this.cancelTimer = null;
  }
}

/** At most `max` vertices of `polygon`, evenly taken (a long lasso path stays within the message's limit). */
export function thinPolygon(polygon: [number, number][], max: number): [number, number][] {
  if (polygon.length <= max) return polygon;
  const out: [number, number][] = [];
  for (let i = 0; i < max; i++) out.push(polygon[Math.floor((i * polygon.length) / max)]);
  return out;
}
