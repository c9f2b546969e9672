import { describe, expect, it } from "vitest";
import type { Tile } from "../contract/wireOverview";
import { joinTiles, nearestPoint } from "./overview";

function tile(rows: number[], xy: number[], selected: number[], codes = rows.map(() => 0)): Tile {
  return {
    z: 0,
    x: 0,
    y: 0,
    count: rows.length,
    total: rows.length,
    rows: Uint32Array.from(rows),
    xy: Float32Array.from(xy),
    codes: Uint8Array.from(codes),
    selected: Uint8Array.from(selected),
  };
}

describe("joinTiles", () => {
  it("joins the tiles' points with the selected ones last, keeping each point's row, position and code", () => {
    const a = tile([10, 11, 12], [0, 0, 1, 1, 2, 2], [0, 1, 0], [3, 4, 5]);
    const b = tile([20, 21], [5, 5, 6, 6], [1, 0], [7, 8]);
    const p = joinTiles([a, b]);
    expect(p.count).toBe(5);
    expect(p.selected).toBe(2);
    expect(Array.from(p.rows)).toEqual([10, 12, 21, 11, 20]);
    expect(Array.from(p.xy)).toEqual([0, 0, 2, 2, 6, 6, 1, 1, 5, 5]);
    expect(Array.from(p.codes)).toEqual([3, 5, 8, 4, 7]);
    expect(Array.from(p.flags)).toEqual([0, 0, 0, 1, 1]);
  });

  it("is empty without tiles", () => {
    expect(joinTiles([]).count).toBe(0);
  });
});

describe("nearestPoint", () => {
  // 100 x 100 CSS px showing data [0, 10]^2 (10 px a unit, y up).
  const cam = { kind: "2d" as const, center: [5, 5] as [number, number], scale: 10 };
  const vp = { width: 100, height: 100 };
  const points = joinTiles([tile([7, 8, 9], [1, 1, 5, 5, 5.2, 5], [0, 0, 0])]);

  it("finds the point nearest the cursor within reach (screen y grows down)", () => {
    expect(points.rows[nearestPoint(points, cam, vp, 10, 90, 3, 2)]).toBe(7);
    expect(points.rows[nearestPoint(points, cam, vp, 53, 50, 3, 2)]).toBe(9);
    expect(points.rows[nearestPoint(points, cam, vp, 49, 50, 3, 2)]).toBe(8);
  });

  it("finds nothing out of reach, and nothing with a 3-D camera", () => {
    expect(nearestPoint(points, cam, vp, 30, 30, 3, 2)).toBe(-1);
    const cam3 = { kind: "3d" as const, target: [0, 0, 0] as [number, number, number], distance: 1, yaw: 0, pitch: 0, fovY: 1, radius: 1 };
    expect(nearestPoint(points, cam3, vp, 10, 90, 3, 2)).toBe(-1);
  });
});
