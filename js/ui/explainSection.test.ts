import { describe, expect, it } from "vitest";
import { decodeQuality, type Quality } from "../contract/wireValues";
import { DEFAULT_QUALITY_K, type ExplainState, explainNote, qualityK, qualityText } from "./explainSection";

/** `_quality` as explain.quality_payload() writes it. */
const payload = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  version: 2,
  column: "neighbours kept",
  k: 10,
  metric: "euclidean",
  exact: true,
  evaluated: 720,
  trustworthiness: 0.91234,
  continuity: 0.95678,
  trustworthiness_se: 0.0,
  continuity_se: 0.0,
  stale: false,
  ...over,
});

const state = (over: Partial<ExplainState> = {}): ExplainState => ({
  showClusters: false,
  showDensity: false,
  found: false,
  stale: false,
  dims: 2,
  quality: null,
  ...over,
});

describe("decodeQuality", () => {
  it("reads the kernel's payload field by field", () => {
    expect(decodeQuality(payload())).toEqual({
      version: 2,
      column: "neighbours kept",
      k: 10,
      metric: "euclidean",
      exact: true,
      evaluated: 720,
      trustworthiness: 0.91234,
      continuity: 0.95678,
      trustworthinessSe: 0,
      continuitySe: 0,
      stale: false,
    });
    const estimate = decodeQuality(payload({ exact: false, trustworthiness_se: 0.004, continuity_se: 0.002, stale: true }));
    expect(estimate?.exact).toBe(false);
    expect(estimate?.trustworthinessSe).toBe(0.004);
    expect(estimate?.continuitySe).toBe(0.002);
    expect(estimate?.stale).toBe(true);
  });

  it("is null before any check and for scores that are not in [0, 1]", () => {
    expect(decodeQuality({})).toBeNull();
    expect(decodeQuality(null)).toBeNull();
    expect(decodeQuality([0.9, 0.9])).toBeNull();
    expect(decodeQuality(payload({ trustworthiness: "0.9" }))).toBeNull();
    expect(decodeQuality(payload({ continuity: Number.NaN }))).toBeNull();
    expect(decodeQuality(payload({ trustworthiness: 1.5 }))).toBeNull();
    expect(decodeQuality(payload({ continuity: -0.1 }))).toBeNull();
  });

  it("reads malformed side fields as harmless defaults", () => {
    const q = decodeQuality(payload({ column: 3, k: "10", metric: null, trustworthiness_se: -1, continuity_se: "x" }));
    expect(q).not.toBeNull();
    expect(q?.column).toBe("");
    expect(q?.k).toBe(0);
    expect(q?.metric).toBe("");
    expect(q?.trustworthinessSe).toBe(0);
    expect(q?.continuitySe).toBe(0);
  });
});

describe("qualityText", () => {
  it("gives exact scores to three decimals with k", () => {
    const q = decodeQuality(payload()) as Quality;
    expect(qualityText(q)).toBe("Trustworthiness 0.912 · continuity 0.957 (k = 10, exact)");
  });

  it("gives an estimate with its standard errors and the points it rests on", () => {
    const q = decodeQuality(
      payload({ exact: false, evaluated: 20000, k: 15, trustworthiness_se: 0.0041, continuity_se: 0.0026 }),
    ) as Quality;
    expect(qualityText(q)).toBe("Trustworthiness 0.912 ± 0.004 · continuity 0.957 ± 0.003 (k = 15, estimated from 20,000 points)");
  });
});

describe("explainNote", () => {
  it("says when the scores belong to an earlier layout, beside the other notes", () => {
    const fresh = decodeQuality(payload()) as Quality;
    const stale = decodeQuality(payload({ stale: true })) as Quality;
    expect(explainNote(state({ quality: fresh }))).toBe("");
    expect(explainNote(state({ quality: stale }))).toBe("The scores were measured on an earlier layout: Check layout again.");
    const both = explainNote(state({ quality: stale, showClusters: true, found: true, stale: true }));
    expect(both).toContain("Find clusters again");
    expect(both).toContain("Check layout again");
  });
});

describe("qualityK", () => {
  it("reads a whole number of neighbours from 1, else the default", () => {
    expect(qualityK("15")).toBe(15);
    expect(qualityK("7.6")).toBe(8);
    expect(qualityK("0")).toBe(1);
    expect(qualityK("-4")).toBe(1);
    expect(qualityK("")).toBe(DEFAULT_QUALITY_K);
    expect(qualityK("ten")).toBe(DEFAULT_QUALITY_K);
  });
});
