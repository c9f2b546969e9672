/**
 * Every custom message between the browser and the kernel, as the kernel declares them
 * (projector_widget/sync/protocol.py, generated into contract.gen.ts by `make contract`): the
 * requests the browser sends (`Request`, the generated union itself), the replies it receives
 * (`decodeReply` reads each against its generated wire type and hands it over decoded, binary
 * buffers included), and the rules both sides share (`Spec`, decoded from the `_spec` trait the
 * kernel sends once: the page reads every shared limit from it). Synced state (`_points`,
 * `selected`, ...) is not a message; the wire*.ts modules decode it.
 */
import type * as Wire from "./contract.gen";
import { finiteOr, isNonNegativeInt, isObject, isObjectLike, positiveInt, type Unchecked } from "./guards";
import type { WidgetModel } from "./model";
import { decodeGrid, decodeTiles, type OverviewGrid, type TilesReply } from "./wireOverview";

// ------------------------------------------------------------------ requests

/** Browser -> kernel: every request, exactly as the kernel declares it (generated). */
export type Request = Wire.Request;
export type RequestType = Request["type"];
/** A `project` request's parameters: any JSON object, merged by the kernel over the method's defaults. */
export type ProjectParams = NonNullable<Wire.Project["params"]>;

/**
 * Every request type: a record, so the compiler fails when a request is added to (or removed
 * from) the generated union and not here; contract.test.ts checks it against the schema too.
 */
