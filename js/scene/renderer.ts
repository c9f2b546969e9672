/**
 * The WebGL2 renderer: owns the GL context, the GPU buffers and the camera.
 * It draws all points in one drawArrays(POINTS) call, on demand (one
 * requestAnimationFrame per batch of changes), and never reads the model:
 * widget.ts feeds it decoded data.
 *
 * GPU buffers mirror typed arrays kept on the CPU so that a lost context can
 * be rebuilt without asking Python for anything.
 */
import type { Column, Points } from "../wire";
import {
  autoPointSize,
  fitCamera,
  projectQuantized,
  rebaseCamera,
  viewProjection,
  type Camera,
  type Viewport,
} from "./camera";
import {
  DEFAULT_COLOR,
  LUT_SIZE,
  MISSING_COLOR,
  OTHER_COLOR,
  PALETTE,
  makeLut,
  type RGB,
} from "./colors";
import { PickBuffer } from "./picking";
import {
  ATTR_BITS,
  ATTR_CODE,
  ATTR_POS,
  ATTR_SEL,
  MODE_CATEGORY,
  MODE_NUMBER,
  MODE_SINGLE,
  createPointProgram,
  type PointProgram,
} from "./shaders";

export interface FrameInfo {
  /** Frames drawn so far. */
  frame: number;
  /** Points in this frame's draw call. */
  drawn: number;
}

export interface RendererOptions {
  onFrame?: (info: FrameInfo) => void;
  /** Called when the GL context is lost (true) or restored (false). */
  onContextLost?: (lost: boolean) => void;
}

interface GpuState {
  prog: PointProgram;
  vao: WebGLVertexArrayObject;
  posBuf: WebGLBuffer;
  selBuf: WebGLBuffer;
  lut: WebGLTexture;
  pick: PickBuffer;
  /** Colour attribute buffers by column name, for the current columns. */
  colorBufs: Map<string, WebGLBuffer>;
  /** Bytes allocated in selBuf. */
  selBytes: number;
}

const PALETTE_FLAT = new Float32Array(PALETTE.flatMap((c) => c.map((v) => v / 255)));

function unit(c: RGB): [number, number, number] {
  return [c[0] / 255, c[1] / 255, c[2] / 255];
}

/** Whether a WebGL2 context can be created at all (for the fallback message). */
export function createContext(canvas: HTMLCanvasElement): WebGL2RenderingContext | null {
  try {
    return canvas.getContext("webgl2", {
      alpha: false,
      antialias: false,
      depth: true,
      premultipliedAlpha: false,
      preserveDrawingBuffer: true,
      powerPreference: "high-performance",
    });
  } catch {
    return null;
  }
}

export class Renderer {
  private gpu: GpuState | null = null;
  private points: Points | null = null;
  private columns: Column[] = [];
  private colorBy = "";
  private mode = MODE_SINGLE;
  private colorColumn: Column | null = null;
  private selMask: Uint8Array = new Uint8Array(0);
  private selCount = 0;
  private hover = -1;
  private pointSizeCss = 0;
  private background: RGB = [255, 255, 255];
  private foreground: RGB = [33, 33, 33];
  private viewport: Viewport = { width: 0, height: 0 };
  private dpr = 1;
  private cam: Camera | null = null;
  private needsFit = true;
  /** The camera is a fit the user has not moved since: refit on resize and new data. */
  private fitted = false;
  private raf = 0;
  private lost = false;
  private disposed = false;
  private positionsScratch: Float32Array | null = null;
  frameCount = 0;
  lastDrawCount = 0;

  constructor(
    readonly canvas: HTMLCanvasElement,
    private readonly gl: WebGL2RenderingContext,
    private readonly options: RendererOptions = {},
  ) {
    canvas.addEventListener("webglcontextlost", this.onLost);
    canvas.addEventListener("webglcontextrestored", this.onRestored);
    this.initGpu();
  }

  // ------------------------------------------------------------ lifetime

