import { describe, expect, it } from "vitest";
import type { Points } from "../contract/wirePoints";
import { fitPoints } from "./fit";
import { REVEAL_MARGIN, Viewpoint } from "./viewpoint";

const VP = { width: 600, height: 400 };

/** Four 2-D points at the corners of [lo, hi], of layout `layout`. */
function corners(lo: [number, number], hi: [number, number], layout: number): Points {
  return {
    n: 4,
    dims: 2,
    transitionMs: 0,
    visible: null,
    lo: [lo[0], lo[1], 0],
    hi: [hi[0], hi[1], 0],
    coords: Uint16Array.of(0, 0, 65535, 0, 0, 65535, 65535, 65535),
    loaded: 4,
    version: 0,
    layout,
  };
}

function viewpoint(): Viewpoint {
  const v = new Viewpoint();
  v.resize(VP.width, VP.height, 1);
  return v;
}

/** Show `points` after `prev` as the renderer does. */
function show(v: Viewpoint, prev: Points | null, points: Points): void {
  v.pointsReplaced(prev, points, prev !== null && prev.n === points.n && prev.dims === points.dims, false);
  v.fitIfNeeded(points, null);
}

describe("framing new layouts", () => {
  it("fits a layout that grows while the camera is the fit, frame after frame (a running t-SNE)", () => {
    const v = viewpoint();
    let prev = corners([0, 0], [1, 1], 1);
    show(v, null, prev);
    for (const [w, h] of [
      [3, 1],
      [3, 5],
      [40, 20],
    ]) {
      const next = corners([-w, -h], [w, h], 1);
      show(v, prev, next);
      prev = next;
    }
    expect(v.cam).toEqual(fitPoints(prev, VP, 0));
  });

  it("keeps a view the user moved while the same layout moves on, and fits the next new layout", () => {
    const v = viewpoint();
    const first = corners([0, 0], [1, 1], 1);
    show(v, null, first);
    v.moved({ kind: "2d", center: [0.2, 0.3], scale: 900 });
    const grown = corners([0, 0], [2, 2], 1);
    show(v, first, grown);
    expect(v.cam).toEqual({ kind: "2d", center: [0.4, 0.6], scale: 450 }); // rebased, not refitted
    const other = corners([5, 5], [9, 7], 2);
    show(v, grown, other);
    expect(v.cam).toEqual(fitPoints(other, VP, 0));
  });

  it("pans a point out from under a strip at the right edge (the inspector), and only then", () => {
    const v = viewpoint();
    show(v, null, corners([0, 0], [1, 1], 1));
    const before = v.cam;
    expect(v.revealLeftOf(100, 210)).toBe(false);
    expect(v.cam).toBe(before);
    expect(v.revealLeftOf(560, 210)).toBe(true);
    // The view moved right by as much as the point was under the strip: it is just left of it now.
    const cam = v.cam;
    if (cam?.kind !== "2d" || before?.kind !== "2d") throw new Error("2-D cameras expected");
    expect((cam.center[0] - before.center[0]) * cam.scale).toBeCloseTo(560 - (VP.width - 210 - REVEAL_MARGIN), 9);
  });
});
