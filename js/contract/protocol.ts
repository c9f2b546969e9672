/**
 * Every custom message between the browser and the kernel, declared once: the requests the
 * browser sends (`Request`), the replies it receives (`Reply`, decoded by `decodeReply`), and
 * the rules both sides share (`Spec`, sent by the kernel as the `_spec` trait). Mirrors
 * `projector_widget/protocol.py`: the same `type` names and fields, in the same order.
 * Synced state (`_points`, `selected`, ...) is not a message; the wire*.ts modules decode it.
 */
import { finiteOr, isNonNegativeInt, isObject, positiveInt } from "./guards";
import type { WidgetModel } from "./model";
import { decodeGrid, decodeTiles, type OverviewGrid, type TilesReply } from "./wireOverview";

/** A JSON value (projection parameters travel as JSON). */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

// ------------------------------------------------------------------ requests

/** Browser -> kernel. */
export type Request =
  /** One row's metadata as text, for the tooltip. */
  | { type: "row"; index: number }
  /** The first complete frame is on screen (the kernel's background work may start). */
  | { type: "drawn" }
  /** The rest of a `_points` value sent in parts, from row `start` (the kernel sets `_points_rest`). */
  | { type: "points"; version: number; start: number }
  /** Compute and show a projection. */
  | { type: "project"; method: string; params: { [key: string]: Json } }
  /** Pause, resume or stop the running layout. */
  | { type: "control"; action: "pause" | "resume" | "stop" }
  /** Select the rows matching `query` in `column` ("" for any column). */
  | { type: "search"; query: string; column: string; regex: boolean }
  /** Set `column` to `value` on the selected rows. */
  | { type: "label"; column: string; value: string }
  /** Show only the selected rows. */
  | { type: "isolate" }
  /** Show every row again. */
  | { type: "show_all" }
  /** Save, restore or delete a bookmark. */
  | { type: "bookmark"; action: "save" | "restore" | "delete"; name: string }
  /** Semantic search through the encoder. */
  | { type: "query"; text: string }
  /** Find and name clusters in the layout, from `column` ("" for the kernel's default). */
  | { type: "clusters"; column: string }
  /** Measure the layout's quality with `k` neighbours and colour by the neighbours kept (the result arrives as `_quality`). */
  | { type: "quality"; k: number }
  /** Overview mode: the points of these quadtree tiles ([z, x, y], at most MAX_TILES_PER_REQUEST). */
  | { type: "tiles"; version: number; tiles: [number, number, number][] }
  /** Overview mode: the overview grid re-aggregated over these data bounds [x0, y0, x1, y1]. */
  | { type: "grid"; version: number; bounds: [number, number, number, number] }
  /** Overview mode: select the rows inside `polygon` (data coordinates, even-odd rule) in the kernel. */
  | { type: "lasso"; version: number; polygon: [number, number][]; mode: "replace" | "add" };

/** The most tiles one `tiles` request may ask for. */
export const MAX_TILES_PER_REQUEST = 64;
/** The fewest and the most vertices of a `lasso` polygon. */
export const LASSO_MIN_VERTICES = 3;
export const LASSO_MAX_VERTICES = 2000;

export type RequestType = Request["type"];

/** Every request type (a record, so the compiler checks it against the union). */
const REQUEST_TYPES: Record<RequestType, true> = {
  row: true,
  drawn: true,
  points: true,
  project: true,
  control: true,
  search: true,
  label: true,
  isolate: true,
  show_all: true,
  bookmark: true,
  query: true,
  clusters: true,
  quality: true,
  tiles: true,
  grid: true,
  lasso: true,
};

const REQUEST_TYPE_NAMES: ReadonlySet<string> = new Set(Object.keys(REQUEST_TYPES));

/**
 * `content` as a request when its `type` is one (for the saved page's local model, which
 * stands in for the kernel); its fields are the handler's to check, as the kernel does.
 */
export function asRequest(content: unknown): Request | null {
  if (!isObject(content) || typeof content.type !== "string" || !REQUEST_TYPE_NAMES.has(content.type)) return null;
  return content as Request;
}

/** Send `request` to the kernel (or to the saved page's local model). */
export function send(model: WidgetModel, request: Request): void {
  model.send(request);
}

// ------------------------------------------------------------------- replies

/** One metadata value of a row: [column, text], text null when the value is missing (None/NaN). */
export type RowValue = [column: string, text: string | null];

/** A row of metadata for the tooltip: a missing value is null, distinct from an empty string. */
export interface RowReply {
  type: "row";
  index: number;
  values: RowValue[];
}

