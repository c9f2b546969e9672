import { describe, expect, it } from "vitest";
import { clampInput } from "./dom";

describe("typed numbers", () => {
  it("are clamped to the limits the kernel accepts, and refused when not numbers", () => {
    expect(clampInput("1.5", 0.1, 32)).toBe(1.5);
    expect(clampInput("500", 0.1, 32)).toBe(32);
    expect(clampInput("0", 0.1, 32)).toBe(0.1);
    expect(clampInput("-3", 0, 256)).toBe(0);
    expect(clampInput("", 0, 256)).toBeNull();
    expect(clampInput("abc", 0, 1)).toBeNull();
  });
});
