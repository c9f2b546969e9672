/**
 * The WebGL2 renderer: owns the GL context, the GPU buffers and the camera.
 * It draws all points in one drawArrays(POINTS) call, on demand (one
 * requestAnimationFrame per batch of changes), and never reads the model:
 * the view (view/stage.ts, view/drawing.ts, view/emphasis.ts) feeds it decoded data.
 * While the view moves on a large set it draws a sample instead (detail.ts), sized from the
 * measured time of its frames, and refines to every point once the motion settles.
 *
 * GPU buffers mirror typed arrays kept on the CPU so that a lost context can
 * be rebuilt without asking Python for anything.
 */
import type { Column, NumberColumn } from "../contract/wireColumns";
import type { OverviewGrid, Tile } from "../contract/wireOverview";
import type { Points, Sprites } from "../contract/wirePoints";
import {
  autoPointSize,
  type Camera,
  fitCamera,
  pan,
  projectPoint,
  projectQuantized,
  rebaseCamera,
  type Vec3,
  type Viewport,
  viewProjection,
} from "./camera";
import { DEFAULT_COLOR, LUT_SIZE, MISSING_COLOR, makeLut, OTHER_COLOR, PALETTE_MAX, type RGB } from "./colors";
import { DetailPlanner, drawOrder, emphasisedInOrder, type FramePlan, LOD_MIN_POINTS, type MotionPhase, shareWithEmphasis } from "./detail";
import { FLAG_HIDDEN } from "./flags";
import { nearestPoint, OverviewLayer } from "./overview";
import { PickBuffer } from "./picking";
import {
  ATTR_BITS,
  ATTR_CODE,
  ATTR_POS,
  ATTR_PREV,
  ATTR_SEL,
  ATTR_SIZE,
  createPointProgram,
  MODE_CATEGORY,
  MODE_NUMBER,
  MODE_SINGLE,
  type PointProgram,
} from "./shaders";
import { ease, mixedPosition, transitionT } from "./transition";
import { Underlay } from "./underlay";

export interface FrameInfo {
  /** Frames drawn so far. */
  frame: number;
  /** Points in this frame's draw call. */
  drawn: number;
  /** Whether a transition is still running after this frame. */
  animating: boolean;
  /** Whether the frame shows a sample of the points (the view moves, or a refinement is under way). */
  partial: boolean;
  /** Points (or, with none, the grid as one) the overview layer drew in this frame (0: none). */
  overview: number;
}

export interface RendererOptions {
  onFrame?: (info: FrameInfo) => void;
  /** Called when the GL context is lost (true) or restored (false). */
  onContextLost?: (lost: boolean) => void;
  /** Called after the view was fitted to the data (automatically or by fit()). */
  onFit?: () => void;
}

interface GpuState {
  prog: PointProgram;
  vao: WebGLVertexArrayObject;
  posBuf: WebGLBuffer;
  /** Positions animated from (a transition's start). */
  prevBuf: WebGLBuffer;
  selBuf: WebGLBuffer;
  atlas: WebGLTexture;
  lut: WebGLTexture;
  pick: PickBuffer;
  /** Column value buffers by column name, for the current columns (colour and size share them). */
  columnBufs: Map<string, WebGLBuffer>;
  /** Bytes allocated in selBuf. */
  selBytes: number;
  /**
   * The level-of-detail draw order and the emphasised rows in it (ELEMENT_ARRAY_BUFFER, uint32
   * row indices; detail.ts). An index buffer rather than uploading the attributes in that order:
   * gl_VertexID stays the row (picking, hover, thumbnails), and no other buffer (positions,
   * columns, flags rewritten on every selection) needs permuting; it costs 4 bytes a point, only
   * on sets large enough to need it.
   */
  orderBuf: WebGLBuffer | null;
  emphBuf: WebGLBuffer | null;
}

