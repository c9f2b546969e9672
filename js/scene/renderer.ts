/**
 * The WebGL2 renderer: owns the GL context, the camera and the frame loop, and draws on demand
 * (one requestAnimationFrame per batch of changes) the underlay, the overview and the points.
 * It never reads the model: the view (view/stage.ts, view/drawing.ts, view/emphasis.ts) feeds it
 * decoded data. It composes the parts that each hold one concern: the points and how they look
 * (pointLayer.ts, with its buffers, colours, thumbnails, transitions and draw order), the camera
 * and fitting (viewpoint.ts), the overview (overviewPass.ts), picking (picking.ts), the clock
 * (frameLoop.ts) and the level of detail (detail.ts: while the view moves on a large set it
 * draws a sample, sized from the measured time of its frames, and refines to every point once
 * the motion settles).
 *
 * The GPU objects mirror typed arrays kept on the CPU so that a lost context can be rebuilt
 * without asking Python for anything.
 */
import type { Column } from "../contract/wireColumns";
import type { Points, Sprites } from "../contract/wirePoints";
import { autoPointSize, type Camera, type Vec3, type Viewport, viewProjection } from "./camera";
import { unit } from "./colorState";
import type { RGB } from "./colors";
import { DetailPlanner, type FramePlan, LOD_MIN_POINTS, type MotionPhase, shareWithEmphasis } from "./detail";
import { sameVisibility } from "./fit";
import { FrameLoop } from "./frameLoop";
import { type OverviewContent, OverviewPass } from "./overviewPass";
import { CPU_PICK_MIN_POINTS, PointPicker } from "./picking";
import { PointLayer } from "./pointLayer";
import { Underlay } from "./underlay";
import { Viewpoint } from "./viewpoint";

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
  private readonly layer: PointLayer;
  private readonly view = new Viewpoint();
  private readonly overview: OverviewPass;
  private readonly picker: PointPicker;
  private readonly loop: FrameLoop;
  /** What is drawn under the points (density contours), and its source for a restored context. */
  private underlay: Underlay | null = null;
  private underlaySource: TexImageSource | null = null;
  private lost = false;
  private disposed = false;
  frameCount = 0;
  lastDrawCount = 0;
  /** Whether the last frame showed a sample of the points (see FrameInfo.partial). */
  lastFramePartial = false;
  /** Level of detail while the view moves (detail.ts). */
  readonly detail = new DetailPlanner(() => this.loop.schedule());

  constructor(
    readonly canvas: HTMLCanvasElement,
    private readonly gl: WebGL2RenderingContext,
    private readonly options: RendererOptions = {},
  ) {
    this.layer = new PointLayer(gl);
    this.overview = new OverviewPass(gl);
    this.picker = new PointPicker(gl);
    this.loop = new FrameLoop({
      halted: () => this.lost || this.disposed,
      measured: (drawn, ms) => {
        this.detail.measured(drawn, ms, this.layer.n);
        this.prepareOrder();
      },
      draw: (now) => this.frame(now),
    });
    canvas.addEventListener("webglcontextlost", this.onLost);
    canvas.addEventListener("webglcontextrestored", this.onRestored);
    this.initGpu();
  }

  // ------------------------------------------------------------ lifetime

  private onLost = (e: Event): void => {
    e.preventDefault(); // allow restoration
    this.lost = true;
    this.layer.lost();
    this.picker.lost();
    this.loop.cancel();
    this.options.onContextLost?.(true);
  };

  private onRestored = (): void => {
    this.lost = false;
    this.initGpu();
    this.options.onContextLost?.(false);
    this.requestRender();
  };

  /** Make the GPU objects and upload whatever the CPU holds (on creation, and when a lost context is restored). */
  private initGpu(): void {
    const gl = this.gl;
    this.layer.restore();
    this.picker.restore();
    this.underlay = new Underlay(gl);
    this.underlay.set(this.underlaySource);
    this.overview.restore();
    gl.enable(gl.DEPTH_TEST);
    gl.depthFunc(gl.LEQUAL);
    gl.disable(gl.BLEND);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.loop.cancel();
    this.canvas.removeEventListener("webglcontextlost", this.onLost);
    this.canvas.removeEventListener("webglcontextrestored", this.onRestored);
    this.detail.dispose();
    this.layer.dispose();
    this.picker.dispose();
    this.underlay?.dispose();
    this.underlay = null;
    this.overview.dispose();
    // Give the context back now rather than when garbage collected: browsers
    // cap live contexts, and a notebook may hold many widgets.
    this.gl.getExtension("WEBGL_lose_context")?.loseContext();
  }

  // ---------------------------------------------------------------- data

  /**
   * Replace the points. Fits a new layout; keeps a view the user moved (rebased to the new
   * bounds) while the same layout moves on (viewpoint.ts); animates from the old positions when
   * the points ask for a transition.
   */
  setPoints(points: Points | null): void {
    const prev = this.layer.points;
    if (!points) {
      this.layer.replace(null, false);
      this.requestRender();
      return;
    }
    const same = prev !== null && prev.n === points.n && prev.dims === points.dims;
    const visibilityChanged = prev !== null && !sameVisibility(prev.visible, points.visible, points.n);
    this.view.pointsReplaced(prev, points, same, visibilityChanged);
    this.layer.replace(points, same);
    this.fitIfNeeded();
    this.invalidate();
  }

  /**
   * More rows of the points on screen have arrived (a value sent in parts): same bounds, so the
   * camera stays; the new rows appear without a transition.
   */
  extendPoints(points: Points): void {
    if (!this.layer.extend(points)) {
      this.setPoints(points);
      return;
    }
    this.invalidate();
  }

  /**
   * Draw the overview (above the overview threshold): `scene` (null: none) and the quadtree's
   * `domain`, which the view fits while there are no points.
   */
  setOverview(scene: OverviewContent | null, domain: [number, number, number] | null): void {
    if (this.overview.set(scene, domain)) this.view.needsFit = true;
    this.fitIfNeeded();
    this.invalidate();
  }

  /** Whether a transition is running. */
  get animating(): boolean {
    return this.layer.transition.running;
  }

  get dims(): 2 | 3 | null {
    return this.layer.points?.dims ?? null;
  }

  /**
   * Set the per-point flag bits (flags.ts; length n), how many rows are
   * selected, and whether anything is emphasised (then the rest is dimmed).
   */
  setSelection(mask: Uint8Array, count: number, emphasis = count > 0): void {
    this.layer.setFlags(mask, emphasis);
    this.invalidate();
  }

  // ------------------------------------------------------ how points look

  /** The thumbnail atlas (null = none); returns an error text when it cannot be used. */
  setSprites(sprites: Sprites | null): string {
    const err = this.layer.setSprites(sprites);
    this.invalidate();
    return err;
  }

  /** Draw thumbnails instead of dots (when an atlas is set). */
  setShowImages(show: boolean): void {
    this.layer.sprites.show = show;
    this.invalidate();
  }

  /** Replace the metadata columns (drops their GPU buffers) and rebind colour and size. */
  setColumns(columns: Column[]): void {
    this.layer.setColumns(columns);
    this.requestRender();
  }

  /** Colour by the named column ("" = one colour). Uploads a column once, then only rebinds. */
  setColorBy(name: string): void {
    this.layer.setColorBy(name);
    this.requestRender();
  }

  /** The colour map of numeric columns: LUT_SIZE RGBA8 texels (colors.ts colorMapLut). */
  setColorMap(lut: Uint8Array): void {
    if (this.layer.setColorMap(lut)) this.requestRender();
  }

  /** The colours of categorical columns (at most PALETTE_MAX are used; later codes are "other"). */
  setPalette(colors: readonly RGB[]): void {
    this.layer.colors.setPalette(colors);
    this.requestRender();
  }

  /** Opacity of the points that are not emphasised, in (0, 1]. */
  setOpacity(opacity: number): void {
    this.layer.colors.setOpacity(opacity);
    this.requestRender();
  }

  /**
   * Size the points by the named numeric column ("" = one size), from `range[0]` to `range[1]`
   * times the point size (colors.ts sizeFactor). The column's values on the GPU are shared with
   * the colour when both follow the same column.
   */
  setSizeBy(name: string, range: readonly [number, number]): void {
    this.layer.setSizeBy(name, range);
    this.invalidate();
  }

  /** Index of the highlighted (hovered) point, -1 for none. */
  setHover(index: number): void {
    if (this.layer.setHover(index) && this.drawsHover) this.requestRender();
  }

  /**
   * Whether the hovered point is drawn here (enlarged, in front). Not for large sets: a hover
   * would redraw every point (half a second for 1M in software GL), so the caller marks it on
   * an overlay instead.
   */
  get drawsHover(): boolean {
    return this.layer.drawsHover;
  }

  /** Point diameter in CSS px; 0 = automatic by n. */
  setPointSize(cssPx: number): void {
    this.layer.sizeCss = Number.isFinite(cssPx) && cssPx > 0 ? cssPx : 0;
    this.invalidate();
  }

  /** The diameter actually used, CSS px (before `size_by` scales it). */
  get pointSize(): number {
    return this.layer.sizeCss > 0 ? this.layer.sizeCss : autoPointSize(this.layer.n || this.overview.pointCount);
  }

  setTheme(background: RGB, foreground: RGB, accent: RGB = [25, 118, 210]): void {
    this.layer.setTheme(background, foreground, accent);
    this.requestRender();
  }

  // --------------------------------------------------------------- camera

  /** Size the drawing buffer for a canvas of cssWidth x cssHeight at devicePixelRatio dpr. */
  resize(cssWidth: number, cssHeight: number, dpr: number): void {
    const w = Math.max(1, Math.round(cssWidth * dpr));
    const h = Math.max(1, Math.round(cssHeight * dpr));
    if (this.canvas.width !== w) this.canvas.width = w;
    if (this.canvas.height !== h) this.canvas.height = h;
    this.view.resize(cssWidth, cssHeight, dpr);
    this.fitIfNeeded();
    this.invalidate();
  }

  /** Width (CSS px) at the right of the canvas that fits keep clear (0 = none); a fit the user has not moved is redone. */
  setFitInsetRight(px: number): void {
    this.view.setInsetRight(px);
    this.fitIfNeeded();
    this.invalidate();
  }

  private fitIfNeeded(): void {
    if (this.view.fitIfNeeded(this.layer.points, this.overview.domain)) this.options.onFit?.();
  }

  /** Fit the view to the data. */
  fit(): void {
    this.view.needsFit = true;
    this.fitIfNeeded();
    this.invalidate();
  }

  get camera(): Camera | null {
    return this.view.cam;
  }

  set camera(cam: Camera | null) {
    this.view.moved(cam);
    this.invalidate();
  }

  /** Apply a camera received from the model (the user's view from then on). */
  applyCamera(cam: Camera): void {
    this.view.apply(cam);
    this.invalidate();
  }

  /** Radius of the data box (bounds the 3-D zoom of a restored camera). */
  get dataRadius(): number {
    const p = this.layer.points;
    if (!p) return 1;
    return Math.hypot(p.hi[0] - p.lo[0], p.hi[1] - p.lo[1], p.hi[2] - p.lo[2]) / 2 || 1;
  }

  getViewport(): Viewport {
    return { ...this.view.viewport };
  }

  /** The data rectangle the 2-D view shows (null: no 2-D view yet). */
  visibleRect(): { x0: number; y0: number; x1: number; y1: number } | null {
    return this.view.visibleRect();
  }

  /**
   * Screen positions (CSS px from the canvas's top-left; NaN when hidden) of
   * all points, computed exactly as the shader places them. Reuses an
   * internal buffer unless `fresh` is set.
   */
  screenPositions(fresh = false): Float32Array {
    return this.view.screenPositions(this.layer.points, fresh);
  }

  /**
   * Screen positions (CSS px) of the given rows where they are drawn now
   * (mid-transition included), x then y per row; NaN when hidden or clipped.
   */
  positionsOf(indices: ArrayLike<number>): Float32Array {
    const { transition } = this.layer;
    const mix = transition.mix();
    return this.view.positionsOf(this.layer.points, mix < 1 ? transition.from : null, mix, indices);
  }

  /** Screen position (CSS px) of a data-space point; NaN when clipped. */
  project(world: Vec3): [number, number] {
    return this.view.project(world);
  }

  /** Index of the point drawn nearest (x, y) CSS px within `radius` CSS px, or -1. */
  pick(x: number, y: number, radius = 3): number {
    const p = this.layer.points;
    const cam = this.view.cam;
    // The overview's tile points: the nearest one's row.
    if (this.overview.pointCount > 0 && cam && (p?.n ?? 0) === 0) {
      return this.overview.pick(cam, this.view.viewport, x, y, radius, this.pointSize);
    }
    if (!this.layer.ready || !p || p.n === 0 || !cam || this.lost) return -1;
    if (p.n >= CPU_PICK_MIN_POINTS && !this.layer.sprites.show) {
      const reach = radius + (this.pointSize * this.layer.colors.largestSizeFactor) / 2;
      return this.picker.pickOnCpu(x, y, reach, () => this.screenPositions(true));
    }
    const { width, height } = this.canvas;
    const index = this.picker.pickOnGpu(x, y, radius, this.view.dpr, width, height, () => this.layer.draw(this.view, this.pointSize, true));
    return index < p.n ? index : -1;
  }

  // ---------------------------------------------------------------- draw

  /** Something that moves or resizes points changed: redraw and re-pick. */
  private invalidate(): void {
    this.picker.invalidate();
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
    this.loop.schedule();
  }

  /**
   * A camera gesture started or ended, or a discrete step (wheel) moved the view: while it moves
   * a large set is drawn as a sample, and in full once it settles (detail.ts).
   */
  motion(phase: MotionPhase): void {
    this.detail.motion(phase);
  }

  /** Draw every point now (an export; frames are drawn at animation frames). */
  draw(): void {
    this.frame(performance.now(), true);
  }

  private frame(now: number, full = false): void {
    const gl = this.gl;
    const { layer } = this;
    if (!layer.ready || this.lost || this.disposed) return;
    const n = layer.n;
    const plan: FramePlan = full ? { kind: "full" } : this.detail.plan(n, () => layer.currentOrder()?.length ?? 0);
    const subset = plan.kind === "subset" ? shareWithEmphasis(plan, layer.order.emphasised, this.detail.moving) : null;
    gl.bindFramebuffer(gl.FRAMEBUFFER, null);
    gl.viewport(0, 0, this.canvas.width, this.canvas.height);
    if (!subset || subset.clear) {
      const [r, g, b] = unit(layer.colors.background);
      gl.clearColor(r, g, b, 1);
      gl.clear(gl.COLOR_BUFFER_BIT | gl.DEPTH_BUFFER_BIT);
      this.underlay?.draw();
    }
    let overview = 0;
    const { cam, viewport, dpr } = this.view;
    if (this.overview.active && cam && !subset) {
      const viewProj = Float32Array.from(viewProjection(cam, viewport));
      overview = this.overview.draw(viewProj, layer.colors.overviewStyle(this.pointSize * dpr));
    }
    layer.finishTransition();
    // Once the order exists, full frames draw through it too: where points overlap, the one drawn
    // last is on top, and it is the same one before, during and after a motion.
    const whole = !subset && n >= LOD_MIN_POINTS && layer.orderIsCurrent() ? layer.order.length : 0;
    const calls = layer.draw(this.view, this.pointSize, false, subset ?? (whole > 0 ? { from: 0, to: whole, emphasis: 0 } : null));
    let drawn = calls;
    // A refinement step reports the points on screen so far; its last one, all of them.
    if (subset?.complete || whole > 0) drawn = n;
    else if (subset && !subset.clear) drawn = subset.to + calls - (subset.to - subset.from);
    const partial = subset !== null && !subset.complete;
    this.frameCount += 1;
    this.lastDrawCount = drawn;
    this.lastFramePartial = partial;
    const animating = layer.transition.running;
    // Measure this frame at the next animation frame. Uploads before it (new data) make it
    // look slower than it is: a budget too small at first, which the next frames correct.
    if (n >= LOD_MIN_POINTS && drawn > 0 && !full) this.loop.measure(now, calls);
    this.options.onFrame?.({ frame: this.frameCount, drawn, animating, partial, overview });
    if (animating || this.detail.refining) this.loop.schedule();
  }

  /**
   * Build the draw order while the page is idle once frames are known to need a sample, so the
   * first moving frame does not wait for it (a second or so at 10M points).
   */
  private prepareOrder(): void {
    const n = this.layer.n;
    if (n < LOD_MIN_POINTS || this.detail.points >= n) return;
    this.layer.order.whenIdle(() => {
      if (!this.disposed && !this.lost && this.layer.n >= LOD_MIN_POINTS) this.layer.currentOrder();
    });
  }
}