/** Kernel -> browser. */
export type Reply =
  | RowReply
  /** How many rows a search matched (they are now selected). */
  | { type: "search"; query: string; count: number }
  /** How many rows a label edit set. */
  | { type: "label"; column: string; count: number }
  /** The kernel holds the browser's new selection (sent before its observers run). */
  | { type: "selected_ack" }
  /** A request failed; the message is for the user. */
  | { type: "error"; message: string }
  /** Overview mode: the points of the tiles asked for (decoded with their buffers). */
  | { type: "tiles"; reply: TilesReply }
  /** Overview mode: a grid over the bounds asked for (decoded with its buffers). */
  | { type: "grid"; grid: OverviewGrid }
  /** Overview mode: how many rows a lasso selected (`selected` is set). */
  | { type: "lasso"; version: number; count: number };

function text(x: unknown, fallback: string): string {
  return typeof x === "string" ? x : fallback;
}

/**
 * A row reply; null when any pair is malformed (not [string, string | null]): a value is never
 * stringified into something the kernel did not send.
 */
function decodeRow(msg: Record<string, unknown>): RowReply | null {
  if (!isNonNegativeInt(msg.index) || !Array.isArray(msg.values)) return null;
  const values: RowValue[] = [];
  for (const pair of msg.values) {
    if (!Array.isArray(pair) || pair.length !== 2) return null;
    const [name, value] = pair as unknown[];
    if (typeof name !== "string" || (typeof value !== "string" && value !== null)) return null;
    values.push([name, value]);
  }
  return { type: "row", index: msg.index, values };
}

/**
 * Decode a custom message from the kernel, with the binary buffers that came with it; null when
 * it is not a well-formed reply (never throws). Text fields of the wrong type read as ""
 * ("error" for an error's message). A malformed `tiles` or `grid` reply reads as an error that
 * says what is wrong with it.
 */
export function decodeReply(msg: unknown, buffers: readonly unknown[] = []): Reply | null {
  if (!isObject(msg)) return null;
  switch (msg.type) {
    case "row":
      return decodeRow(msg);
    case "search":
      return { type: "search", query: text(msg.query, ""), count: finiteOr(msg.count, 0) };
    case "label":
      return { type: "label", column: text(msg.column, ""), count: finiteOr(msg.count, 0) };
    case "selected_ack":
      return { type: "selected_ack" };
    case "error":
      return { type: "error", message: text(msg.message, "error") };
    case "tiles": {
      const tiles = decodeTiles(msg, buffers);
      return tiles.ok ? { type: "tiles", reply: tiles.value } : { type: "error", message: `The kernel sent a malformed ${tiles.error}` };
    }
    case "grid": {
      const grid = decodeGrid(msg, buffers);
      return grid.ok ? { type: "grid", grid: grid.value } : { type: "error", message: `The kernel sent a malformed ${grid.error}` };
    }
    case "lasso":
      return isNonNegativeInt(msg.version) && isNonNegativeInt(msg.count)
        ? { type: "lasso", version: msg.version, count: msg.count }
        : null;
    default:
      return null;
  }
}

// -------------------------------------------------------------- shared rules

/** A projection method as the kernel declares it. */
export interface MethodSpec {
  name: string;
  /** What the user reads: "t-SNE". */
  label: string;
  /** "iterative" methods run as a job with progress, pause and a seed; "instant" ones do not. */
  kind: "instant" | "iterative";
  defaults: Readonly<Record<string, unknown>>;
  /** The allowed values of choice-valued parameters, by parameter. */
  choices: Readonly<Record<string, readonly string[]>>;
}

/** A colour map for numeric columns: d3-scale-chromatic's `interpolate<scheme>` draws it. */
export interface ColorMapSpec {
  name: string;
  scheme: string;
  kind: "sequential" | "diverging" | "cyclical";
}

/** A palette for categorical columns: d3-scale-chromatic's `scheme<scheme>`, or its own colours. */
export interface PaletteSpec {
  name: string;
  scheme: string | null;
  /** CSS colours (used when `scheme` is null). */
  colors: readonly string[];
}

/** The choices of how points look (appearance.describe() in Python); the defaults come first. */
export interface AppearanceSpec {
  colorMaps: readonly ColorMapSpec[];
  palettes: readonly PaletteSpec[];
  /** A colour map name ending in this runs the other way ("viridis_r"). */
  reversedSuffix: string;
  /** Bounds of each `size_range` factor. */
  sizeFactorLimits: [number, number];
  /** The largest `point_size` in CSS px. */
  pointSizeMax: number;
}

