/**
 * The canvas's gestures as view actions: camera moves, hover, clicks (select and focus a
 * point, Shift toggles it, empty space clears) and lasso selections (Shift+Alt adds), plus
 * Escape on the root. In overview mode the lasso is sent to the kernel as a polygon in data
 * coordinates, and clicks and hover pick the nearest tile point (its row). The renderer
 * answers picking and positions; the view decides the rest.
 */
import { attachKeyboard } from "../interaction/keyboard";
import { attachPointer } from "../interaction/pointer";
import { toggleIndex, unionSorted } from "../interaction/selection";
import { screenToWorld2D } from "../scene/camera";
import type { Renderer } from "../scene/renderer";
import type { LassoOverlay } from "../ui/lassoOverlay";

export interface GestureActions {
  /** The camera moved (sync it to the model). */
  cameraMoved(): void;
  hover(index: number, x: number, y: number): void;
  /** The current selection (sorted unique rows). */
  selection(): Uint32Array;
  /** The user selected `indices` (sorted unique rows). */
  select(indices: Uint32Array): void;
  focus(index: number): void;
  /** Clear the selection and the focus. */
  clearAll(): void;
  /**
   * A lasso in data coordinates ([x, y] vertices), for the overview to select in the kernel;
   * returns false when the overview is off (the lasso then selects the drawn points).
   */
  overviewLasso?(polygon: [number, number][], add: boolean): boolean;
  /** A camera drag started or ended, or a wheel step moved the view. */
  motion?(phase: "start" | "end" | "step"): void;
}

/** Attach pointer gestures to `canvas` (when there is a renderer) and Escape to `root`; returns the detach function. */
export function attachGestures(
  root: HTMLElement,
  canvas: HTMLCanvasElement,
  r: Renderer | null,
  lasso: LassoOverlay,
  actions: GestureActions,
): () => void {
  const offKeys = attachKeyboard(root, { clearSelection: actions.clearAll });
  if (!r) return offKeys;
  const offPointer = attachPointer(canvas, {
    getCamera: () => r.camera,
    setCamera: (cam) => {
      r.camera = cam;
      actions.cameraMoved();
    },
    getViewport: () => r.getViewport(),
    pick: (x, y) => r.pick(x, y),
    hover: (index, x, y) => actions.hover(index, x, y),
    click: (index, toggle) => {
      const selection = actions.selection();
      if (index < 0) {
        if (!toggle) actions.clearAll();
      } else if (toggle) {
        actions.select(toggleIndex(selection, index));
      } else {
        if (!(selection.length === 1 && selection[0] === index)) actions.select(Uint32Array.of(index));
        actions.focus(index);
      }
    },
    lasso: (indices, add) => actions.select(add ? unionSorted(actions.selection(), indices) : indices),
    lassoPolygon: (path, add) => {
      const cam = r.camera;
      if (!actions.overviewLasso || cam?.kind !== "2d") return false;
      const vp = r.getViewport();
      const polygon: [number, number][] = [];
      for (let i = 0; i + 1 < path.length; i += 2) polygon.push(screenToWorld2D(cam, vp, path[i], path[i + 1]));
      return actions.overviewLasso(polygon, add);
    },
    screenPositions: () => r.screenPositions(),
    lassoPath: (path) => lasso.draw(path),
    gestureStart: () => root.focus({ preventScroll: true }),
    motion: (phase) => {
      r.motion(phase);
      actions.motion?.(phase);
    },
  });
  return () => {
    offPointer();
    offKeys();
  };
}
