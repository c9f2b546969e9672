/**
 * Pointer and wheel gestures on the canvas, turned into camera changes,
 * hover, clicks and lasso selections. Knows nothing about the model.
 *
 *   2-D: drag pans, wheel zooms about the cursor.
 *   3-D: drag orbits, right-drag or Ctrl/Cmd-drag pans, wheel zooms about the cursor.
 *   Click: select the point under the cursor (empty space clears).
 *   Shift+click: toggle the point under the cursor.
 *   Shift+drag: lasso; replaces the selection (Shift+Alt+drag adds to it).
 *   A drag shorter than CLICK_SLOP_PX counts as a click.
 */
import { type Camera, orbit, pan, type Viewport, zoomAt } from "../scene/camera";
import { SETTLE_MS } from "../scene/detail";
import { listen } from "../ui/dom";
import { CLICK_SLOP_PX, extendPath, selectInPolygon } from "./lasso";

export interface PointerTarget {
  getCamera(): Camera | null;
  setCamera(cam: Camera): void;
  getViewport(): Viewport;
  /** Point index under (x, y) CSS px, or -1. */
  pick(x: number, y: number): number;
  /** Hovered point changed (-1 = none), with the cursor position. */
  hover(index: number, x: number, y: number): void;
  /** A click: `index` is -1 for empty space. */
  click(index: number, toggle: boolean): void;
  /** A finished lasso: indices (ascending) inside the polygon. */
  lasso(indices: Uint32Array, add: boolean): void;
  /**
   * A finished lasso's path (x, y CSS px pairs) before its points are hit-tested; returning true
   * takes it over (the overview selects in the kernel), and `lasso` is not called.
   */
  lassoPolygon?(path: readonly number[], add: boolean): boolean;
  /** Screen positions of all points (as the lasso needs them). */
  screenPositions(): Float32Array;
  /** Show the lasso path while it is drawn (null hides it). */
  lassoPath(path: readonly number[] | null): void;
  /** Called when a gesture starts (e.g. to focus the widget). */
  gestureStart?(): void;
  /**
   * The view starts or stops moving under a drag ("start", "end"), or a wheel step moved it
   * ("step"; it has settled when no step follows for a moment): the renderer draws a sample
   * of a large set meanwhile.
   */
  motion?(phase: "start" | "end" | "step"): void;
}

type Drag =
  | { kind: "none" }
  | {
      kind: "camera";
      id: number;
      startX: number;
      startY: number;
      lastX: number;
      lastY: number;
      moved: boolean;
      panMode: boolean;
      button: number;
    }
  | { kind: "lasso"; id: number; path: number[]; moved: boolean; startX: number; startY: number };

/** Wheel delta in pixels, whatever the deltaMode. */
function wheelPixels(e: WheelEvent, pageHeight: number): number {
  if (e.deltaMode === 1) return e.deltaY * 16;
  if (e.deltaMode === 2) return e.deltaY * pageHeight;
  return e.deltaY;
}

