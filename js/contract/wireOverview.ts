/**
 * The overview on the wire (above `overview_above` rows the kernel sends no points): `_overview`
 * (the first grid of per-category counts and what the browser needs to ask for tiles), and the
 * `grid` and `tiles` replies with their binary buffers, their fields read against the kernel's
 * declarations (`Wire.GridReply`, `Wire.TilesReply`). Pure functions, no DOM.
 */
import { type Binary, isBinary, typedView } from "./binary";
import type * as Wire from "./contract.gen";
import { finiteTuple, isNonNegativeInt, isObjectLike, type Unchecked } from "./guards";

/**
 * A decoded value, or what is wrong with it: the overview's decoders never throw on a malformed
 * value from the kernel, they say which field is wrong so the view can report it.
 */
export type Decoded<T> = { ok: true; value: T } | { ok: false; error: string };

const fail = (error: string): { ok: false; error: string } => ({ ok: false, error });

/** A grid of per-category counts over a region of the layout (`_overview`, or a `grid` reply). */
export interface OverviewGrid {
  /** The layout version it was aggregated for. */
  version: number;
  /** The grid's region in data coordinates: [x0, y0, x1, y1]. */
  bounds: [number, number, number, number];
  /** Cells across and up. */
  size: [number, number];
  /** Rows per cell, `w * h`, row-major, row 0 the lowest y. */
  counts: Uint32Array;
  /** The most frequent category code per cell (255: none). */
  top: Uint8Array;
  /** The largest count (the colour scale's top). */
  max: number;
}

/** `_overview` decoded: the first grid and what the browser needs to ask for tiles. */
export interface Overview extends OverviewGrid {
  /** Rows in the layout. */
  n: number;
  /** The quadtree's square domain: [x0, y0, side]. */
  domain: [number, number, number];
  /** The categorical colour column of the grid and the tiles ("" = none). */
  column: string;
  /** Its category names, code order. */
  categories: string[];
  /** Points the browser may hold. */
  budget: number;
  /** Rows at most per tile reply. */
  tileBudget: number;
}

/** The category code that means "none" (no column, or a category past the 255th). */
export const NO_CATEGORY = 255;

/** One tile of a `tiles` reply: a sample of the rows in tile (z, x, y). */
export interface Tile {
  z: number;
  x: number;
  y: number;
  /** Rows sent (the sample's size). */
  count: number;
  /** Rows in the tile. */
  total: number;
  rows: Uint32Array;
  /** `count * 2` interleaved x, y data coordinates. */
  xy: Float32Array;
  codes: Uint8Array;
  /** 1 = selected, per row. */
  selected: Uint8Array;
}

/** A `tiles` reply decoded (its wire form, without the buffers, is `Wire.TilesReply`). */
export interface TilesReply {
  version: number;
  /** The kernel's selection counter when the flags were read. */
  selection: number;
  tiles: Tile[];
}

/** The grid fields shared by `_overview` and a `grid` reply, with their two buffers. */
function decodeGridParts(raw: Unchecked<Wire.GridReply>, countsBin: unknown, topBin: unknown, what: string): Decoded<OverviewGrid> {
  if (!isNonNegativeInt(raw.version)) return fail(`${what}: version is not a non-negative integer`);
  const bounds = finiteTuple(raw.bounds, 4);
  if (!bounds || !(bounds[2] > bounds[0]) || !(bounds[3] > bounds[1]))
    return fail(`${what}: bounds is not [x0, y0, x1, y1] with x1 > x0 and y1 > y0`);
  const size =
    Array.isArray(raw.size) && raw.size.length === 2 && raw.size.every((s) => isNonNegativeInt(s) && s > 0) ? (raw.size as number[]) : null;
  if (!size) return fail(`${what}: size is not [w, h] of positive integers`);
  const cells = size[0] * size[1];
  if (!isBinary(countsBin)) return fail(`${what}: counts is not a binary buffer`);
  if (!isBinary(topBin)) return fail(`${what}: top is not a binary buffer`);
  if (countsBin.byteLength !== 4 * cells) {
    return fail(`${what}: counts holds ${countsBin.byteLength} bytes, expected ${4 * cells} (${size[0]} x ${size[1]} uint32)`);
  }
  if (topBin.byteLength !== cells)
    return fail(`${what}: top holds ${topBin.byteLength} bytes, expected ${cells} (${size[0]} x ${size[1]} uint8)`);
  const counts = typedView(countsBin, Uint32Array);
  const top = typedView(topBin, Uint8Array);
  if (!isNonNegativeInt(raw.max)) return fail(`${what}: max is not a non-negative integer`);
  return {
    ok: true,
    value: {
      version: raw.version,
      bounds: bounds as [number, number, number, number],
      size: size as [number, number],
      counts,
      top,
      max: raw.max,
    },
  };
}

/**
 * Decode `_overview`: null when the overview is off (`{}`, or no value at all), the overview when
 * it is well formed, otherwise what is wrong with it.
 */
