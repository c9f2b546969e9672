/**
 * The overview layer: what the renderer draws instead of points above the overview threshold.
 *
 *   - The grid: per-cell counts and most frequent category as two integer textures on one quad
 *     placed at the grid's bounds in data coordinates; the fragment shader colours each cell by
 *     its category (the palette the points use) at an intensity of log(count) / log(max), and
 *     leaves empty cells out.
 *   - The tiles' points: float32 x, y in data coordinates, coloured by category code; selected
 *     points drawn last, larger, with the others dimmed toward the background.
 *
 * It keeps the CPU copies (the grid and the tiles) so a restored context uploads them again, and
 * picks the nearest tile point on the CPU (its row index is what the tooltip asks for).
 */

import type { OverviewGrid, Tile } from "../contract/wireOverview";
import type { Camera, Viewport } from "./camera";
import { PALETTE_MAX } from "./colors";
import { linkProgram } from "./shaders";

/** Attribute locations of the points program. */
const ATTR_XY = 0;
const ATTR_CODE = 1;
const ATTR_SEL = 2;

/** How far unselected points are mixed toward the background while some are selected. */
const DIM = 0.75;
/** A selected point's diameter, relative to the others. */
const SELECTED_SCALE = 1.6;
/** The faintest non-empty cell's opacity over the background (so a single row still shows). */
const MIN_INTENSITY = 0.18;

const GRID_VERTEX = `#version 300 es
precision highp float;
uniform mat4 u_viewProj;
uniform vec4 u_bounds;
uniform vec2 u_size;
out vec2 v_cell;
void main() {
  // A quad over the grid's bounds (triangle strip: 0 = (x0, y0), 1 = (x1, y0), 2 = (x0, y1), 3 = (x1, y1)).
  vec2 corner = vec2(float(gl_VertexID & 1), float((gl_VertexID >> 1) & 1));
  vec2 world = mix(u_bounds.xy, u_bounds.zw, corner);
  v_cell = corner * u_size;
  gl_Position = u_viewProj * vec4(world, 0.0, 1.0);
}`;

const GRID_FRAGMENT = `#version 300 es
precision highp float;
precision highp int;
precision highp usampler2D;
uniform usampler2D u_counts;
uniform usampler2D u_top;
uniform ivec2 u_cells;
uniform float u_logMax;
uniform vec3 u_palette[${PALETTE_MAX}];
uniform int u_paletteSize;
uniform vec3 u_default;
uniform vec3 u_other;
uniform vec3 u_background;
in vec2 v_cell;
out vec4 o_color;
void main() {
  ivec2 cell = clamp(ivec2(floor(v_cell)), ivec2(0), u_cells - 1);
  uint count = texelFetch(u_counts, cell, 0).r;
  if (count == 0u) discard;
  int top = int(texelFetch(u_top, cell, 0).r);
  vec3 color = top == 255 ? u_default : (top < u_paletteSize ? u_palette[top] : u_other);
  float t = u_logMax > 0.0 ? clamp(log(float(count)) / u_logMax, 0.0, 1.0) : 1.0;
  float a = ${MIN_INTENSITY} + ${(1 - MIN_INTENSITY).toFixed(4)} * t;
  o_color = vec4(mix(u_background, color, a), 1.0);
}`;

const POINT_VERTEX = `#version 300 es
precision highp float;
precision highp int;
layout(location = ${ATTR_XY}) in vec2 a_xy;
layout(location = ${ATTR_CODE}) in uint a_code;
layout(location = ${ATTR_SEL}) in uint a_sel;
uniform mat4 u_viewProj;
uniform float u_size;
uniform vec3 u_palette[${PALETTE_MAX}];
uniform int u_paletteSize;
uniform vec3 u_default;
uniform vec3 u_other;
uniform vec3 u_background;
uniform bool u_hasSelection;
flat out vec3 v_color;
void main() {
  int code = int(a_code);
  vec3 color = code == 255 ? u_default : (code < u_paletteSize ? u_palette[code] : u_other);
  bool selected = a_sel != 0u;
  if (u_hasSelection && !selected) color = mix(color, u_background, ${DIM});
  v_color = color;
  gl_PointSize = selected ? u_size * ${SELECTED_SCALE} : u_size;
  gl_Position = u_viewProj * vec4(a_xy, 0.0, 1.0);
}`;

