import { describe, expect, it } from "vitest";
import { seededRandom } from "../testing";
import { type LabelCandidate, OccupancyGrid, overlaps, placeLabels } from "./labels";

function cand(x: number, y: number, priority: number, index: number, width = 40): LabelCandidate {
  return { x, y, width, height: 14, priority, index, text: `#${index}` };
}

describe("placeLabels", () => {
  it("never places two overlapping labels", () => {
    const rand = seededRandom(3);
    const cands = Array.from({ length: 800 }, (_, i) => cand(rand() * 400, rand() * 300, Math.floor(rand() * 5), i, 10 + rand() * 60));
    const placed = placeLabels(cands, 400, 300);
    expect(placed.length).toBeGreaterThan(20);
    expect(placed.length).toBeLessThan(800);
    for (let a = 0; a < placed.length; a++) {
      for (let b = a + 1; b < placed.length; b++) expect(overlaps(placed[a], placed[b])).toBe(false);
      const p = placed[a];
      expect(p.left).toBeGreaterThanOrEqual(0);
      expect(p.top + p.candidate.height).toBeLessThanOrEqual(300);
    }
  });

  it("places higher priorities first whatever the input order", () => {
    // Three labels competing for the same spot: only the most important wins it.
    const cands = [cand(100, 100, 4, 1), cand(100, 100, 0, 2), cand(100, 100, 2, 3)];
    const placed = placeLabels(cands, 400, 300);
    expect(placed[0].candidate.index).toBe(2);
    expect(placed.map((p) => p.candidate.priority)).toEqual([...placed.map((p) => p.candidate.priority)].sort());
    // The first takes the right side; the next falls back to the left.
    expect(placed[0].left).toBeGreaterThan(100);
    expect(placed[1].candidate.index).toBe(3);
    expect(placed[1].left + placed[1].candidate.width).toBeLessThan(100);
  });

  it("skips labels with no free spot and those off screen or NaN", () => {
    const grid = new OccupancyGrid(200, 200);
    grid.take(0, 0, 200, 200);
    expect(placeLabels([cand(50, 50, 0, 1)], 200, 200, Infinity, grid)).toHaveLength(0);
    expect(placeLabels([cand(NaN, 50, 0, 1), cand(-500, 50, 0, 2)], 200, 200)).toHaveLength(0);
  });

  it("respects the cap", () => {
    const cands = Array.from({ length: 50 }, (_, i) => cand((i % 5) * 80 + 2, Math.floor(i / 5) * 30 + 10, 1, i, 20));
    expect(placeLabels(cands, 400, 300, 7)).toHaveLength(7);
  });
});

describe("OccupancyGrid", () => {
  it("detects any overlap, including within one cell", () => {
    const g = new OccupancyGrid(100, 100, 8);
    g.take(10, 10, 20, 20);
    expect(g.free(19, 19, 30, 30)).toBe(false);
    expect(g.free(25, 25, 30, 30)).toBe(true);
    expect(g.free(90, 90, 101, 95)).toBe(false); // outside
  });
});
