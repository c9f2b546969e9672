import { describe, expect, it } from "vitest";
import { decodeSpec, type Spec } from "../../contract/protocol";
import { SPEC_WIRE } from "../../testing";
import { type ParamFields, projectParams } from "./projection";

/** The kernel's rules: the `_spec` it sends. */
const SPEC = decodeSpec(SPEC_WIRE) as Spec;

/** Fields as the user may leave them: every one filled in. */
const FILLED: ParamFields = {
  components: ["2", "0", "1"],
  perplexity: "12",
  learningRate: "200",
  iterations: "300",
  seed: "7",
  nNeighbors: "8",
  minDist: "0.3",
  metric: "cosine",
  column: "text",
  x: ["left", "right"],
  y: ["down", "up"],
  regex: true,
};

/** Fields as the user may leave them: every text field empty. */
const EMPTY: ParamFields = {
  ...FILLED,
  perplexity: "",
  learningRate: "",
  iterations: "",
  seed: "",
  nNeighbors: "",
  minDist: "",
  y: ["", ""],
};

describe("the project request's parameters", () => {
  it("name only parameters the kernel declares for each of its methods (it refuses any other)", () => {
    for (const method of SPEC.methods) {
      for (const fields of [FILLED, EMPTY]) {
        const params = projectParams(method.name, fields, SPEC, 3);
        for (const name of Object.keys(params)) expect(Object.keys(method.defaults), `${method.name}: ${name}`).toContain(name);
      }
    }
  });

  it("take what the fields say, and the kernel's defaults for the empty ones", () => {
    expect(projectParams("pca", FILLED, SPEC, 3)).toEqual({ components: [2, 0, 1] });
    expect(projectParams("tsne", FILLED, SPEC, 3)).toEqual({ perplexity: 12, learning_rate: 200, n_iter: 300, seed: 7, dims: 3 });
    const tsne = SPEC.methods.find((m) => m.name === "tsne")?.defaults ?? {};
    expect(projectParams("tsne", EMPTY, SPEC, 2)).toEqual({
      perplexity: tsne.perplexity,
      learning_rate: "auto",
      n_iter: tsne.n_iter,
      seed: 0,
      dims: 2,
    });
    const umap = SPEC.methods.find((m) => m.name === "umap")?.defaults ?? {};
    expect(projectParams("umap", EMPTY, SPEC, 2)).toMatchObject({ n_neighbors: umap.n_neighbors, min_dist: umap.min_dist });
    expect(projectParams("custom", EMPTY, SPEC, 2)).toEqual({ column: "text", x: ["left", "right"], y: null, regex: true });
  });

  it("are none for a method this section has no fields for (it runs with its defaults)", () => {
    expect(projectParams("isomap", FILLED, SPEC, 2)).toEqual({});
  });
});
