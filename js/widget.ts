/**
 * anywidget entry: builds the view and wires model <-> view. It decodes model
 * state with wire.ts and hands typed arrays to the renderer and the UI; no
 * other module reads or writes the model.
 */
import "./style.css";
import { attachKeyboard } from "./interaction/keyboard";
import { attachPointer } from "./interaction/pointer";
import { toggleIndex, unionSorted } from "./interaction/selection";
import { cameraFromWire, cameraToWire, type CameraWire } from "./scene/camera";
import { composeFlags, hasEmphasis } from "./scene/flags";
import { Renderer, createContext } from "./scene/renderer";
import { Inspector } from "./ui/inspector";
import { LabelOverlay, labelOf } from "./ui/labelOverlay";
import { LassoOverlay } from "./ui/lassoOverlay";
import { Legend } from "./ui/legend";
import { Panel } from "./ui/panel";
import { StatusLine } from "./ui/status";
import { Toolbar } from "./ui/toolbar";
import { Tooltip } from "./ui/tooltip";
import { LocalModel, offlineMessage } from "./standalone/model";
import { decodePayload, type StandalonePayload } from "./standalone/payload";
import { h, listen } from "./ui/dom";
import { cssToRgb, readTheme, type Theme } from "./ui/theme";
import {
  addPointsPart,
  arrivedPoints,
  colorableColumns,
  decodeBookmarks,
  decodeColumns,
  decodeLabels,
  decodeNeighbors,
  decodePoints,
  decodePointsPart,
  decodeProgress,
  decodeQueryPoint,
  decodeReply,
  decodeRowReply,
  decodeSelection,
  decodeSprites,
  encodeSelection,
  type Column,
  type Labels,
  type Neighbors,
  type Points,
  type PointsPart,
  type Progress,
  type QueryPoint,
  type Sprites,
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
  /** Points in the first draw call that drew any (the first part, when sent in parts). */
  readonly firstDrawCount: number;
  /** Rows currently selected. */
  selectedCount(): number;
  /** Neighbours listed in the inspector. */
  neighborCount(): number;
  /** Labels drawn in the last overlay pass. */
  labelCount(): number;
  /** Their boxes: [left, top, width, height] in CSS px. */
  labelBoxes(): number[][];
  /** The projection method in use. */
  projection(): string;
  /** Whether a position transition is running. */
  isAnimating(): boolean;
  /** Render a frame and return it (with labels) as a PNG data URL. */
  exportPNG(): Promise<string>;
}

export type ProjectorRoot = HTMLDivElement & { __pw?: ProjectorTestHook };

const DEFAULT_HEIGHT = 520;
const ROW_CACHE_LIMIT = 2000;
const ROW_REQUEST_DELAY_MS = 60;
/** A selection message above this many bytes may leave the page in several socket writes. */
const SOCKET_WRITE_BYTES = 64 * 1024;
/** Longest wait for the kernel's receipt of a large selection before redrawing anyway. */
const ACK_WAIT_MS = 1000;
/** Quiet time after a camera gesture before the camera is synced to Python. */
const CAMERA_SYNC_MS = 250;
/** The panel opens by default when the widget is at least this wide. */
const PANEL_MIN_WIDTH = 700;
/** The inspector's width (style.css) and the stage width from which fits keep clear of it. */
const INSPECTOR_WIDTH = 210;
const INSPECTOR_FIT_MIN_WIDTH = 480;

function numberOr(x: unknown, fallback: number): number {
  return typeof x === "number" && Number.isFinite(x) ? x : fallback;
}

function stringOr(x: unknown, fallback: string): string {
  return typeof x === "string" ? x : fallback;
}