const POINT_FRAGMENT = `#version 300 es
precision highp float;
flat in vec3 v_color;
out vec4 o_color;
void main() {
  vec2 d = gl_PointCoord - 0.5;
  if (dot(d, d) > 0.25) discard;
  o_color = vec4(v_color, 1.0);
}`;

/** The tiles' points as one set: unselected first, selected last (drawn on top). */
export interface OverviewPoints {
  count: number;
  /** Selected among them (the last `selected` of `count`). */
  selected: number;
  xy: Float32Array;
  codes: Uint8Array;
  flags: Uint8Array;
  /** Each point's row index (what a pick returns). */
  rows: Uint32Array;
}

/** Join the tiles' points, the selected ones last. */
export function joinTiles(tiles: readonly Tile[]): OverviewPoints {
  let count = 0;
  let selected = 0;
  for (const t of tiles) {
    count += t.count;
    for (let i = 0; i < t.count; i++) if (t.selected[i]) selected++;
  }
  const xy = new Float32Array(2 * count);
  const codes = new Uint8Array(count);
  const flags = new Uint8Array(count);
  const rows = new Uint32Array(count);
  let a = 0;
  let b = count - selected;
  for (const t of tiles) {
    for (let i = 0; i < t.count; i++) {
      const sel = t.selected[i] !== 0;
      const o = sel ? b++ : a++;
      xy[2 * o] = t.xy[2 * i];
      xy[2 * o + 1] = t.xy[2 * i + 1];
      codes[o] = t.codes[i];
      flags[o] = sel ? 1 : 0;
      rows[o] = t.rows[i];
    }
  }
  return { count, selected, xy, codes, flags, rows };
}

/**
 * The index (into `points`) of the point whose disc, of diameter `sizePx` (CSS px; selected ones
 * larger), reaches nearest to (x, y) CSS px within `radius`; -1 when none. 2-D cameras only.
 */
export function nearestPoint(
  points: OverviewPoints,
  cam: Camera,
  viewport: Viewport,
  x: number,
  y: number,
  radius: number,
  sizePx: number,
): number {
  if (cam.kind !== "2d") return -1;
  const { center, scale } = cam;
  const hw = viewport.width / 2;
  const hh = viewport.height / 2;
  let best = -1;
  let bestD = Number.POSITIVE_INFINITY;
  for (let i = 0; i < points.count; i++) {
    const sx = (points.xy[2 * i] - center[0]) * scale + hw;
    const sy = hh - (points.xy[2 * i + 1] - center[1]) * scale;
    const reach = radius + (points.flags[i] ? sizePx * SELECTED_SCALE : sizePx) / 2;
    const dx = sx - x;
    const dy = sy - y;
    const d = dx * dx + dy * dy;
    // Later points are drawn on top: at equal distance the later one wins.
    if (d <= reach * reach && d <= bestD) {
      bestD = d;
      best = i;
    }
  }
  return best;
}

/** The colours the layer draws with (the renderer's, so the overview matches the points). */
export interface OverviewStyle {
  /** PALETTE_MAX * 3 floats in [0, 1]. */
  palette: Float32Array;
  paletteSize: number;
  defaultColor: [number, number, number];
  otherColor: [number, number, number];
  background: [number, number, number];
  /** Point diameter, device px. */
  pointSize: number;
}

export class OverviewLayer {
  private readonly gridProgram: WebGLProgram;
  private readonly pointProgram: WebGLProgram;
  private readonly countsTex: WebGLTexture | null;
  private readonly topTex: WebGLTexture | null;
  private readonly gridVao: WebGLVertexArrayObject | null;
  private readonly pointVao: WebGLVertexArrayObject | null;
  private readonly xyBuf: WebGLBuffer | null;
  private readonly codeBuf: WebGLBuffer | null;
  private readonly selBuf: WebGLBuffer | null;
  private grid: OverviewGrid | null = null;
  private gridUploaded = false;
  private tiles: readonly Tile[] = [];
  /** The tiles' points joined (CPU copy, for picking and re-uploads). */
  points: OverviewPoints = joinTiles([]);
  private pointsUploaded = false;

