import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodePointsRest } from "./shared/points";
import { dataViewAt, PROPERTY_RUNS } from "./testing";
import { addPointsPart, arrivedPoints, decodePoints } from "./wire";

/** `value`, which the test needs to exist. */
function must<T>(value: T | null | undefined): T {
  if (value === null || value === undefined) throw new Error("missing value");
  return value;
}

/** A 5-point 2-D value sent in parts: rows 0-1 now, version 7. */
function firstPart() {
  const data = Uint16Array.from([1, 2, 3, 4]);
  const p = decodePoints({ n: 5, dims: 2, lo: [0, 0], hi: [1, 1], data: new DataView(data.buffer), loaded: 2, version: 7 });
  if (!p) throw new Error("decode failed");
  return p;
}

describe("points sent in parts", () => {
  it("decodes the first part into room for every row", () => {
    const p = firstPart();
    expect(p.n).toBe(5);
    expect(p.loaded).toBe(2);
    expect(p.version).toBe(7);
    expect(Array.from(p.coords)).toEqual([1, 2, 3, 4, 0, 0, 0, 0, 0, 0]);
    const shown = arrivedPoints(p);
    expect(shown.n).toBe(2);
    expect(Array.from(shown.coords)).toEqual([1, 2, 3, 4]);
  });

  it("a whole value is complete with version 0", () => {
    const data = Uint16Array.from([1, 2, 3, 4]);
    const p = decodePoints({ n: 2, dims: 2, lo: [0, 0], hi: [1, 1], data: data.buffer, version: 3 });
    expect(p?.loaded).toBe(2);
    expect(p?.version).toBe(0);
    expect(p && arrivedPoints(p)).toBe(p);
  });

  it("rejects a first part shorter than it claims", () => {
    const data = Uint16Array.from([1, 2]);
    expect(() => decodePoints({ n: 5, dims: 2, lo: [0, 0], hi: [1, 1], data: data.buffer, loaded: 2, version: 1 })).toThrow(
      /expected 4 uint16 values/,
    );
  });

  it("adds the rest in order and ignores a stale or out-of-order one", () => {
    let p = firstPart();
    const part = (start: number, values: number[], version = 7) =>
      decodePointsRest({ version, start, count: values.length / 2, data: new DataView(Uint16Array.from(values).buffer) });
    const second = part(2, [5, 6, 7, 8]);
    expect(second).not.toBeNull();
    expect(addPointsPart(p, must(part(4, [9, 10])))).toBeNull(); // skips rows 2-3
    expect(addPointsPart(p, must(part(2, [5, 6, 7, 8], 6)))).toBeNull(); // an older value's part
    const grown = addPointsPart(p, must(second));
    expect(grown?.loaded).toBe(4);
    p = must(grown);
    const done = addPointsPart(p, must(part(4, [9, 10])));
    expect(done?.loaded).toBe(5);
    expect(Array.from(must(done).coords)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(arrivedPoints(must(done)).n).toBe(5);
    expect(addPointsPart(must(done), must(part(5, [1, 1])))).toBeNull(); // nothing left to fill
  });

  it("decodes only a well-formed _points_rest value", () => {
    const data = new DataView(new Uint16Array(2).buffer);
    expect(decodePointsRest({})).toBeNull(); // no rest: the kernel's default
    expect(decodePointsRest(null)).toBeNull();
    expect(decodePointsRest({ version: 1, start: 0, data })).toBeNull();
    expect(decodePointsRest({ version: 1, start: 0, count: 1 })).toBeNull();
    expect(decodePointsRest({ version: 1, start: 0, count: 1, data: "not binary" })).toBeNull();
    expect(decodePointsRest({ version: 1, start: -1, count: 1, data })).toBeNull();
    expect(decodePointsRest({ version: 1, start: 0, count: 1.5, data })).toBeNull();
    expect(decodePointsRest({ version: Number.POSITIVE_INFINITY, start: 0, count: 1, data })).toBeNull();
    expect(decodePointsRest({ version: 1, start: 0, count: 1, data })?.data.length).toBe(2);
  });

  it("decodes a _points_rest buffer at any byte offset exactly (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -5, max: 1e9 }),
        fc.nat(),
        fc.uint16Array({ maxLength: 60 }),
        fc.integer({ min: 0, max: 7 }),
        (version, start, data, at) => {
          const out = decodePointsRest({ version, start, count: data.length >> 1, data: dataViewAt(data, at) });
          expect(out).toEqual({ version, start, count: data.length >> 1, data });
        },
      ),
      PROPERTY_RUNS,
    );
  });
});