  private onLost = (e: Event): void => {
    e.preventDefault(); // allow restoration
    this.lost = true;
    this.gpu = null;
    if (this.raf) cancelAnimationFrame(this.raf);
    this.raf = 0;
    this.options.onContextLost?.(true);
  };

  private onRestored = (): void => {
    this.lost = false;
    this.initGpu();
    this.options.onContextLost?.(false);
    this.requestRender();
  };

  private initGpu(): void {
    const gl = this.gl;
    const prog = createPointProgram(gl);
    const vao = gl.createVertexArray();
    const posBuf = gl.createBuffer();
    const selBuf = gl.createBuffer();
    const lut = gl.createTexture();
    if (!vao || !posBuf || !selBuf || !lut) throw new Error("could not allocate WebGL objects");

    gl.bindTexture(gl.TEXTURE_2D, lut);
    gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA8, LUT_SIZE, 1, 0, gl.RGBA, gl.UNSIGNED_BYTE, makeLut());
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.NEAREST);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.NEAREST);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
    gl.bindTexture(gl.TEXTURE_2D, null);

    this.gpu = { prog, vao, posBuf, selBuf, lut, pick: new PickBuffer(gl), colorBufs: new Map(), selBytes: 0 };
    gl.enable(gl.DEPTH_TEST);
    gl.depthFunc(gl.LEQUAL);
    gl.disable(gl.BLEND);

    // Re-upload whatever the CPU holds (no-ops on first creation).
    if (this.points) this.uploadPoints(this.points);
    this.uploadSelection();
    this.bindColor();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.raf) cancelAnimationFrame(this.raf);
    this.raf = 0;
    this.canvas.removeEventListener("webglcontextlost", this.onLost);
    this.canvas.removeEventListener("webglcontextrestored", this.onRestored);
    const gl = this.gl;
    const gpu = this.gpu;
    if (gpu && !gl.isContextLost()) {
      for (const b of gpu.colorBufs.values()) gl.deleteBuffer(b);
      gl.deleteBuffer(gpu.posBuf);
      gl.deleteBuffer(gpu.selBuf);
      gl.deleteVertexArray(gpu.vao);
      gl.deleteTexture(gpu.lut);
      gl.deleteProgram(gpu.prog.program);
      gpu.pick.dispose();
    }
    this.gpu = null;
    // Give the context back now rather than when garbage collected: browsers
    // cap live contexts, and a notebook may hold many widgets.
    gl.getExtension("WEBGL_lose_context")?.loseContext();
  }

  // ---------------------------------------------------------------- data

  /** Replace the points. Keeps the view (rebased to new bounds) when n and dims are unchanged. */
  setPoints(points: Points | null): void {
    const prev = this.points;
    this.points = points;
    if (!points) {
      this.requestRender();
      return;
    }
    const same = prev !== null && prev.n === points.n && prev.dims === points.dims;
    if (same && this.cam && !this.needsFit && !this.fitted) {
      this.cam = rebaseCamera(this.cam, prev.lo, prev.hi, points.lo, points.hi);
    } else {
      this.needsFit = true;
    }
    if (this.selMask.length !== points.n) {
      this.selMask = new Uint8Array(points.n);
      this.selCount = 0;
    }
    if (this.gpu) {
      this.uploadPoints(points);
      this.uploadSelection();
      // Columns shorter than the old n may now fit (or no longer fit).
      this.bindColor();
    }
    this.fitIfNeeded();
    this.invalidate();
  }

  private uploadPoints(points: Points): void {
    const gl = this.gl;
    const gpu = this.gpu;
    if (!gpu) return;
    gl.bindVertexArray(gpu.vao);
    gl.bindBuffer(gl.ARRAY_BUFFER, gpu.posBuf);
    gl.bufferData(gl.ARRAY_BUFFER, points.coords, gl.STATIC_DRAW);
    gl.enableVertexAttribArray(ATTR_POS);
    gl.vertexAttribPointer(ATTR_POS, points.dims, gl.UNSIGNED_SHORT, true, 0, 0);
    gl.bindVertexArray(null);
    gl.bindBuffer(gl.ARRAY_BUFFER, null);
  }

  /** Replace the metadata columns (drops their GPU buffers) and rebind the colour. */
  setColumns(columns: Column[]): void {
    this.columns = columns;
    const gpu = this.gpu;
    if (gpu) {
      for (const b of gpu.colorBufs.values()) this.gl.deleteBuffer(b);
      gpu.colorBufs.clear();
    }
    this.bindColor();
    this.requestRender();
  }

  /** Colour by the named column ("" = one colour). Uploads a column once, then only rebinds. */
  setColorBy(name: string): void {
    this.colorBy = name;
    this.bindColor();
    this.requestRender();
  }

  private bindColor(): void {
    const gl = this.gl;
    const gpu = this.gpu;
    const n = this.points?.n ?? 0;
    const col = this.columns.find((c) => c.name === this.colorBy) ?? null;
    let mode = MODE_SINGLE;
    let data: Uint8Array | Uint16Array | Float32Array | null = null;
    if (col && col.kind === "category" && col.codes.length >= n) {
      mode = MODE_CATEGORY;
      data = col.codes;
    } else if (col && col.kind === "number" && col.values.length >= n) {
      mode = MODE_NUMBER;
      data = col.values;
    }
    this.mode = mode;
    this.colorColumn = mode === MODE_SINGLE ? null : col;
    if (!gpu) return;

    gl.bindVertexArray(gpu.vao);
    gl.disableVertexAttribArray(ATTR_CODE);
    gl.vertexAttribI4ui(ATTR_CODE, 0, 0, 0, 0);
    gl.disableVertexAttribArray(ATTR_BITS);
    gl.vertexAttribI4ui(ATTR_BITS, 0, 0, 0, 0);
    if (col && data) {
      let buf = gpu.colorBufs.get(col.name);
      if (!buf) {
        const created = gl.createBuffer();
        if (!created) return;
        buf = created;
        gl.bindBuffer(gl.ARRAY_BUFFER, buf);
        gl.bufferData(gl.ARRAY_BUFFER, data, gl.STATIC_DRAW);
        gpu.colorBufs.set(col.name, buf);
      }
      gl.bindBuffer(gl.ARRAY_BUFFER, buf);
      if (mode === MODE_CATEGORY) {
        const type = data instanceof Uint16Array ? gl.UNSIGNED_SHORT : gl.UNSIGNED_BYTE;
        gl.enableVertexAttribArray(ATTR_CODE);
        gl.vertexAttribIPointer(ATTR_CODE, 1, type, 0, 0);
      } else {
        gl.enableVertexAttribArray(ATTR_BITS);
        gl.vertexAttribIPointer(ATTR_BITS, 1, gl.UNSIGNED_INT, 0, 0);
      }
    }
    gl.bindVertexArray(null);
    gl.bindBuffer(gl.ARRAY_BUFFER, null);
  }

  /** Set the selection mask (length n, 1 = selected) and how many rows it selects. */
  setSelection(mask: Uint8Array, count: number): void {
    const n = this.points?.n ?? 0;
    if (mask.length !== n) {
      const fixed = new Uint8Array(n);
      fixed.set(mask.subarray(0, n));
      mask = fixed;
    }
    this.selMask = mask;
    this.selCount = count;
    this.uploadSelection();
    this.invalidate();
  }

  private uploadSelection(): void {
    const gl = this.gl;
    const gpu = this.gpu;
    if (!gpu) return;
    gl.bindVertexArray(gpu.vao);
    gl.bindBuffer(gl.ARRAY_BUFFER, gpu.selBuf);
    const bytes = Math.max(1, this.selMask.byteLength);
    if (gpu.selBytes !== bytes) {
      gl.bufferData(gl.ARRAY_BUFFER, bytes, gl.DYNAMIC_DRAW);
      gpu.selBytes = bytes;
    }
    if (this.selMask.byteLength > 0) gl.bufferSubData(gl.ARRAY_BUFFER, 0, this.selMask);
    gl.enableVertexAttribArray(ATTR_SEL);
    gl.vertexAttribIPointer(ATTR_SEL, 1, gl.UNSIGNED_BYTE, 0, 0);
    gl.bindVertexArray(null);
    gl.bindBuffer(gl.ARRAY_BUFFER, null);
  }

  get selectedCount(): number {
    return this.selCount;
  }

  get pointCount(): number {
    return this.points?.n ?? 0;
  }

  get dims(): 2 | 3 | null {
    return this.points?.dims ?? null;
  }

  /** Index of the highlighted (hovered) point, -1 for none. */
  setHover(index: number): void {
    if (index === this.hover) return;
    this.hover = index;
    this.requestRender();
  }

  /** Point diameter in CSS px; 0 = automatic by n. */
  setPointSize(cssPx: number): void {
    this.pointSizeCss = Number.isFinite(cssPx) && cssPx > 0 ? cssPx : 0;
    this.invalidate();
  }

  /** The diameter actually used, CSS px. */
  get pointSize(): number {
    return this.pointSizeCss > 0 ? this.pointSizeCss : autoPointSize(this.points?.n ?? 0);
  }

  setTheme(background: RGB, foreground: RGB): void {
    this.background = background;
    this.foreground = foreground;
    this.requestRender();
  }

  // --------------------------------------------------------------- camera

  /** Size the drawing buffer for a canvas of cssWidth x cssHeight at devicePixelRatio dpr. */
  resize(cssWidth: number, cssHeight: number, dpr: number): void {
    const w = Math.max(1, Math.round(cssWidth * dpr));
    const h = Math.max(1, Math.round(cssHeight * dpr));
    if (this.canvas.width !== w) this.canvas.width = w;
    if (this.canvas.height !== h) this.canvas.height = h;
    const changed = cssWidth !== this.viewport.width || cssHeight !== this.viewport.height;
    this.viewport = { width: cssWidth, height: cssHeight };
    this.dpr = dpr;
    if (changed && this.fitted) this.needsFit = true;
    this.fitIfNeeded();
    this.invalidate();
  }

  private fitIfNeeded(): void {
    if (!this.needsFit || !this.points || this.viewport.width <= 0 || this.viewport.height <= 0) return;
    const p = this.points;
    this.cam = fitCamera(p.dims, p.lo, p.hi, this.viewport, undefined, p.dims === 3 ? p.coords : undefined);
    this.needsFit = false;
    this.fitted = true;
  }

  /** Fit the view to the data. */
  fit(): void {
    this.needsFit = true;
    this.fitIfNeeded();
    this.invalidate();
  }

  get camera(): Camera | null {
    return this.cam;
  }

  set camera(cam: Camera | null) {
    this.cam = cam;
    this.fitted = false;
    this.invalidate();
  }

  getViewport(): Viewport {
    return { ...this.viewport };
  }

  /**
   * Screen positions (CSS px from the canvas's top-left; NaN when hidden) of
   * all points, computed exactly as the shader places them. Reuses an
   * internal buffer unless `fresh` is set.
   */
  screenPositions(fresh = false): Float32Array {
    const p = this.points;
    if (!p || !this.cam) return new Float32Array(0);
    const m = viewProjection(this.cam, this.viewport);
    const out = fresh ? undefined : (this.positionsScratch ?? undefined);
    const res = projectQuantized(p.coords, p.dims, p.lo, p.hi, m, this.viewport, out);
    if (!fresh) this.positionsScratch = res;
    return fresh ? res : res.subarray(0, 2 * p.n);
  }

  /** Index of the point drawn nearest (x, y) CSS px within `radius` CSS px, or -1. */
  pick(x: number, y: number, radius = 3): number {
    const gl = this.gl;
    const gpu = this.gpu;
    const p = this.points;
    if (!gpu || !p || p.n === 0 || !this.cam || this.lost) return -1;
    const w = this.canvas.width;
    const h = this.canvas.height;
    if (!gpu.pick.bind(w, h)) {
      gl.bindFramebuffer(gl.FRAMEBUFFER, null);
      return -1;
    }
    if (gpu.pick.dirty) {
      gl.viewport(0, 0, w, h);
      gl.clearColor(0, 0, 0, 0);
      gl.clear(gl.COLOR_BUFFER_BIT | gl.DEPTH_BUFFER_BIT);
      this.drawPoints(true);
      gpu.pick.dirty = false;
    }
    const r = Math.max(1, Math.ceil(radius * this.dpr));
    const index = gpu.pick.read(Math.floor(x * this.dpr), Math.floor(y * this.dpr), r);
    gl.bindFramebuffer(gl.FRAMEBUFFER, null);
    return index < p.n ? index : -1;
  }

  // ---------------------------------------------------------------- draw

  /** Something that moves or resizes points changed: redraw and re-pick. */
  private invalidate(): void {
    if (this.gpu) this.gpu.pick.dirty = true;
    this.requestRender();
  }

  requestRender(): void {
    if (this.raf || this.lost || this.disposed) return;
    this.raf = requestAnimationFrame(() => {
      this.raf = 0;
      this.draw();
    });
  }

  /** Draw now (normally called from the animation frame). */
  draw(): void {
    const gl = this.gl;
    if (!this.gpu || this.lost || this.disposed) return;
    gl.bindFramebuffer(gl.FRAMEBUFFER, null);
    gl.viewport(0, 0, this.canvas.width, this.canvas.height);
    const [r, g, b] = unit(this.background);
    gl.clearColor(r, g, b, 1);
    gl.clear(gl.COLOR_BUFFER_BIT | gl.DEPTH_BUFFER_BIT);
    const drawn = this.drawPoints(false);
    this.frameCount += 1;
    this.lastDrawCount = drawn;
    this.options.onFrame?.({ frame: this.frameCount, drawn });
  }

  private drawPoints(picking: boolean): number {
    const gl = this.gl;
    const gpu = this.gpu;
    const p = this.points;
    if (!gpu || !p || p.n === 0 || !this.cam || this.viewport.width <= 0) return 0;
    const u = gpu.prog.uniforms;
    gl.useProgram(gpu.prog.program);
    gl.bindVertexArray(gpu.vao);

    const m = viewProjection(this.cam, this.viewport);
    gl.uniformMatrix4fv(u.u_viewProj, false, Float32Array.from(m));
    gl.uniform3f(u.u_lo, p.lo[0], p.lo[1], p.dims === 3 ? p.lo[2] : 0);
    gl.uniform3f(u.u_span, p.hi[0] - p.lo[0], p.hi[1] - p.lo[1], p.dims === 3 ? p.hi[2] - p.lo[2] : 0);
    gl.uniform1f(u.u_size, this.pointSize * this.dpr);
    gl.uniform1f(u.u_dpr, this.dpr);
    gl.uniform1i(u.u_mode, this.mode);
    gl.uniform3fv(u.u_palette, PALETTE_FLAT);
    gl.uniform3fv(u.u_default, unit(DEFAULT_COLOR));
    gl.uniform3fv(u.u_other, unit(OTHER_COLOR));
    gl.uniform3fv(u.u_missing, unit(MISSING_COLOR));
    gl.uniform3fv(u.u_background, unit(this.background));
    gl.uniform3fv(u.u_ringColor, unit(this.foreground));
    const col = this.colorColumn;
    gl.uniform1i(u.u_missingCode, col && col.kind === "category" ? col.missingCode : -1);
    gl.uniform1f(u.u_min, col && col.kind === "number" ? col.min : 0);
    gl.uniform1f(u.u_max, col && col.kind === "number" ? col.max : 1);
    gl.activeTexture(gl.TEXTURE0);
    gl.bindTexture(gl.TEXTURE_2D, gpu.lut);
    gl.uniform1i(u.u_lut, 0);
    gl.uniform1i(u.u_hasSelection, this.selCount > 0 ? 1 : 0);
    gl.uniform1i(u.u_hover, picking || this.hover >= p.n ? -1 : this.hover);
    gl.uniform1i(u.u_picking, picking ? 1 : 0);

    gl.drawArrays(gl.POINTS, 0, p.n);
    gl.bindVertexArray(null);
    return p.n;
  }
}