const REQUEST_TYPE_KEYS: Record<RequestType, true> = {
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

/** The type names of every request, in the kernel's order. */
export const REQUEST_TYPES = Object.keys(REQUEST_TYPE_KEYS) as readonly RequestType[];

const REQUEST_TYPE_NAMES: ReadonlySet<string> = new Set(REQUEST_TYPES);

/**
 * `content` as a request when its `type` is one (for the saved page's local model, which
 * stands in for the kernel); its fields are the handler's to check, as the kernel does.
 */
export function asRequest(content: unknown): Request | null {
  if (!isObject(content) || typeof content.type !== "string" || !REQUEST_TYPE_NAMES.has(content.type)) return null;
  return content as unknown as Request;
}

/** Send `request` to the kernel (or to the saved page's local model). */
export function send(model: WidgetModel, request: Request): void {
  model.send(request);
}

// ------------------------------------------------------------------- replies

/** Kernel -> browser, as the kernel sends it (the saved page's local model sends these too). */
export type WireReply = Wire.Reply;
export type ReplyType = WireReply["type"];
export type RowReply = Wire.RowReply;

/** One metadata value of a row: [column, text], text null when the value is missing (None/NaN). */
export type RowValue = RowReply["values"][number];

/**
 * Kernel -> browser, decoded: each reply as the kernel sends it, except the overview's `tiles`
 * and `grid`, which arrive with binary buffers and are handed over decoded with them.
 */
export type Reply =
  | Exclude<WireReply, { type: "tiles" | "grid" }>
  /** Overview mode: the points of the tiles asked for (decoded with their buffers). */
  | { type: "tiles"; reply: TilesReply }
  /** Overview mode: a grid over the bounds asked for (decoded with its buffers). */
  | { type: "grid"; grid: OverviewGrid };

function text(x: unknown, fallback: string): string {
  return typeof x === "string" ? x : fallback;
}

/**
 * A row reply; null when any pair is malformed (not [string, string | null]): a value is never
 * stringified into something the kernel did not send.
 */
function decodeRow(msg: Unchecked<RowReply>): RowReply | null {
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

/** The reply of type `T` as the kernel declares it. */
type WireOf<T extends ReplyType> = Extract<WireReply, { type: T }>;

/** How a reply of type `T` is decoded: its fields read against its wire type, with its buffers. */
type ReplyDecoder<T extends ReplyType> = (
  msg: Unchecked<WireOf<T>>,
  buffers: readonly unknown[],
  overview: OverviewLimits | null,
) => Reply | null;

/**
 * One decoder per reply the kernel declares: the compiler fails when a reply is added in Python
 * and not decoded here (contract.test.ts checks the same against the schema at run time).
 */
const REPLY_DECODERS: { readonly [T in ReplyType]: ReplyDecoder<T> } = {
  row: decodeRow,
  search: (msg) => ({ type: "search", query: text(msg.query, ""), count: finiteOr(msg.count, 0) }),
  label: (msg) => ({ type: "label", column: text(msg.column, ""), count: finiteOr(msg.count, 0) }),
  selected_ack: () => ({ type: "selected_ack" }),
  error: (msg) => ({ type: "error", message: text(msg.message, "error") }),
  tiles: (msg, buffers, overview) => {
    // Tiles answer a request the page makes only with the kernel's limits (see view/overview.ts).
    const tiles = overview
      ? decodeTiles(msg, buffers, overview.levels)
      : { ok: false as const, error: "tiles reply: no overview limits in _spec to check it against" };
    return tiles.ok ? { type: "tiles", reply: tiles.value } : { type: "error", message: `The kernel sent a malformed ${tiles.error}` };
  },
  grid: (msg, buffers) => {
    const grid = decodeGrid(msg, buffers);
    return grid.ok ? { type: "grid", grid: grid.value } : { type: "error", message: `The kernel sent a malformed ${grid.error}` };
  },
  lasso: (msg) =>
    isNonNegativeInt(msg.version) && isNonNegativeInt(msg.count) ? { type: "lasso", version: msg.version, count: msg.count } : null,
};

/** The type names of every reply the page decodes. */
export const REPLY_TYPES = Object.keys(REPLY_DECODERS) as readonly ReplyType[];

const REPLY_TYPE_NAMES: ReadonlySet<string> = new Set(REPLY_TYPES);

/**
 * Decode a custom message from the kernel, with the binary buffers that came with it; null when
 * it is not a well-formed reply (never throws). Text fields of the wrong type read as ""
 * ("error" for an error's message). A malformed `tiles` or `grid` reply reads as an error that
 * says what is wrong with it; a tile is checked against the kernel's `overview` limits (`_spec`).
 */
export function decodeReply(msg: unknown, buffers: readonly unknown[] = [], overview: OverviewLimits | null = null): Reply | null {
  if (!isObject(msg) || typeof msg.type !== "string" || !REPLY_TYPE_NAMES.has(msg.type)) return null;
  // Each decoder reads the fields it declares; as one function it takes any object.
  const decode = REPLY_DECODERS[msg.type as ReplyType] as ReplyDecoder<"error">;
  return decode(msg, buffers, overview);
}

// -------------------------------------------------------------- shared rules

/**
 * A projection method as the kernel declares it: `label` is what the user reads ("t-SNE");
 * "iterative" methods run as a job with progress, pause and a seed, "instant" ones do not;
 * `choices` lists the allowed values of choice-valued parameters, by parameter.
 */
export type MethodSpec = Wire.MethodSpec;

/** A colour map for numeric columns: d3-scale-chromatic's `interpolate<scheme>` draws it. */
export type ColorMapSpec = Wire.ColorMapSpec;

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

/** The limits of overview mode's requests (`overview` in `_spec`, from compute/overview.py). */
export interface OverviewLimits {
  /** The deepest quadtree level: a tile's z is at most this. */
  levels: number;
  /** The most tiles one `tiles` request asks for. */
  maxTiles: number;
  /** The fewest and the most vertices of a `lasso` polygon. */
  polygonMin: number;
  polygonMax: number;
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
  /**
   * The overview's limits; null when the value holds none (a page saved before the kernel sent
   * them: a saved page has no overview) or they are malformed.
   */
  overview: OverviewLimits | null;
}

function strings(x: unknown): string[] {
  return Array.isArray(x) ? x.filter((s): s is string => typeof s === "string") : [];
}

/** `x` when it is one of the keys of `names`, otherwise `fallback`. */
function oneOf<K extends string>(names: Record<K, true>, x: unknown, fallback: K): K {
  return typeof x === "string" && Object.keys(names).includes(x) ? (x as K) : fallback;
}

/** The kinds of methods and of colour maps the page knows (records: complete, as the compiler checks). */
const METHOD_KINDS: Record<MethodSpec["kind"], true> = { instant: true, iterative: true };
const COLOR_MAP_KINDS: Record<ColorMapSpec["kind"], true> = { sequential: true, diverging: true, cyclical: true };

function decodeMethod(value: unknown): MethodSpec | null {
  if (!isObject(value)) return null;
  const raw: Unchecked<MethodSpec> = value;
  if (typeof raw.name !== "string" || raw.name === "") return null;
  // fromEntries defines own properties: a parameter called "__proto__" stays a parameter.
  const choices: Record<string, string[]> = isObject(raw.choices)
    ? Object.fromEntries(Object.entries(raw.choices).map(([k, v]) => [k, strings(v)]))
    : {};
  return {
    name: raw.name,
    label: typeof raw.label === "string" && raw.label !== "" ? raw.label : raw.name,
    kind: oneOf(METHOD_KINDS, raw.kind, "instant"),
    defaults: isObject(raw.defaults) ? { ...raw.defaults } : {},
    choices,
  };
}

function decodeColorMap(value: unknown): ColorMapSpec | null {
  if (!isObject(value)) return null;
  const raw: Unchecked<ColorMapSpec> = value;
  if (typeof raw.name !== "string" || raw.name === "" || typeof raw.scheme !== "string") return null;
  return { name: raw.name, scheme: raw.scheme, kind: oneOf(COLOR_MAP_KINDS, raw.kind, "sequential") };
}

function decodePalette(value: unknown): PaletteSpec | null {
  if (!isObject(value)) return null;
  // A palette is a scheme or colours of its own: read both, keep whichever it is.
  const raw: Unchecked<Wire.SchemePalette & Wire.ColorsPalette> = value;
  if (typeof raw.name !== "string" || raw.name === "") return null;
  const scheme = typeof raw.scheme === "string" && raw.scheme !== "" ? raw.scheme : null;
  const colors = strings(raw.colors);
  if (scheme === null && colors.length === 0) return null;
  return { name: raw.name, scheme, colors };
}

/** The appearance rules; absent or malformed parts read as empty (the view then draws its fallbacks). */
export function decodeAppearance(value: unknown): AppearanceSpec {
  const raw: Unchecked<Wire.AppearanceSpec> = isObject(value) ? value : {};
  const limits = Array.isArray(raw.size_factor_limits) ? raw.size_factor_limits : [];
  const lo = finiteOr(limits[0], 0.1);
  const hi = finiteOr(limits[1], 32);
  return {
    colorMaps: Array.isArray(raw.color_maps) ? raw.color_maps.map(decodeColorMap).filter((m): m is ColorMapSpec => m !== null) : [],
    palettes: Array.isArray(raw.palettes) ? raw.palettes.map(decodePalette).filter((p): p is PaletteSpec => p !== null) : [],
    reversedSuffix: typeof raw.reversed_suffix === "string" && raw.reversed_suffix !== "" ? raw.reversed_suffix : "_r",
    sizeFactorLimits: lo > 0 && hi >= lo ? [lo, hi] : [0.1, 32],
    pointSizeMax: Math.max(1, finiteOr(raw.point_size_max, 256)),
  };
}

/** The overview's limits; null unless all four are there and consistent. */
export function decodeOverviewLimits(value: unknown): OverviewLimits | null {
  if (!isObject(value)) return null;
  const raw: Unchecked<Wire.OverviewSpec> = value;
  const levels = isNonNegativeInt(raw.levels) ? raw.levels : null;
  const maxTiles = positiveInt(raw.max_tiles);
  const polygonMin = positiveInt(raw.polygon_min);
  const polygonMax = positiveInt(raw.polygon_max);
  if (levels === null || maxTiles === null || polygonMin === null || polygonMax === null || polygonMax < polygonMin) return null;
  return { levels, maxTiles, polygonMin, polygonMax };
}

/** Decode `_spec`; null when it is absent or not one (malformed method entries are skipped). */
export function decodeSpec(value: unknown): Spec | null {
  if (!isObject(value)) return null;
  const raw: Unchecked<Wire.Spec> = value;
  if (!Array.isArray(raw.methods)) return null;
  const kMax = positiveInt(raw.k_max);
  const allLabelsMax = positiveInt(raw.all_labels_max);
  const labelRowsCap = positiveInt(raw.label_rows_cap);
  if (kMax === null || allLabelsMax === null || labelRowsCap === null) return null;
  const methods = raw.methods.map(decodeMethod).filter((m): m is MethodSpec => m !== null);
  return {
    methods,
    metrics: strings(raw.metrics),
    kMax,
    allLabelsMax,
    labelRowsCap,
    appearance: decodeAppearance(raw.appearance),
    overview: decodeOverviewLimits(raw.overview),
  };
}

/** The method called `name`, if the kernel offers it. */
export function methodSpec(spec: Spec | null, name: string): MethodSpec | undefined {
  return spec?.methods.find((m) => m.name === name);
}

/** What the user reads for method `name` (its name when the kernel does not declare it). */
export function methodLabel(spec: Spec | null, name: string): string {
  return methodSpec(spec, name)?.label ?? name;
}

/** The `dims` of a layout's parameters (`projection_params` of t-SNE or UMAP); undefined for others. */
export function layoutDims(params: unknown): 2 | 3 | undefined {
  const dims = isObjectLike(params) ? params.dims : undefined;
  return dims === 2 || dims === 3 ? dims : undefined;
}

/** Whether `name` is an iterative layout (a job with progress, pause and a seed). */
export function isIterative(spec: Spec | null, name: string): boolean {
  return methodSpec(spec, name)?.kind === "iterative";
}
