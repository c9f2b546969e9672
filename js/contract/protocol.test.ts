import { describe, expect, it } from "vitest";
import { SPEC_WIRE } from "../testing";
import type { WidgetModel } from "./model";
import { decodeAppearance, decodeReply, decodeSpec, isIterative, methodLabel, type Request, send } from "./protocol";

describe("decodeReply", () => {
  it("accepts row replies, a missing value as null and an empty string as itself", () => {
    expect(
      decodeReply({
        type: "row",
        index: 4,
        values: [
          ["a", "x"],
          ["b", null],
          ["c", ""],
        ],
      }),
    ).toEqual({
      type: "row",
      index: 4,
      values: [
        ["a", "x"],
        ["b", null],
        ["c", ""],
      ],
    });
    expect(decodeReply({ type: "other", index: 4 })).toBeNull();
    expect(decodeReply("row")).toBeNull();
  });

  it("refuses a row reply with any malformed pair rather than stringify it", () => {
    const row = (values: unknown, index: unknown = 4) => decodeReply({ type: "row", index, values });
    expect(
      row([
        ["a", "x"],
        ["b", 3],
      ]),
    ).toBeNull(); // a number is not text: "3" was never sent
    expect(row([["a", "x"], ["b"]])).toBeNull();
    expect(row([["a", "x", "y"]])).toBeNull();
    expect(row([[null, "x"]])).toBeNull();
    expect(row([["a", undefined]])).toBeNull();
    expect(row(["ax"])).toBeNull();
    expect(row([["a", "x"]], -1)).toBeNull();
    expect(row([["a", "x"]], 1.5)).toBeNull();
    expect(row([["a", "x"]], Number.NaN)).toBeNull();
  });

  it("never stringifies a non-text field of a reply (an object name or message stays out)", () => {
    expect(decodeReply({ type: "search", query: { a: 1 }, count: 2 })).toEqual({ type: "search", query: "", count: 2 });
    expect(decodeReply({ type: "label", column: 7, count: 1 })).toEqual({ type: "label", column: "", count: 1 });
    expect(decodeReply({ type: "error", message: ["x"] })).toEqual({ type: "error", message: "error" });
    // An object without a prototype cannot even be stringified.
    expect(decodeReply({ type: "error", message: Object.create(null) })).toEqual({ type: "error", message: "error" });
  });

  it("decodes search, label and error replies", () => {
    expect(decodeReply({ type: "search", query: "a", count: 3 })).toEqual({ type: "search", query: "a", count: 3 });
    expect(decodeReply({ type: "label", column: "c", count: 2 })).toEqual({ type: "label", column: "c", count: 2 });
    expect(decodeReply({ type: "error", message: "bad" })).toEqual({ type: "error", message: "bad" });
    expect(decodeReply({ type: "selected_ack" })).toEqual({ type: "selected_ack" });
    // A row reply without its values is not one.
    expect(decodeReply({ type: "row", index: 1 })).toBeNull();
  });

  it("rejects malformed replies", () => {
    expect(decodeReply(null)).toBeNull();
    expect(decodeReply([{ type: "error" }])).toBeNull();
    expect(decodeReply({ type: "row", index: "4", values: [] })).toBeNull();
    // The rest of points sent in parts is the _points_rest trait, never a reply.
    expect(decodeReply({ type: "points", version: 1, start: 0, count: 1 })).toBeNull();
    // Missing fields of user-facing replies get harmless values.
    expect(decodeReply({ type: "error" })).toEqual({ type: "error", message: "error" });
    expect(decodeReply({ type: "search", count: Number.NaN })).toEqual({ type: "search", query: "", count: 0 });
  });
});

describe("send", () => {
  it("puts each request on the wire as it is", () => {
    const sent: unknown[] = [];
    const model = { send: (content: unknown) => sent.push(content) } as unknown as WidgetModel;
    const requests: Request[] = [
      { type: "row", index: 3 },
      { type: "points", version: 2, start: 131072 },
      { type: "project", method: "umap", params: { n_neighbors: 15, metric: "cosine" } },
      { type: "search", query: "a", column: "", regex: false },
      { type: "isolate" },
    ];
    for (const r of requests) send(model, r);
    expect(sent).toEqual(requests);
  });
});