/** Palette colours as the shader's vec3 array (PALETTE_MAX entries, unused ones black). */
function flatPalette(colors: readonly RGB[]): Float32Array {
  const flat = new Float32Array(PALETTE_MAX * 3);
  for (const [i, c] of colors.slice(0, PALETTE_MAX).entries()) flat.set(unit(c), i * 3);
  return flat;
}

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
  private lut: Uint8Array = makeLut();
  private palette: Float32Array = flatPalette([]);
  private paletteSize = 0;
  private opacity = 1;
  private sizeBy = "";
  private sizeColumn: NumberColumn | null = null;
  private sizeRange: [number, number] = [1, 1];
  private selMask: Uint8Array = new Uint8Array(0);
  private selCount = 0;
  private hover = -1;
  private pointSizeCss = 0;
  private cpuPickPositions: Float32Array | null = null;
  private cpuPickDirty = true;
  private background: RGB = [255, 255, 255];
  private foreground: RGB = [33, 33, 33];
  private accent: RGB = [25, 118, 210];
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
  /** Positions a running transition starts from; null when none runs. */
  private prev: Points | null = null;
  private animStart = 0;
  private animDuration = 0;
  /** A projection is streaming frames: keep (rebase) the camera instead of refitting. */
  private streaming = false;
  private emphasis = false;
  private sprites: Sprites | null = null;
  private showSprites = false;
  /** Scale (2-D) or distance (3-D) of the last fit: the reference for sprite zoom. */
  private fitRef = 1;
  private fitInsetRight = 0;
  /** What is drawn under the points (density contours), and its source for a restored context. */
  private underlay: Underlay | null = null;
  /** Above the overview threshold: the grid and the tiles' points, and the quadtree's domain [x0, y0, side] the view fits. */
  private overview: OverviewLayer | null = null;
  private overviewScene: { grid: OverviewGrid | null; tiles: readonly Tile[] } | null = null;
  private overviewDomain: [number, number, number] | null = null;
  private underlaySource: TexImageSource | null = null;
  frameCount = 0;
  lastDrawCount = 0;
  /** Whether the last frame showed a sample of the points (see FrameInfo.partial). */
  lastFramePartial = false;
  /** Level of detail while the view moves (detail.ts). */
  readonly detail = new DetailPlanner(() => this.schedule());
  /** The draw order on the CPU and what it was built from (n, colour codes, hidden rows). */
  private order: Uint32Array | null = null;
  private orderKey: { n: number; codes: ArrayLike<number> | null; hidden: number } | null = null;
  /** The emphasised rows in the order (detail.ts) and the selection version they were taken from. */
  private emphCount = 0;
  private emphKey = -1;
  private selVersion = 0;
  /** A fingerprint of the hidden rows in the flags, and the selection version it was taken at. */
  private hiddenKey = 0;
  private hiddenKeyVersion = -1;
  /** A build of the draw order waits for an idle moment (prepareOrder). */
  private orderIdle = false;
  /** A frame waits to be drawn (requestAnimationFrame also runs for timing probes). */
  private dirty = false;
  /** The last drawn frame, until the next animation frame measures how long it took. */
  private timing: { at: number; drawn: number } | null = null;

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
    const prevBuf = gl.createBuffer();
    const selBuf = gl.createBuffer();
    const lut = gl.createTexture();
    const atlas = gl.createTexture();
    if (!vao || !posBuf || !prevBuf || !selBuf || !lut || !atlas) throw new Error("could not allocate WebGL objects");

    gl.bindTexture(gl.TEXTURE_2D, lut);
    gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA8, LUT_SIZE, 1, 0, gl.RGBA, gl.UNSIGNED_BYTE, this.lut);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.NEAREST);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.NEAREST);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
    gl.bindTexture(gl.TEXTURE_2D, null);

    this.gpu = {
      prog,
      vao,
      posBuf,
      prevBuf,
      selBuf,
      lut,
      atlas,
      pick: new PickBuffer(gl),
      columnBufs: new Map(),
      selBytes: 0,
      orderBuf: null,
      emphBuf: null,
    };
    this.orderKey = null;
    this.emphKey = -1;
    this.underlay = new Underlay(gl);
    this.underlay.set(this.underlaySource);
    this.overview = new OverviewLayer(gl);
    if (this.overviewScene) this.overview.set(this.overviewScene.grid, this.overviewScene.tiles);
    gl.enable(gl.DEPTH_TEST);
    gl.depthFunc(gl.LEQUAL);
    gl.disable(gl.BLEND);

    // Re-upload whatever the CPU holds (no-ops on first creation).
    this.prev = null;
    if (this.points) this.uploadPoints(this.points);
    this.uploadSelection();
    this.uploadSprites();
    this.bindColumns();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.raf) cancelAnimationFrame(this.raf);
    this.raf = 0;
    this.canvas.removeEventListener("webglcontextlost", this.onLost);
    this.canvas.removeEventListener("webglcontextrestored", this.onRestored);
    this.detail.dispose();
    const gl = this.gl;
    const gpu = this.gpu;
    if (gpu && !gl.isContextLost()) {
      for (const b of gpu.columnBufs.values()) gl.deleteBuffer(b);
      if (gpu.orderBuf) gl.deleteBuffer(gpu.orderBuf);
      if (gpu.emphBuf) gl.deleteBuffer(gpu.emphBuf);
      gl.deleteBuffer(gpu.posBuf);
      gl.deleteBuffer(gpu.prevBuf);
      gl.deleteTexture(gpu.atlas);
      gl.deleteBuffer(gpu.selBuf);
      gl.deleteVertexArray(gpu.vao);
      gl.deleteTexture(gpu.lut);
      gl.deleteProgram(gpu.prog.program);
      gpu.pick.dispose();
    }
    this.underlay?.dispose();
    this.underlay = null;
    this.overview?.dispose();
    this.overview = null;
    this.gpu = null;
    // Give the context back now rather than when garbage collected: browsers
    // cap live contexts, and a notebook may hold many widgets.
    gl.getExtension("WEBGL_lose_context")?.loseContext();
  }

  // ---------------------------------------------------------------- data

  /**
   * Replace the points. Keeps the view (rebased to new bounds) when n and
   * dims are unchanged; animates from the old positions when the points ask
   * for a transition; refits when the set of visible points changed.
   */
  setPoints(points: Points | null): void {
    const prev = this.points;
    this.points = points;
    this.prev = null;
    if (!points) {
      this.requestRender();
      return;
    }
    const same = prev !== null && prev.n === points.n && prev.dims === points.dims;
    const visibilityChanged = prev !== null && !sameVisibility(prev.visible, points.visible, points.n);
    if (same && this.cam && !this.needsFit && !visibilityChanged && (this.streaming || !this.fitted)) {
      this.cam = rebaseCamera(this.cam, prev.lo, prev.hi, points.lo, points.hi);
    } else {
      this.needsFit = true;
    }
    const animate = same && points.transitionMs > 0 && this.gpu !== null;
    if (this.selMask.length !== points.n) {
      this.selMask = new Uint8Array(points.n);
      this.selCount = 0;
    }
    if (this.gpu) {
      this.uploadPoints(points, animate ? prev : null);
      this.uploadSelection();
      // Columns shorter than the old n may now fit (or no longer fit).
      this.bindColumns();
    }
    if (animate && prev) {
      this.prev = prev;
      this.animStart = performance.now();
      this.animDuration = points.transitionMs;
    }
    this.fitIfNeeded();
    this.invalidate();
  }

  /**
   * More rows of the points on screen have arrived (a value sent in parts): same bounds, so the
   * camera stays; the new rows appear without a transition.
   */
  extendPoints(points: Points): void {
    const prev = this.points;
    if (!prev || prev.dims !== points.dims) {
      this.setPoints(points);
      return;
    }
    this.points = points;
    this.prev = null;
    if (this.selMask.length !== points.n) {
      const mask = new Uint8Array(points.n);
      mask.set(this.selMask.subarray(0, points.n));
      this.selMask = mask;
    }
    if (this.gpu) {
      this.uploadPoints(points);
      this.uploadSelection();
      this.bindColumns();
    }
    this.invalidate();
  }

  /** Width (CSS px) at the right of the canvas that fits keep clear (0 = none). */
  /**
   * Draw the overview (above the overview threshold): `scene` (null: none) and the quadtree's
   * `domain`, which the view fits while there are no points.
   */
  setOverview(scene: { grid: OverviewGrid | null; tiles: readonly Tile[] } | null, domain: [number, number, number] | null): void {
    this.overviewScene = scene;
    this.overview?.set(scene?.grid ?? null, scene?.tiles ?? []);
    const d = this.overviewDomain;
    if (domain && (!d || d[0] !== domain[0] || d[1] !== domain[1] || d[2] !== domain[2])) this.needsFit = true;
    this.overviewDomain = domain;
    this.fitIfNeeded();
    this.invalidate();
  }

  /** The points the overview holds on screen now (0 without the overview). */
  get overviewPoints(): number {
    return this.overview?.points.count ?? 0;
  }

  /** The data rectangle the 2-D view shows (null: no 2-D view yet). */
  visibleRect(): { x0: number; y0: number; x1: number; y1: number } | null {
    const cam = this.cam;
    if (cam?.kind !== "2d" || this.viewport.width <= 0 || this.viewport.height <= 0) return null;
    const hw = this.viewport.width / 2 / cam.scale;
    const hh = this.viewport.height / 2 / cam.scale;
    return { x0: cam.center[0] - hw, y0: cam.center[1] - hh, x1: cam.center[0] + hw, y1: cam.center[1] + hh };
  }

  setFitInsetRight(px: number): void {
    this.fitInsetRight = Math.max(0, px);
  }

  /** While true, new points of the same shape keep the camera (rebased) instead of refitting. */
  setStreaming(streaming: boolean): void {
    this.streaming = streaming;
  }

  /** Whether a transition is running. */
  get animating(): boolean {
    return this.prev !== null;
  }

  /** Current eased transition mix (1 when none runs). */
  private mixNow(): number {
    if (!this.prev) return 1;
    return ease(transitionT(performance.now(), this.animStart, this.animDuration));
  }

  private uploadPoints(points: Points, from: Points | null = null): void {
    const gl = this.gl;
    const gpu = this.gpu;
    if (!gpu) return;
    gl.bindVertexArray(gpu.vao);
    if (from) {
      // The old positions become the transition's start: swap the buffers.
      const t = gpu.prevBuf;
      gpu.prevBuf = gpu.posBuf;
      gpu.posBuf = t;
    }
    gl.bindBuffer(gl.ARRAY_BUFFER, gpu.posBuf);
    gl.bufferData(gl.ARRAY_BUFFER, points.coords, gl.STATIC_DRAW);
    gl.enableVertexAttribArray(ATTR_POS);
    gl.vertexAttribPointer(ATTR_POS, points.dims, gl.UNSIGNED_SHORT, true, 0, 0);
    // Without a transition a_prev reads the current positions (u_mix = 1 ignores them).
    gl.bindBuffer(gl.ARRAY_BUFFER, from ? gpu.prevBuf : gpu.posBuf);
    gl.enableVertexAttribArray(ATTR_PREV);
    gl.vertexAttribPointer(ATTR_PREV, points.dims, gl.UNSIGNED_SHORT, true, 0, 0);
    gl.bindVertexArray(null);
    gl.bindBuffer(gl.ARRAY_BUFFER, null);
  }

  /** The thumbnail atlas (null = none); returns an error text when it cannot be used. */
  setSprites(sprites: Sprites | null): string {
    this.sprites = sprites;
    const err = this.uploadSprites();
    this.invalidate();
    return err;
  }

  /** Draw thumbnails instead of dots (when an atlas is set). */
  setShowImages(show: boolean): void {
    this.showSprites = show;
    this.invalidate();
  }

  private uploadSprites(): string {
    const gl = this.gl;
    const gpu = this.gpu;
    const s = this.sprites;
    if (!gpu || !s) return "";
    const max = gl.getParameter(gl.MAX_TEXTURE_SIZE) as number;
    if (s.width > max || s.height > max) {
      this.sprites = null;
      return `The image atlas (${s.width}\u00d7${s.height}) exceeds this GPU's texture limit (${max}); use smaller thumbnails.`;
    }
    gl.bindTexture(gl.TEXTURE_2D, gpu.atlas);
    gl.pixelStorei(gl.UNPACK_ALIGNMENT, 1);
    gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA8, s.width, s.height, 0, gl.RGBA, gl.UNSIGNED_BYTE, s.data);
    gl.pixelStorei(gl.UNPACK_ALIGNMENT, 4);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.LINEAR);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.LINEAR);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
    gl.bindTexture(gl.TEXTURE_2D, null);
    return "";
  }

  /** Replace the metadata columns (drops their GPU buffers) and rebind colour and size. */
  setColumns(columns: Column[]): void {
    this.columns = columns;
    const gpu = this.gpu;
    if (gpu) {
      for (const b of gpu.columnBufs.values()) this.gl.deleteBuffer(b);
      gpu.columnBufs.clear();
    }
    this.bindColumns();
    this.requestRender();
  }

  /** Colour by the named column ("" = one colour). Uploads a column once, then only rebinds. */
  setColorBy(name: string): void {
    this.colorBy = name;
    this.bindColumns();
    this.requestRender();
  }

  /** The colour map of numeric columns: LUT_SIZE RGBA8 texels (colors.ts colorMapLut). */
  setColorMap(lut: Uint8Array): void {
    if (lut.length !== LUT_SIZE * 4 || lut === this.lut) return;
    this.lut = lut;
    this.uploadLut();
    this.requestRender();
  }

  /** The colours of categorical columns (at most PALETTE_MAX are used; later codes are "other"). */
  setPalette(colors: readonly RGB[]): void {
    this.palette = flatPalette(colors);
    this.paletteSize = Math.min(colors.length, PALETTE_MAX);
    this.requestRender();
  }

  /** Opacity of the points that are not emphasised, in (0, 1]. */
  setOpacity(opacity: number): void {
    this.opacity = Number.isFinite(opacity) ? Math.min(1, Math.max(0.01, opacity)) : 1;
    this.requestRender();
  }

  /**
   * Size the points by the named numeric column ("" = one size), from `range[0]` to `range[1]`
   * times the point size (colors.ts sizeFactor). The column's values on the GPU are shared with
   * the colour when both follow the same column.
   */
  setSizeBy(name: string, range: readonly [number, number]): void {
    this.sizeBy = name;
    this.sizeRange = [range[0], range[1]];
    this.bindColumns();
    this.invalidate();
  }

  private uploadLut(): void {
    const gl = this.gl;
    const gpu = this.gpu;
    if (!gpu) return;
    gl.bindTexture(gl.TEXTURE_2D, gpu.lut);
    gl.texSubImage2D(gl.TEXTURE_2D, 0, 0, 0, LUT_SIZE, 1, gl.RGBA, gl.UNSIGNED_BYTE, this.lut);
    gl.bindTexture(gl.TEXTURE_2D, null);
  }

  /** The GPU buffer of a column's values (created on first use). */
  private columnBuffer(name: string, data: Uint8Array | Uint16Array | Float32Array): WebGLBuffer | null {
    const gl = this.gl;
    const gpu = this.gpu;
    if (!gpu) return null;
    let buf = gpu.columnBufs.get(name);
    if (!buf) {
      const created = gl.createBuffer();
      if (!created) return null;
      buf = created;
      gl.bindBuffer(gl.ARRAY_BUFFER, buf);
      gl.bufferData(gl.ARRAY_BUFFER, data, gl.STATIC_DRAW);
      gpu.columnBufs.set(name, buf);
    }
    return buf;
  }

  private bindColumns(): void {
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
    const size = this.columns.find((c) => c.name === this.sizeBy) ?? null;
    this.sizeColumn = size && size.kind === "number" && size.values.length >= n ? size : null;
    if (!gpu) return;

    gl.bindVertexArray(gpu.vao);
    for (const attr of [ATTR_CODE, ATTR_BITS, ATTR_SIZE]) {
      gl.disableVertexAttribArray(attr);
      gl.vertexAttribI4ui(attr, 0, 0, 0, 0);
    }
    const buf = col && data ? this.columnBuffer(col.name, data) : null;
    if (buf && data) {
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
    const sizeBuf = this.sizeColumn ? this.columnBuffer(this.sizeColumn.name, this.sizeColumn.values) : null;
    if (sizeBuf) {
      gl.bindBuffer(gl.ARRAY_BUFFER, sizeBuf);
      gl.enableVertexAttribArray(ATTR_SIZE);
      gl.vertexAttribIPointer(ATTR_SIZE, 1, gl.UNSIGNED_INT, 0, 0);
    }
    gl.bindVertexArray(null);
    gl.bindBuffer(gl.ARRAY_BUFFER, null);
  }

  /**
   * Set the per-point flag bits (flags.ts; length n), how many rows are
   * selected, and whether anything is emphasised (then the rest is dimmed).
   */
  setSelection(mask: Uint8Array, count: number, emphasis = count > 0): void {
    this.emphasis = emphasis;
    const n = this.points?.n ?? 0;
    if (mask.length !== n) {
      const fixed = new Uint8Array(n);
      fixed.set(mask.subarray(0, n));
      mask = fixed;
    }
    this.selMask = mask;
    this.selCount = count;
    this.selVersion++;
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
    if (this.drawsHover) this.requestRender();
  }

  /**
   * Whether the hovered point is drawn here (enlarged, in front). Not for large sets: a hover
   * would redraw every point (half a second for 1M in software GL), so the caller marks it on
   * an overlay instead.
   */
  get drawsHover(): boolean {
    return (this.points?.n ?? 0) < CPU_PICK_MIN_POINTS;
  }

  /** Point diameter in CSS px; 0 = automatic by n. */
  setPointSize(cssPx: number): void {
    this.pointSizeCss = Number.isFinite(cssPx) && cssPx > 0 ? cssPx : 0;
    this.invalidate();
  }

  /** The diameter actually used, CSS px (before `size_by` scales it). */
  get pointSize(): number {
    return this.pointSizeCss > 0 ? this.pointSizeCss : autoPointSize(this.points?.n || this.overviewPoints);
  }

  /** The largest diameter a point has before emphasis, CSS px. */
  get largestPointSize(): number {
    const k = this.sizeColumn ? Math.max(1, this.sizeRange[0], this.sizeRange[1]) : 1;
    return this.pointSize * k;
  }

  setTheme(background: RGB, foreground: RGB, accent: RGB = [25, 118, 210]): void {
    this.background = background;
    this.foreground = foreground;
    this.accent = accent;
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
    if (!this.needsFit || this.viewport.width <= 0 || this.viewport.height <= 0) return;
    const domain = this.overviewDomain;
    if (domain && (this.points?.n ?? 0) === 0) {
      // The overview: no points, the quadtree's square domain fills the view.
      const [x0, y0, side] = domain;
      this.cam = fitCamera(2, [x0, y0, 0], [x0 + side, y0 + side, 0], this.viewport);
      this.fitRef = this.cam.kind === "2d" ? this.cam.scale : 1;
      this.needsFit = false;
      this.fitted = true;
      this.options.onFit?.();
      return;
    }
    if (!this.points) return;
    const p = this.points;
    const vis = p.visible;
    let lo: ArrayLike<number> = p.lo;
    let hi: ArrayLike<number> = p.hi;
    let coords = p.coords;
    if (vis && vis.indexOf(0) >= 0) {
      // Fit the shown points only: their bounds in data space, and (3-D) their coordinates.
      coords = visibleCoords(p.coords, p.dims, vis);
      const b = quantizedBounds(coords, p.dims, p.lo, p.hi);
      if (b) [lo, hi] = b;
    }
    // Frame the data left of the area the inspector covers when it opens, so
    // that opening it never hides (or moves) points.
    const inset = this.fitInsetRight > 0 && this.fitInsetRight < this.viewport.width * 0.6 ? this.fitInsetRight : 0;
    const area = { width: this.viewport.width - inset, height: this.viewport.height };
    let cam = fitCamera(p.dims, lo, hi, area, undefined, p.dims === 3 ? coords : undefined);
    if (inset > 0) cam = pan(cam, area, -inset / 2, 0);
    this.cam = cam;
    this.fitRef = this.cam.kind === "2d" ? this.cam.scale : this.cam.distance;
    this.needsFit = false;
    this.fitted = true;
    this.options.onFit?.();
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

  /** Radius of the data box (bounds the 3-D zoom of a restored camera). */
  get dataRadius(): number {
    const p = this.points;
    if (!p) return 1;
    return Math.hypot(p.hi[0] - p.lo[0], p.hi[1] - p.lo[1], p.hi[2] - p.lo[2]) / 2 || 1;
  }

  /** Apply a camera received from the model (the user's view from then on). */
  applyCamera(cam: Camera): void {
    this.cam = cam;
    this.needsFit = false;
    this.fitted = false;
    this.invalidate();
  }

  /** How far the view is zoomed in relative to the last fit (1 = as fitted). */
  private zoomRatio(): number {
    const cam = this.cam;
    if (!cam || !(this.fitRef > 0)) return 1;
    return cam.kind === "2d" ? cam.scale / this.fitRef : this.fitRef / cam.distance;
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
    const vis = p.visible;
    if (vis) {
      for (let i = 0; i < p.n; i++) {
        if (!vis[i]) {
          res[2 * i] = NaN;
          res[2 * i + 1] = NaN;
        }
      }
    }
    if (!fresh) this.positionsScratch = res;
    return fresh ? res : res.subarray(0, 2 * p.n);
  }

  /**
   * Screen positions (CSS px) of the given rows where they are drawn now
   * (mid-transition included), x then y per row; NaN when hidden or clipped.
   */
  positionsOf(indices: ArrayLike<number>): Float32Array {
    const p = this.points;
    const out = new Float32Array(2 * indices.length).fill(NaN);
    if (!p || !this.cam) return out;
    const m = viewProjection(this.cam, this.viewport);
    const mix = this.mixNow();
    const prev = mix < 1 ? this.prev : null;
    for (let j = 0; j < indices.length; j++) {
      const i = indices[j];
      if (i < 0 || i >= p.n || (p.visible && !p.visible[i])) continue;
      const s = projectPoint(m, this.viewport, mixedPosition(prev, p, i, mix));
      out[2 * j] = s[0];
      out[2 * j + 1] = s[1];
    }
    return out;
  }

  /** Screen position (CSS px) of a data-space point; NaN when clipped. */
  project(world: Vec3): [number, number] {
    if (!this.cam) return [NaN, NaN];
    const s = projectPoint(viewProjection(this.cam, this.viewport), this.viewport, world);
    return [s[0], s[1]];
  }

  /** Index of the point drawn nearest (x, y) CSS px within `radius` CSS px, or -1. */
  pick(x: number, y: number, radius = 3): number {
    const gl = this.gl;
    const gpu = this.gpu;
    const p = this.points;
    if (this.overview && this.overview.points.count > 0 && this.cam && (p?.n ?? 0) === 0) {
      // The overview's tile points: the nearest one's row.
      const pts = this.overview.points;
      const i = nearestPoint(pts, this.cam, this.viewport, x, y, radius, this.pointSize);
      return i >= 0 ? pts.rows[i] : -1;
    }
    if (!gpu || !p || p.n === 0 || !this.cam || this.lost) return -1;
    if (p.n >= CPU_PICK_MIN_POINTS && !this.showSprites) return this.pickOnCpu(x, y, radius);
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

  /**
   * CPU picking for large point counts: reading the GPU pick buffer back stalls the main thread
   * until every point is drawn again (about a second for 1M points in software rendering); a
   * scan of the projected positions takes milliseconds. The nearest point whose disc reaches
   * within `radius` of the cursor wins.
   */
  private pickOnCpu(x: number, y: number, radius: number): number {
    if (this.cpuPickDirty || !this.cpuPickPositions) {
      this.cpuPickPositions = this.screenPositions(true);
      this.cpuPickDirty = false;
    }
    return nearestWithin(this.cpuPickPositions, x, y, radius + this.largestPointSize / 2);
  }

  // ---------------------------------------------------------------- draw

  /** Something that moves or resizes points changed: redraw and re-pick. */
  private invalidate(): void {
    if (this.gpu) this.gpu.pick.dirty = true;
    this.cpuPickDirty = true;
    this.requestRender();
  }

  /** Draw `source` (a canvas of the drawing buffer's size; null: nothing) under the points. */
  setUnderlay(source: TexImageSource | null): void {
    this.underlaySource = source;
    this.underlay?.set(source);
    this.requestRender();
  }

  /** Draw a new frame at the next animation frame (a refinement under way starts over). */
  requestRender(): void {
    this.detail.interrupt();
    this.schedule();
  }

  /**
   * A camera gesture started or ended, or a discrete step (wheel) moved the view: while it moves
   * a large set is drawn as a sample, and in full once it settles (detail.ts).
   */
  motion(phase: MotionPhase): void {
    this.detail.motion(phase);
  }

  private schedule(): void {
    this.dirty = true;
    this.requestFrame();
  }

  private requestFrame(): void {
    if (this.raf || this.lost || this.disposed) return;
    this.raf = requestAnimationFrame(this.onAnimationFrame);
  }

  private onAnimationFrame = (now: number): void => {
    this.raf = 0;
    // The previous frame's time: from its animation frame to this one, which the browser starts
    // only once that frame is done (GPU time itself is not observable in every browser).
    const t = this.timing;
    this.timing = null;
    if (t) {
      this.detail.measured(t.drawn, now - t.at, this.points?.n ?? 0);
      this.prepareOrder();
    }
    if (!this.dirty) return;
    this.dirty = false;
    this.frame(now);
  };

  /** Draw every point now (an export; frames are drawn at animation frames). */
  draw(): void {
    this.frame(performance.now(), true);
  }

  private frame(now: number, full = false): void {
    const gl = this.gl;
    if (!this.gpu || this.lost || this.disposed) return;
    const n = this.points?.n ?? 0;
    const plan: FramePlan = full ? { kind: "full" } : this.detail.plan(n, () => this.currentOrder()?.length ?? 0);
    const subset = plan.kind === "subset" ? shareWithEmphasis(plan, this.emphCount, this.detail.moving) : null;
    gl.bindFramebuffer(gl.FRAMEBUFFER, null);
    gl.viewport(0, 0, this.canvas.width, this.canvas.height);
    if (!subset || subset.clear) {
      const [r, g, b] = unit(this.background);
      gl.clearColor(r, g, b, 1);
      gl.clear(gl.COLOR_BUFFER_BIT | gl.DEPTH_BUFFER_BIT);
      this.underlay?.draw();
    }
    let overview = 0;
    if (this.overview?.active && this.cam && !subset) {
      overview = this.overview.draw(Float32Array.from(viewProjection(this.cam, this.viewport)), {
        palette: this.palette,
        paletteSize: this.paletteSize,
        defaultColor: unit(DEFAULT_COLOR),
        otherColor: unit(OTHER_COLOR),
        background: unit(this.background),
        pointSize: this.pointSize * this.dpr,
      });
    }
    if (this.prev && this.mixNow() >= 1) this.finishTransition();
    // Once the order exists, full frames draw through it too: where points overlap, the one drawn
    // last is on top, and it is the same one before, during and after a motion.
    const whole = !subset && n >= LOD_MIN_POINTS && this.orderIsCurrent() ? (this.order?.length ?? 0) : 0;
    const calls = this.drawPoints(false, subset ?? (whole > 0 ? { from: 0, to: whole, emphasis: 0 } : null));
    let drawn = calls;
    // A refinement step reports the points on screen so far; its last one, all of them.
    if (subset?.complete || whole > 0) drawn = n;
    else if (subset && !subset.clear) drawn = subset.to + calls - (subset.to - subset.from);
    const partial = subset !== null && !subset.complete;
    this.frameCount += 1;
    this.lastDrawCount = drawn;
    this.lastFramePartial = partial;
    const animating = this.prev !== null;
    if (n >= LOD_MIN_POINTS && drawn > 0 && !full) {
      // Measure this frame at the next animation frame. Uploads before it (new data) make it
      // look slower than it is: a budget too small at first, which the next frames correct.
      this.timing = { at: now, drawn: calls };
      this.requestFrame();
    }
    this.options.onFrame?.({ frame: this.frameCount, drawn, animating, partial, overview });
    if (animating || this.detail.refining) this.schedule();
  }

  /**
   * Build the draw order while the page is idle once frames are known to need a sample, so the
   * first moving frame does not wait for it (a second or so at 10M points).
   */
  private prepareOrder(): void {
    const n = this.points?.n ?? 0;
    if (this.orderIdle || n < LOD_MIN_POINTS || this.detail.points >= n) return;
    this.orderIdle = true;
    const run = (): void => {
      this.orderIdle = false;
      if (!this.disposed && !this.lost && (this.points?.n ?? 0) >= LOD_MIN_POINTS) this.currentOrder();
    };
    if (typeof requestIdleCallback === "function") requestIdleCallback(run, { timeout: 2000 });
    else setTimeout(run, 0);
  }

  /** The level-of-detail draw order of the points shown, built (and uploaded) when what it follows changed. */
  private currentOrder(): Uint32Array | null {
    const gl = this.gl;
    const gpu = this.gpu;
    const p = this.points;
    if (!gpu || !p) return null;
    let order = this.order;
    if (!order || !this.orderIsCurrent()) {
      const codes = this.orderCodes();
      order = drawOrder(p.n, codes, this.selMask);
      this.order = order;
      this.orderKey = { n: p.n, codes, hidden: this.hiddenFingerprint() };
      gpu.orderBuf ??= gl.createBuffer();
      gl.bindVertexArray(null);
      gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, gpu.orderBuf);
      gl.bufferData(gl.ELEMENT_ARRAY_BUFFER, order, gl.STATIC_DRAW);
      this.emphKey = -1;
    }
    if (this.emphKey !== this.selVersion || !gpu.emphBuf) {
      const emph = emphasisedInOrder(order, this.selMask);
      gpu.emphBuf ??= gl.createBuffer();
      gl.bindVertexArray(null);
      gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, gpu.emphBuf);
      gl.bufferData(gl.ELEMENT_ARRAY_BUFFER, emph.length > 0 ? emph : new Uint32Array(1), gl.STATIC_DRAW);
      this.emphCount = emph.length;
      this.emphKey = this.selVersion;
    }
    gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, null);
    return order;
  }

  /** The codes the draw order is stratified by: the colour column's, when it is categorical. */
  private orderCodes(): ArrayLike<number> | null {
    const col = this.colorColumn;
    return col && col.kind === "category" ? col.codes : null;
  }

  /** Whether the draw order on the GPU follows the points, colour column and hidden rows shown now. */
  private orderIsCurrent(): boolean {
    const key = this.orderKey;
    const n = this.points?.n ?? 0;
    if (!this.order || !key || !this.gpu?.orderBuf || key.n !== n || key.codes !== this.orderCodes()) return false;
    return key.hidden === this.hiddenFingerprint();
  }

  /** A fingerprint of the hidden rows in the flags (recomputed when the flags changed). */
  private hiddenFingerprint(): number {
    if (this.hiddenKeyVersion === this.selVersion) return this.hiddenKey;
    const m = this.selMask;
    let h = 0x811c9dc5;
    let count = 0;
    for (let i = 0; i < m.length; i++) {
      if (m[i] & FLAG_HIDDEN) {
        h = Math.imul(h ^ i, 0x01000193);
        count++;
      }
    }
    this.hiddenKey = (h ^ count) >>> 0;
    this.hiddenKeyVersion = this.selVersion;
    return this.hiddenKey;
  }

  private finishTransition(): void {
    this.prev = null;
    // Point a_prev back at the current positions (no re-upload).
    const gl = this.gl;
    const gpu = this.gpu;
    const p = this.points;
    if (!gpu || !p) return;
    gl.bindVertexArray(gpu.vao);
    gl.bindBuffer(gl.ARRAY_BUFFER, gpu.posBuf);
    gl.vertexAttribPointer(ATTR_PREV, p.dims, gl.UNSIGNED_SHORT, true, 0, 0);
    gl.bindVertexArray(null);
    gl.bindBuffer(gl.ARRAY_BUFFER, null);
  }

  /**
   * Draw the points: all of them, or the rows [from, to) of the draw order and then the first
   * `emphasis` emphasised rows, which stay visible in a sample. Returns the points in the draw
   * calls.
   */
  private drawPoints(picking: boolean, subset: { from: number; to: number; emphasis: number } | null = null): number {
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
    const q = this.prev ?? p;
    gl.uniform3f(u.u_prevLo, q.lo[0], q.lo[1], q.dims === 3 ? q.lo[2] : 0);
    gl.uniform3f(u.u_prevSpan, q.hi[0] - q.lo[0], q.hi[1] - q.lo[1], q.dims === 3 ? q.hi[2] - q.lo[2] : 0);
    gl.uniform1f(u.u_mix, picking ? 1 : this.mixNow());
    gl.uniform1f(u.u_size, this.pointSize * this.dpr);
    gl.uniform1f(u.u_dpr, this.dpr);
    gl.uniform1i(u.u_mode, this.mode);
    gl.uniform3fv(u.u_palette, this.palette);
    gl.uniform1i(u.u_paletteSize, this.paletteSize);
    const sized = this.sizeColumn;
    gl.uniform1i(u.u_sizeBy, sized ? 1 : 0);
    gl.uniform1f(u.u_sizeMin, sized ? sized.min : 0);
    gl.uniform1f(u.u_sizeMax, sized ? sized.max : 1);
    gl.uniform2f(u.u_sizeRange, this.sizeRange[0], this.sizeRange[1]);
    // Picking reads ids from exact colours: never blended.
    const blend = !picking && this.opacity < 1;
    gl.uniform1f(u.u_opacity, picking ? 1 : this.opacity);
    if (blend) {
      gl.enable(gl.BLEND);
      gl.blendFuncSeparate(gl.SRC_ALPHA, gl.ONE_MINUS_SRC_ALPHA, gl.ONE, gl.ONE_MINUS_SRC_ALPHA);
    } else {
      gl.disable(gl.BLEND);
    }
    gl.uniform3fv(u.u_default, unit(DEFAULT_COLOR));
    gl.uniform3fv(u.u_other, unit(OTHER_COLOR));
    gl.uniform3fv(u.u_missing, unit(MISSING_COLOR));
    gl.uniform3fv(u.u_background, unit(this.background));
    gl.uniform3fv(u.u_ringColor, unit(this.foreground));
    gl.uniform3fv(u.u_neighborColor, unit(this.accent));
    const s = this.showSprites ? this.sprites : null;
    gl.uniform1i(u.u_sprites, s ? 1 : 0);
    if (s) {
      gl.activeTexture(gl.TEXTURE1);
      gl.bindTexture(gl.TEXTURE_2D, gpu.atlas);
      gl.uniform1i(u.u_atlas, 1);
      gl.uniform2f(u.u_atlasSize, s.width, s.height);
      gl.uniform1f(u.u_thumb, s.thumb);
      gl.uniform1i(u.u_perRow, s.perRow);
      gl.uniform1f(u.u_spriteSize, spriteSize(this.pointSize, this.zoomRatio()) * this.dpr);
    } else {
      gl.uniform1i(u.u_atlas, 1);
    }
    const col = this.colorColumn;
    gl.uniform1i(u.u_missingCode, col && col.kind === "category" ? col.missingCode : -1);
    gl.uniform1f(u.u_min, col && col.kind === "number" ? col.min : 0);
    gl.uniform1f(u.u_max, col && col.kind === "number" ? col.max : 1);
    gl.activeTexture(gl.TEXTURE0);
    gl.bindTexture(gl.TEXTURE_2D, gpu.lut);
    gl.uniform1i(u.u_lut, 0);
    gl.uniform1i(u.u_hasSelection, this.emphasis ? 1 : 0);
    gl.uniform1i(u.u_hover, picking || !this.drawsHover || this.hover >= p.n ? -1 : this.hover);
    gl.uniform1i(u.u_picking, picking ? 1 : 0);

    let drawn = p.n;
    if (subset && gpu.orderBuf && gpu.emphBuf) {
      // The element buffer binding is part of the VAO's state: bound here, released below.
      gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, gpu.orderBuf);
      gl.drawElements(gl.POINTS, subset.to - subset.from, gl.UNSIGNED_INT, subset.from * 4);
      drawn = subset.to - subset.from;
      const emph = Math.min(this.emphCount, subset.emphasis);
      if (emph > 0) {
        gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, gpu.emphBuf);
        gl.drawElements(gl.POINTS, emph, gl.UNSIGNED_INT, 0);
        drawn += emph;
      }
      gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, null);
    } else {
      gl.drawArrays(gl.POINTS, 0, p.n);
    }
    if (blend) gl.disable(gl.BLEND);
    if (s) {
      gl.activeTexture(gl.TEXTURE1);
      gl.bindTexture(gl.TEXTURE_2D, null);
      gl.activeTexture(gl.TEXTURE0);
    }
    gl.bindVertexArray(null);
    return drawn;
  }
}

