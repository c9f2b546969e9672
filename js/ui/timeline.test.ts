import { describe, expect, it } from "vitest";
import { keyStep } from "./timeline";

describe("keyStep", () => {
  it("moves one step with the arrows and to the ends with Home/End, within the steps", () => {
    expect(keyStep("ArrowRight", 1, 4)).toBe(2);
    expect(keyStep("ArrowLeft", 1, 4)).toBe(0);
    expect(keyStep("ArrowLeft", 0, 4)).toBe(0);
    expect(keyStep("ArrowUp", 3, 4)).toBe(3);
    expect(keyStep("Home", 2, 4)).toBe(0);
    expect(keyStep("End", 0, 4)).toBe(3);
    expect(keyStep("a", 0, 4)).toBeNull();
  });
});
