import { describe, expect, it } from "vitest";
import { decodeSpec, type OverviewLimits, type Request } from "../contract/protocol";
import type { Overview, OverviewGrid, Tile } from "../contract/wireOverview";
import { SPEC_WIRE } from "../testing";
import {
  estimateRows,
  GRID_MARGIN,
  keyOf,
  OVERVIEW_SETTLE_MS,
  OverviewPlanner,
  type OverviewScene,
  type Rect,
  thinPolygon,
  tileLevel,
  tileRect,
  tilesCovering,
} from "./overviewPlanner";

/** An overview of the square [0, 8]^2 on an 8 x 8 grid (cells of 1 x 1), `perCell` rows in every cell. */
function overview(perCell: number, budget: number, version = 4): Overview {
  const counts = new Uint32Array(64).fill(perCell);
  return {
    version,
    n: 64 * perCell,
    domain: [0, 0, 8],
    bounds: [0, 0, 8, 8],
    size: [8, 8],
    counts,
    top: new Uint8Array(64),
    max: perCell,
    column: "kind",
    categories: ["a"],
    budget,
    tileBudget: 1000,
  };
}

/** The last element (the lib target predates Array.prototype.at). */
function last<T>(xs: readonly T[]): T | undefined {
  return xs[xs.length - 1];
}

/** A tile of `count` rows, all flagged `selected`. */
function tile(z: number, x: number, y: number, count: number, selected = 0, firstRow = 0): Tile {
  return {
    z,
    x,
    y,
    count,
    total: count,
    rows: Uint32Array.from({ length: count }, (_, i) => firstRow + i),
    xy: new Float32Array(2 * count),
    codes: new Uint8Array(count),
    selected: new Uint8Array(count).fill(selected),
  };
}

/** The kernel's limits of overview requests (the `_spec` it sends). */
const LIMITS = decodeSpec(SPEC_WIRE)?.overview as OverviewLimits;

/** A planner with recorded requests, scenes and a settle timer run by hand, under `limits` (the kernel's by default). */
function setup(limits: OverviewLimits | null = LIMITS) {
  const sent: Request[] = [];
  const scenes: OverviewScene[] = [];
  const timers: { fn: () => void; ms: number; cancelled: boolean }[] = [];
  const planner = new OverviewPlanner({
    send: (r) => sent.push(r),
    limits: () => limits,
    show: (s) => scenes.push(s),
    schedule: (fn, ms) => {
      const t = { fn, ms, cancelled: false };
      timers.push(t);
      return () => {
        t.cancelled = true;
      };
    },
  });
  const settle = (): void => {
    for (const t of timers.splice(0)) if (!t.cancelled) t.fn();
  };
  /** Move the view to `rect` and let it settle. */
  const look = (rect: Rect): void => {
    planner.viewChanged(rect);
    settle();
  };
  const tileRequests = (): [number, number, number][][] =>
    sent.filter((r): r is Extract<Request, { type: "tiles" }> => r.type === "tiles").map((r) => r.tiles);
  return { planner, sent, scenes, timers, settle, look, tileRequests };
}

/** The tiles a request asked for, answered with `count` rows each. */
function answer(keys: [number, number, number][], count: number, selection = 0, version = 4, selected = 0) {
  return { version, selection, tiles: keys.map(([z, x, y]) => tile(z, x, y, count, selected)) };
}

