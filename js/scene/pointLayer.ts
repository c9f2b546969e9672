/**
 * The points as the renderer draws them: the points shown and their per-point flags (kept on the
 * CPU), how they look (colorState.ts, sprites.ts, the point size and the hovered row), a running
 * transition (animation.ts), the level-of-detail order (detailOrder.ts) and their buffers on the
 * GPU (pointBuffers.ts, made again when a lost context is restored). The renderer decides when
 * to draw and from where; this draws them.
 */
import type { Column } from "../contract/wireColumns";
import type { Points, Sprites } from "../contract/wirePoints";
import { Transition } from "./animation";
import { viewProjection } from "./camera";
import { ColorState } from "./colorState";
import { LUT_SIZE, type RGB } from "./colors";
import { DetailOrder, type OrderSlice } from "./detailOrder";
import { CPU_PICK_MIN_POINTS } from "./picking";
import { PointBuffers } from "./pointBuffers";
import { SpriteAtlas, spriteSize } from "./sprites";
import type { Viewpoint } from "./viewpoint";

export class PointLayer {
  /** The points drawn (null: none). */
  points: Points | null = null;
  readonly colors = new ColorState();
  readonly sprites: SpriteAtlas;
  readonly transition = new Transition();
  readonly order: DetailOrder;
  /** Point diameter in CSS px; 0 = automatic by n. */
  sizeCss = 0;
  /** The buffers on the GPU; null while the context is lost. */
  private gpu: PointBuffers | null = null;
  /** The per-point flag bits (flags.ts), and a version bumped on each change (the draw order follows them). */
  private flags: Uint8Array = new Uint8Array(0);
  private flagsVersion = 0;
  private emphasis = false;
  private hover = -1;

  constructor(private readonly gl: WebGL2RenderingContext) {
    this.sprites = new SpriteAtlas(gl);
    this.order = new DetailOrder(gl);
  }

  /** A context was created or restored: make the buffers and upload what the CPU holds. */
  restore(): void {
    const gpu = new PointBuffers(this.gl, this.colors.lut);
    this.gpu = gpu;
    this.order.reset();
    this.transition.clear();
    if (this.points) gpu.uploadPositions(this.points);
    gpu.uploadFlags(this.flags);
    this.sprites.upload(gpu.atlas);
    this.bindColumns();
  }

  /** The context was lost, with the buffers. */
  lost(): void {
    this.gpu = null;
  }

  get ready(): boolean {
    return this.gpu !== null;
  }

  get n(): number {
    return this.points?.n ?? 0;
  }

  /** Show `points` (null: none); with `same` (the rows and dims of the last ones) it may animate from them. */
  replace(points: Points | null, same: boolean): void {
    const prev = this.points;
    this.points = points;
    this.transition.clear();
    if (!points) return;
    const animate = same && points.transitionMs > 0 && this.gpu !== null;
    if (this.flags.length !== points.n) this.flags = new Uint8Array(points.n);
    if (this.gpu) {
      this.gpu.uploadPositions(points, animate);
      this.gpu.uploadFlags(this.flags);
      // Columns shorter than the old n may now fit (or no longer fit).
      this.bindColumns();
    }
    if (animate && prev) this.transition.begin(prev, points.transitionMs);
  }

  /** More rows of the points shown arrived; false when they are not the same points (of other dims, or none shown). */
  extend(points: Points): boolean {
    const prev = this.points;
    if (!prev || prev.dims !== points.dims) return false;
    this.points = points;
    this.transition.clear();
    if (this.flags.length !== points.n) {
      const flags = new Uint8Array(points.n);
      flags.set(this.flags.subarray(0, points.n));
      this.flags = flags;
    }
    if (this.gpu) {
      this.gpu.uploadPositions(points);
      this.gpu.uploadFlags(this.flags);
      this.bindColumns();
    }
    return true;
  }

  /** The per-point flag bits (cut or padded to the points), and whether anything is emphasised. */
  setFlags(mask: Uint8Array, emphasis: boolean): void {
    this.emphasis = emphasis;
    const n = this.n;
    if (mask.length !== n) {
      const fixed = new Uint8Array(n);
      fixed.set(mask.subarray(0, n));
      mask = fixed;
    }
    this.flags = mask;
    this.flagsVersion++;
    this.gpu?.uploadFlags(this.flags);
  }

