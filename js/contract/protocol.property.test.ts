/**
 * Property-based tests of the message decoders (protocol.ts): every reply the kernel can send
 * decodes exactly, anything else decodes to null or a reply with fields of the right types, and
 * nothing throws. `_spec` likewise.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PROPERTY_RUNS } from "../testing";
import { decodeReply, decodeSpec, type Reply, type RowValue } from "./protocol";

const run = (p: fc.IProperty<unknown[]>) => fc.assert(p, PROPERTY_RUNS);

/** Text as Python sends it: any Unicode, control characters, markup, the empty string. */
const text = fc.oneof(
  fc.string({ unit: "binary", maxLength: 16 }),
  fc.constantFrom("", "\t", "\r", "\n", "<img src=x onerror=alert(1)>", "__proto__"),
);
/** Object keys, "__proto__" and "constructor" among them. */
const key = fc.oneof(text, fc.constantFrom("__proto__", "constructor", "toString"));
const index = fc.oneof(fc.nat({ max: 1000 }), fc.nat());
const garbage = fc.oneof(fc.anything(), fc.double(), fc.constant(Object.create(null)));

const rowValue: fc.Arbitrary<RowValue> = fc.tuple(text, fc.option(text, { nil: null }));

describe("decodeReply (property)", () => {
  it("decodes every well-formed reply exactly", () => {
    const reply: fc.Arbitrary<Reply> = fc.oneof(
      fc.record({ type: fc.constant("row" as const), index, values: fc.array(rowValue, { maxLength: 12 }) }),
      fc.record({ type: fc.constant("search" as const), query: text, count: fc.nat() }),
      fc.record({ type: fc.constant("label" as const), column: text, count: fc.nat() }),
      fc.record({ type: fc.constant("error" as const), message: text }),
      fc.constant({ type: "selected_ack" as const }),
    );
    run(
      fc.property(reply, (r) => {
        // Through JSON, as the comm delivers it.
        expect(decodeReply(JSON.parse(JSON.stringify(r)))).toEqual(r);
      }),
    );
  });

  it("refuses a row reply when any one pair is malformed", () => {
    const badPair = fc.oneof(
      garbage.filter((x) => !Array.isArray(x)),
      fc.tuple(text),
      fc.tuple(text, text, text),
      fc.tuple(fc.oneof(fc.nat(), fc.constant(null)), text),
      fc.tuple(text, fc.oneof(fc.double(), fc.boolean(), fc.array(text), fc.constant(undefined))),
    );
    run(
      fc.property(fc.array(rowValue, { maxLength: 5 }), badPair, fc.nat(), (good, bad, at) => {
        const values: unknown[] = [...good];
        values.splice(at % (good.length + 1), 0, bad);
        expect(decodeReply({ type: "row", index: 1, values })).toBeNull();
      }),
    );
  });

  it("never throws, and what it accepts has fields of the declared types", () => {
    const msg = fc.oneof(
      garbage,
      fc.record(
        {
          type: fc.oneof(fc.constantFrom("row", "search", "label", "selected_ack", "error"), garbage),
          index: fc.oneof(index, garbage),
          values: fc.oneof(fc.array(fc.oneof(rowValue, garbage), { maxLength: 4 }), garbage),
          version: garbage,
          start: fc.oneof(index, garbage),
          count: fc.oneof(index, garbage),
          query: garbage,
          column: garbage,
          message: garbage,
        },
        { requiredKeys: ["type"] },
      ),
    );
    run(
      fc.property(msg, (m) => {
        const r = decodeReply(m);
        if (r === null) return;
        switch (r.type) {
          case "row":
            expect(Number.isInteger(r.index) && r.index >= 0).toBe(true);
            for (const [name, value] of r.values) {
              expect(typeof name).toBe("string");
              expect(value === null || typeof value === "string").toBe(true);
            }
            break;
          case "search":
            expect(typeof r.query === "string" && Number.isFinite(r.count)).toBe(true);
            break;
          case "label":
            expect(typeof r.column === "string" && Number.isFinite(r.count)).toBe(true);
            break;
          case "error":
            expect(typeof r.message).toBe("string");
            break;
          case "selected_ack":
            break;
        }
      }),
    );
  });
});

