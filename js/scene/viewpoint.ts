/**
 * Where the renderer looks from: the camera, the canvas's size in CSS px and its device pixel
 * ratio, and when to fit the camera to what is drawn (fit.ts): every new layout is fitted; a fit
 * the user has not moved since is redone on resize and on new positions of the same layout (a
 * running t-SNE is followed as it grows); a view the user moved stays theirs while the layout
 * moves on, rebased to its new bounds. Screen positions are computed here exactly as the
 * shader places the points.
 */
import type { Points } from "../contract/wirePoints";
import { type Camera, projectPoint, projectQuantized, rebaseCamera, type Vec3, type Viewport, viewProjection } from "./camera";
import { fitDomain, fitPoints } from "./fit";
import { mixedPosition, type Quantized } from "./transition";

export class Viewpoint {
  cam: Camera | null = null;
  /** CSS px. */
  viewport: Viewport = { width: 0, height: 0 };
  dpr = 1;
  needsFit = true;
  /** The camera is a fit the user has not moved since: refit on resize and new data. */
  private fitted = false;
  /** Scale (2-D) or distance (3-D) of the last fit: the reference for sprite zoom. */
  private fitRef = 1;
  /** Width (CSS px) at the right of the canvas that fits keep clear. */
  private insetRight = 0;
  private positionsScratch: Float32Array | null = null;

  /**
   * Points replaced `prev`: keep the user's camera, rebased to the new bounds, when they are the
   * same layout moving on (`same` rows and dims, the same rows shown, the same `layout`) and the
   * user has moved the view; otherwise fit them (a new layout, or a fit that follows its layout).
   */
  pointsReplaced(prev: Points | null, points: Points, same: boolean, visibilityChanged: boolean): void {
    const moving = prev !== null && same && !visibilityChanged && prev.layout === points.layout;
    if (moving && this.cam && !this.needsFit && !this.fitted) {
      this.cam = rebaseCamera(this.cam, prev.lo, prev.hi, points.lo, points.hi);
    } else {
      this.needsFit = true;
    }
  }

  /**
   * Keep `px` CSS px at the right of the canvas clear (an inspector floats there; 0: none). Like a
   * resize, it refits a fit the user has not moved: the fit frames the part of the canvas left free.
   */
  setInsetRight(px: number): void {
    const inset = Math.max(0, px);
    if (inset === this.insetRight) return;
    this.insetRight = inset;
    if (this.fitted) this.needsFit = true;
  }

  /** The canvas is `cssWidth` x `cssHeight` CSS px at device pixel ratio `dpr`. */
  resize(cssWidth: number, cssHeight: number, dpr: number): void {
    const changed = cssWidth !== this.viewport.width || cssHeight !== this.viewport.height;
    this.viewport = { width: cssWidth, height: cssHeight };
    this.dpr = dpr;
    if (changed && this.fitted) this.needsFit = true;
  }

  /**
   * Fit when a fit is due: to the overview's square `domain` while there are no points, else to
   * the visible `points`. Returns whether it fitted.
   */
  fitIfNeeded(points: Points | null, domain: [number, number, number] | null): boolean {
    if (!this.needsFit || this.viewport.width <= 0 || this.viewport.height <= 0) return false;
    let cam: Camera;
    // The overview: no points, the quadtree's square domain fills the view.
    if (domain && (points?.n ?? 0) === 0) cam = fitDomain(domain, this.viewport);
    else if (points) cam = fitPoints(points, this.viewport, this.insetRight);
    else return false;
    this.cam = cam;
    this.fitRef = cam.kind === "2d" ? cam.scale : cam.distance;
    this.needsFit = false;
    this.fitted = true;
    return true;
  }

  /** The user moved the camera. */
  moved(cam: Camera | null): void {
    this.cam = cam;
    this.fitted = false;
  }

  /** A camera received from the model: the user's view from then on. */
  apply(cam: Camera): void {
    this.cam = cam;
    this.needsFit = false;
    this.fitted = false;
  }

  /** How far the view is zoomed in relative to the last fit (1 = as fitted). */
  zoomRatio(): number {
    const cam = this.cam;
    if (!cam || !(this.fitRef > 0)) return 1;
    return cam.kind === "2d" ? cam.scale / this.fitRef : this.fitRef / cam.distance;
  }

  /** The data rectangle the 2-D view shows (null: no 2-D view yet). */
  visibleRect(): { x0: number; y0: number; x1: number; y1: number } | null {
    const cam = this.cam;
    if (cam?.kind !== "2d" || this.viewport.width <= 0 || this.viewport.height <= 0) return null;
    const hw = this.viewport.width / 2 / cam.scale;
    const hh = this.viewport.height / 2 / cam.scale;
    return { x0: cam.center[0] - hw, y0: cam.center[1] - hh, x1: cam.center[0] + hw, y1: cam.center[1] + hh };
  }

  /** Screen position (CSS px) of a data-space point; NaN when clipped. */
  project(world: Vec3): [number, number] {
    if (!this.cam) return [NaN, NaN];
    const s = projectPoint(viewProjection(this.cam, this.viewport), this.viewport, world);
    return [s[0], s[1]];
  }

  /**
   * Screen positions (CSS px from the canvas's top-left; NaN when hidden) of all of `p`, computed
   * exactly as the shader places them. Reuses an internal buffer unless `fresh` is set.
   */
  screenPositions(p: Points | null, fresh: boolean): Float32Array {
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
   * Screen positions (CSS px) of rows `indices` of `p` at mix `mix` of a transition from `prev`
   * (null: none), x then y per row; NaN when hidden or clipped.
   */
  positionsOf(p: Points | null, prev: Quantized | null, mix: number, indices: ArrayLike<number>): Float32Array {
    const out = new Float32Array(2 * indices.length).fill(NaN);
    if (!p || !this.cam) return out;
    const m = viewProjection(this.cam, this.viewport);
    for (let j = 0; j < indices.length; j++) {
      const i = indices[j];
      if (i < 0 || i >= p.n || (p.visible && !p.visible[i])) continue;
      const s = projectPoint(m, this.viewport, mixedPosition(prev, p, i, mix));
      out[2 * j] = s[0];
      out[2 * j + 1] = s[1];
    }
    return out;
  }
}