/** Sprite edge in CSS px: at least 24 px, growing mildly (square root) with zoom, capped. */
export function spriteSize(pointSize: number, zoomRatio: number): number {
  const k = Math.max(0.5, Math.min(4, Math.sqrt(Math.max(0, zoomRatio))));
  return Math.max(pointSize, 24) * k;
}

function sameVisibility(a: Uint8Array | null, b: Uint8Array | null, n: number): boolean {
  if (a === b) return true;
  if (!a || !b) {
    const m = a ?? b;
    return m !== null && m.indexOf(0) < 0 && m.length >= n;
  }
  for (let i = 0; i < n; i++) if (!a[i] !== !b[i]) return false;
  return true;
}

/** The coordinates of the visible points only. */
export function visibleCoords(coords: Uint16Array, dims: number, visible: Uint8Array): Uint16Array {
  let k = 0;
  for (let i = 0; i < visible.length; i++) if (visible[i]) k++;
  const out = new Uint16Array(k * dims);
  for (let i = 0, o = 0; i < visible.length; i++) {
    if (!visible[i]) continue;
    for (let a = 0; a < dims; a++) out[o++] = coords[i * dims + a];
  }
  return out;
}

/** Data-space bounds [lo, hi] of quantized coordinates; null when empty. */
export function quantizedBounds(
  coords: Uint16Array,
  dims: number,
  lo: ArrayLike<number>,
  hi: ArrayLike<number>,
): [number[], number[]] | null {
  const n = Math.floor(coords.length / dims);
  if (n === 0) return null;
  const mn = [65535, 65535, 65535];
  const mx = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < dims; a++) {
      const q = coords[i * dims + a];
      if (q < mn[a]) mn[a] = q;
      if (q > mx[a]) mx[a] = q;
    }
  }
  const outLo = [0, 0, 0];
  const outHi = [0, 0, 0];
  for (let a = 0; a < dims; a++) {
    outLo[a] = lo[a] + (mn[a] / 65535) * (hi[a] - lo[a]);
    outHi[a] = lo[a] + (mx[a] / 65535) * (hi[a] - lo[a]);
  }
  return [outLo, outHi];
}

/** Above this many points, hover and click pick on the CPU (see Renderer.pickOnCpu). */
export const CPU_PICK_MIN_POINTS = 200_000;

/** Index of the position (x, y pairs; NaN = hidden) nearest (x, y) within `reach`, or -1. */
export function nearestWithin(positions: Float32Array, x: number, y: number, reach: number): number {
  let best = -1;
  let bestD = reach * reach;
  const n = positions.length >> 1;
  for (let i = 0; i < n; i++) {
    const dx = positions[2 * i] - x;
    if (dx > reach || dx < -reach) continue; // NaN (hidden) falls through and never wins below
    const dy = positions[2 * i + 1] - y;
    if (dy > reach || dy < -reach) continue;
    const d = dx * dx + dy * dy;
    if (d <= bestD) {
      bestD = d;
      best = i;
    }
  }
  return best;
}
