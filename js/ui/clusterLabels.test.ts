import { describe, expect, it } from "vitest";
import { type LabelCandidate, OccupancyGrid, overlaps, PRIORITY_OTHER, placeLabels } from "../scene/labels";
import {
  anchorSpacing,
  type ClusterLevel,
  chooseNames,
  clusterCandidates,
  decodeClusters,
  PRIORITY_CLUSTER,
  type Shown,
} from "./clusterLabels";

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

const level = (labels: string[], sizes: number[], parents: number[] = []): ClusterLevel => ({
  minSize: 10,
  clusters: labels.map((label, i) => ({ cluster: i, label, size: sizes[i], row: i, parent: parents[i] ?? -1 })),
});

/** The hierarchy's levels: four groups, each of three parts. */
const groupsOfThree: ClusterLevel[] = [
  level(["g0", "g1", "g2", "g3"], [300, 300, 300, 300]),
  level(
    Array.from({ length: 12 }, (_, i) => `g${Math.floor(i / 3)}.${i % 3}`),
    Array(12).fill(100),
    Array.from({ length: 12 }, (_, i) => Math.floor(i / 3)),
  ),
];

const names = (levels: ClusterLevel[], shown: Shown[]): string[] => shown.map((s) => levels[s.level].clusters[s.index].label);

describe("chooseNames", () => {
  it("names the groups zoomed out and their parts zoomed in", () => {
    expect(names(groupsOfThree, chooseNames(groupsOfThree, hierarchy(1), 600, 400))).toEqual(["g0", "g1", "g2", "g3"]);
    // The first group's parts are far apart now (the other groups are off screen, named as wholes).
    const zoomed = names(groupsOfThree, chooseNames(groupsOfThree, hierarchy(8), 600, 400));
    expect(zoomed).toEqual(expect.arrayContaining(["g0.0", "g0.1", "g0.2"]));
    expect(zoomed).not.toContain("g0");
  });

  it("names every island: one too small for the coarse level, and the parts of a coarse cluster that spans islands", () => {
    // Level 0: one cluster over three islands far apart; a fourth island is noise there and
    // a cluster of level 1 (parent -1).
    const levels = [level(["three islands"], [300]), level(["one", "two", "three", "small island"], [100, 100, 100, 40], [0, 0, 0, -1])];
    const positions = [
      anchors([[300, 200]]),
      anchors([
        [100, 100],
        [300, 300],
        [500, 100],
        [550, 350],
      ]),
    ];
    expect(names(levels, chooseNames(levels, positions, 600, 400))).toEqual(["one", "two", "three", "small island"]);
    // Zoomed out until the islands crowd: the coarse name, and still the small island's.
    const crowded = [
      anchors([[300, 200]]),
      anchors([
        [290, 195],
        [300, 205],
        [310, 195],
        [320, 210],
      ]),
    ];
    expect(names(levels, chooseNames(levels, crowded, 600, 400))).toEqual(["three islands", "small island"]);
  });

  it("keeps a cluster whole while its parts' names would cover each other", () => {
    const parts = (names: string[]): ClusterLevel[] => [level(["whole"], [200]), level(names, [100, 100], [0, 0])];
    // A 300 x 400 view, the parts 80 px apart side by side.
    const positions = [
      anchors([[150, 200]]),
      anchors([
        [110, 200],
        [190, 200],
      ]),
    ];
    const measure = (t: string): number => 8 * t.length;
    expect(names(parts(["a", "b"]), chooseNames(parts(["a", "b"]), positions, 300, 400, measure))).toEqual(["a", "b"]);
    // Names of 140 px: on or beside its anchor, each covers the other.
    const long = parts(["a long name here", "another long nam"]);
    expect(names(long, chooseNames(long, positions, 300, 400, measure))).toEqual(["whole"]);
    // One above the other, they fit.
    const stacked = [
      anchors([[150, 200]]),
      anchors([
        [150, 160],
        [150, 240],
      ]),
    ];
    expect(names(long, chooseNames(long, stacked, 300, 400, measure))).toHaveLength(2);
  });

  it("follows a cluster with one part to its parts, and shows parts whose whole is off screen", () => {
    const levels = [level(["whole"], [200]), level(["whole"], [200], [0]), level(["left", "right"], [100, 100], [0, 0])];
    const far = [
      anchors([[300, 200]]),
      anchors([[300, 200]]),
      anchors([
        [100, 200],
        [500, 200],
      ]),
    ];
    expect(chooseNames(levels, far, 600, 400)).toEqual([
      { level: 2, index: 0 },
      { level: 2, index: 1 },
    ]);
    // Zoomed into the left part: the whole's anchor is off screen, the left part's is on it.
    const offscreen = [
      anchors([[900, 200]]),
      anchors([[900, 200]]),
      anchors([
        [100, 200],
        [1500, 200],
      ]),
    ];
    expect(names(levels, chooseNames(levels, offscreen, 600, 400))).toContain("left");
    // A whole on screen whose parts are not: the whole.
    const gap = [
      anchors([[300, 200]]),
      anchors([[300, 200]]),
      anchors([
        [-400, 200],
        [1200, 200],
      ]),
    ];
    expect(names(levels, chooseNames(levels, gap, 600, 400))).toEqual(["whole"]);
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
    const cands = clusterCandidates(
      [lv],
      [pos],
      [0, 1, 2, 3].map((index) => ({ level: 0, index })),
      600,
      400,
      measure,
      18,
    );
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
      [lv],
      [
        anchors([
          [10, 10],
          [NaN, NaN],
          [700, 10],
        ]),
      ],
      [0, 1, 2].map((index) => ({ level: 0, index })),
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
            { cluster: 0, label: "a", size: 5, row: 3, parent: 2 },
            { cluster: 1, label: "b", size: 9, row: 7, parent: "x" },
            { cluster: 2, label: "<b>x</b>", size: 1, row: -1 },
            { cluster: 3, label: 4, size: 1, row: 2 },
          ],
        },
      ],
    });
    expect(out?.stale).toBe(true);
    expect(out?.levels[0].clusters.map((c) => c.label)).toEqual(["b", "a"]);
    expect(out?.levels[0].clusters.map((c) => c.parent)).toEqual([-1, 2]);
    expect(decodeClusters({})).toBeNull();
    expect(decodeClusters(null)).toBeNull();
  });
});
