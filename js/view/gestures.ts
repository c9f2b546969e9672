/**
 * The canvas's gestures as view actions: camera moves, hover, clicks (select and focus a
 * point, Shift toggles it, empty space clears) and lasso selections (Shift+Alt adds), plus
 * Escape on the root. The renderer answers picking and positions; the view decides the rest.
 */
import { attachKeyboard } from "../interaction/keyboard";
import { attachPointer } from "../interaction/pointer";
import { toggleIndex, unionSorted } from "../interaction/selection";
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
    screenPositions: () => r.screenPositions(),
    lassoPath: (path) => lasso.draw(path),
    gestureStart: () => root.focus({ preventScroll: true }),
    motion: (phase) => r.motion(phase),
  });
  return () => {
    offPointer();
    offKeys();
  };
}
