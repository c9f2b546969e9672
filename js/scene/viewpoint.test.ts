import { describe, expect, it } from "vitest";
import type { Points } from "../contract/wirePoints";
import { fitPoints } from "./fit";
import { Viewpoint } from "./viewpoint";

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

  it("frames the part of the canvas the inspector leaves free, centred when it is closed", () => {
    const v = viewpoint();
    const p = corners([0, 0], [1, 1], 1);
    show(v, null, p);
    expect(v.cam).toEqual(fitPoints(p, VP, 0));
    v.setInsetRight(210);
    v.fitIfNeeded(p, null);
    expect(v.cam).toEqual(fitPoints(p, VP, 210));
    v.setInsetRight(0);
    v.fitIfNeeded(p, null);
    expect(v.cam).toEqual(fitPoints(p, VP, 0));
    // A view the user moved is theirs: the inspector opening over it moves nothing.
    const mine = { kind: "2d" as const, center: [0.2, 0.3] as [number, number], scale: 900 };
    v.moved(mine);
    v.setInsetRight(210);
    v.fitIfNeeded(p, null);
    expect(v.cam).toBe(mine);
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
});