  /** The hovered row (-1: none); returns whether it changed. */
  setHover(index: number): boolean {
    if (index === this.hover) return false;
    this.hover = index;
    return true;
  }

  /** Whether the hovered point is drawn here (see Renderer.drawsHover). */
  get drawsHover(): boolean {
    return this.n < CPU_PICK_MIN_POINTS;
  }

  setSprites(sprites: Sprites | null): string {
    return this.sprites.set(sprites, this.gpu?.atlas ?? null);
  }

  setColumns(columns: Column[]): void {
    this.colors.columns = columns;
    this.gpu?.dropColumns();
    this.bindColumns();
  }

  setColorBy(name: string): void {
    this.colors.colorBy = name;
    this.bindColumns();
  }

  /** Returns whether the map changed (a LUT of the wrong size is ignored). */
  setColorMap(lut: Uint8Array): boolean {
    if (lut.length !== LUT_SIZE * 4 || lut === this.colors.lut) return false;
    this.colors.lut = lut;
    this.gpu?.uploadLut(lut);
    return true;
  }

  setSizeBy(name: string, range: readonly [number, number]): void {
    this.colors.sizeBy = name;
    this.colors.sizeRange = [range[0], range[1]];
    this.bindColumns();
  }

  setTheme(background: RGB, foreground: RGB, accent: RGB): void {
    this.colors.background = background;
    this.colors.foreground = foreground;
    this.colors.accent = accent;
  }

  private bindColumns(): void {
    const binding = this.colors.resolve(this.n);
    this.gpu?.bindColumns(binding);
  }

  /** The level-of-detail draw order of the points shown, built (and uploaded) when what it follows changed. */
  currentOrder(): Uint32Array | null {
    const p = this.points;
    if (!this.gpu || !p) return null;
    return this.order.current(p.n, this.colors.orderCodes(), this.flags, this.flagsVersion);
  }

  /** Whether the draw order on the GPU follows the points, colour column and hidden rows shown now. */
  orderIsCurrent(): boolean {
    return this.gpu !== null && this.order.isCurrent(this.n, this.colors.orderCodes(), this.flags, this.flagsVersion);
  }

  /** End a transition whose time is up: a_prev reads the current positions again. */
  finishTransition(): void {
    if (!this.transition.running || this.transition.mix() < 1) return;
    this.transition.clear();
    const p = this.points;
    if (this.gpu && p) this.gpu.endTransition(p.dims);
  }

  /**
   * Draw the points seen from `view` with a diameter of `sizeCss` CSS px: all of them, or the
   * rows [from, to) of the draw order and then the first `emphasis` emphasised rows, which stay
   * visible in a sample; `picking` draws their ids for the pick buffer. Returns the points in
   * the draw calls.
   */
  draw(view: Viewpoint, sizeCss: number, picking: boolean, subset: OrderSlice | null = null): number {
    const gpu = this.gpu;
    const p = this.points;
    const { cam, viewport, dpr } = view;
    if (!gpu || !p || p.n === 0 || !cam || viewport.width <= 0) return 0;
    return gpu.draw({
      viewProj: Float32Array.from(viewProjection(cam, viewport)),
      points: p,
      from: this.transition.from ?? p,
      mix: this.transition.mix(),
      sizePx: sizeCss * dpr,
      dpr,
      picking,
      emphasis: this.emphasis,
      hover: !this.drawsHover || this.hover >= p.n ? -1 : this.hover,
      colors: this.colors,
      sprites: this.sprites,
      spritePx: spriteSize(sizeCss, view.zoomRatio()) * dpr,
      drawCalls: () => {
        if (subset && this.order.uploaded) return this.order.draw(subset);
        this.gl.drawArrays(this.gl.POINTS, 0, p.n);
        return p.n;
      },
    });
  }

  /** Delete the GPU objects (unless the context is lost). */
  dispose(): void {
    if (this.gpu && !this.gl.isContextLost()) this.gpu.dispose();
    this.gpu = null;
    this.order.dispose();
  }
}
