/**
 * Property-based tests of `_clusters`' decoder (clusterLabels.ts): the levels the kernel sends
 * decode exactly, largest cluster first; anything else decodes to null or to levels whose every
 * number is finite and every anchor a row index, and nothing throws.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { garbage, labelText, run } from "../testing";
import { decodeClusters } from "./clusterLabels";

const cluster = fc.record({ cluster: fc.nat(), label: labelText, size: fc.nat(), row: fc.nat(), parent: fc.integer({ min: -1 }) });
const level = fc.record({ min_size: fc.nat(), clusters: fc.array(cluster, { maxLength: 6 }) });
const clusters = fc.record({
  version: fc.nat(),
  column: labelText,
  stale: fc.boolean(),
  levels: fc.array(level, { minLength: 1, maxLength: 4 }),
});
/** A number as a broken value may hold it. */
const number = fc.oneof(fc.double(), fc.constantFrom(-1, 0.5, 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY), garbage);

describe("decodeClusters (property)", () => {
  it("decodes the kernel's levels exactly, largest cluster first", () => {
    run(
      fc.property(clusters, (raw) => {
        const d = decodeClusters(JSON.parse(JSON.stringify(raw)));
        expect(d?.version).toBe(raw.version);
        expect(d?.column).toBe(raw.column);
        expect(d?.stale).toBe(raw.stale);
        expect(d?.levels.map((l) => l.minSize)).toEqual(raw.levels.map((l) => l.min_size));
        raw.levels.forEach((l, i) => {
          const byRow = (a: { row: number; cluster: number }, b: { row: number; cluster: number }) =>
            a.row - b.row || a.cluster - b.cluster;
          const got = [...(d?.levels[i].clusters ?? [])];
          expect(got.map((c) => c.size)).toEqual(l.clusters.map((c) => c.size).sort((a, b) => b - a));
          expect(got.sort(byRow)).toEqual([...l.clusters].sort(byRow));
        });
      }),
    );
  });

  it("decodes anything else to null or to levels of finite numbers and row indices, without throwing", () => {
    const brokenCluster = fc.oneof(
      cluster,
      fc.record({ cluster: number, label: fc.oneof(labelText, garbage), size: number, row: number, parent: number }, { requiredKeys: [] }),
      garbage,
    );
    const brokenLevel = fc.oneof(
      level,
      fc.record({ min_size: number, clusters: fc.oneof(fc.array(brokenCluster, { maxLength: 5 }), garbage) }, { requiredKeys: [] }),
      garbage,
    );
    const broken = fc.record(
      {
        version: number,
        column: fc.oneof(labelText, garbage),
        stale: garbage,
        levels: fc.oneof(fc.array(brokenLevel, { maxLength: 4 }), garbage),
      },
      { requiredKeys: ["levels"] },
    );
    run(
      fc.property(fc.oneof(broken, garbage), (raw) => {
        const d = decodeClusters(raw);
        if (d === null) return;
        expect(Number.isFinite(d.version) && typeof d.column === "string" && typeof d.stale === "boolean").toBe(true);
        expect(d.levels.length).toBeGreaterThan(0);
        for (const l of d.levels) {
          expect(Number.isFinite(l.minSize)).toBe(true);
          for (const c of l.clusters) {
            expect(Number.isInteger(c.row) && c.row >= 0 && Number.isInteger(c.cluster) && c.cluster >= 0).toBe(true);
            expect(Number.isFinite(c.size) && typeof c.label === "string").toBe(true);
            expect(Number.isInteger(c.parent) && c.parent >= -1).toBe(true);
          }
          const sizes = l.clusters.map((c) => c.size);
          expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
        }
      }),
    );
  });
});
