/**
 * anywidget entry: builds the view and wires model <-> view. It decodes model
 * state with wire.ts and hands typed arrays to the renderer and the UI; no
 * other module reads or writes the model.
 */
import "./style.css";
import { attachKeyboard } from "./interaction/keyboard";
import { attachPointer } from "./interaction/pointer";
import { fillMask, toggleIndex, unionSorted } from "./interaction/selection";
import { Renderer, createContext } from "./scene/renderer";
import { LassoOverlay } from "./ui/lassoOverlay";
import { Legend } from "./ui/legend";
import { StatusLine } from "./ui/status";
import { Toolbar } from "./ui/toolbar";
import { Tooltip } from "./ui/tooltip";
import { h, listen } from "./ui/dom";
import { readTheme } from "./ui/theme";
import {
  colorableColumns,
  decodeColumns,
  decodePoints,
  decodeRowReply,
  decodeSelection,
  encodeSelection,
  type Column,
  type Points,
} from "./wire";

type Handler = (...args: never[]) => void;

/** The part of the anywidget model this view uses. */
export interface WidgetModel {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
  save_changes(): void;
  on(event: string, callback: Handler): void;
  off(event?: string | null, callback?: Handler | null): void;
  send(content: unknown, callbacks?: unknown, buffers?: ArrayBuffer[] | ArrayBufferView[]): void;
}

export interface RenderProps {
  model: WidgetModel;
  el: HTMLElement;
}

/** Hooks for automated browser tests, attached to the root element as `__pw`. */
export interface ProjectorTestHook {
  /** 2n values: x, y in CSS px from the canvas's top-left; NaN for hidden points. */
  screenPositions(): Float32Array;
  /** Frames drawn so far. */
  readonly frameCount: number;
  /** Points in the last draw call. */
  readonly lastDrawCount: number;
  /** Rows currently selected. */
  selectedCount(): number;
}

export type ProjectorRoot = HTMLDivElement & { __pw?: ProjectorTestHook };

const DEFAULT_HEIGHT = 520;
const ROW_CACHE_LIMIT = 2000;
const ROW_REQUEST_DELAY_MS = 60;

function numberOr(x: unknown, fallback: number): number {
  return typeof x === "number" && Number.isFinite(x) ? x : fallback;
}