/** Attach the gestures; returns the function that detaches them. */
export function attachPointer(canvas: HTMLCanvasElement, target: PointerTarget): () => void {
  let drag: Drag = { kind: "none" };
  let hoverRaf = 0;
  let wheelHover: ReturnType<typeof setTimeout> | undefined;
  let hoverX = 0;
  let hoverY = 0;
  let hovering = false;

  const local = (e: MouseEvent): [number, number] => {
    const r = canvas.getBoundingClientRect();
    return [e.clientX - r.left, e.clientY - r.top];
  };

  const clearHover = (): void => {
    if (hoverRaf) cancelAnimationFrame(hoverRaf);
    hoverRaf = 0;
    clearTimeout(wheelHover);
    if (hovering) target.hover(-1, 0, 0);
    hovering = false;
  };

  const scheduleHover = (x: number, y: number): void => {
    hoverX = x;
    hoverY = y;
    if (hoverRaf) return;
    hoverRaf = requestAnimationFrame(() => {
      hoverRaf = 0;
      if (drag.kind !== "none") return;
      const index = target.pick(hoverX, hoverY);
      hovering = index >= 0;
      target.hover(index, hoverX, hoverY);
    });
  };

  const onDown = (e: PointerEvent): void => {
    if (drag.kind !== "none" || (e.button !== 0 && e.button !== 2)) return;
    target.gestureStart?.();
    const [x, y] = local(e);
    clearHover();
    if (e.button === 0 && e.shiftKey) {
      drag = { kind: "lasso", id: e.pointerId, path: [x, y], moved: false, startX: x, startY: y };
    } else {
      const cam = target.getCamera();
      const panMode = cam?.kind === "2d" || e.button === 2 || e.ctrlKey || e.metaKey;
      drag = { kind: "camera", id: e.pointerId, startX: x, startY: y, lastX: x, lastY: y, moved: false, panMode, button: e.button };
    }
    canvas.setPointerCapture(e.pointerId);
    e.preventDefault();
  };

  const onMove = (e: PointerEvent): void => {
    const [x, y] = local(e);
    if (drag.kind === "none") {
      if (e.buttons === 0) scheduleHover(x, y);
      return;
    }
    if (e.pointerId !== drag.id) return;
    if (drag.kind === "lasso") {
      if (!drag.moved && Math.hypot(x - drag.startX, y - drag.startY) > CLICK_SLOP_PX) drag.moved = true;
      if (extendPath(drag.path, x, y) && drag.moved) target.lassoPath(drag.path);
      return;
    }
    if (!drag.moved && Math.hypot(x - drag.startX, y - drag.startY) <= CLICK_SLOP_PX) return;
    if (!drag.moved) target.motion?.("start");
    drag.moved = true;
    const dx = x - drag.lastX;
    const dy = y - drag.lastY;
    drag.lastX = x;
    drag.lastY = y;
    const cam = target.getCamera();
    if (!cam) return;
    if (drag.panMode || cam.kind === "2d") target.setCamera(pan(cam, target.getViewport(), dx, dy));
    else target.setCamera(orbit(cam, dx, dy));
  };

  const finish = (e: PointerEvent, cancelled: boolean): void => {
    if (drag.kind === "none" || e.pointerId !== drag.id) return;
    const d = drag;
    drag = { kind: "none" };
    if (canvas.hasPointerCapture(e.pointerId)) canvas.releasePointerCapture(e.pointerId);
    if (d.kind === "camera" && d.moved) target.motion?.("end");
    target.lassoPath(null);
    if (cancelled) return;
    const [x, y] = local(e);
    if (d.kind === "lasso") {
      if (!d.moved) {
        // A short Shift-drag is a Shift+click: toggle.
        const index = target.pick(d.startX, d.startY);
        if (index >= 0) target.click(index, true);
      } else {
        extendPath(d.path, x, y);
        if (!target.lassoPolygon?.(d.path, e.altKey)) target.lasso(selectInPolygon(target.screenPositions(), d.path), e.altKey);
        // No hover pick here: its redraw would compete with sending the selection (the next
        // pointer move brings the hover back).
        return;
      }
    } else if (!d.moved && d.button === 0) {
      target.click(target.pick(d.startX, d.startY), false);
    }
    scheduleHover(x, y);
  };

  const onUp = (e: PointerEvent): void => finish(e, false);
  const onCancel = (e: PointerEvent): void => finish(e, true);

  const onWheel = (e: WheelEvent): void => {
    const cam = target.getCamera();
    if (!cam) return;
    e.preventDefault();
    const [x, y] = local(e);
    const vp = target.getViewport();
    const px = Math.max(-300, Math.min(300, wheelPixels(e, vp.height)));
    target.motion?.("step");
    target.setCamera(zoomAt(cam, vp, x, y, Math.exp(-px * 0.002)));
    // The hover waits for the burst to settle: on a large set each pick projects every point.
    clearTimeout(wheelHover);
    wheelHover = setTimeout(() => scheduleHover(x, y), SETTLE_MS);
  };

  const offs = [
    listen<PointerEvent>(canvas, "pointerdown", onDown),
    listen<PointerEvent>(canvas, "pointermove", onMove),
    listen<PointerEvent>(canvas, "pointerup", onUp),
    listen<PointerEvent>(canvas, "pointercancel", onCancel),
    listen<PointerEvent>(canvas, "pointerleave", () => {
      if (drag.kind === "none") clearHover();
    }),
    listen<WheelEvent>(canvas, "wheel", onWheel, { passive: false }),
    listen<MouseEvent>(canvas, "contextmenu", (e) => e.preventDefault()),
  ];

  return () => {
    for (const off of offs) off();
    if (drag.kind === "camera" && drag.moved) target.motion?.("end");
    if (hoverRaf) cancelAnimationFrame(hoverRaf);
    hoverRaf = 0;
    clearTimeout(wheelHover);
  };
}
