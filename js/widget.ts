/**
 * anywidget entry. `initialize` (once per model) creates what every view of the model shares
 * (shared/shared.ts: the points as they arrive, tooltip rows, the kernel's replies). `render`
 * (once per view) composes a view of it: the shell, the stage (renderer and overlays), the
 * controls and the view state; it binds each model key to what it drives, attaches pointer,
 * keyboard and the test hook, and returns the cleanup. `standalone` does both for a saved page.
 */
import "./style.css";
import { bind, decodeAt, type ModelKey, numberAt, save, stringAt, type WidgetModel } from "./model";
import { send } from "./protocol";
import type { PointsChange } from "./shared/points";
import { initialize, sharedOf } from "./shared/shared";
import { LocalModel } from "./standalone/model";
import { decodePayload, type StandalonePayload } from "./standalone/payload";
import { h } from "./ui/dom";
import { labelOf } from "./ui/labelOverlay";
import { StatusLine } from "./ui/status";
import { CameraSync } from "./view/cameraSync";
import { bindControls, createControls } from "./view/controls";
import { attachGestures } from "./view/gestures";
import { Hover } from "./view/hover";
import { createShell, DEFAULT_HEIGHT, panelToggle, watchSize, watchTheme } from "./view/shell";
import { Stage } from "./view/stage";
import { FlagsSchedule, selectionRedrawDelay, ViewState } from "./view/state";
import { attachTestHook, viewTestHook } from "./view/testHook";
import * as wire from "./wire";

export interface RenderProps {
  model: WidgetModel;
  el: HTMLElement;
}

