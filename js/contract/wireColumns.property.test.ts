/**
 * Property-based tests of the metadata decoders (wireColumns.ts): valid values, as encoding.py
 * writes them and as anywidget hands them over (a DataView anywhere inside a larger buffer),
 * decode exactly; anything else decodes to an empty or valid value, or fails with the one
 * documented error, and never hands the renderer a NaN or an Infinity.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { anyBinary, bytesOf, dataViewAt, garbage, labelText, name, offset, run } from "../testing";
import { decodeColumns, decodeLabels, decodeNeighbors } from "./wireColumns";

const categoryColumn = fc
  .record({
    name,
    categories: fc.array(name, { maxLength: 20 }),
    counts: fc.array(fc.nat(), { maxLength: 20 }),
    wide: fc.boolean(),
    codes: fc.array(fc.nat({ max: 0xffff }), { maxLength: 100 }),
    missing: fc.option(fc.nat({ max: 20 }), { nil: -1 }),
    at: offset,
  })
  .map((c) => ({ ...c, typed: c.wide ? Uint16Array.from(c.codes) : Uint8Array.from(c.codes) }));

const numberColumn = fc.record({
  name,
  values: fc.float32Array({ maxLength: 100 }),
  min: fc.float({ noNaN: true, noDefaultInfinity: true }),
  max: fc.float({ noNaN: true, noDefaultInfinity: true }),
  at: offset,
});

describe("decodeColumns (property)", () => {
  it("decodes category codes (uint8 and uint16), categories and counts exactly", () => {
    run(
      fc.property(categoryColumn, (c) => {
        const [col] = decodeColumns([
          {
            name: c.name,
            kind: "category",
            categories: c.categories,
            counts: c.counts,
            codes: dataViewAt(c.typed, c.at),
            code_bytes: c.wide ? 2 : 1,
            missing_code: c.missing,
          },
        ]);
        expect(col).toEqual({
          name: c.name,
          kind: "category",
          categories: c.categories,
          counts: c.counts,
          codes: c.typed,
          missingCode: c.missing,
        });
      }),
    );
  });

  it("decodes number columns bit for bit (NaN for missing values included)", () => {
    run(
      fc.property(numberColumn, (c) => {
        const [col] = decodeColumns([{ name: c.name, kind: "number", values: dataViewAt(c.values, c.at), min: c.min, max: c.max }]);
        if (col?.kind !== "number") throw new Error("number column did not decode");
        expect(bytesOf(col.values)).toEqual(bytesOf(c.values));
        expect([col.name, col.min, col.max]).toEqual([c.name, c.min, c.max]);
      }),
    );
  });

  it("skips what is not a column and never throws", () => {
    const entry = fc.oneof(
      garbage,
      fc.record(
        {
          name: fc.oneof(name, fc.anything()),
          kind: fc.constantFrom("category", "number", "text", "other"),
          codes: garbage,
          values: garbage,
          code_bytes: garbage,
          categories: garbage,
          counts: garbage,
          missing_code: garbage,
          min: garbage,
          max: garbage,
        },
        { requiredKeys: [] },
      ),
    );
    run(
      fc.property(fc.oneof(garbage, fc.array(entry, { maxLength: 6 })), (raw) => {
        for (const col of decodeColumns(raw)) {
          expect(typeof col.name).toBe("string");
          if (col.kind === "category") {
            expect(col.categories.every((s) => typeof s === "string")).toBe(true);
            expect(col.counts.every(Number.isFinite)).toBe(true);
            expect(Number.isInteger(col.missingCode) && col.missingCode >= -1).toBe(true);
          } else if (col.kind === "number") {
            expect(col.values).toBeInstanceOf(Float32Array);
            expect(Number.isNaN(col.min) || Number.isFinite(col.min)).toBe(true);
            expect(Number.isNaN(col.max) || Number.isFinite(col.max)).toBe(true);
          } else {
            expect(col.kind).toBe("text");
          }
        }
      }),
    );
  });
});

function labelsWire(texts: string[], indices: Uint32Array, at: number): Record<string, unknown> {
  const enc = new TextEncoder();
  const parts = texts.map((t) => enc.encode(t));
  const offsets = new Uint32Array(parts.length + 1);
  for (const [j, p] of parts.entries()) offsets[j + 1] = offsets[j] + p.length;
  const text = new Uint8Array(offsets[parts.length]);
  for (const [j, p] of parts.entries()) text.set(p, offsets[j]);
  return {
    column: "c",
    indices: dataViewAt(indices, at),
    offsets: dataViewAt(offsets, (at + 3) % 8),
    text: dataViewAt(text, (at + 5) % 8),
  };
}

describe("decodeLabels (property)", () => {
  it("decodes any labels encoded as UTF-8 with offsets back to the same strings", () => {
    run(
      fc.property(fc.array(labelText, { maxLength: 60 }), offset, (texts, at) => {
        const indices = Uint32Array.from(texts, (_, j) => j * 3);
        const out = decodeLabels(labelsWire(texts, indices, at));
        expect(out?.texts).toEqual(texts);
        expect(Array.from(out?.indices ?? [])).toEqual(Array.from(indices));
        expect(out?.column).toBe("c");
      }),
    );
  });

  it("gives one string per index for any buffers, without throwing", () => {
    run(
      fc.property(fc.oneof(garbage, fc.record({ column: garbage, indices: anyBinary, offsets: anyBinary, text: anyBinary })), (raw) => {
        const out = decodeLabels(raw);
        if (out) {
          expect(out.texts.length).toBe(out.indices.length);
          expect(out.texts.every((t) => typeof t === "string")).toBe(true);
        }
      }),
    );
  });
});

// ------------------------------------------------ neighbours, sprites, ...

describe("decodeNeighbors (property)", () => {
  it("decodes indices, distances and labels exactly", () => {
    run(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: 0xffffffff }), fc.float(), labelText), { maxLength: 50 }),
        fc.oneof(fc.integer({ min: -1, max: 1e6 })),
        fc.option(labelText, { nil: null }),
        offset,
        (rows, index, query, at) => {
          const indices = Uint32Array.from(rows, (r) => r[0]);
          const distances = Float32Array.from(rows, (r) => r[1]);
          const out = decodeNeighbors({
            index,
            query,
            indices: dataViewAt(indices, at),
            distances: dataViewAt(distances, (at + 1) % 8),
            labels: rows.map((r) => r[2]),
          });
          expect(out).not.toBeNull();
          expect(Array.from(out?.indices ?? [])).toEqual(Array.from(indices));
          expect(bytesOf(out?.distances ?? new Float32Array(0))).toEqual(bytesOf(distances));
          expect(out?.labels).toEqual(rows.map((r) => r[2]));
          expect([out?.index, out?.query]).toEqual([index, query]);
        },
      ),
    );
  });

  it("gives a distance and a label per neighbour for anything, without throwing", () => {
    run(
      fc.property(
        fc.oneof(garbage, fc.record({ index: garbage, query: garbage, indices: anyBinary, distances: garbage, labels: garbage })),
        (raw) => {
          const out = decodeNeighbors(raw);
          if (out) {
            expect(out.distances.length).toBe(out.indices.length);
            expect(out.labels.length).toBe(out.indices.length);
            expect(out.labels.every((l) => typeof l === "string")).toBe(true);
            expect(Number.isInteger(out.index)).toBe(true);
          }
        },
      ),
    );
  });
});