/** `_spec`: what the browser must agree on with the kernel (protocol.spec() in Python). */
export interface Spec {
  methods: readonly MethodSpec[];
  /** Neighbour metrics, the default first. */
  metrics: readonly string[];
  /** The most neighbours a row may have. */
  kMax: number;
  /** Up to this many points, every row is labelled; above it, only the rows that need one. */
  allLabelsMax: number;
  /** Cap on labelled selected rows above `allLabelsMax`. */
  labelRowsCap: number;
  /** Colour maps, palettes and size limits (empty lists when the kernel sends none). */
  appearance: AppearanceSpec;
}

function strings(x: unknown): string[] {
  return Array.isArray(x) ? x.filter((s): s is string => typeof s === "string") : [];
}

function decodeMethod(raw: unknown): MethodSpec | null {
  if (!isObject(raw) || typeof raw.name !== "string" || raw.name === "") return null;
  // fromEntries defines own properties: a parameter called "__proto__" stays a parameter.
  const choices: Record<string, readonly string[]> = isObject(raw.choices)
    ? Object.fromEntries(Object.entries(raw.choices).map(([k, v]) => [k, strings(v)]))
    : {};
  return {
    name: raw.name,
    label: typeof raw.label === "string" && raw.label !== "" ? raw.label : raw.name,
    kind: raw.kind === "iterative" ? "iterative" : "instant",
    defaults: isObject(raw.defaults) ? { ...raw.defaults } : {},
    choices,
  };
}

const COLOR_MAP_KINDS: readonly ColorMapSpec["kind"][] = ["sequential", "diverging", "cyclical"];

function decodeColorMap(raw: unknown): ColorMapSpec | null {
  if (!isObject(raw) || typeof raw.name !== "string" || raw.name === "" || typeof raw.scheme !== "string") return null;
  const kind = COLOR_MAP_KINDS.find((k) => k === raw.kind) ?? "sequential";
  return { name: raw.name, scheme: raw.scheme, kind };
}

function decodePalette(raw: unknown): PaletteSpec | null {
  if (!isObject(raw) || typeof raw.name !== "string" || raw.name === "") return null;
  const scheme = typeof raw.scheme === "string" && raw.scheme !== "" ? raw.scheme : null;
  const colors = strings(raw.colors);
  if (scheme === null && colors.length === 0) return null;
  return { name: raw.name, scheme, colors };
}

/** The appearance rules; absent or malformed parts read as empty (the view then draws its fallbacks). */
export function decodeAppearance(raw: unknown): AppearanceSpec {
  const a = isObject(raw) ? raw : {};
  const limits = Array.isArray(a.size_factor_limits) ? a.size_factor_limits : [];
  const lo = finiteOr(limits[0], 0.1);
  const hi = finiteOr(limits[1], 32);
  return {
    colorMaps: Array.isArray(a.color_maps) ? a.color_maps.map(decodeColorMap).filter((m): m is ColorMapSpec => m !== null) : [],
    palettes: Array.isArray(a.palettes) ? a.palettes.map(decodePalette).filter((p): p is PaletteSpec => p !== null) : [],
    reversedSuffix: typeof a.reversed_suffix === "string" && a.reversed_suffix !== "" ? a.reversed_suffix : "_r",
    sizeFactorLimits: lo > 0 && hi >= lo ? [lo, hi] : [0.1, 32],
    pointSizeMax: Math.max(1, finiteOr(a.point_size_max, 256)),
  };
}

/** Decode `_spec`; null when it is absent or not one (malformed method entries are skipped). */
export function decodeSpec(raw: unknown): Spec | null {
  if (!isObject(raw) || !Array.isArray(raw.methods)) return null;
  const kMax = positiveInt(raw.k_max);
  const allLabelsMax = positiveInt(raw.all_labels_max);
  const labelRowsCap = positiveInt(raw.label_rows_cap);
  if (kMax === null || allLabelsMax === null || labelRowsCap === null) return null;
  const methods = raw.methods.map(decodeMethod).filter((m): m is MethodSpec => m !== null);
  return { methods, metrics: strings(raw.metrics), kMax, allLabelsMax, labelRowsCap, appearance: decodeAppearance(raw.appearance) };
}

/** The method called `name`, if the kernel offers it. */
export function methodSpec(spec: Spec | null, name: string): MethodSpec | undefined {
  return spec?.methods.find((m) => m.name === name);
}

/** What the user reads for method `name` (its name when the kernel does not declare it). */
export function methodLabel(spec: Spec | null, name: string): string {
  return methodSpec(spec, name)?.label ?? name;
}

/** Whether `name` is an iterative layout (a job with progress, pause and a seed). */
export function isIterative(spec: Spec | null, name: string): boolean {
  return methodSpec(spec, name)?.kind === "iterative";
}
