import { describe, expect, it } from "vitest";
import { statusActivity } from "./progress";
import { statusText } from "./status";

describe("statusText", () => {
  it("uses en-US grouping and a middle dot", () => {
    expect(statusText(1_000_000, 12_345)).toBe("1,000,000 points \u00b7 12,345 selected");
    expect(statusText(131_072, 0, 1_000_000)).toBe("131,072 of 1,000,000 points \u00b7 0 selected");
    expect(statusText(0, 0)).toBe("0 points · 0 selected");
  });
});

describe("statusText with the kernel's work", () => {
  it("adds the work after the counts, and nothing when there is none", () => {
    expect(statusText(1000, 3, 1000, "t-SNE \u00b7 computing affinities (perplexities)")).toBe(
      "1,000 points \u00b7 3 selected \u00b7 t-SNE \u00b7 computing affinities (perplexities)",
    );
    expect(statusText(1000, 3, 1000, "")).toBe("1,000 points \u00b7 3 selected");
  });

  it("ends with what the view does not draw that was asked for", () => {
    expect(statusText(1000, 0, 1000, "", "density contours: 2-D views only")).toBe(
      "1,000 points \u00b7 0 selected \u00b7 density contours: 2-D views only",
    );
    expect(statusText(1000, 0, 1000, "t-SNE \u00b7 preparing", "x")).toBe(
      "1,000 points \u00b7 0 selected \u00b7 t-SNE \u00b7 preparing \u00b7 x",
    );
  });
});

describe("statusActivity", () => {
  const base = { method: "tsne", iteration: 0, total: 0, etaS: null };
  it("reports running and paused work and an idle task's phase, nothing once done", () => {
    expect(statusActivity({ ...base, state: "running", message: "computing affinities" }, null)).toContain("computing affinities");
    expect(statusActivity({ ...base, state: "paused", message: "optimising layout 10/500" }, null)).toContain("paused");
    expect(statusActivity({ ...base, state: "idle", message: "building index 3/124 chunks" }, null)).toBe("building index 3/124 chunks");
    expect(statusActivity({ ...base, state: "done", message: "" }, null)).toBe("");
    expect(statusActivity({ ...base, state: "idle", message: "" }, null)).toBe("");
  });
});
