import { describe, expect, it } from "vitest";
import { type LabelCandidate, OccupancyGrid, overlaps, PRIORITY_OTHER, placeLabels } from "../scene/labels";
import { anchorSpacing, type ClusterLevel, chooseLevel, clusterCandidates, decodeClusters, PRIORITY_CLUSTER } from "./clusterLabels";

/** Anchors of a level as the overlay reads them: x, y per cluster. */
function anchors(points: [number, number][]): Float32Array {
  return Float32Array.from(points.flat());
}

/** Four groups of three subgroups: the coarse level's anchors and the fine level's, zoomed `zoom` times into the first group. */
function hierarchy(zoom: number): Float32Array[] {
  const groups: [number, number][] = [
    [-80, -60],
    [80, -60],
    [-80, 60],
    [80, 60],
  ];
  const subs: [number, number][] = [
    [0, -12],
    [-12, 8],
    [12, 8],
  ];
  const at = (x: number, y: number): [number, number] => [300 + zoom * (x + 80), 200 + zoom * (y + 60)];
  const coarse = anchors(groups.map(([x, y]) => at(x, y)));
  const fine = anchors(groups.flatMap(([x, y]) => subs.map(([dx, dy]) => at(x + dx, y + dy))));
  return [coarse, fine];
}

const level = (labels: string[], sizes: number[]): ClusterLevel => ({
  minSize: 10,
  clusters: labels.map((label, i) => ({ cluster: i, label, size: sizes[i], row: i })),
});

describe("chooseLevel", () => {
  it("shows the coarse level zoomed out and the finer one zoomed in", () => {
    expect(chooseLevel(hierarchy(1), 600, 400)).toBe(0);
    expect(chooseLevel(hierarchy(8), 600, 400)).toBe(1);
  });

  it("never picks a level with no name on screen over one that has", () => {
    // Zoomed into a gap: the fine anchors are all off screen, one coarse anchor is on it.
    const coarse = anchors([
      [300, 200],
      [5000, 5000],
    ]);
    const fine = anchors([
      [-400, 200],
      [1200, 200],
    ]);
    expect(chooseLevel([coarse, fine], 600, 400)).toBe(0);
  });

  it("measures spacing among anchors on screen only", () => {
    // Far apart but off screen: the two left are 10 px apart.
    const pos = anchors([
      [10, 10],
      [20, 10],
      [-500, 10],
      [2000, 10],
    ]);
    expect(anchorSpacing(pos, 600, 400)).toBe(10);
    expect(anchorSpacing(anchors([[10, 10]]), 600, 400)).toBe(Infinity);
  });
});

describe("cluster label placement", () => {
  const measure = (t: string): number => t.length * 8;

  it("places names centred, largest first, never over each other or point labels", () => {
    const lv = level(["big cluster", "middle", "small one", "tiny"], [500, 300, 200, 100]);
    // All four anchors crowd one spot: only those that fit are placed, the largest first.
    const pos = anchors([
      [100, 100],
      [104, 102],
      [98, 97],
      [300, 300],
    ]);
    const cands = clusterCandidates(lv, pos, 600, 400, measure, 18);
    expect(cands.map((c) => c.priority)).toEqual([PRIORITY_CLUSTER, PRIORITY_CLUSTER, PRIORITY_CLUSTER, PRIORITY_CLUSTER]);
    const points: LabelCandidate[] = [];
    for (let i = 0; i < 200; i++) {
      points.push({
        x: 50 + (i % 20) * 25,
        y: 60 + Math.floor(i / 20) * 30,
        width: 40,
        height: 14,
        priority: PRIORITY_OTHER,
        index: 100 + i,
        text: `p${i}`,
      });
    }
    const placed = placeLabels([...points, ...cands], 600, 400, Infinity, new OccupancyGrid(600, 400));
    const names = placed.filter((p) => p.candidate.priority === PRIORITY_CLUSTER);
    expect(names[0].candidate.text).toBe("big cluster");
    // The biggest sits centred on its anchor.
    expect(names[0].left).toBeCloseTo(100 - names[0].candidate.width / 2);
    expect(names.map((p) => p.candidate.text)).toContain("tiny");
    for (let a = 0; a < placed.length; a++) {
      for (let b = a + 1; b < placed.length; b++) expect(overlaps(placed[a], placed[b])).toBe(false);
    }
    expect(placed.length).toBeGreaterThan(names.length); // point labels fill the space left
  });

  it("skips anchors off screen or hidden and shortens long names", () => {
    const lv = level(["a".repeat(60), "hidden", "off"], [3, 2, 1]);
    const cands = clusterCandidates(
      lv,
      anchors([
        [10, 10],
        [NaN, NaN],
        [700, 10],
      ]),
      600,
      400,
      measure,
      18,
    );
    expect(cands).toHaveLength(1);
    expect(cands[0].text.length).toBe(32);
    expect(cands[0].text.endsWith("\u2026")).toBe(true);
  });
});

describe("decodeClusters", () => {
  it("decodes levels, sorts by size and skips malformed clusters", () => {
    const out = decodeClusters({
      version: 2,
      column: "text",
      stale: true,
      levels: [
        {
          min_size: 30,
          clusters: [
            { cluster: 0, label: "a", size: 5, row: 3 },
            { cluster: 1, label: "b", size: 9, row: 7 },
            { cluster: 2, label: "<b>x</b>", size: 1, row: -1 },
            { cluster: 3, label: 4, size: 1, row: 2 },
          ],
        },
      ],
    });
    expect(out?.stale).toBe(true);
    expect(out?.levels[0].clusters.map((c) => c.label)).toEqual(["b", "a"]);
    expect(decodeClusters({})).toBeNull();
    expect(decodeClusters(null)).toBeNull();
  });
});
