import { describe, expect, it } from "vitest";
import { dimensionTitle, seconds } from "./toolbar";

const tsne2d = { label: "t-SNE", iterative: true, dims: 2 };

describe("the 2D and 3D buttons' titles", () => {
  it("say that switching a t-SNE or UMAP layout runs it again, what that costs, and what stays", () => {
    expect(dimensionTitle(3, tsne2d, null, 25.2)).toBe(
      "Runs t-SNE again in 3-D (the 2-D one took 25 s); the 2-D layout stays on screen until the new one is ready",
    );
    // It ran in 3-D before: that time is the better guess.
    expect(dimensionTitle(3, tsne2d, 61, 25)).toContain("(about 61 s last time)");
    expect(dimensionTitle(3, tsne2d, null, null)).toBe(
      "Runs t-SNE again in 3-D; the 2-D layout stays on screen until the new one is ready",
    );
  });

  it("only change the view otherwise (PCA, a custom projection, the dimension shown)", () => {
    expect(dimensionTitle(2, tsne2d, 3, 3)).toMatch(/^Two-dimensional view/);
    expect(dimensionTitle(3, { label: "PCA", iterative: false, dims: null }, null, null)).toMatch(/^Three-dimensional view/);
    expect(dimensionTitle(3, null, null, null)).toMatch(/^Three-dimensional view/);
  });

  it("write durations as a person reads them", () => {
    expect(seconds(0.2)).toBe("under a second");
    expect(seconds(24.6)).toBe("25 s");
    expect(seconds(300)).toBe("5 min");
  });
});
