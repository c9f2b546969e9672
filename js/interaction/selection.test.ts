import { describe, expect, it } from "vitest";
import { seededRandom } from "../testing";
import { binarySearch, fillMask, toggleIndex, unionSorted } from "./selection";

describe("toggleIndex", () => {
  it("adds an absent index in order and removes a present one", () => {
    let s: Uint32Array = new Uint32Array(0);
    for (const i of [5, 1, 9, 5, 3]) s = toggleIndex(s, i);
    expect(Array.from(s)).toEqual([1, 3, 9]);
    expect(Array.from(toggleIndex(s, 1))).toEqual([3, 9]);
    expect(Array.from(toggleIndex(s, 10))).toEqual([1, 3, 9, 10]);
    expect(Array.from(toggleIndex(s, 0))).toEqual([0, 1, 3, 9]);
  });

  it("agrees with a Set on random toggles", () => {
    const rand = seededRandom(8);
    let s: Uint32Array = new Uint32Array(0);
    const ref = new Set<number>();
    for (let k = 0; k < 2000; k++) {
      const i = Math.floor(rand() * 300);
      s = toggleIndex(s, i);
      if (ref.has(i)) ref.delete(i);
      else ref.add(i);
    }
    expect(Array.from(s)).toEqual([...ref].sort((a, b) => a - b));
  });
});

describe("unionSorted and binarySearch", () => {
  it("merges without duplicates", () => {
    const u = unionSorted(Uint32Array.from([1, 4, 6]), Uint32Array.from([2, 4, 7, 8]));
    expect(Array.from(u)).toEqual([1, 2, 4, 6, 7, 8]);
    expect(Array.from(unionSorted(new Uint32Array(0), Uint32Array.from([3])))).toEqual([3]);
  });

  it("finds values and insertion points", () => {
    const a = Uint32Array.from([2, 4, 8]);
    expect(binarySearch(a, 4)).toBe(1);
    expect(binarySearch(a, 5)).toBe(-3);
    expect(binarySearch(a, 0)).toBe(-1);
    expect(binarySearch(a, 4000000000)).toBe(-4);
  });
});

describe("fillMask", () => {
  it("marks selected rows, ignores out-of-range ones and clears the rest", () => {
    const mask = new Uint8Array(6).fill(1);
    const count = fillMask(mask, Uint32Array.from([0, 2, 2, 5, 6, 100]));
    expect(Array.from(mask)).toEqual([1, 0, 1, 0, 0, 1]);
    expect(count).toBe(3);
  });
});
