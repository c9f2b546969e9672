import { describe, expect, it } from "vitest";
import { formatDistance } from "./wireColumns";
import { decodeBookmarks, decodeProgress, decodeQueryPoint } from "./wireValues";

describe("progress and small values", () => {
  it("decodes progress, unknown states as idle", () => {
    expect(decodeProgress({ state: "bogus" }).state).toBe("idle");
  });

  it("decodes query points, bookmarks and distances", () => {
    expect(decodeQueryPoint({ text: "q", coords: [1, 2] })).toEqual({ text: "q", coords: [1, 2, 0], dims: 2 });
    expect(decodeQueryPoint({})).toBeNull();
    expect(decodeQueryPoint({ text: "q", coords: [1, NaN] })).toBeNull();
    expect(decodeBookmarks([{ name: "a" }, { x: 1 }, { name: "b" }])).toEqual(["a", "b"]);
    expect(formatDistance(0.123456)).toBe("0.1235");
    expect(formatDistance(1234.5678)).toBe("1235");
  });
});