describe("tile keys and levels", () => {
  it("picks the shallowest level whose tiles are at most half the view", () => {
    expect(tileLevel(8, 8, LIMITS.levels)).toBe(1); // tiles of 4
    expect(tileLevel(8, 3, LIMITS.levels)).toBe(3); // tiles of 1 (a level up, 2, is more than 1.5)
    expect(tileLevel(8, 4, LIMITS.levels)).toBe(2); // tiles of 2: exactly half
    expect(tileLevel(8, 100, LIMITS.levels)).toBe(0); // the whole domain is one tile
    expect(tileLevel(1, 1e-9, LIMITS.levels)).toBe(LIMITS.levels); // no deeper than the kernel's quadtree
    expect(tileLevel(1, 1e-9, 5)).toBe(5);
  });

  it("places tiles in the domain with y growing upwards", () => {
    expect(tileRect([10, -4, 8], [2, 1, 3])).toEqual({ x0: 12, y0: 2, x1: 14, y1: 4 });
    expect(keyOf([2, 1, 3])).toBe("2/1/3");
  });

  it("lists the tiles a view overlaps, row by row, clipping at the domain's edges", () => {
    expect(tilesCovering([0, 0, 8], { x0: 1, y0: 1, x1: 5, y1: 3 }, 2)).toEqual([
      [2, 0, 0],
      [2, 1, 0],
      [2, 2, 0],
      [2, 0, 1],
      [2, 1, 1],
      [2, 2, 1],
    ]);
    // The top-right edge belongs to the last tile; a view past the domain clips to it.
    expect(tilesCovering([0, 0, 8], { x0: 7, y0: 7, x1: 8, y1: 8 }, 2)).toEqual([[2, 3, 3]]);
    expect(tilesCovering([0, 0, 8], { x0: -5, y0: -5, x1: 1, y1: 1 }, 1)).toEqual([[1, 0, 0]]);
    expect(tilesCovering([0, 0, 8], { x0: 9, y0: 0, x1: 12, y1: 3 }, 1)).toEqual([]);
  });

  it("estimates the rows in a rectangle from the cells it covers, by area", () => {
    const grid: OverviewGrid = {
      version: 0,
      bounds: [0, 0, 2, 2],
      size: [2, 2],
      counts: Uint32Array.of(0, 3, 5, 100),
      top: new Uint8Array(4),
      max: 100,
    };
    expect(estimateRows(grid, { x0: 0, y0: 0, x1: 2, y1: 2 })).toBe(108);
    expect(estimateRows(grid, { x0: -9, y0: -9, x1: 9, y1: 9 })).toBe(108);
    expect(estimateRows(grid, { x0: 0, y0: 0, x1: 1, y1: 1 })).toBe(0);
    expect(estimateRows(grid, { x0: 1, y0: 1, x1: 2, y1: 2 })).toBe(100); // row 1 is the upper one
    expect(estimateRows(grid, { x0: 0.5, y0: 0.5, x1: 1.5, y1: 1.5 })).toBe(27);
    expect(estimateRows(grid, { x0: 3, y0: 3, x1: 4, y1: 4 })).toBe(0);
  });

  it("thins a long lasso path evenly to the message's limit", () => {
    const path = Array.from({ length: 10 }, (_, i): [number, number] => [i, 0]);
    expect(thinPolygon(path, 20)).toBe(path);
    expect(thinPolygon(path, 5).map((p) => p[0])).toEqual([0, 2, 4, 6, 8]);
  });
});

