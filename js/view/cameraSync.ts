/**
 * The camera between a view and the model. The view's camera goes to the model a quiet moment
 * after a gesture (debounced); a camera set from Python waits until points of its
 * dimensionality are shown and no layout is being computed (a bookmark's camera is of the
 * layout it restores, which is framed when it arrives), then applies once; the model's echo of
 * the view's own camera is ignored. The host (the renderer) comes in as callbacks.
 */
import { bind, save, type WidgetModel } from "../contract/model";
import type { Points } from "../contract/wirePoints";
import { decodeProgress } from "../contract/wireValues";
import { type Camera, type CameraWire, cameraFromWire, cameraToWire } from "../scene/camera";
import type { Renderer } from "../scene/renderer";
import type { PointsChange } from "../shared/points";
import type { Signal } from "./signal";

/** Quiet time after a camera gesture before the camera is synced to Python. */
export const CAMERA_SYNC_MS = 250;

export interface CameraHost {
  /** The view's camera; null before points are shown. */
  camera(): Camera | null;
  /** What is shown: its dimensionality and the data's radius; null without points or renderer. */
  shown(): { dims: 2 | 3; radius: number } | null;
  /** A layout is being computed (its result, a new layout, will be framed when it arrives). */
  busy?(): boolean;
  apply(camera: Camera): void;
  /** Write the camera to the model (and the kernel). */
  write(wire: CameraWire): void;
}

export class CameraSync {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastSent: CameraWire | null = null;
  private pending: unknown = null;

  constructor(
    private readonly host: CameraHost,
    private readonly delayMs = CAMERA_SYNC_MS,
  ) {}

  /** The view's camera moved: write it once it has been still for the delay. */
  moved(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const cam = this.host.camera();
      if (!cam) return;
      const wire = cameraToWire(cam);
      this.lastSent = wire;
      this.host.write(wire);
    }, this.delayMs);
  }

  /** The model's `camera` changed: apply it after the rest of this batch of changes (a bookmark may bring new points too). */
  changed(value: unknown): void {
    if (value === this.lastSent) return; // our own echo
    this.pending = value ?? null;
    setTimeout(() => this.applyPending(), 0);
  }

  /**
   * Apply a camera from Python once points of its dimensionality are shown and no layout is
   * being computed (call when points change and when a layout job ends).
   */
  applyPending(): void {
    const shown = this.host.shown();
    if (this.pending === null || !shown || this.host.busy?.()) return;
    const cam = cameraFromWire(this.pending, shown.dims, shown.radius);
    if (!cam) {
      const dims = (this.pending as { dims?: unknown }).dims;
      if (dims !== 2 && dims !== 3) this.pending = null; // empty or malformed: nothing to wait for
      return;
    }
    this.pending = null;
    this.host.apply(cam);
  }

  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** What a view's camera reads and follows. */
export interface CameraParts {
  /** The renderer, and when it fitted the view. */
  stage: { readonly renderer: Renderer | null; readonly fitted: Signal };
  /** The points drawn (their dimensionality decides which camera applies), and when they change (view/drawing.ts). */
  drawing: { readonly points: Points | null; readonly pointsShown: Signal<[PointsChange]> };
  /** Told when a camera from the model was applied (the view moved; view/overview.ts). */
  overview: { moved(): void };
}

/**
 * The camera of a view, synced with the `camera` trait: the view's camera goes to the model a
 * moment after a gesture or a fit; the model's applies once points of its dimensionality show.
 */
export class CameraBinder {
  readonly sync: CameraSync;
  private readonly offs: (() => void)[];

  constructor(
    private readonly model: WidgetModel,
    { stage, drawing, overview }: CameraParts,
  ) {
    const sync = new CameraSync({
      camera: () => stage.renderer?.camera ?? null,
      shown: () => {
        const r = stage.renderer;
        const points = drawing.points;
        return r && points ? { dims: points.dims, radius: r.dataRadius } : null;
      },
      busy: () => {
        const { state } = decodeProgress(model.get("_progress"));
        return state === "running" || state === "paused";
      },
      apply: (cam) => {
        stage.renderer?.applyCamera(cam);
        overview.moved();
      },
      write: (value) => save(model, "camera", value),
    });
    this.sync = sync;
    this.offs = [
      stage.fitted.on(() => sync.moved()),
      drawing.pointsShown.on((change) => {
        if (change === "replaced") sync.applyPending();
      }),
    ];
  }

  /** The user moved the camera. */
  moved(): void {
    this.sync.moved();
  }

  /** Apply `camera` from the model now and on change; returns the unbind functions. */
  bind(): (() => void)[] {
    const { model, sync } = this;
    return [
      bind(model, "camera", () => sync.changed(model.get("camera"))),
      // A layout job ended: its layout is on screen (framed); a camera that waited applies now.
      bind(model, "_progress", () => sync.applyPending()),
    ];
  }

  dispose(): void {
    this.sync.dispose();
    for (const off of this.offs.splice(0)) off();
  }
}
