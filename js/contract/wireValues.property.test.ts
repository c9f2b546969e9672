/**
 * Property-based tests of the small synced values' decoders (wireValues.ts): valid values, as encoding.py
 * writes them and as anywidget hands them over (a DataView anywhere inside a larger buffer),
 * decode exactly; anything else decodes to an empty or valid value, or fails with the one
 * documented error, and never hands the renderer a NaN or an Infinity.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { garbage, labelText, name, run } from "../testing";
import { decodeBookmarks, decodeProgress, decodeQuality, decodeQueryPoint, type ProgressState } from "./wireValues";

const STATES: ProgressState[] = ["idle", "running", "paused", "done", "stopped", "error"];

describe("decodeProgress, decodeQueryPoint, decodeBookmarks (property)", () => {
  it("decode valid values exactly", () => {
    run(
      fc.property(
        fc.record({
          method: name,
          state: fc.constantFrom(...STATES),
          iteration: fc.nat(),
          total: fc.nat(),
          eta_s: fc.option(fc.double({ noNaN: true, noDefaultInfinity: true }), { nil: null }),
          message: labelText,
        }),
        fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { minLength: 2, maxLength: 3 }),
        fc.array(name, { maxLength: 10 }),
        (progress, coords, names) => {
          expect(decodeProgress(progress)).toEqual({ ...progress, etaS: progress.eta_s, eta_s: undefined });
          const q = decodeQueryPoint({ text: progress.message, coords });
          expect(q).toEqual({ text: progress.message, coords: [coords[0], coords[1], coords[2] ?? 0], dims: coords.length });
          expect(decodeBookmarks(names.map((n) => ({ name: n, extra: 1 })))).toEqual(names);
        },
      ),
    );
  });

  it("decode anything else to safe values, without throwing", () => {
    const num = fc.oneof(fc.double(), fc.anything());
    run(
      fc.property(
        fc.oneof(
          garbage,
          fc.record(
            {
              method: garbage,
              state: fc.oneof(fc.constantFrom(...STATES), garbage),
              iteration: num,
              total: num,
              eta_s: num,
              message: garbage,
            },
            { requiredKeys: [] },
          ),
        ),
        fc.oneof(garbage, fc.record({ text: garbage, coords: fc.oneof(fc.array(num, { maxLength: 4 }), garbage) })),
        fc.oneof(garbage, fc.array(fc.oneof(garbage, fc.record({ name: garbage })))),
        (progress, query, bookmarks) => {
          const p = decodeProgress(progress);
          expect(STATES).toContain(p.state);
          expect(Number.isFinite(p.iteration) && Number.isFinite(p.total)).toBe(true);
          expect(p.etaS === null || Number.isFinite(p.etaS)).toBe(true);
          expect(typeof p.method === "string" && typeof p.message === "string").toBe(true);
          const q = decodeQueryPoint(query);
          if (q) expect(q.coords.every(Number.isFinite)).toBe(true);
          expect(decodeBookmarks(bookmarks).every((b) => typeof b === "string")).toBe(true);
        },
      ),
    );
  });
});

describe("decodeQuality (property)", () => {
  const unit = fc.double({ min: 0, max: 1, noNaN: true });
  const quality = fc.record({
    version: fc.nat(),
    column: name,
    k: fc.integer({ min: 1, max: 200 }),
    metric: name,
    exact: fc.boolean(),
    evaluated: fc.nat(),
    trustworthiness: unit,
    continuity: unit,
    trustworthiness_se: unit,
    continuity_se: unit,
    stale: fc.boolean(),
  });

  it("decodes the kernel's scores exactly", () => {
    run(
      fc.property(quality, (q) => {
        expect(decodeQuality(JSON.parse(JSON.stringify(q)))).toEqual({
          version: q.version,
          column: q.column,
          k: q.k,
          metric: q.metric,
          exact: q.exact,
          evaluated: q.evaluated,
          trustworthiness: q.trustworthiness,
          continuity: q.continuity,
          trustworthinessSe: q.trustworthiness_se,
          continuitySe: q.continuity_se,
          stale: q.stale,
        });
      }),
    );
  });

  it("decodes anything else to null or scores in [0, 1] with finite fields, without throwing", () => {
    const num = fc.oneof(fc.double(), fc.constantFrom(-1, 2, Number.NaN, Number.NEGATIVE_INFINITY), garbage);
    const broken = quality.chain((q) =>
      fc.record(Object.fromEntries(Object.entries(q).map(([k, v]) => [k, fc.oneof(fc.constant(v), num)])), { requiredKeys: [] }),
    );
    run(
      fc.property(fc.oneof(broken, garbage), (raw) => {
        const q = decodeQuality(raw);
        if (q === null) return;
        for (const score of [q.trustworthiness, q.continuity]) expect(score >= 0 && score <= 1).toBe(true);
        const numbers = [q.version, q.k, q.evaluated, q.trustworthinessSe, q.continuitySe];
        expect(numbers.every(Number.isFinite) && q.trustworthinessSe >= 0 && q.continuitySe >= 0).toBe(true);
        expect(typeof q.column === "string" && typeof q.metric === "string").toBe(true);
        expect(typeof q.exact === "boolean" && typeof q.stale === "boolean").toBe(true);
      }),
    );
  });
});
