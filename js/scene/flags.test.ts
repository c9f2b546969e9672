import { describe, expect, it } from "vitest";
import { composeFlags, FLAG_FOCUS, FLAG_HIDDEN, FLAG_NEIGHBOR, FLAG_SELECTED, hasEmphasis } from "./flags";

describe("composeFlags", () => {
  it("combines selection, neighbours, focus and visibility bits", () => {
    const out = new Uint8Array(6).fill(99);
    const count = composeFlags(out, {
      selected: Uint32Array.of(1, 2, 2, 9),
      neighbors: Uint32Array.of(2, 3, 7),
      focus: 4,
      visible: Uint8Array.of(1, 1, 1, 1, 1, 0),
    });
    expect(count).toBe(2);
    expect(Array.from(out)).toEqual([0, FLAG_SELECTED, FLAG_SELECTED | FLAG_NEIGHBOR, FLAG_NEIGHBOR, FLAG_FOCUS, FLAG_HIDDEN]);
  });

  it("treats a missing visibility mask as all shown", () => {
    const out = new Uint8Array(3).fill(8);
    composeFlags(out, { selected: new Uint32Array(0), neighbors: new Uint32Array(0), focus: -1, visible: null });
    expect(Array.from(out)).toEqual([0, 0, 0]);
  });

  it("emphasis follows any of selection, neighbours, focus", () => {
    const none = { selected: new Uint32Array(0), neighbors: new Uint32Array(0), focus: -1, visible: null };
    expect(hasEmphasis(none)).toBe(false);
    expect(hasEmphasis({ ...none, focus: 0 })).toBe(true);
    expect(hasEmphasis({ ...none, neighbors: Uint32Array.of(1) })).toBe(true);
  });
});