describe("decodeSpec", () => {
  it("keeps a parameter called __proto__ as a parameter (found by the property test)", () => {
    const raw = JSON.parse(
      '{"methods":[{"name":"m","choices":{"__proto__":["a"],"metric":["b"]}}],"k_max":1,"all_labels_max":1,"label_rows_cap":1}',
    );
    const choices = decodeSpec(raw)?.methods[0].choices ?? {};
    expect(Object.keys(choices)).toEqual(["__proto__", "metric"]);
    expect(Object.getOwnPropertyDescriptor(choices, "__proto__")?.value).toEqual(["a"]);
    expect(Object.getPrototypeOf(choices)).toBe(Object.prototype);
  });

  it("decodes the kernel's methods, metrics and limits", () => {
    const spec = decodeSpec(SPEC_WIRE);
    expect(spec?.methods.map((m) => m.name)).toEqual(["pca", "tsne", "umap", "custom"]);
    expect(spec?.methods[2].choices.metric).toEqual(["euclidean", "cosine", "manhattan", "correlation"]);
    expect(spec?.methods[1].defaults.perplexity).toBe(30);
    expect(spec?.metrics).toEqual(["cosine", "euclidean"]);
    expect([spec?.kMax, spec?.allLabelsMax, spec?.labelRowsCap]).toEqual([1000, 50_000, 5_000]);
    expect(methodLabel(spec, "tsne")).toBe("t-SNE");
    expect(methodLabel(spec, "other")).toBe("other");
    expect(["pca", "tsne", "umap", "custom"].filter((m) => isIterative(spec, m))).toEqual(["tsne", "umap"]);
  });

  it("is null when absent or without its limits, and skips malformed methods", () => {
    expect(decodeSpec(undefined)).toBeNull();
    expect(decodeSpec({ ...SPEC_WIRE, k_max: "many" })).toBeNull();
    expect(decodeSpec({ ...SPEC_WIRE, methods: "pca" })).toBeNull();
    const spec = decodeSpec({ ...SPEC_WIRE, methods: [{ label: "no name" }, { name: "x", kind: "bogus", choices: { a: [1, "b"] } }] });
    expect(spec?.methods).toEqual([{ name: "x", label: "x", kind: "instant", defaults: {}, choices: { a: ["b"] } }]);
    expect(isIterative(null, "tsne")).toBe(false);
  });
});

describe("the appearance rules in _spec", () => {
  it("decode names, schemes and kinds, and skip malformed entries", () => {
    const a = decodeAppearance({
      color_maps: [
        { name: "viridis", scheme: "Viridis", kind: "sequential" },
        { name: "", scheme: "X" },
        { name: "odd", scheme: "Odd", kind: "weird" },
        3,
      ],
      palettes: [{ name: "own", colors: ["#000000", 5] }, { name: "none" }, { name: "set1", scheme: "Set1" }],
      reversed_suffix: "",
      size_factor_limits: [2, 1],
      point_size_max: "big",
    });
    expect(a.colorMaps).toEqual([
      { name: "viridis", scheme: "Viridis", kind: "sequential" },
      { name: "odd", scheme: "Odd", kind: "sequential" },
    ]);
    expect(a.palettes).toEqual([
      { name: "own", scheme: null, colors: ["#000000"] },
      { name: "set1", scheme: "Set1", colors: [] },
    ]);
    expect(a.reversedSuffix).toBe("_r");
    expect(a.sizeFactorLimits).toEqual([0.1, 32]);
    expect(a.pointSizeMax).toBe(256);
  });

  it("read as empty when absent", () => {
    for (const raw of [undefined, null, 3, "x", []]) {
      const a = decodeAppearance(raw);
      expect([a.colorMaps, a.palettes]).toEqual([[], []]);
    }
  });
});
