import { describe, expect, it } from "vitest";
import { statusText } from "./status";

describe("statusText", () => {
  it("uses en-US grouping and a middle dot", () => {
    expect(statusText(1_000_000, 12_345)).toBe("1,000,000 points \u00b7 12,345 selected");
    expect(statusText(131_072, 0, 1_000_000)).toBe("131,072 of 1,000,000 points \u00b7 0 selected");
    expect(statusText(0, 0)).toBe("0 points · 0 selected");
  });
});
