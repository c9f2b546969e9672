import { describe, expect, it } from "vitest";
import { dataViewAt } from "../testing";
import { typedView } from "./binary";

describe("typedView", () => {
  it("copies exactly when the offset is misaligned for the element size", () => {
    const f = Float32Array.from([1, 2, 3]);
    for (let offset = 0; offset < 8; offset++) {
      const v = typedView(dataViewAt(f, offset), Float32Array);
      expect(Array.from(v)).toEqual([1, 2, 3]);
      expect(v.byteOffset % 4).toBe(0);
    }
  });

  it("ignores trailing bytes that do not fill an element", () => {
    const v = typedView(new Uint8Array([1, 0, 2, 0, 9]), Uint16Array);
    expect(Array.from(v)).toEqual([1, 2]);
  });
});