function render({ model, el }: RenderProps): () => void {
  const root = h("div", "projector-widget pw-root") as ProjectorRoot;
  root.tabIndex = 0;
  const toolbarSlot = h("div", "pw-toolbar-slot");
  const stage = h("div", "pw-stage");
  const canvas = h("canvas", "pw-canvas");
  const lassoOverlay = new LassoOverlay();
  const legend = new Legend();
  const tooltip = new Tooltip();
  const status = new StatusLine();
  stage.append(canvas, lassoOverlay.el, legend.el, tooltip.el);
  root.append(toolbarSlot, stage, status.el);
  el.append(root);

  const applyHeight = (): void => {
    root.style.height = `${Math.max(120, numberOr(model.get("height"), DEFAULT_HEIGHT))}px`;
  };
  applyHeight();

  const cleanups: (() => void)[] = [];
  const modelOn = (event: string, handler: Handler): void => {
    model.on(event, handler);
    cleanups.push(() => model.off(event, handler));
  };

  // ------------------------------------------------------------ renderer
  const gl = createContext(canvas);
  let renderer: Renderer | null = null;
  let failure = "";
  if (gl) {
    try {
      renderer = new Renderer(canvas, gl, {
        onFrame: ({ frame, drawn }) => {
          root.setAttribute("data-frame", String(frame));
          if (drawn > 0 && root.getAttribute("data-ready") !== "1") root.setAttribute("data-ready", "1");
        },
        onContextLost: (lost) => root.classList.toggle("pw-context-lost", lost),
      });
    } catch (err) {
      failure = `The WebGL2 renderer could not start: ${err instanceof Error ? err.message : String(err)}`;
    }
  } else {
    failure =
      "This projector needs WebGL2, which is not available here. Enable hardware acceleration or " +
      "WebGL in the browser settings, or open the notebook in a current Chrome, Edge, Firefox or Safari.";
  }

  // ------------------------------------------------------------- state
  let points: Points | null = null;
  let columns: Column[] = [];
  let selection: Uint32Array = new Uint32Array(0);
  let mask: Uint8Array = new Uint8Array(0);
  let selCount = 0;
  let lastSentSelection: unknown = null;
  let hoverIndex = -1;
  let hoverX = 0;
  let hoverY = 0;
  const rowCache = new Map<number, [string, string][]>();
  const rowPending = new Set<number>();
  let rowTimer: ReturnType<typeof setTimeout> | undefined;

  const n = (): number => points?.n ?? 0;
  const updateStatus = (): void => status.set(n(), selCount);

  /** Apply a selection (sorted unique indices); send it to Python when it came from a gesture. */
  const applySelection = (indices: Uint32Array, fromUser: boolean): void => {
    selection = indices;
    if (mask.length !== n()) mask = new Uint8Array(n());
    selCount = fillMask(mask, indices);
    renderer?.setSelection(mask, selCount);
    updateStatus();
    if (fromUser) {
      const wire = encodeSelection(indices);
      lastSentSelection = wire;
      model.set("selected", wire);
      model.save_changes();
    }
  };

  const currentColumn = (): Column | null => {
    const name = typeof model.get("color_by") === "string" ? (model.get("color_by") as string) : "";
    return columns.find((c) => c.name === name) ?? null;
  };

  const showTooltip = (): void => {
    if (hoverIndex < 0) {
      tooltip.hide();
      return;
    }
    const rows = columns.length === 0 ? [] : (rowCache.get(hoverIndex) ?? null);
    tooltip.show(hoverIndex, rows, hoverX, hoverY, stage.clientWidth, stage.clientHeight);
  };

  const requestRow = (index: number): void => {
    if (columns.length === 0 || rowCache.has(index) || rowPending.has(index)) return;
    if (rowTimer !== undefined) clearTimeout(rowTimer);
    rowTimer = setTimeout(() => {
      rowTimer = undefined;
      if (hoverIndex !== index || rowCache.has(index) || rowPending.has(index)) return;
      rowPending.add(index);
      model.send({ type: "row", index });
    }, ROW_REQUEST_DELAY_MS);
  };

  const forgetRows = (): void => {
    rowCache.clear();
    rowPending.clear();
  };

  // ----------------------------------------------------------- toolbar
  const toolbar = new Toolbar({
    onColorBy: (name) => {
      model.set("color_by", name);
      model.save_changes();
      onColorBy();
    },
    onDimensions: (dims) => {
      toolbar.setDimensions(dims);
      if (model.get("dimensions") !== dims) {
        model.set("dimensions", dims);
        model.save_changes();
      }
    },
    onFit: () => renderer?.fit(),
    onClear: () => {
      if (selection.length > 0) applySelection(new Uint32Array(0), true);
    },
  });
  toolbarSlot.replaceWith(toolbar.el);
  cleanups.push(() => toolbar.dispose());

  // ------------------------------------------------------ model -> view
  const onPoints = (): void => {
    const prevN = n();
    try {
      points = decodePoints(model.get("_points"));
    } catch (err) {
      console.error("projector-widget: ignoring malformed _points", err);
      points = null;
    }
    hoverIndex = -1;
    tooltip.hide();
    renderer?.setHover(-1);
    renderer?.setPoints(points);
    if (n() !== prevN) forgetRows();
    applySelection(selection, false);
    const col = currentColumn();
    legend.show(col, n());
  };

  const onColumns = (): void => {
    columns = decodeColumns(model.get("_columns"));
    forgetRows();
    renderer?.setColumns(columns);
    const colorBy = typeof model.get("color_by") === "string" ? (model.get("color_by") as string) : "";
    toolbar.setColumns(colorableColumns(columns), colorBy);
    legend.show(currentColumn(), n());
  };

  const onColorBy = (): void => {
    const colorBy = typeof model.get("color_by") === "string" ? (model.get("color_by") as string) : "";
    toolbar.setColorBy(colorBy);
    renderer?.setColorBy(colorBy);
    legend.show(currentColumn(), n());
  };

  const onSelected = (): void => {
    const value = model.get("selected");
    if (value === lastSentSelection) return; // our own echo
    applySelection(decodeSelection(value), false);
  };

  const onDimensionsChange = (): void => toolbar.setDimensions(numberOr(model.get("dimensions"), 2));
  const onPointSize = (): void => renderer?.setPointSize(numberOr(model.get("point_size"), 0));

  const onCustom = (msg: unknown): void => {
    const reply = decodeRowReply(msg);
    if (!reply || !rowPending.has(reply.index)) return; // stale or unknown
    rowPending.delete(reply.index);
    rowCache.set(reply.index, reply.values);
    if (rowCache.size > ROW_CACHE_LIMIT) {
      const oldest = rowCache.keys().next();
      if (!oldest.done) rowCache.delete(oldest.value);
    }
    if (reply.index === hoverIndex) showTooltip();
  };

  modelOn("change:_points", onPoints);
  modelOn("change:_columns", onColumns);
  modelOn("change:color_by", onColorBy);
  modelOn("change:selected", onSelected);
  modelOn("change:dimensions", onDimensionsChange);
  modelOn("change:height", applyHeight);
  modelOn("change:point_size", onPointSize);
  modelOn("msg:custom", onCustom as Handler);

  // ------------------------------------------------------- view -> model
  const clearSelection = (): void => {
    if (selection.length > 0) applySelection(new Uint32Array(0), true);
  };

  if (renderer) {
    const r = renderer;
    cleanups.push(
      attachPointer(canvas, {
        getCamera: () => r.camera,
        setCamera: (cam) => {
          r.camera = cam;
        },
        getViewport: () => r.getViewport(),
        pick: (x, y) => r.pick(x, y),
        hover: (index, x, y) => {
          hoverIndex = index;
          hoverX = x;
          hoverY = y;
          r.setHover(index);
          showTooltip();
          if (index >= 0) requestRow(index);
        },
        click: (index, toggle) => {
          if (index < 0) {
            if (!toggle) clearSelection();
          } else if (toggle) {
            applySelection(toggleIndex(selection, index), true);
          } else if (!(selection.length === 1 && selection[0] === index)) {
            applySelection(Uint32Array.of(index), true);
          }
        },
        lasso: (indices, add) => applySelection(add ? unionSorted(selection, indices) : indices, true),
        screenPositions: () => r.screenPositions(),
        lassoPath: (path) => lassoOverlay.draw(path),
        gestureStart: () => root.focus({ preventScroll: true }),
      }),
    );
  } else {
    const message = h("div", "pw-message", failure);
    message.setAttribute("role", "alert");
    stage.append(message);
  }
  cleanups.push(attachKeyboard(root, { clearSelection }));

  // ------------------------------------------------------ size and theme
  const applyTheme = (): void => {
    if (!renderer) return;
    const theme = readTheme(root);
    renderer.setTheme(theme.background, theme.foreground);
  };
  const resize = (): void => {
    const w = stage.clientWidth;
    const hgt = stage.clientHeight;
    if (w > 0 && hgt > 0) {
      applyTheme(); // computed styles are only meaningful once attached
      renderer?.resize(w, hgt, window.devicePixelRatio || 1);
    }
  };
  const ro = new ResizeObserver(resize);
  ro.observe(stage);
  cleanups.push(() => ro.disconnect());

  // devicePixelRatio changes (moving between screens, browser zoom).
  let dprQuery: MediaQueryList | null = null;
  const watchDpr = (): void => {
    dprQuery = window.matchMedia(`(resolution: ${window.devicePixelRatio || 1}dppx)`);
    dprQuery.addEventListener("change", onDprChange, { once: true });
  };
  const onDprChange = (): void => {
    resize();
    watchDpr();
  };
  watchDpr();
  cleanups.push(() => dprQuery?.removeEventListener("change", onDprChange));

  // Theme switches in JupyterLab / VS Code change attributes on body or html.
  const mo = new MutationObserver(() => applyTheme());
  for (const target of [document.documentElement, document.body]) {
    mo.observe(target, { attributes: true, attributeFilter: ["class", "data-jp-theme-name", "data-jp-theme-light", "style"] });
  }
  cleanups.push(() => mo.disconnect());
  const darkQuery = window.matchMedia("(prefers-color-scheme: dark)");
  cleanups.push(listen(darkQuery, "change", applyTheme));

  // --------------------------------------------------------- test hook
  root.__pw = {
    screenPositions: () => (renderer ? renderer.screenPositions(true) : new Float32Array(0)),
    get frameCount() {
      return renderer?.frameCount ?? 0;
    },
    get lastDrawCount() {
      return renderer?.lastDrawCount ?? 0;
    },
    selectedCount: () => selCount,
  };

  // ------------------------------------------------------ initial state
  onColumns();
  onPoints();
  onColorBy();
  onDimensionsChange();
  onPointSize();
  onSelected();

  return () => {
    if (rowTimer !== undefined) clearTimeout(rowTimer);
    for (const off of cleanups.splice(0).reverse()) off();
    renderer?.dispose();
    renderer = null;
    delete root.__pw;
    root.remove();
  };
}

export default { render };