  constructor(private readonly gl: WebGL2RenderingContext) {
    this.gridProgram = linkProgram(gl, GRID_VERTEX, GRID_FRAGMENT, "overview shader");
    this.pointProgram = linkProgram(gl, POINT_VERTEX, POINT_FRAGMENT, "overview shader");
    this.countsTex = gl.createTexture();
    this.topTex = gl.createTexture();
    this.gridVao = gl.createVertexArray();
    this.pointVao = gl.createVertexArray();
    this.xyBuf = gl.createBuffer();
    this.codeBuf = gl.createBuffer();
    this.selBuf = gl.createBuffer();
    gl.bindVertexArray(this.pointVao);
    gl.bindBuffer(gl.ARRAY_BUFFER, this.xyBuf);
    gl.enableVertexAttribArray(ATTR_XY);
    gl.vertexAttribPointer(ATTR_XY, 2, gl.FLOAT, false, 0, 0);
    gl.bindBuffer(gl.ARRAY_BUFFER, this.codeBuf);
    gl.enableVertexAttribArray(ATTR_CODE);
    gl.vertexAttribIPointer(ATTR_CODE, 1, gl.UNSIGNED_BYTE, 0, 0);
    gl.bindBuffer(gl.ARRAY_BUFFER, this.selBuf);
    gl.enableVertexAttribArray(ATTR_SEL);
    gl.vertexAttribIPointer(ATTR_SEL, 1, gl.UNSIGNED_BYTE, 0, 0);
    gl.bindVertexArray(null);
    gl.bindBuffer(gl.ARRAY_BUFFER, null);
  }

  /** Show `grid` (null: none) and the points of `tiles` from the next frame on. */
  set(grid: OverviewGrid | null, tiles: readonly Tile[]): void {
    if (grid !== this.grid) {
      this.grid = grid;
      this.gridUploaded = false;
    }
    if (tiles.length !== this.tiles.length || tiles.some((t, i) => t !== this.tiles[i])) {
      this.tiles = tiles;
      this.points = joinTiles(tiles);
      this.pointsUploaded = false;
    }
  }

  /** Whether there is anything to draw. */
  get active(): boolean {
    return this.grid !== null || this.points.count > 0;
  }

