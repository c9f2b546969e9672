import { describe, expect, it } from "vitest";
import { decodeSpec } from "../contract/protocol";
import { decodeProgress } from "../contract/wireValues";
import { SPEC_WIRE } from "../testing";
import { progressText } from "./progress";

const spec = decodeSpec(SPEC_WIRE);
const text = (raw: Record<string, unknown>): string => progressText(decodeProgress(raw), spec);

describe("progressText", () => {
  it("formats a running t-SNE and falls back to the message", () => {
    const spec = decodeSpec(SPEC_WIRE);
    const p = decodeProgress({ method: "tsne", state: "running", iteration: 250, total: 750, eta_s: 4.2, message: "" });
    expect(progressText(p, spec)).toBe("t-SNE \u00b7 iteration 250 / 750 \u00b7 ~4 s left");
    expect(progressText(decodeProgress({ method: "umap", state: "error", message: "umap-learn is not installed" }), spec)).toBe(
      "umap-learn is not installed",
    );
    expect(progressText(decodeProgress({ method: "umap", state: "paused", iteration: 5, total: 200 }), spec)).toBe(
      "UMAP \u00b7 iteration 5 / 200 \u00b7 paused",
    );
  });
});

describe("progressText of a layout in given dimensions", () => {
  it("names them, so a 2D/3D switch that runs t-SNE again says so as it runs", () => {
    const p = decodeProgress({
      method: "tsne",
      state: "running",
      iteration: 20,
      total: 400,
      eta_s: 13,
      message: "optimising layout 20/400",
    });
    expect(progressText(p, spec, 3)).toBe("t-SNE in 3-D \u00b7 optimising layout 20/400 \u00b7 ~13 s left");
    expect(progressText(p, spec)).toBe("t-SNE \u00b7 optimising layout 20/400 \u00b7 ~13 s left");
  });
});

describe("progressText with the kernel's phases", () => {
  it("shows the phase text of a running layout, before its first iteration", () => {
    expect(text({ method: "tsne", state: "running", iteration: 0, total: 0, message: "computing affinities (k-NN index)" })).toBe(
      "t-SNE \u00b7 computing affinities (k-NN index)",
    );
    expect(text({ method: "umap", state: "running", iteration: 0, total: 0, message: "building the neighbour graph" })).toBe(
      "UMAP \u00b7 building the neighbour graph",
    );
  });

  it("adds the time left to a counted phase, and 'paused' instead while paused", () => {
    const running = {
      method: "umap",
      state: "running",
      iteration: 120,
      total: 500,
      eta_s: 7.6,
      message: "optimising layout 120/500 epochs",
    };
    expect(text(running)).toBe("UMAP \u00b7 optimising layout 120/500 epochs \u00b7 ~8 s left");
    expect(text({ ...running, state: "paused" })).toBe("UMAP \u00b7 optimising layout 120/500 epochs \u00b7 paused");
    // A step that is not iterations (a k-NN search) has its own time left, without a total.
    const search = {
      method: "tsne",
      state: "running",
      iteration: 0,
      total: 0,
      eta_s: 3.2,
      message: "computing affinities: 40% (k-NN search)",
    };
    expect(text(search)).toBe("t-SNE \u00b7 computing affinities: 40% (k-NN search) \u00b7 ~3 s left");
    expect(text({ ...search, eta_s: null })).toBe("t-SNE \u00b7 computing affinities: 40% (k-NN search)");
  });

  it("shows a task's phase alone (the idle state: no method, nothing to pause)", () => {
    expect(text({ method: "", state: "idle", iteration: 3, total: 124, message: "building index 3/124 chunks" })).toBe(
      "building index 3/124 chunks",
    );
    expect(text({ method: "", state: "idle", message: "" })).toBe("");
  });

  it("keeps the iteration count when there is no phase text, and the state when done", () => {
    expect(text({ method: "tsne", state: "running", iteration: 250, total: 750, eta_s: 4.2, message: "" })).toBe(
      "t-SNE \u00b7 iteration 250 / 750 \u00b7 ~4 s left",
    );
    expect(text({ method: "tsne", state: "running", message: "" })).toBe("t-SNE \u00b7 running");
    expect(text({ method: "tsne", state: "done", iteration: 750, total: 750, message: "" })).toBe("t-SNE \u00b7 done");
  });
});
