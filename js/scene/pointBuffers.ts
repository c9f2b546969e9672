/**
 * The points on the GPU: the point program, its vertex array and the buffers it reads
 * (positions, the positions a transition starts from, the per-point flags, the metadata columns
 * that colour and size the points) and the colour map's LUT texture. Made when the context is
 * created and again when a lost one is restored; the renderer keeps the CPU copies it uploads
 * from. Typed arrays go straight into buffers.
 */
import type { Points } from "../contract/wirePoints";
import type { ColorState, ColumnBinding } from "./colorState";
import { LUT_SIZE } from "./colors";
import { ATTR_BITS, ATTR_CODE, ATTR_POS, ATTR_PREV, ATTR_SEL, ATTR_SIZE, createPointProgram, type PointProgram } from "./shaders";
import type { SpriteAtlas } from "./sprites";

/** What one draw of the points uses besides the buffers. */
export interface PointDraw {
  viewProj: Float32Array;
  points: Points;
  /** The positions a running transition starts from (`points` when none runs) and the eased mix. */
  from: Points;
  mix: number;
  /** Point diameter, device px (before a size column scales it). */
  sizePx: number;
  dpr: number;
  /** Draw each point's id for the pick buffer (exact colours, no blending) instead of its colour. */
  picking: boolean;
  /** Something is emphasised: the rest is dimmed. */
  emphasis: boolean;
  /** The row drawn hovered (-1: none). */
  hover: number;
  colors: ColorState;
  sprites: SpriteAtlas;
  /** A sprite's edge, device px. */
  spritePx: number;
  /** Issue the draw calls (every row, or a slice of the level-of-detail order); returns the points drawn. */
  drawCalls(): number;
}

export class PointBuffers {
  readonly prog: PointProgram;
  readonly vao: WebGLVertexArrayObject;
  private posBuf: WebGLBuffer;
  /** Positions animated from (a transition's start). */
  private prevBuf: WebGLBuffer;
  private readonly selBuf: WebGLBuffer;
  private readonly lut: WebGLTexture;
  /** The thumbnails' atlas (sprites.ts uploads and binds it). */
  readonly atlas: WebGLTexture;
  /** Column value buffers by column name, for the current columns (colour and size share them). */
  private readonly columnBufs = new Map<string, WebGLBuffer>();
  /** Bytes allocated in selBuf. */
  private selBytes = 0;

