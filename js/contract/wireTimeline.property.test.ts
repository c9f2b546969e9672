/**
 * Property-based tests of `_timeline`'s decoder (wireTimeline.ts): a timeline as encoding.py
 * writes it (its data anywhere inside a larger buffer) decodes exactly; anything else decodes to
 * null or to a timeline whose every step has its names, finite bounds and data, and nothing
 * throws or allocates more than the value holds.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { dataViewAt, garbage, name, offset, run } from "../testing";
import { decodeTimeline } from "./wireTimeline";

const finite = fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e30, max: 1e30 });
const triple = fc.tuple(finite, finite, finite);

/** A timeline of `steps` steps of `n` rows as the kernel sends it. */
const timeline = fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 6 })).chain(([steps, n]) =>
  fc.record({
    steps: fc.constant(steps),
    n: fc.constant(n),
    dims: fc.constant(3),
    names: fc.array(name, { minLength: steps, maxLength: steps }),
    lo: fc.array(triple, { minLength: steps, maxLength: steps }),
    hi: fc.array(triple, { minLength: steps, maxLength: steps }),
    values: fc.array(fc.integer({ min: 0, max: 65535 }), { minLength: steps * n * 3, maxLength: steps * n * 3 }),
    at: offset,
  }),
);

/** A count as a broken value may hold it: huge, negative, fractional, not a number. */
const count = fc.oneof(fc.constantFrom(0, 1, 3, 2 ** 31, 2 ** 53, 1e15, 1e300, -1, 0.5, Number.NaN), garbage);

describe("decodeTimeline (property)", () => {
  it("decodes a timeline as the kernel sends it exactly", () => {
    run(
      fc.property(timeline, ({ values, at, ...wire }) => {
        const t = decodeTimeline({ ...wire, data: dataViewAt(Uint16Array.from(values), at) });
        expect(t).not.toBeNull();
        expect(t?.steps).toBe(wire.steps);
        expect(t?.names).toEqual(wire.names);
        expect(Array.from(t?.data ?? [])).toEqual(values);
      }),
    );
  });

  it("decodes anything else to null or a whole timeline, without throwing", () => {
    const broken = timeline.chain(({ values, at, ...wire }) =>
      fc.record(
        {
          steps: fc.oneof(fc.constant(wire.steps), count),
          n: fc.oneof(fc.constant(wire.n), count),
          dims: fc.oneof(fc.constant(3), fc.constant(3), garbage),
          names: fc.oneof(fc.constant(wire.names), garbage),
          lo: fc.oneof(fc.constant(wire.lo), fc.array(fc.array(fc.oneof(finite, garbage), { maxLength: 4 }), { maxLength: 5 }), garbage),
          hi: fc.oneof(fc.constant(wire.hi), garbage),
          data: fc.oneof(fc.constant(dataViewAt(Uint16Array.from(values), at)), garbage),
        },
        { requiredKeys: ["steps", "n", "dims", "lo", "hi", "data"] },
      ),
    );
    run(
      fc.property(fc.oneof(broken, garbage), (raw) => {
        const t = decodeTimeline(raw);
        if (t === null) return;
        expect(Number.isInteger(t.steps) && t.steps >= 1 && Number.isInteger(t.n) && t.n >= 0).toBe(true);
        expect(t.data.length).toBe(t.steps * t.n * 3);
        expect(t.names).toHaveLength(t.steps);
        expect(t.lo).toHaveLength(t.steps);
        expect([...t.lo, ...t.hi].flat().every(Number.isFinite)).toBe(true);
        // No more steps than the value describes: every step has its own bounds.
        expect(Array.isArray((raw as { lo: unknown[] }).lo) && (raw as { lo: unknown[] }).lo.length >= t.steps).toBe(true);
      }),
    );
  });
});