describe("OverviewPlanner", () => {
  it("shows the grid for the whole view and asks for nothing", () => {
    const { planner, sent, scenes, look } = setup();
    const ov = overview(10, 100);
    planner.setOverview(ov);
    look({ x0: -1, y0: -1, x1: 9, y1: 9 });
    expect(sent).toEqual([]);
    expect(planner.mode).toBe("grid");
    expect(last(scenes)).toEqual({ grid: ov, tiles: [] });
    expect(planner.stats.points).toBe(0);
  });

  it("asks for the visible tiles at or below the budget, and hides the grid once they are all in", () => {
    const { planner, scenes, look, tileRequests } = setup();
    planner.setOverview(overview(10, 100));
    // A 2 x 2 view: tiles of 1 (level 3), 3 x 3 of them covering 9 cells of 10 rows: 90 <= 100.
    look({ x0: 0, y0: 0, x1: 2, y1: 2 });
    const asked = tileRequests();
    expect(asked).toHaveLength(1);
    expect(asked[0]).toHaveLength(9);
    expect(asked[0][0]).toEqual([3, 0, 0]);
    expect(asked[0].every(([z]) => z === 3)).toBe(true);
    expect(planner.mode).toBe("grid");
    // Half the tiles in: the grid stays, with them drawn over it.
    planner.receiveTiles(answer(asked[0].slice(0, 4), 10));
    expect(planner.mode).toBe("grid");
    expect(last(scenes)?.grid).not.toBeNull();
    expect(last(scenes)?.tiles).toHaveLength(4);
    planner.receiveTiles(answer(asked[0].slice(4), 10));
    expect(planner.mode).toBe("points");
    expect(last(scenes)?.grid).toBeNull();
    expect(last(scenes)?.tiles).toHaveLength(9);
    expect(planner.stats).toMatchObject({ mode: "points", tiles: 9, points: 90, drawn: 90, bytes: 90 * 14, requests: 1 });
    // Settling again on the same view asks for nothing more.
    look({ x0: 0, y0: 0, x1: 2, y1: 2 });
    expect(tileRequests()).toHaveLength(1);
  });

  it("asks nothing during a drag, and decides once it ends and the view settles", () => {
    const { planner, timers, settle, tileRequests } = setup();
    planner.setOverview(overview(10, 100));
    planner.setMoving(true);
    planner.viewChanged({ x0: 0, y0: 0, x1: 2, y1: 2 });
    planner.viewChanged({ x0: 0.1, y0: 0, x1: 2.1, y1: 2 });
    expect(timers.filter((t) => !t.cancelled)).toHaveLength(0);
    settle();
    expect(tileRequests()).toHaveLength(0);
    planner.setMoving(false);
    const pending = timers.filter((t) => !t.cancelled);
    expect(pending.map((t) => t.ms)).toEqual([OVERVIEW_SETTLE_MS]);
    settle();
    expect(tileRequests()).toHaveLength(1);
  });

  it("asks for a finer grid when the view is much smaller than the grid, and drops other grids", () => {
    const { planner, sent, scenes, look } = setup();
    const ov = overview(1000, 100);
    planner.setOverview(ov);
    // A 1 x 1 view: its tiles hold about 2,250 rows, over the budget; it is 1/64 of the grid.
    look({ x0: 0, y0: 0, x1: 1, y1: 1 });
    const m = GRID_MARGIN;
    expect(sent).toEqual([{ type: "grid", version: 4, bounds: [0, 0, 1 + m, 1 + m] }]);
    const finer = (bounds: [number, number, number, number], version = 4): OverviewGrid => ({
      version,
      bounds,
      size: [8, 8],
      counts: new Uint32Array(64).fill(30),
      top: new Uint8Array(64),
      max: 30,
    });
    planner.receiveGrid(finer([0, 0, 3, 3])); // not the one asked for
    planner.receiveGrid(finer([0, 0, 1 + m, 1 + m], 3)); // another layout's
    expect(last(scenes)?.grid).toBe(ov);
    const wanted = finer([0, 0, 1 + m, 1 + m]);
    planner.receiveGrid(wanted);
    expect(last(scenes)?.grid).toBe(wanted);
    expect(planner.stats.bytes).toBe(64 * 5);
    // Zoomed out to the whole domain: the first grid again, with nothing asked.
    look({ x0: -1, y0: -1, x1: 9, y1: 9 });
    expect(sent).toHaveLength(1);
    expect(last(scenes)?.grid).toBe(ov);
  });

  it("drops replies for another layout version, and starts afresh when the version changes", () => {
    const { planner, look, tileRequests } = setup();
    planner.setOverview(overview(10, 100));
    look({ x0: 0, y0: 0, x1: 2, y1: 2 });
    const keys = tileRequests()[0];
    planner.receiveTiles(answer(keys, 10, 0, 3));
    expect(planner.stats.points).toBe(0);
    planner.receiveTiles(answer(keys, 10));
    expect(planner.stats.points).toBe(90);
    planner.setOverview(overview(10, 100, 5));
    expect(planner.stats).toMatchObject({ tiles: 0, points: 0, mode: "grid" });
    // The new version's tiles are asked for at once (the view is known).
    expect(tileRequests()).toHaveLength(2);
    expect((tileRequests()[1] as unknown[]).length).toBe(9);
  });

  it("evicts the least recently used tiles so the points held stay within the budget", () => {
    const { planner, look, tileRequests } = setup();
    planner.setOverview(overview(10, 100));
    look({ x0: 0, y0: 0, x1: 2, y1: 2 });
    planner.receiveTiles(answer(tileRequests()[0], 10)); // 90 held
    look({ x0: 5, y0: 5, x1: 7, y1: 7 });
    const second = tileRequests()[1];
    expect(second.every(([, x, y]) => x >= 5 && y >= 5)).toBe(true);
    planner.receiveTiles(answer(second, 10));
    expect(planner.stats.points).toBeLessThanOrEqual(100);
    expect(planner.stats.points).toBe(100); // 9 visible tiles and one of the old ones
    expect(planner.mode).toBe("points");
    // The tile kept is the old one used last; back on the first view, the other eight are asked again.
    look({ x0: 0, y0: 0, x1: 2, y1: 2 });
    expect(tileRequests()[2]).toHaveLength(8);
  });

  it("never holds more than the budget, even when the visible tiles alone exceed it", () => {
    const { planner, look, tileRequests } = setup();
    planner.setOverview(overview(10, 100));
    look({ x0: 0, y0: 0, x1: 2, y1: 2 });
    planner.receiveTiles(answer(tileRequests()[0], 30)); // 270 rows where the grid said 90
    expect(planner.stats.points).toBeLessThanOrEqual(100);
    expect(planner.mode).toBe("grid"); // not every visible tile could be held: the grid stays
  });

  it("asks for the visible tiles again when the selection changes, once, and takes their new flags", () => {
    const { planner, scenes, look, tileRequests } = setup();
    planner.setOverview(overview(10, 100));
    look({ x0: 0, y0: 0, x1: 2, y1: 2 });
    planner.receiveTiles(answer(tileRequests()[0], 10, 0));
    planner.selectionChanged();
    expect(tileRequests()).toHaveLength(2);
    expect(tileRequests()[1]).toHaveLength(9);
    // Settling again before the reply asks nothing more.
    look({ x0: 0, y0: 0, x1: 2, y1: 2 });
    expect(tileRequests()).toHaveLength(2);
    planner.receiveTiles(answer(tileRequests()[1], 10, 1, 4, 1));
    expect(last(scenes)?.tiles.every((t) => t.selected[0] === 1)).toBe(true);
    // A late reply read before that selection does not replace the new flags.
    planner.receiveTiles(answer(tileRequests()[1], 10, 0, 4, 0));
    expect(last(scenes)?.tiles.every((t) => t.selected[0] === 1)).toBe(true);
    look({ x0: 0, y0: 0, x1: 2, y1: 2 });
    expect(tileRequests()).toHaveLength(2);
  });

  it("makes a lasso request in data coordinates, adding with Shift+Alt", () => {
    const { planner } = setup();
    expect(
      planner.lassoRequest(
        [
          [0, 0],
          [1, 0],
          [1, 1],
        ],
        false,
      ),
    ).toBeNull(); // no overview
    planner.setOverview(overview(10, 100));
    expect(
      planner.lassoRequest(
        [
          [0, 0],
          [1, 0],
          [1, 1],
        ],
        true,
      ),
    ).toEqual({
      type: "lasso",
      version: 4,
      polygon: [
        [0, 0],
        [1, 0],
        [1, 1],
      ],
      mode: "add",
    });
    expect(
      planner.lassoRequest(
        [
          [0, 0],
          [1, 0],
        ],
        false,
      ),
    ).toBeNull();
    const long = Array.from({ length: 5000 }, (_, i): [number, number] => [Math.cos(i), Math.sin(i)]);
    const req = planner.lassoRequest(long, false);
    expect(req?.type === "lasso" && req.polygon.length).toBe(LIMITS.polygonMax);
  });

  it("follows the kernel's limits: tiles per request, vertices per lasso", () => {
    const { planner, look, tileRequests } = setup({ levels: 16, maxTiles: 4, polygonMin: 4, polygonMax: 5 });
    planner.setOverview(overview(10, 100));
    look({ x0: 0, y0: 0, x1: 2, y1: 2 }); // 9 tiles: in requests of at most 4
    expect(tileRequests().map((r) => r.length)).toEqual([4, 4, 1]);
    const square: [number, number][] = [
      [0, 0],
      [1, 0],
      [1, 1],
    ];
    expect(planner.lassoRequest(square, false)).toBeNull(); // fewer than 4 vertices
    const long = Array.from({ length: 50 }, (_, i): [number, number] => [Math.cos(i), Math.sin(i)]);
    const req = planner.lassoRequest(long, false);
    expect(req?.type === "lasso" && req.polygon.length).toBe(5);
  });

  it("without the kernel's limits, shows the first grid and asks for nothing", () => {
    const { planner, sent, scenes, look } = setup(null);
    const ov = overview(10, 100);
    planner.setOverview(ov);
    look({ x0: 0, y0: 0, x1: 2, y1: 2 });
    expect(sent).toEqual([]);
    expect(last(scenes)).toEqual({ grid: ov, tiles: [] });
    const zigzag = Array.from({ length: 10 }, (_, i): [number, number] => [i, i % 2]);
    expect(planner.lassoRequest(zigzag, false)).toBeNull();
  });
});

describe("OverviewPlanner, tiles that do not fit", () => {
  it("does not ask again, on every settle, for visible tiles the budget could not hold", () => {
    const { planner, look, tileRequests } = setup();
    planner.setOverview(overview(10, 100));
    look({ x0: 0, y0: 0, x1: 2, y1: 2 });
    planner.receiveTiles(answer(tileRequests()[0], 30));
    look({ x0: 0, y0: 0, x1: 2, y1: 2 });
    expect(tileRequests()).toHaveLength(1);
    // Away and back: asked again.
    look({ x0: 5, y0: 5, x1: 7, y1: 7 });
    look({ x0: 0, y0: 0, x1: 2, y1: 2 });
    expect(last(tileRequests())?.length).toBeGreaterThan(0);
    expect(last(tileRequests())?.every(([, x, y]) => x <= 2 && y <= 2)).toBe(true);
  });
});