describe("decodeSpec (property)", () => {
  const method = fc.record({
    name: text.filter((s) => s !== ""),
    label: text.filter((s) => s !== ""),
    kind: fc.constantFrom("instant", "iterative"),
    defaults: fc.dictionary(key, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
    choices: fc.dictionary(key, fc.array(text, { maxLength: 4 }), { maxKeys: 4 }),
  });
  const spec = fc.record({
    methods: fc.array(method, { maxLength: 5 }),
    metrics: fc.array(text, { maxLength: 4 }),
    k_max: fc.integer({ min: 1, max: 1e6 }),
    all_labels_max: fc.integer({ min: 1, max: 1e7 }),
    label_rows_cap: fc.integer({ min: 1, max: 1e6 }),
  });

  it("decodes a spec exactly, parameter names like __proto__ included", () => {
    run(
      fc.property(spec, (s) => {
        const raw = JSON.parse(JSON.stringify(s)); // as the trait arrives: own "__proto__" keys
        const out = decodeSpec(raw);
        expect(out).not.toBeNull();
        if (!out) return;
        expect([out.kMax, out.allLabelsMax, out.labelRowsCap]).toEqual([s.k_max, s.all_labels_max, s.label_rows_cap]);
        expect(out.metrics).toEqual(s.metrics);
        expect(out.methods.length).toBe(s.methods.length);
        for (const [i, m] of out.methods.entries()) {
          const want = raw.methods[i];
          expect([m.name, m.label, m.kind]).toEqual([want.name, want.label, want.kind]);
          // Same own keys with the same values (toEqual alone would not see a key that became a prototype).
          expect(Object.keys(m.defaults)).toEqual(Object.keys(want.defaults));
          expect(Object.keys(m.choices)).toEqual(Object.keys(want.choices));
          for (const k of Object.keys(want.choices)) expect(Object.getOwnPropertyDescriptor(m.choices, k)?.value).toEqual(want.choices[k]);
          expect(Object.getPrototypeOf(m.choices)).toBe(Object.prototype);
        }
      }),
    );
  });

  it("never throws; a spec it accepts has positive integer limits and string lists", () => {
    const field = fc.oneof(garbage, fc.integer({ min: -2, max: 5 }));
    const raw = fc.oneof(
      garbage,
      fc.record(
        {
          methods: fc.oneof(
            garbage,
            fc.array(
              fc.oneof(
                garbage,
                fc.record({
                  name: fc.oneof(text, garbage),
                  label: garbage,
                  kind: garbage,
                  defaults: garbage,
                  choices: fc.oneof(garbage, fc.dictionary(key, garbage)),
                }),
              ),
              { maxLength: 4 },
            ),
          ),
          metrics: fc.oneof(garbage, fc.array(fc.oneof(text, garbage))),
          k_max: field,
          all_labels_max: field,
          label_rows_cap: field,
        },
        { requiredKeys: [] },
      ),
    );
    run(
      fc.property(raw, (r) => {
        const s = decodeSpec(r);
        if (!s) return;
        expect([s.kMax, s.allLabelsMax, s.labelRowsCap].every((x) => Number.isInteger(x) && x > 0)).toBe(true);
        expect(s.metrics.every((m) => typeof m === "string")).toBe(true);
        for (const m of s.methods) {
          expect(typeof m.name === "string" && m.name !== "" && typeof m.label === "string").toBe(true);
          expect(["instant", "iterative"]).toContain(m.kind);
          for (const k of Object.keys(m.choices)) expect(m.choices[k]?.every((c) => typeof c === "string")).toBe(true);
        }
      }),
    );
  });
});