function render({ model, el }: RenderProps): () => void {
  const shared = sharedOf(model);
  const kernel = model.get("_standalone") !== true;
  const status = new StatusLine();
  const shell = createShell(el, status.el);
  const state = new ViewState();
  const offs: (() => void)[] = [];
  // Model values as this view draws them.
  let points: wire.Points | null = null;
  let columns: wire.Column[] = [];
  let labels: wire.Labels | null = null;
  let queryPoint: wire.QueryPoint | null = null;
  let sprites: wire.Sprites | null = null;
  let progress = wire.decodeProgress(null);
  let awaitingFirstFrame = false;
  let lastSentSelection: unknown = null;
  const n = (): number => points?.n ?? 0;
  const shownQuery = (): wire.QueryPoint | null => (state.queryActive() && queryPoint?.dims === points?.dims ? queryPoint : null);

  const camera = new CameraSync({
    camera: () => stage.renderer?.camera ?? null,
    shown: () => (stage.renderer && points ? { dims: points.dims, radius: stage.renderer.dataRadius } : null),
    apply: (cam) => stage.renderer?.applyCamera(cam),
    write: (value) => save(model, "camera", value),
  });
  const stage: Stage = new Stage(shell, {
    total: () => shared.points.received?.n ?? 0,
    allDrawn: () => shared.allDrawn(),
    fitted: () => camera.moved(),
    labels: () => ({
      labels,
      hover: hover.index,
      focus: state.focus,
      neighbors: state.activeNeighbors(),
      selection: state.selection,
      query: shownQuery(),
    }),
  });

  const hover = new Hover(stage.tooltip, shared.rows, shell.stage, () => columns.length > 0);

  // ------------------------------------------------------------ emphasis
  const updateFlags = (): void => {
    const { flags, count, emphasis } = state.composeFlags(n(), points?.visible ?? null);
    stage.renderer?.setSelection(flags, count, emphasis);
    status.set(n(), count, shared.points.received?.n ?? n());
    panel.setSelectedCount(count);
  };
  const flagsSchedule = new FlagsSchedule(updateFlags);
  const updateInspector = (): void => {
    const label = state.focus >= 0 && labels ? (labelOf(labels, state.focus) ?? "") : "";
    inspector.show(state.focus, label, state.queryActive() && state.neighbors ? state.neighbors.query : null, state.neighbors);
    shell.root.classList.toggle("pw-inspecting", !inspector.el.hidden);
  };
  const emphasisChanged = (): void => {
    updateFlags();
    updateInspector();
    stage.renderer?.requestRender();
  };
  /** Apply a selection (sorted unique indices); send it to Python when it came from a gesture. */
  const applySelection = (indices: Uint32Array, fromUser: boolean): void => {
    state.selection = indices;
    if (!fromUser) {
      updateFlags();
      return;
    }
    const value = wire.encodeSelection(indices);
    lastSentSelection = value;
    save(model, "selected", value);
    flagsSchedule.schedule(selectionRedrawDelay(value.indices.byteLength, kernel));
  };
  const setFocus = (index: number): void => {
    if (index === state.focus) return;
    state.setFocus(index);
    save(model, "focus", index);
    emphasisChanged();
  };
  /** Clear the selection and the focus (Escape, Clear, a click on empty space). */
  const clearAll = (): void => {
    if (state.selection.length > 0) applySelection(new Uint32Array(0), true);
    if (state.focus >= 0) setFocus(-1);
  };

  // ------------------------------------------------------------ controls
  const controls = createControls(
    model,
    {
      request: (req) => {
        shell.showError("");
        send(model, req);
      },
      colorByChanged: () => onColorBy(),
      showImagesChanged: () => onShowImages(),
      fit: () => stage.renderer?.fit(),
      clearAll,
      togglePanel: () => panelOpen.toggle(),
      download: () => stage.download(),
      setFocus,
      setQueryDismissed: (dismissed) => {
        state.queryDismissed = dismissed;
        if (dismissed) emphasisChanged();
      },
      hover: (index) => stage.renderer?.setHover(index),
    },
    () => state.focus,
  );
  const { toolbar, panel, inspector } = controls;
  shell.toolbarSlot.replaceWith(toolbar.el);
  shell.body.append(panel.el, shell.stage, inspector.el);
  const panelOpen = panelToggle(shell.root, (open) => {
    panel.el.hidden = !open;
    toolbar.setPanelOpen(open);
  });
  if (!kernel) shell.root.classList.add("pw-standalone");

  // -------------------------------------------------------- model -> view
  const currentColumn = (): wire.Column | null => columns.find((c) => c.name === stringAt(model, "color_by", "")) ?? null;
  const showPoints = (change: PointsChange): void => {
    points = shared.points.arrived;
    if (change === "grown" && points) {
      stage.renderer?.extendPoints(points);
    } else {
      hover.clear();
      stage.renderer?.setHover(-1);
      const running = progress.state === "running" || progress.state === "paused";
      stage.renderer?.setStreaming(running && !awaitingFirstFrame);
      awaitingFirstFrame = false;
      stage.renderer?.setPoints(points);
    }
    updateFlags();
    stage.legend.show(currentColumn(), n());
    if (change === "replaced") camera.applyPending();
  };
  const onColorBy = (): void => {
    const colorBy = stringAt(model, "color_by", "");
    toolbar.setColorBy(colorBy);
    stage.renderer?.setColorBy(colorBy);
    stage.legend.show(currentColumn(), n());
  };
  const onShowImages = (): void => {
    const on = model.get("show_images") === true;
    toolbar.setImages(sprites !== null, on);
    stage.renderer?.setShowImages(on && sprites !== null);
  };
  const bindings: [ModelKey, () => void][] = [
    ["height", () => shell.setHeight(numberAt(model, "height", DEFAULT_HEIGHT))],
    [
      "_columns",
      () => {
        columns = wire.decodeColumns(model.get("_columns"));
        stage.renderer?.setColumns(columns);
        toolbar.setColumns(wire.colorableColumns(columns), stringAt(model, "color_by", ""));
        panel.setColumns(columns, stringAt(model, "label_by", ""));
        stage.legend.show(currentColumn(), n());
      },
    ],
    [
      "_progress",
      () => {
        const wasRunning = progress.state === "running" || progress.state === "paused";
        progress = wire.decodeProgress(model.get("_progress"));
        const running = progress.state === "running" || progress.state === "paused";
        if (running && !wasRunning) awaitingFirstFrame = true;
        stage.renderer?.setStreaming(running && !awaitingFirstFrame);
        if (progress.state === "error" && progress.message) shell.showError(progress.message);
        panel.setProgress(progress);
      },
    ],
    ["color_by", onColorBy],
    ["point_size", () => stage.renderer?.setPointSize(numberAt(model, "point_size", 0))],
    [
      "_labels",
      () => {
        labels = decodeAt(model, "_labels", wire.decodeLabels);
        updateInspector();
        stage.renderer?.requestRender();
      },
    ],
    [
      "_neighbors",
      () => {
        state.setNeighbors(decodeAt(model, "_neighbors", wire.decodeNeighbors));
        emphasisChanged();
      },
    ],
    [
      "_query_point",
      () => {
        queryPoint = wire.decodeQueryPoint(model.get("_query_point"));
        stage.renderer?.requestRender();
      },
    ],
    [
      "_sprites",
      () => {
        sprites = decodeAt(model, "_sprites", wire.decodeSprites);
        const err = stage.renderer?.setSprites(sprites) ?? "";
        if (err) {
          sprites = null;
          shell.showError(err);
        }
        onShowImages();
      },
    ],
    ["show_images", onShowImages],
    [
      "selected",
      () => {
        const value = model.get("selected");
        if (value !== lastSentSelection) applySelection(wire.decodeSelection(value), false); // else our own echo
      },
    ],
    [
      "focus",
      () => {
        const f = Math.floor(numberAt(model, "focus", -1));
        state.setFocus(f >= 0 && f < n() ? f : -1);
        emphasisChanged();
      },
    ],
    ["camera", () => camera.changed(model.get("camera"))],
  ];
  offs.push(...bindControls(model, controls));
  for (const [key, handler] of bindings) {
    offs.push(bind(model, key, handler));
    if (key !== "_progress") continue;
    // The points follow the progress (a running layout streams them) and precede the rest.
    offs.push(shared.points.subscribe(showPoints));
    showPoints("replaced");
  }
  offs.push(
    shared.rows.subscribe((index) => hover.rowArrived(index)),
    shared.onReply((r) => {
      if (r.type === "selected_ack") {
        flagsSchedule.ack();
        return;
      }
      shell.showError(r.type === "error" ? r.message : "");
      if (r.type === "search") panel.setSearchCount(r.count);
      if (r.type === "label")
        panel.setEditStatus(`Set \u201c${r.column}\u201d on ${r.count.toLocaleString("en-US")} point${r.count === 1 ? "" : "s"}`);
    }),
  );

  // -------------------------------------------------------- view -> model
  offs.push(
    attachGestures(shell.root, shell.canvas, stage.renderer, stage.lassoOverlay, {
      cameraMoved: () => camera.moved(),
      hover: (index, x, y) => {
        hover.set(index, x, y);
        stage.renderer?.setHover(index);
        if (stage.renderer?.drawsHover === false) stage.drawLabels(); // the ring is on the overlay: no redraw of the points
      },
      selection: () => state.selection,
      select: (indices) => applySelection(indices, true),
      focus: setFocus,
      clearAll,
    }),
    watchSize(shell.stage, () => stage.resize(inspector.el.offsetWidth)),
    watchTheme(() => stage.applyTheme()),
    () => panelOpen.dispose(),
    attachTestHook(
      shell.root,
      viewTestHook(
        stage,
        () => state.selectedCount,
        () => inspector.neighborCount,
        () => stringAt(model, "projection", ""),
      ),
    ),
  );

  return () => {
    camera.dispose();
    flagsSchedule.cancel();
    for (const off of offs.splice(0).reverse()) off();
    controls.dispose();
    stage.dispose();
    shell.dispose();
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
    const message = h(
      "div",
      "projector-widget pw-message",
      `This saved projector could not be opened: ${err instanceof Error ? err.message : String(err)}`,
    );
    message.setAttribute("role", "alert");
    el.append(message);
    return () => message.remove();
  }
  const stopModel = initialize({ model });
  const cleanup = render({ model, el });
  return () => {
    cleanup();
    stopModel();
    model.dispose();
  };
}

export default { initialize, render };
