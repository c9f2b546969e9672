import { describe, expect, it } from "vitest";
import { decodePickId, encodePickId, nearestHit } from "./picking";

describe("pick ids", () => {
  it("round-trip through RGBA bytes, including indices past 2^24", () => {
    for (const index of [0, 1, 255, 256, 65535, 999_999, 16_777_215, 16_777_216, 50_000_000]) {
      const [r, g, b, a] = encodePickId(index);
      expect(decodePickId(r, g, b, a)).toBe(index);
    }
  });

  it("decodes the cleared background as no point", () => {
    expect(decodePickId(0, 0, 0, 0)).toBe(-1);
  });
});

describe("nearestHit", () => {
  function block(w: number, h: number, hits: [number, number, number][]): Uint8Array {
    const px = new Uint8Array(w * h * 4);
    for (const [x, y, index] of hits) px.set(encodePickId(index), (y * w + x) * 4);
    return px;
  }

  it("returns -1 when nothing was drawn", () => {
    expect(nearestHit(new Uint8Array(7 * 7 * 4), 7, 7, 3, 3)).toBe(-1);
  });

  it("prefers the hit nearest the cursor", () => {
    const px = block(7, 7, [
      [0, 0, 10],
      [5, 3, 20],
      [3, 4, 30],
    ]);
    expect(nearestHit(px, 7, 7, 3, 3)).toBe(30);
    expect(nearestHit(px, 7, 7, 6, 3)).toBe(20);
    expect(nearestHit(px, 7, 7, 0, 1)).toBe(10);
  });
});