  private uploadGrid(grid: OverviewGrid): void {
    const { gl } = this;
    const [w, h] = grid.size;
    gl.pixelStorei(gl.UNPACK_ALIGNMENT, 1);
    gl.bindTexture(gl.TEXTURE_2D, this.countsTex);
    gl.texImage2D(gl.TEXTURE_2D, 0, gl.R32UI, w, h, 0, gl.RED_INTEGER, gl.UNSIGNED_INT, grid.counts);
    for (const tex of [this.countsTex, this.topTex]) {
      gl.bindTexture(gl.TEXTURE_2D, tex);
      if (tex === this.topTex) gl.texImage2D(gl.TEXTURE_2D, 0, gl.R8UI, w, h, 0, gl.RED_INTEGER, gl.UNSIGNED_BYTE, grid.top);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.NEAREST);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.NEAREST);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
    }
    gl.bindTexture(gl.TEXTURE_2D, null);
    gl.pixelStorei(gl.UNPACK_ALIGNMENT, 4);
    this.gridUploaded = true;
  }

  private uploadPoints(): void {
    const { gl, points } = this;
    gl.bindBuffer(gl.ARRAY_BUFFER, this.xyBuf);
    gl.bufferData(gl.ARRAY_BUFFER, points.xy, gl.STATIC_DRAW);
    gl.bindBuffer(gl.ARRAY_BUFFER, this.codeBuf);
    gl.bufferData(gl.ARRAY_BUFFER, points.codes, gl.STATIC_DRAW);
    gl.bindBuffer(gl.ARRAY_BUFFER, this.selBuf);
    gl.bufferData(gl.ARRAY_BUFFER, points.flags, gl.STATIC_DRAW);
    gl.bindBuffer(gl.ARRAY_BUFFER, null);
    this.pointsUploaded = true;
  }

  private colors(program: WebGLProgram, style: OverviewStyle): void {
    const { gl } = this;
    const at = (name: string): WebGLUniformLocation | null => gl.getUniformLocation(program, name);
    gl.uniform3fv(at("u_palette"), style.palette);
    gl.uniform1i(at("u_paletteSize"), style.paletteSize);
    gl.uniform3fv(at("u_default"), style.defaultColor);
    gl.uniform3fv(at("u_other"), style.otherColor);
    gl.uniform3fv(at("u_background"), style.background);
  }

  /**
   * Draw the grid, then the points over it, with the frame's view-projection matrix; returns
   * the points drawn (a drawn grid counts as one, so a frame showing only the grid is not empty).
   */
  draw(viewProj: Float32Array, style: OverviewStyle): number {
    const { gl, grid } = this;
    let drawn = 0;
    gl.disable(gl.DEPTH_TEST);
    gl.disable(gl.BLEND);
    if (grid) {
      if (!this.gridUploaded) this.uploadGrid(grid);
      const p = this.gridProgram;
      gl.useProgram(p);
      const at = (name: string): WebGLUniformLocation | null => gl.getUniformLocation(p, name);
      gl.uniformMatrix4fv(at("u_viewProj"), false, viewProj);
      gl.uniform4f(at("u_bounds"), grid.bounds[0], grid.bounds[1], grid.bounds[2], grid.bounds[3]);
      gl.uniform2f(at("u_size"), grid.size[0], grid.size[1]);
      gl.uniform2i(at("u_cells"), grid.size[0], grid.size[1]);
      gl.uniform1f(at("u_logMax"), grid.max > 1 ? Math.log(grid.max) : 0);
      this.colors(p, style);
      gl.activeTexture(gl.TEXTURE2);
      gl.bindTexture(gl.TEXTURE_2D, this.countsTex);
      gl.uniform1i(at("u_counts"), 2);
      gl.activeTexture(gl.TEXTURE3);
      gl.bindTexture(gl.TEXTURE_2D, this.topTex);
      gl.uniform1i(at("u_top"), 3);
      gl.bindVertexArray(this.gridVao);
      gl.drawArrays(gl.TRIANGLE_STRIP, 0, 4);
      gl.bindTexture(gl.TEXTURE_2D, null);
      gl.activeTexture(gl.TEXTURE2);
      gl.bindTexture(gl.TEXTURE_2D, null);
      gl.activeTexture(gl.TEXTURE0);
      drawn = 1;
    }
    const { points } = this;
    if (points.count > 0) {
      if (!this.pointsUploaded) this.uploadPoints();
      const p = this.pointProgram;
      gl.useProgram(p);
      const at = (name: string): WebGLUniformLocation | null => gl.getUniformLocation(p, name);
      gl.uniformMatrix4fv(at("u_viewProj"), false, viewProj);
      gl.uniform1f(at("u_size"), style.pointSize);
      gl.uniform1i(at("u_hasSelection"), points.selected > 0 ? 1 : 0);
      this.colors(p, style);
      gl.bindVertexArray(this.pointVao);
      gl.drawArrays(gl.POINTS, 0, points.count);
      drawn = points.count;
    }
    gl.bindVertexArray(null);
    gl.enable(gl.DEPTH_TEST);
    return drawn;
  }

  dispose(): void {
    const { gl } = this;
    if (gl.isContextLost()) return;
    gl.deleteProgram(this.gridProgram);
    gl.deleteProgram(this.pointProgram);
    gl.deleteTexture(this.countsTex);
    gl.deleteTexture(this.topTex);
    gl.deleteVertexArray(this.gridVao);
    gl.deleteVertexArray(this.pointVao);
    gl.deleteBuffer(this.xyBuf);
    gl.deleteBuffer(this.codeBuf);
    gl.deleteBuffer(this.selBuf);
  }
}
