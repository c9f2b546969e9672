import { describe, expect, it } from "vitest";
import type { Column } from "../contract/wireColumns";
import { rowColor, rowTexts, rowTitle } from "./inspector";

const digit: Column = {
  name: "digit",
  kind: "category",
  categories: ["4", "9", "(missing)"],
  counts: [2, 1, 1],
  codes: Uint8Array.of(0, 1, 0, 2),
  missingCode: 2,
};
const ink: Column = { name: "ink", kind: "number", values: Float32Array.of(0.25, Number.NaN, 3, 1), min: 0.25, max: 3 };
const columns: Column[] = [digit, ink, { name: "word", kind: "text" }];

describe("the rows the inspector lists", () => {
  it("show the row's number, its text and its value in the colour column", () => {
    const color = rowColor(columns, "digit");
    expect(rowTexts(2, "four", "word", color)).toEqual({ id: "#2", label: "four", color: "4" });
    expect(rowTitle(rowTexts(2, "four", "word", color), "word", color)).toBe("#2 \u00b7 word: four \u00b7 digit: 4");
    // Ten neighbours of one digit are told apart by their numbers, not shown as ten rows of "4".
    expect(rowTexts(0, "4", "digit", color)).toEqual({ id: "#0", label: "4", color: "" });
  });

  it("say nothing twice and nothing missing", () => {
    const color = rowColor(columns, "digit");
    // No naming column: the kernel names the row "#3"; the number is shown once.
    expect(rowTexts(3, "#3", "", color)).toEqual({ id: "#3", label: "", color: "" });
    expect(rowTexts(1, "#1", "", color)).toEqual({ id: "#1", label: "", color: "9" });
    expect(rowTexts(1, "nine", "word", null)).toEqual({ id: "#1", label: "nine", color: "" });
  });

  it("read numbers as the legend writes them, and no text column as a colour", () => {
    const color = rowColor(columns, "ink");
    expect(color?.text(0)).toBe("0.25");
    expect(color?.text(1)).toBe("");
    expect(color?.text(99)).toBe("");
    expect(rowColor(columns, "word")).toBeNull();
    expect(rowColor(columns, "")).toBeNull();
  });
});