  constructor(
    private readonly gl: WebGL2RenderingContext,
    lut: Uint8Array,
  ) {
    const prog = createPointProgram(gl);
    const vao = gl.createVertexArray();
    const posBuf = gl.createBuffer();
    const prevBuf = gl.createBuffer();
    const selBuf = gl.createBuffer();
    const lutTex = gl.createTexture();
    const atlas = gl.createTexture();
    if (!vao || !posBuf || !prevBuf || !selBuf || !lutTex || !atlas) throw new Error("could not allocate WebGL objects");
    gl.bindTexture(gl.TEXTURE_2D, lutTex);
    gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA8, LUT_SIZE, 1, 0, gl.RGBA, gl.UNSIGNED_BYTE, lut);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.NEAREST);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.NEAREST);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
    gl.bindTexture(gl.TEXTURE_2D, null);
    this.prog = prog;
    this.vao = vao;
    this.posBuf = posBuf;
    this.prevBuf = prevBuf;
    this.selBuf = selBuf;
    this.lut = lutTex;
    this.atlas = atlas;
  }

  /**
   * Upload the positions of `points`; with `transition`, the positions uploaded before become
   * the transition's start (the buffers swap), otherwise a_prev reads the new ones.
   */
  uploadPositions(points: Points, transition = false): void {
    const gl = this.gl;
    gl.bindVertexArray(this.vao);
    if (transition) {
      const t = this.prevBuf;
      this.prevBuf = this.posBuf;
      this.posBuf = t;
    }
    gl.bindBuffer(gl.ARRAY_BUFFER, this.posBuf);
    gl.bufferData(gl.ARRAY_BUFFER, points.coords, gl.STATIC_DRAW);
    gl.enableVertexAttribArray(ATTR_POS);
    gl.vertexAttribPointer(ATTR_POS, points.dims, gl.UNSIGNED_SHORT, true, 0, 0);
    // Without a transition a_prev reads the current positions (u_mix = 1 ignores them).
    gl.bindBuffer(gl.ARRAY_BUFFER, transition ? this.prevBuf : this.posBuf);
    gl.enableVertexAttribArray(ATTR_PREV);
    gl.vertexAttribPointer(ATTR_PREV, points.dims, gl.UNSIGNED_SHORT, true, 0, 0);
    gl.bindVertexArray(null);
    gl.bindBuffer(gl.ARRAY_BUFFER, null);
  }

  /** A transition ended: point a_prev back at the current positions (no re-upload). */
  endTransition(dims: 2 | 3): void {
    const gl = this.gl;
    gl.bindVertexArray(this.vao);
    gl.bindBuffer(gl.ARRAY_BUFFER, this.posBuf);
    gl.vertexAttribPointer(ATTR_PREV, dims, gl.UNSIGNED_SHORT, true, 0, 0);
    gl.bindVertexArray(null);
    gl.bindBuffer(gl.ARRAY_BUFFER, null);
  }

  /** Upload the per-point flag bits (flags.ts). */
  uploadFlags(mask: Uint8Array): void {
    const gl = this.gl;
    gl.bindVertexArray(this.vao);
    gl.bindBuffer(gl.ARRAY_BUFFER, this.selBuf);
    const bytes = Math.max(1, mask.byteLength);
    if (this.selBytes !== bytes) {
      gl.bufferData(gl.ARRAY_BUFFER, bytes, gl.DYNAMIC_DRAW);
      this.selBytes = bytes;
    }
    if (mask.byteLength > 0) gl.bufferSubData(gl.ARRAY_BUFFER, 0, mask);
    gl.enableVertexAttribArray(ATTR_SEL);
    gl.vertexAttribIPointer(ATTR_SEL, 1, gl.UNSIGNED_BYTE, 0, 0);
    gl.bindVertexArray(null);
    gl.bindBuffer(gl.ARRAY_BUFFER, null);
  }

  /** Upload the colour map (LUT_SIZE RGBA8 texels). */
  uploadLut(lut: Uint8Array): void {
    const gl = this.gl;
    gl.bindTexture(gl.TEXTURE_2D, this.lut);
    gl.texSubImage2D(gl.TEXTURE_2D, 0, 0, 0, LUT_SIZE, 1, gl.RGBA, gl.UNSIGNED_BYTE, lut);
    gl.bindTexture(gl.TEXTURE_2D, null);
  }

  /** The columns were replaced: their buffers go (made again on first use). */
  dropColumns(): void {
    for (const b of this.columnBufs.values()) this.gl.deleteBuffer(b);
    this.columnBufs.clear();
  }

  /** Point the colour and size attributes at the columns `binding` names (uploading each once). */
  bindColumns(binding: ColumnBinding): void {
    const gl = this.gl;
    gl.bindVertexArray(this.vao);
    for (const attr of [ATTR_CODE, ATTR_BITS, ATTR_SIZE]) {
      gl.disableVertexAttribArray(attr);
      gl.vertexAttribI4ui(attr, 0, 0, 0, 0);
    }
    const { color, size } = binding;
    const buf = color ? this.columnBuffer(color.name, color.data) : null;
    if (buf && color) {
      gl.bindBuffer(gl.ARRAY_BUFFER, buf);
      if (color.category) {
        const type = color.data instanceof Uint16Array ? gl.UNSIGNED_SHORT : gl.UNSIGNED_BYTE;
        gl.enableVertexAttribArray(ATTR_CODE);
        gl.vertexAttribIPointer(ATTR_CODE, 1, type, 0, 0);
      } else {
        gl.enableVertexAttribArray(ATTR_BITS);
        gl.vertexAttribIPointer(ATTR_BITS, 1, gl.UNSIGNED_INT, 0, 0);
      }
    }
    const sizeBuf = size ? this.columnBuffer(size.name, size.values) : null;
    if (sizeBuf) {
      gl.bindBuffer(gl.ARRAY_BUFFER, sizeBuf);
      gl.enableVertexAttribArray(ATTR_SIZE);
      gl.vertexAttribIPointer(ATTR_SIZE, 1, gl.UNSIGNED_INT, 0, 0);
    }
    gl.bindVertexArray(null);
    gl.bindBuffer(gl.ARRAY_BUFFER, null);
  }

  /** The GPU buffer of a column's values (created on first use). */
  private columnBuffer(name: string, data: Uint8Array | Uint16Array | Float32Array): WebGLBuffer | null {
    const gl = this.gl;
    let buf = this.columnBufs.get(name);
    if (!buf) {
      const created = gl.createBuffer();
      if (!created) return null;
      buf = created;
      gl.bindBuffer(gl.ARRAY_BUFFER, buf);
      gl.bufferData(gl.ARRAY_BUFFER, data, gl.STATIC_DRAW);
      this.columnBufs.set(name, buf);
    }
    return buf;
  }

  /** Draw the points with the uniforms `d` gives; returns the points drawn. */
  draw(d: PointDraw): number {
    const gl = this.gl;
    const { points: p, from: q, picking, colors } = d;
    const u = this.prog.uniforms;
    gl.useProgram(this.prog.program);
    gl.bindVertexArray(this.vao);
    gl.uniformMatrix4fv(u.u_viewProj, false, d.viewProj);
    gl.uniform3f(u.u_lo, p.lo[0], p.lo[1], p.dims === 3 ? p.lo[2] : 0);
    gl.uniform3f(u.u_span, p.hi[0] - p.lo[0], p.hi[1] - p.lo[1], p.dims === 3 ? p.hi[2] - p.lo[2] : 0);
    gl.uniform3f(u.u_prevLo, q.lo[0], q.lo[1], q.dims === 3 ? q.lo[2] : 0);
    gl.uniform3f(u.u_prevSpan, q.hi[0] - q.lo[0], q.hi[1] - q.lo[1], q.dims === 3 ? q.hi[2] - q.lo[2] : 0);
    gl.uniform1f(u.u_mix, picking ? 1 : d.mix);
    gl.uniform1f(u.u_size, d.sizePx);
    gl.uniform1f(u.u_dpr, d.dpr);
    colors.applyUniforms(gl, u);
    // Picking reads ids from exact colours: never blended.
    const blend = !picking && colors.opacity < 1;
    gl.uniform1f(u.u_opacity, picking ? 1 : colors.opacity);
    if (blend) {
      gl.enable(gl.BLEND);
      gl.blendFuncSeparate(gl.SRC_ALPHA, gl.ONE_MINUS_SRC_ALPHA, gl.ONE, gl.ONE_MINUS_SRC_ALPHA);
    } else {
      gl.disable(gl.BLEND);
    }
    const sprites = d.sprites.bind(u, this.atlas, d.spritePx);
    gl.activeTexture(gl.TEXTURE0);
    gl.bindTexture(gl.TEXTURE_2D, this.lut);
    gl.uniform1i(u.u_lut, 0);
    gl.uniform1i(u.u_hasSelection, d.emphasis ? 1 : 0);
    gl.uniform1i(u.u_hover, picking ? -1 : d.hover);
    gl.uniform1i(u.u_picking, picking ? 1 : 0);
    const drawn = d.drawCalls();
    if (blend) gl.disable(gl.BLEND);
    if (sprites) d.sprites.unbind();
    gl.bindVertexArray(null);
    return drawn;
  }

  /** Delete every object (the context is not lost). */
  dispose(): void {
    const gl = this.gl;
    for (const b of this.columnBufs.values()) gl.deleteBuffer(b);
    gl.deleteBuffer(this.posBuf);
    gl.deleteBuffer(this.prevBuf);
    gl.deleteTexture(this.atlas);
    gl.deleteBuffer(this.selBuf);
    gl.deleteVertexArray(this.vao);
    gl.deleteTexture(this.lut);
    gl.deleteProgram(this.prog.program);
  }
}