export function decodeOverview(raw: unknown): Decoded<Overview | null> {
  if (!isObjectLike(raw) || Object.keys(raw).length === 0) return { ok: true, value: null };
  const grid = decodeGridParts(raw, raw.counts, raw.top, "_overview");
  if (!grid.ok) return grid;
  if (!isNonNegativeInt(raw.n)) return fail("_overview: n is not a non-negative integer");
  const domain = finiteTuple(raw.domain, 3);
  if (!domain || !(domain[2] > 0)) return fail("_overview: domain is not [x0, y0, side] with side > 0");
  if (typeof raw.column !== "string") return fail("_overview: column is not a string");
  if (!Array.isArray(raw.categories) || !raw.categories.every((c) => typeof c === "string")) {
    return fail("_overview: categories is not a list of strings");
  }
  if (raw.categories.length > NO_CATEGORY) return fail(`_overview: ${raw.categories.length} categories, more than ${NO_CATEGORY}`);
  if (!isNonNegativeInt(raw.budget) || raw.budget === 0) return fail("_overview: budget is not a positive integer");
  if (!isNonNegativeInt(raw.tile_budget) || raw.tile_budget === 0) return fail("_overview: tile_budget is not a positive integer");
  return {
    ok: true,
    value: {
      ...grid.value,
      n: raw.n,
      domain: domain as [number, number, number],
      column: raw.column,
      categories: [...(raw.categories as string[])],
      budget: raw.budget,
      tileBudget: raw.tile_budget,
    },
  };
}

/** Decode a `grid` reply (its content and its two buffers: counts, top). */
export function decodeGrid(content: unknown, buffers: readonly unknown[]): Decoded<OverviewGrid> {
  if (!isObjectLike(content)) return fail("grid reply: not an object");
  if (buffers.length !== 2) return fail(`grid reply: ${buffers.length} buffers, expected 2 (counts, top)`);
  return decodeGridParts(content, buffers[0], buffers[1], "grid reply");
}

/**
 * Decode a `tiles` reply: its content lists the tiles, and its buffers hold four per tile, in
 * tile order (rows uint32, xy float32 pairs, codes uint8, selected uint8), each as long as the
 * tile's `count` says; no tile is deeper than `levels` (the kernel's quadtree, `overview.levels`
 * in `_spec`).
 */
export function decodeTiles(value: unknown, buffers: readonly unknown[], levels: number): Decoded<TilesReply> {
  if (!isObjectLike(value)) return fail("tiles reply: not an object");
  const content: Unchecked<Wire.TilesReply> = value;
  if (!isNonNegativeInt(content.version)) return fail("tiles reply: version is not a non-negative integer");
  if (!isNonNegativeInt(content.selection)) return fail("tiles reply: selection is not a non-negative integer");
  if (!Array.isArray(content.tiles)) return fail("tiles reply: tiles is not a list");
  const entries = content.tiles as unknown[];
  if (buffers.length !== entries.length * 4) {
    return fail(`tiles reply: ${buffers.length} buffers for ${entries.length} tiles, expected ${entries.length * 4} (4 per tile)`);
  }
  const tiles: Tile[] = [];
  for (const [i, t] of entries.entries()) {
    const at = `tiles reply: tile ${i}`;
    if (!isObjectLike(t)) return fail(`${at} is not an object`);
    const { z, x, y, count, total }: Unchecked<Wire.TileSample> = t;
    if (!isNonNegativeInt(z) || z > levels) return fail(`${at}: z is not an integer in [0, ${levels}]`);
    if (!isNonNegativeInt(x) || !isNonNegativeInt(y) || x >= 2 ** z || y >= 2 ** z)
      return fail(`${at}: x, y are not integers in [0, 2**z)`);
    if (!isNonNegativeInt(count) || !isNonNegativeInt(total) || count > total)
      return fail(`${at}: count and total are not integers with count <= total`);
    const bins = buffers.slice(4 * i, 4 * i + 4);
    if (!bins.every(isBinary)) return fail(`${at}: its buffers are not all binary`);
    const [rowsBin, xyBin, codesBin, selBin] = bins as Binary[];
    if (rowsBin.byteLength !== 4 * count)
      return fail(`${at}: rows holds ${rowsBin.byteLength} bytes, expected ${4 * count} (count ${count} uint32)`);
    if (xyBin.byteLength !== 8 * count)
      return fail(`${at}: xy holds ${xyBin.byteLength} bytes, expected ${8 * count} (count ${count} float32 pairs)`);
    if (codesBin.byteLength !== count) return fail(`${at}: codes holds ${codesBin.byteLength} bytes, expected ${count}`);
    if (selBin.byteLength !== count) return fail(`${at}: selected holds ${selBin.byteLength} bytes, expected ${count}`);
    const rows = typedView(rowsBin, Uint32Array);
    const xy = typedView(xyBin, Float32Array);
    const codes = typedView(codesBin, Uint8Array);
    const selected = typedView(selBin, Uint8Array);
    tiles.push({ z, x, y, count, total, rows, xy, codes, selected });
  }
  return { ok: true, value: { version: content.version, selection: content.selection, tiles } };
}

/** Bytes of a tile's buffers (what it cost to receive). */
export function tileBytes(tile: Tile): number {
  return tile.count * (4 + 8 + 1 + 1);
}
