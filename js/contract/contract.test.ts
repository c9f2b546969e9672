/**
 * The page against the kernel's declarations, at run time: the generated schema
 * (contract.schema.json) and `_spec` value (spec.json) that `make contract` writes from
 * projector_widget/sync/protocol.py, which tests/test_contract.py keeps current. With tsc (the
 * page's types are the generated ones), a change on either side that the other does not follow
 * fails here, as a stale file fails tests/test_contract.py on the Python side.
 */
import { describe, expect, it } from "vitest";
import type * as Wire from "./contract.gen";
import SCHEMA from "./contract.schema.json";
import { decodeReply, decodeSpec, REPLY_TYPES, REQUEST_TYPES, type Spec } from "./protocol";
import SPEC from "./spec.json";

/** The part of JSON Schema the generated schema uses. */
interface Schema {
  $ref?: string;
  const?: unknown;
  type?: string | string[];
  items?: Schema | Schema[];
  properties?: Record<string, Schema>;
  oneOf?: Schema[];
  anyOf?: Schema[];
}

const DEFINITIONS = (SCHEMA as unknown as { definitions: Record<string, Schema> }).definitions;

function resolve(schema: Schema): Schema {
  return schema.$ref ? resolve(DEFINITIONS[schema.$ref.replace("#/definitions/", "")]) : schema;
}

/** The `type` of every message of the union `name` ("Request", "Reply"), in the schema's order. */
function messageTypes(name: string): string[] {
  return (DEFINITIONS[name].oneOf ?? []).map((member) => String(resolve(member).properties?.type?.const));
}

/**
 * A value `schema` allows: every property (optional ones too), one item per list, the first
 * choice of a union; integers 1, numbers rising along a tuple (bounds [0.5, 1.5, 2.5, 3.5]).
 */
function example(schema: Schema, at = 0): unknown {
  const s = resolve(schema);
  if ("const" in s) return s.const;
  const choices = s.oneOf ?? s.anyOf;
  if (choices) return example(choices[0], at);
  switch (Array.isArray(s.type) ? s.type[0] : s.type) {
    case "integer":
      return 1;
    case "number":
      return at + 0.5;
    case "string":
      return "text";
    case "boolean":
      return true;
    case "null":
      return null;
    case "array":
      return Array.isArray(s.items) ? s.items.map((item, i) => example(item, i)) : [example(s.items ?? {})];
    case "object":
      return Object.fromEntries(Object.entries(s.properties ?? {}).map(([k, v]) => [k, example(v)]));
    default:
      return "any JSON";
  }
}

/** The binary buffers that come beside a reply's JSON (the rest come without any). */
const BUFFERS: Partial<Record<Wire.Reply["type"], (msg: never) => ArrayBuffer[]>> = {
  tiles: (msg: Wire.TilesReply) =>
    msg.tiles.flatMap((t) => [
      new ArrayBuffer(4 * t.count),
      new ArrayBuffer(8 * t.count),
      new ArrayBuffer(t.count),
      new ArrayBuffer(t.count),
    ]),
  grid: (msg: Wire.GridReply) => [new ArrayBuffer(4 * msg.size[0] * msg.size[1]), new ArrayBuffer(msg.size[0] * msg.size[1])],
};

/**
 * The decoded spec in the kernel's words again. Typed as the generated wire type, so a field the
 * kernel adds to `_spec` fails to compile here until the page reads it (or a field it drops).
 */
function specToWire(spec: Spec): Wire.Spec {
  const { appearance: a, overview: o } = spec;
  if (!o) throw new Error("the spec's overview limits did not decode");
  return {
    methods: spec.methods.map((m) => ({ name: m.name, label: m.label, kind: m.kind, defaults: m.defaults, choices: m.choices })),
    metrics: [...spec.metrics],
    k_max: spec.kMax,
    all_labels_max: spec.allLabelsMax,
    label_rows_cap: spec.labelRowsCap,
    appearance: {
      color_maps: a.colorMaps.map((m) => ({ name: m.name, scheme: m.scheme, kind: m.kind })),
      palettes: a.palettes.map((p) => (p.scheme === null ? { name: p.name, colors: [...p.colors] } : { name: p.name, scheme: p.scheme })),
      reversed_suffix: a.reversedSuffix,
      size_factor_limits: a.sizeFactorLimits,
      point_size_max: a.pointSizeMax,
    },
    overview: { levels: o.levels, max_tiles: o.maxTiles, polygon_min: o.polygonMin, polygon_max: o.polygonMax },
  };
}

describe("the page and the kernel's contract", () => {
  it("decodes the kernel's _spec whole: every field the page reads is there, equal to what the kernel sends", () => {
    const spec = decodeSpec(SPEC);
    expect(spec).not.toBeNull();
    if (!spec) return;
    expect(specToWire(spec)).toEqual(SPEC);
    // The overview's limits, which the planner and the tile decoder read (no copy of them in the page).
    expect(spec.overview).toEqual({
      levels: SPEC.overview.levels,
      maxTiles: SPEC.overview.max_tiles,
      polygonMin: SPEC.overview.polygon_min,
      polygonMax: SPEC.overview.polygon_max,
    });
  });

  it("knows every request the kernel declares, and no other", () => {
    expect([...REQUEST_TYPES].sort()).toEqual(messageTypes("Request").sort());
  });

  it("has a decoder for every reply the kernel declares, and no other", () => {
    expect([...REPLY_TYPES].sort()).toEqual(messageTypes("Reply").sort());
  });

  it("decodes every reply the kernel declares, as the schema allows it, to the values sent", () => {
    const limits = decodeSpec(SPEC)?.overview ?? null;
    for (const name of (DEFINITIONS.Reply.oneOf ?? []).map((m) => m.$ref ?? "")) {
      const msg = example({ $ref: name }) as Wire.Reply;
      const buffers = BUFFERS[msg.type]?.(msg as never) ?? [];
      const reply = decodeReply(msg, buffers, limits);
      if (msg.type === "tiles") {
        expect(reply).toMatchObject({ type: "tiles", reply: { version: msg.version, selection: msg.selection, tiles: msg.tiles } });
      } else if (msg.type === "grid") {
        expect(reply).toMatchObject({ type: "grid", grid: { version: msg.version, bounds: msg.bounds, size: msg.size, max: msg.max } });
      } else {
        expect(reply, name).toEqual(msg);
      }
    }
  });
});