function render({ model, el }: RenderProps): () => void {
  const root = h("div", "projector-widget pw-root") as ProjectorRoot;
  root.tabIndex = 0;
  // Keys typed in the widget (search boxes, Escape, ...) are ours, not notebook shortcuts:
  // Lumino skips its keybindings for events from inside such an element.
  root.dataset.lmSuppressShortcuts = "true";
  root.dataset.pSuppressShortcuts = "true";
  const toolbarSlot = h("div", "pw-toolbar-slot");
  const body = h("div", "pw-body");
  const stage = h("div", "pw-stage");
  const canvas = h("canvas", "pw-canvas");
  const labelOverlay = new LabelOverlay();
  const lassoOverlay = new LassoOverlay();
  const legend = new Legend();
  const tooltip = new Tooltip();
  const status = new StatusLine();
  const errorLine = h("div", "pw-error");
  errorLine.setAttribute("role", "alert");
  errorLine.hidden = true;
  const errorText = h("span", "pw-error-text");
  const errorDismiss = h("button", "pw-error-dismiss", "\u00d7");
  errorDismiss.type = "button";
  errorDismiss.title = "Dismiss";
  errorDismiss.setAttribute("aria-label", "Dismiss the error");
  errorLine.append(errorText, errorDismiss);
  stage.append(canvas, labelOverlay.el, lassoOverlay.el, legend.el, tooltip.el);
  root.append(toolbarSlot, errorLine, body, status.el);
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
  const setModel = (key: string, value: unknown): void => {
    model.set(key, value);
    model.save_changes();
  };
  /** A saved page: a local model, no kernel. */
  const standaloneMode = model.get("_standalone") === true;
  const send = (msg: Record<string, unknown>): void => {
    showError("");
    model.send(msg);
  };
  const showError = (message: string): void => {
    errorText.textContent = message;
    errorLine.hidden = message === "";
  };
  cleanups.push(listen(errorDismiss, "click", () => showError("")));

  // ------------------------------------------------------------- state
  /** What is drawn: the rows of `received` that have arrived. */
  let points: Points | null = null;
  /** `_points` as decoded, filled in as later parts arrive. */
  let received: Points | null = null;
  let columns: Column[] = [];
  let selection: Uint32Array = new Uint32Array(0);
  let flags: Uint8Array = new Uint8Array(0);
  let selCount = 0;
  let lastSentSelection: unknown = null;
  let lastSentCamera: CameraWire | null = null;
  let pendingCamera: unknown = null;
  let hoverIndex = -1;
  let hoverX = 0;
  let hoverY = 0;
  let focus = -1;
  let neighbors: Neighbors | null = null;
  let queryDismissed = false;
  let labels: Labels | null = null;
  let queryPoint: QueryPoint | null = null;
  let sprites: Sprites | null = null;
  let progress: Progress = decodeProgress(null);
  let awaitingFirstFrame = false;
  let theme: Theme = { background: [255, 255, 255], foreground: [33, 33, 33] };
  let accent: [number, number, number] = [25, 118, 210];
  let fontFamily = "sans-serif";
  const rowCache = new Map<number, [string, string][]>();
  const rowPending = new Set<number>();
  let rowTimer: ReturnType<typeof setTimeout> | undefined;
  let cameraTimer: ReturnType<typeof setTimeout> | undefined;

  const n = (): number => points?.n ?? 0;
  const updateStatus = (): void => status.set(n(), selCount, received?.n ?? n());

  // ------------------------------------------------------------ renderer
  const gl = createContext(canvas);
  let renderer: Renderer | null = null;
  let firstDrawCount = 0;
  let toldDrawn = false;
  let failure = "";
  const drawLabels = (): void => {
    const r = renderer;
    if (!r) return;
    const vp = r.getViewport();
    const q = queryActive() && queryPoint && queryPoint.dims === points?.dims ? queryPoint : null;
    const qs = q ? r.project(q.coords) : null;
    labelOverlay.draw(
      {
        width: vp.width,
        height: vp.height,
        dpr: window.devicePixelRatio || 1,
        foreground: theme.foreground,
        background: theme.background,
        accent,
        labels,
        hover: hoverIndex,
        ringHover: !r.drawsHover,
        focus,
        neighbors: activeNeighbors(),
        selection,
        positionsOf: (rows) => r.positionsOf(rows),
        query: q && qs ? { x: qs[0], y: qs[1], text: q.text } : null,
        reserved: legend.el.hidden
          ? []
          : [[legend.el.offsetLeft, legend.el.offsetTop, legend.el.offsetLeft + legend.el.offsetWidth, legend.el.offsetTop + legend.el.offsetHeight]],
      },
      fontFamily,
    );
  };
  if (gl) {
    try {
      renderer = new Renderer(canvas, gl, {
        onFrame: ({ frame, drawn }) => {
          root.setAttribute("data-frame", String(frame));
          drawLabels();
          if (drawn > 0 && firstDrawCount === 0) firstDrawCount = drawn;
          if (drawn > 0 && root.getAttribute("data-ready") !== "1") root.setAttribute("data-ready", "1");
          // Every point drawn (data-ready comes with the first part when points arrive in parts).
          const all = drawn > 0 && drawn === received?.n;
          if (all !== (root.getAttribute("data-complete") === "1")) root.setAttribute("data-complete", all ? "1" : "0");
          if (all && !toldDrawn) {
            // The kernel holds back background work (the PCA of every row) until this frame is
            // on screen: two animation frames later (a software rasteriser needs the CPU too).
            toldDrawn = true;
            if (!standaloneMode) requestAnimationFrame(() => requestAnimationFrame(() => model.send({ type: "drawn" })));
          }
        },
        onContextLost: (lost) => root.classList.toggle("pw-context-lost", lost),
        onFit: () => scheduleCameraSync(),
      });
    } catch (err) {
      failure = `The WebGL2 renderer could not start: ${err instanceof Error ? err.message : String(err)}`;
    }
  } else {
    failure =
      "This projector needs WebGL2, which is not available here. Enable hardware acceleration or " +
      "WebGL in the browser settings, or open the notebook in a current Chrome, Edge, Firefox or Safari.";
  }

  // ------------------------------------------------------ camera sync
  function scheduleCameraSync(): void {
    if (cameraTimer !== undefined) clearTimeout(cameraTimer);
    cameraTimer = setTimeout(() => {
      cameraTimer = undefined;
      const cam = renderer?.camera;
      if (!cam) return;
      const wire = cameraToWire(cam);
      lastSentCamera = wire;
      setModel("camera", wire);
    }, CAMERA_SYNC_MS);
  }

  /** Apply a camera from Python once points of its dimensionality are shown. */
  const applyPendingCamera = (): void => {
    if (pendingCamera === null || !renderer || !points) return;
    const cam = cameraFromWire(pendingCamera, points.dims, renderer.dataRadius);
    if (!cam) {
      const dims = (pendingCamera as { dims?: unknown }).dims;
      if (dims !== 2 && dims !== 3) pendingCamera = null; // empty or malformed: nothing to wait for
      return;
    }
    pendingCamera = null;
    renderer.applyCamera(cam);
  };

  // ------------------------------------------------------ emphasis state

  /** The semantic query is what the inspector shows (no focus, query not dismissed). */
  function queryActive(): boolean {
    return focus < 0 && !queryDismissed && neighbors !== null && neighbors.index === -1 && neighbors.query !== null;
  }

  /** Neighbours that belong to what is inspected now. */
  function activeNeighbors(): Uint32Array {
    if (!neighbors) return new Uint32Array(0);
    if (focus >= 0) return neighbors.index === focus ? neighbors.indices : new Uint32Array(0);
    return queryActive() ? neighbors.indices : new Uint32Array(0);
  }

  const updateFlags = (): void => {
    if (flags.length !== n()) flags = new Uint8Array(n());
    const inputs = { selected: selection, neighbors: activeNeighbors(), focus, visible: points?.visible ?? null };
    selCount = composeFlags(flags, inputs);
    renderer?.setSelection(flags, selCount, hasEmphasis(inputs));
    updateStatus();
    panel.setSelectedCount(selCount);
  };

  const updateInspector = (): void => {
    const label = focus >= 0 && labels ? (labelOf(labels, focus) ?? "") : "";
    inspector.show(focus, label, queryActive() && neighbors ? neighbors.query : null, neighbors);
    root.classList.toggle("pw-inspecting", !inspector.el.hidden);
  };

  /**
   * Rebuild the per-point flags (and redraw) after ``delayMs``, or sooner: a later call with a
   * shorter delay, or the kernel's receipt of the selection, brings it forward.
   */
  let flagsTimer = 0;
  let flagsDue = Infinity;
  cleanups.push(() => window.clearTimeout(flagsTimer));
  const scheduleFlags = (delayMs: number): void => {
    const due = performance.now() + delayMs;
    if (flagsTimer && due >= flagsDue) return;
    window.clearTimeout(flagsTimer);
    flagsDue = due;
    flagsTimer = window.setTimeout(() => {
      flagsTimer = 0;
      flagsDue = Infinity;
      updateFlags();
    }, delayMs);
  };

  /** Apply a selection (sorted unique indices); send it to Python when it came from a gesture. */
  const applySelection = (indices: Uint32Array, fromUser: boolean): void => {
    selection = indices;
    if (!fromUser) {
      updateFlags();
      return;
    }
    const wire = encodeSelection(indices);
    lastSentSelection = wire;
    setModel("selected", wire);
    // The model sends from promise callbacks, and a message larger than one socket write needs
    // this thread again to leave the page, while uploading flags and redrawing a million points
    // can hold it for a whole (software-rendered) frame. So the rebuild waits for a later task,
    // and for a large selection until the kernel acknowledges it (at most ACK_WAIT_MS).
    const large = !standaloneMode && wire.indices.byteLength > SOCKET_WRITE_BYTES;
    scheduleFlags(large ? ACK_WAIT_MS : 0);
  };

  const setFocus = (index: number): void => {
    if (index === focus) return;
    focus = index;
    if (index >= 0) queryDismissed = false;
    setModel("focus", index);
    updateFlags();
    updateInspector();
    renderer?.requestRender();
  };

  const currentColumn = (): Column | null => {
    const name = stringOr(model.get("color_by"), "");
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

  // ------------------------------------------------------- panel toggle
  let panelOpen = false;
  let panelChosen = false;
  const setPanelOpen = (open: boolean): void => {
    panelOpen = open;
    panel.el.hidden = !open;
    root.classList.toggle("pw-panel-open", open);
    toolbar.setPanelOpen(open);
  };

  // ----------------------------------------------------------- toolbar
  const exportPNG = async (): Promise<string> => {
    const r = renderer;
    const out = document.createElement("canvas");
    out.width = canvas.width;
    out.height = canvas.height;
    const ctx = out.getContext("2d");
    if (!ctx) throw new Error("no 2-D canvas");
    ctx.fillStyle = `rgb(${theme.background.join(",")})`;
    ctx.fillRect(0, 0, out.width, out.height);
    if (r) {
      r.draw(); // read right after drawing
      drawLabels();
      ctx.drawImage(canvas, 0, 0);
      ctx.drawImage(labelOverlay.el, 0, 0, out.width, out.height);
    }
    return out.toDataURL("image/png");
  };

  const toolbar = new Toolbar({
    onColorBy: (name) => {
      setModel("color_by", name);
      onColorBy();
    },
    onDimensions: (dims) => {
      toolbar.setDimensions(dims);
      panel.setDimensions(dims);
      if (model.get("dimensions") !== dims) setModel("dimensions", dims);
    },
    onFit: () => renderer?.fit(),
    onClear: () => clearAll(),
    onTogglePanel: () => {
      panelChosen = true;
      setPanelOpen(!panelOpen);
    },
    onImages: (show) => {
      setModel("show_images", show);
      onShowImages();
    },
    onExport: () => {
      void exportPNG().then((url) => {
        const a = document.createElement("a");
        a.href = url;
        a.download = "projector.png";
        a.click();
      });
    },
  });
  toolbarSlot.replaceWith(toolbar.el);
  cleanups.push(() => toolbar.dispose());

  // ------------------------------------------------------------- panel
  const panel = new Panel({
    project: (method, params) => send({ type: "project", method, params }),
    control: (action) => send({ type: "control", action }),
    spherize: (on) => setModel("spherize", on),
    search: (query, column, regex) => send({ type: "search", query, column, regex }),
    query: (text) => {
      queryDismissed = false;
      send({ type: "query", text });
    },
    labelBy: (column) => setModel("label_by", column),
    isolate: (isolated) => send({ type: isolated ? "show_all" : "isolate" }),
    editLabel: (column, value) => {
      panel.setEditStatus("");
      send({ type: "label", column, value });
    },
    bookmark: (action, name) => send({ type: "bookmark", action, name }),
  });
  cleanups.push(() => panel.dispose());

  const inspector = new Inspector({
    focus: (index) => setFocus(index),
    k: (k) => setModel("k_neighbors", k),
    metric: (m) => setModel("metric", m),
    close: () => {
      if (focus >= 0) setFocus(-1);
      else {
        queryDismissed = true;
        updateFlags();
        updateInspector();
        renderer?.requestRender();
      }
    },
    hover: (index) => {
      renderer?.setHover(index);
    },
  });
  cleanups.push(() => inspector.dispose());
  body.append(panel.el, stage, inspector.el);
  setPanelOpen(false);

  // A saved page (standalone): no kernel, so offer only what works offline.
  if (standaloneMode) {
    const saved = model.get("_standalone_dims");
    root.classList.add("pw-standalone");
    toolbar.setStandalone(Array.isArray(saved) ? saved.filter((d): d is number => typeof d === "number") : [2, 3]);
    panel.setStandalone();
    inspector.setOffline(offlineMessage("focus"));
  }

  // ------------------------------------------------------ model -> view
  const onPoints = (): void => {
    const prevN = n();
    try {
      received = decodePoints(model.get("_points"));
    } catch (err) {
      console.error("projector-widget: ignoring malformed _points", err);
      received = null;
    }
    points = received ? arrivedPoints(received) : null;
    if (received && received.loaded < received.n) {
      // Draw the first part now and ask for the rest.
      model.send({ type: "points", version: received.version, start: received.loaded });
    }
    hoverIndex = -1;
    tooltip.hide();
    renderer?.setHover(-1);
    const running = progress.state === "running" || progress.state === "paused";
    renderer?.setStreaming(running && !awaitingFirstFrame);
    awaitingFirstFrame = false;
    renderer?.setPoints(points);
    if (n() !== prevN) forgetRows();
    updateFlags();
    legend.show(currentColumn(), n());
    applyPendingCamera();
  };

  const onColumns = (): void => {
    columns = decodeColumns(model.get("_columns"));
    forgetRows();
    renderer?.setColumns(columns);
    toolbar.setColumns(colorableColumns(columns), stringOr(model.get("color_by"), ""));
    panel.setColumns(columns, stringOr(model.get("label_by"), ""));
    legend.show(currentColumn(), n());
  };

  const onColorBy = (): void => {
    const colorBy = stringOr(model.get("color_by"), "");
    toolbar.setColorBy(colorBy);
    renderer?.setColorBy(colorBy);
    legend.show(currentColumn(), n());
  };

  const onSelected = (): void => {
    const value = model.get("selected");
    if (value === lastSentSelection) return; // our own echo
    applySelection(decodeSelection(value), false);
  };

  const onDimensionsChange = (): void => {
    const d = numberOr(model.get("dimensions"), 2);
    toolbar.setDimensions(d);
    panel.setDimensions(d);
  };
  const onPointSize = (): void => renderer?.setPointSize(numberOr(model.get("point_size"), 0));

  const onProjection = (): void => {
    panel.setProjection(stringOr(model.get("projection"), "pca"), model.get("projection_params"));
  };
  const onPcaVariance = (): void => {
    const v = model.get("_pca_variance");
    panel.setPcaVariance(Array.isArray(v) ? v.map((x) => numberOr(x, NaN)) : []);
  };
  const onProgress = (): void => {
    const prev = progress;
    progress = decodeProgress(model.get("_progress"));
    const running = progress.state === "running" || progress.state === "paused";
    const wasRunning = prev.state === "running" || prev.state === "paused";
    if (running && !wasRunning) awaitingFirstFrame = true;
    renderer?.setStreaming(running && !awaitingFirstFrame);
    if (progress.state === "error" && progress.message) showError(progress.message);
    panel.setProgress(progress);
  };
  const onSpherize = (): void => panel.setSpherize(model.get("spherize") === true);
  const onLabelBy = (): void => panel.setLabelBy(stringOr(model.get("label_by"), ""));
  const onLabels = (): void => {
    try {
      labels = decodeLabels(model.get("_labels"));
    } catch (err) {
      console.error("projector-widget: ignoring malformed _labels", err);
      labels = null;
    }
    updateInspector();
    renderer?.requestRender();
  };
  const onFocus = (): void => {
    const f = Math.floor(numberOr(model.get("focus"), -1));
    focus = f >= 0 && f < n() ? f : -1;
    if (focus >= 0) queryDismissed = false;
    updateFlags();
    updateInspector();
    renderer?.requestRender();
  };
  const onNeighbors = (): void => {
    try {
      neighbors = decodeNeighbors(model.get("_neighbors"));
    } catch (err) {
      console.error("projector-widget: ignoring malformed _neighbors", err);
      neighbors = null;
    }
    if (neighbors && neighbors.index === -1) queryDismissed = false;
    updateFlags();
    updateInspector();
    renderer?.requestRender();
  };
  const onK = (): void => inspector.setK(numberOr(model.get("k_neighbors"), 10));
  const onMetric = (): void => inspector.setMetric(stringOr(model.get("metric"), "cosine"));
  const onQueryPoint = (): void => {
    queryPoint = decodeQueryPoint(model.get("_query_point"));
    renderer?.requestRender();
  };
  const onHasEncoder = (): void => panel.setHasEncoder(model.get("_has_encoder") === true);
  const onIsolated = (): void => panel.setIsolated(model.get("_isolated") === true);
  const onSprites = (): void => {
    try {
      sprites = decodeSprites(model.get("_sprites"));
    } catch (err) {
      console.error("projector-widget: ignoring malformed _sprites", err);
      sprites = null;
    }
    const err = renderer?.setSprites(sprites) ?? "";
    if (err) {
      sprites = null;
      showError(err);
    }
    onShowImages();
  };
  const onShowImages = (): void => {
    const on = model.get("show_images") === true;
    toolbar.setImages(sprites !== null, on);
    renderer?.setShowImages(on && sprites !== null);
  };
  const onBookmarks = (): void => panel.setBookmarks(decodeBookmarks(model.get("bookmarks")));
  const onCamera = (): void => {
    const value = model.get("camera");
    if (value === lastSentCamera) return; // our own echo
    pendingCamera = value ?? null;
    // Apply after the rest of this batch of changes (a bookmark may bring new points too).
    setTimeout(applyPendingCamera, 0);
  };

  /** A later part of `_points` arrived: draw the grown set. */
  const onPointsPart = (part: PointsPart): void => {
    const grown = received ? addPointsPart(received, part) : null;
    if (!grown) return; // superseded by a newer `_points`
    received = grown;
    points = arrivedPoints(grown);
    renderer?.extendPoints(points);
    updateFlags();
    legend.show(currentColumn(), n());
  };

  const onCustom = (msg: unknown, buffers?: unknown): void => {
    const part = decodePointsPart(msg, buffers);
    if (part) {
      onPointsPart(part);
      return;
    }
    const reply = decodeRowReply(msg);
    if (reply) {
      if (!rowPending.has(reply.index)) return; // stale or unknown
      rowPending.delete(reply.index);
      rowCache.set(reply.index, reply.values);
      if (rowCache.size > ROW_CACHE_LIMIT) {
        const oldest = rowCache.keys().next();
        if (!oldest.done) rowCache.delete(oldest.value);
      }
      if (reply.index === hoverIndex) showTooltip();
      return;
    }
    const r = decodeReply(msg);
    if (!r) return;
    if (r.type === "selected_ack") {
      if (flagsTimer) scheduleFlags(0);
    } else if (r.type === "error") {
      showError(r.message);
    } else if (r.type === "search") {
      showError("");
      panel.setSearchCount(r.count);
    } else {
      showError("");
      forgetRows();
      panel.setEditStatus(`Set \u201c${r.column}\u201d on ${r.count.toLocaleString("en-US")} point${r.count === 1 ? "" : "s"}`);
    }
  };

  modelOn("change:_points", onPoints);
  modelOn("change:_columns", onColumns);
  modelOn("change:color_by", onColorBy);
  modelOn("change:selected", onSelected);
  modelOn("change:dimensions", onDimensionsChange);
  modelOn("change:height", applyHeight);
  modelOn("change:point_size", onPointSize);
  modelOn("change:projection", onProjection);
  modelOn("change:projection_params", onProjection);
  modelOn("change:_pca_variance", onPcaVariance);
  modelOn("change:_progress", onProgress);
  modelOn("change:spherize", onSpherize);
  modelOn("change:label_by", onLabelBy);
  modelOn("change:_labels", onLabels);
  modelOn("change:focus", onFocus);
  modelOn("change:_neighbors", onNeighbors);
  modelOn("change:k_neighbors", onK);
  modelOn("change:metric", onMetric);
  modelOn("change:_query_point", onQueryPoint);
  modelOn("change:_has_encoder", onHasEncoder);
  modelOn("change:_isolated", onIsolated);
  modelOn("change:_sprites", onSprites);
  modelOn("change:show_images", onShowImages);
  modelOn("change:bookmarks", onBookmarks);
  modelOn("change:camera", onCamera);
  modelOn("msg:custom", onCustom as Handler);

  // ------------------------------------------------------- view -> model
  /** Clear the selection and the focus (Escape, Clear, a click on empty space). */
  function clearAll(): void {
    if (selection.length > 0) applySelection(new Uint32Array(0), true);
    if (focus >= 0) setFocus(-1);
  }

  if (renderer) {
    const r = renderer;
    cleanups.push(
      attachPointer(canvas, {
        getCamera: () => r.camera,
        setCamera: (cam) => {
          r.camera = cam;
          scheduleCameraSync();
        },
        getViewport: () => r.getViewport(),
        pick: (x, y) => r.pick(x, y),
        hover: (index, x, y) => {
          hoverIndex = index;
          hoverX = x;
          hoverY = y;
          r.setHover(index);
          if (!r.drawsHover) drawLabels(); // the ring is on the overlay: no redraw of the points
          showTooltip();
          if (index >= 0) requestRow(index);
        },
        click: (index, toggle) => {
          if (index < 0) {
            if (!toggle) clearAll();
          } else if (toggle) {
            applySelection(toggleIndex(selection, index), true);
          } else {
            if (!(selection.length === 1 && selection[0] === index)) applySelection(Uint32Array.of(index), true);
            setFocus(index);
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
  cleanups.push(attachKeyboard(root, { clearSelection: clearAll }));

  // ------------------------------------------------------ size and theme
  const applyTheme = (): void => {
    theme = readTheme(root);
    const cs = getComputedStyle(root);
    accent = cssToRgb(cs.getPropertyValue("--pw-accent").trim(), [25, 118, 210]);
    fontFamily = cs.fontFamily || "sans-serif";
    renderer?.setTheme(theme.background, theme.foreground, accent);
  };
  const resize = (): void => {
    const w = stage.clientWidth;
    const hgt = stage.clientHeight;
    if (w > 0 && hgt > 0) {
      applyTheme(); // computed styles are only meaningful once attached
      // Fits leave room for the inspector (it floats over the right edge).
      renderer?.setFitInsetRight(w >= INSPECTOR_FIT_MIN_WIDTH ? inspector.el.offsetWidth || INSPECTOR_WIDTH : 0);
      renderer?.resize(w, hgt, window.devicePixelRatio || 1);
    }
  };
  const ro = new ResizeObserver(resize);
  ro.observe(stage);
  cleanups.push(() => ro.disconnect());
  // Open the panel by default on wide widgets (until the user chooses).
  const rootRo = new ResizeObserver(() => {
    const w = root.clientWidth;
    if (!panelChosen && w > 0) setPanelOpen(w > PANEL_MIN_WIDTH);
  });
  rootRo.observe(root);
  cleanups.push(() => rootRo.disconnect());

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

  // Theme switches in JupyterLab / VS Code change attributes on body or html
  // (JupyterLab also swaps its theme stylesheet: re-read a frame later too).
  const mo = new MutationObserver(() => {
    applyTheme();
    requestAnimationFrame(applyTheme);
  });
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
    get firstDrawCount() {
      return firstDrawCount;
    },
    get lastDrawCount() {
      return renderer?.lastDrawCount ?? 0;
    },
    selectedCount: () => selCount,
    neighborCount: () => inspector.neighborCount,
    labelCount: () => labelOverlay.count,
    labelBoxes: () => labelOverlay.boxes.map((b) => [...b]),
    projection: () => stringOr(model.get("projection"), ""),
    isAnimating: () => renderer?.animating ?? false,
    exportPNG,
  };

  // ------------------------------------------------------ initial state
  onColumns();
  onProgress();
  onPoints();
  onColorBy();
  onDimensionsChange();
  onPointSize();
  onPcaVariance();
  onProjection();
  onSpherize();
  onLabels();
  onNeighbors();
  onK();
  onMetric();
  onQueryPoint();
  onHasEncoder();
  onIsolated();
  onSprites();
  onBookmarks();
  onSelected();
  onFocus();
  onCamera();

  return () => {
    if (rowTimer !== undefined) clearTimeout(rowTimer);
    if (cameraTimer !== undefined) clearTimeout(cameraTimer);
    for (const off of cleanups.splice(0).reverse()) off();
    renderer?.dispose();
    renderer = null;
    delete root.__pw;
    root.remove();
  };
}

export type { StandalonePayload };

/**
 * Render a saved page's payload (from `Projector.save_html`) into `el`
 * against an in-memory model; returns the cleanup function.
 */
export function standalone(el: HTMLElement, payload: StandalonePayload): () => void {
  let model: LocalModel;
  try {
    model = new LocalModel(decodePayload(payload));
  } catch (err) {
    console.error("projector-widget: cannot open the saved page", err);
    const message = h("div", "projector-widget pw-message", `This saved projector could not be opened: ${err instanceof Error ? err.message : String(err)}`);
    message.setAttribute("role", "alert");
    el.append(message);
    return () => message.remove();
  }
  const cleanup = render({ model, el });
  return () => {
    cleanup();
    model.dispose();
  };
}

export default { render };
