/**
 * anywidget entry. `initialize` (once per model) creates what every view of the model shares
 * (shared/shared.ts: the points as they arrive, tooltip rows, the kernel's replies). `render`
 * (once per view) composes a view of it: the shell, the stage (renderer and overlays), the
 * controls and the view state; it binds each model key to what it drives, attaches pointer,
 * keyboard and the test hook, and returns the cleanup. `standalone` does both for a saved page.
 */
import "./style.css";
import { bind, numberAt, save, stringAt, type WidgetModel } from "./contract/model";
import { decodeSpec, send } from "./contract/protocol";
import { decodeTimeline, type Timeline, timelinePoints } from "./contract/wireTimeline";
import { unionSorted } from "./interaction/selection";
import { missingMessage } from "./shared/points";
import { initialize, sharedOf } from "./shared/shared";
import { LocalModel } from "./standalone/model";
import { decodePayload, type StandalonePayload } from "./standalone/payload";
import { ChartPanel } from "./ui/charts";
import { h } from "./ui/dom";
import { statusActivity } from "./ui/progress";
import { StatusLine } from "./ui/status";
import { MOVED_SHARE, mostMoved, STEP_MS, TimelineBar } from "./ui/timeline";
import { CameraSync } from "./view/cameraSync";
import { bindControls, createControls } from "./view/controls";
import { Drawing } from "./view/drawing";
import { Emphasis } from "./view/emphasis";
import { Explain } from "./view/explain";
import { attachGestures } from "./view/gestures";
import { Hover } from "./view/hover";
import { overviewOf } from "./view/overview";
import { createShell, DEFAULT_HEIGHT, panelToggle, watchSize, watchTheme } from "./view/shell";
import { Stage } from "./view/stage";
import { attachTestHook, viewTestHook } from "./view/testHook";

export interface RenderProps {
  model: WidgetModel;
  el: HTMLElement;
}

function render({ model, el }: RenderProps): () => void {
  const shared = sharedOf(model);
  const kernel = model.get("_standalone") !== true;
  const status = new StatusLine();
  const shell = createShell(el, status.el);
  const camera = new CameraSync({
    camera: () => stage.renderer?.camera ?? null,
    shown: () => (stage.renderer && drawing.points ? { dims: drawing.points.dims, radius: stage.renderer.dataRadius } : null),
    apply: (cam) => {
      stage.renderer?.applyCamera(cam);
      overviewMoved();
    },
    write: (value) => save(model, "camera", value),
  });
  const stage: Stage = new Stage(shell, {
    total: () => shared.points.received?.n ?? 0,
    allDrawn: () => shared.allDrawn(),
    fitted: () => {
      camera.moved();
      overviewMoved();
    },
    labels: () => {
      const { state } = emphasis;
      const q = drawing.queryPoint;
      const query = state.queryActive() && q?.dims === drawing.points?.dims ? q : null;
      const { selection, focus } = state;
      return {
        labels: emphasis.labels,
        hover: hover.index,
        focus,
        neighbors: state.activeNeighbors(),
        selection,
        query,
        clusters: explain.shownClusters,
      };
    },
    framed: () => explain.frame(),
  });
  const hover = new Hover(stage.tooltip, shared.rows, shell.stage, () => drawing.columns.length > 0);

  // The controls, and the panel beside the stage (open by default on wide widgets).
  const controls = createControls(
    model,
    {
      request: (req) => {
        shell.showError("");
        send(model, req);
      },
      colorByChanged: () => drawing.showColorBy(),
      showImagesChanged: () => drawing.showImages(),
      fit: () => stage.renderer?.fit(),
      clearAll: () => emphasis.clearAll(),
      togglePanel: () => panelOpen.toggle(),
      download: () => stage.download(),
      setFocus: (index) => emphasis.setFocus(index),
      setQueryDismissed: (dismissed) => emphasis.setQueryDismissed(dismissed),
      hover: (index) => stage.renderer?.setHover(index),
    },
    () => emphasis.state.focus,
  );
  const { toolbar, panel, inspector } = controls;
  shell.toolbarSlot.replaceWith(toolbar.el);
  shell.body.append(panel.el, shell.stage, inspector.el);
  const panelOpen = panelToggle(shell.root, (open) => {
    panel.el.hidden = !open;
    toolbar.setPanelOpen(open);
  });
  if (!kernel) shell.root.classList.add("pw-standalone");
  // A sequence's steps (Projector.sequence): slider and play under the plot; a step's positions
  // come from _timeline and replace the drawn ones, which the renderer animates on the GPU.
  let steps: Timeline | null = null;
  let stepsOpened = false;
  // The kernel says whether its view is the sequence's own layouts (one rule, kept there).
  const sequenceShown = (): boolean => model.get("_timeline_active") === true;
  const timeline = new TimelineBar({
    show: (step, ms) => {
      const dims = shared.points.received?.dims;
      if (!steps || !dims || step >= steps.steps || steps.n !== shared.points.received?.n || !sequenceShown()) return;
      shared.points.showLocal(timelinePoints(steps, step, dims, ms), `${step}/${dims}`);
    },
    commit: (step) => save(model, "step", step),
    selectMoved: (step) => {
      if (steps) emphasis.applySelection(mostMoved(steps, step, Math.max(1, Math.round(steps.n * MOVED_SHARE))), true);
    },
  });
  shell.root.insertBefore(timeline.el, status.el);
  const explain = new Explain(model, stage, shell.root, () => drawing.columns, kernel, shell.showError);
  panel.el.append(explain.section.el);
  // The cross-filter chart over the stage; its bars select as a lasso does.
  const chart: ChartPanel = new ChartPanel({
    choose: (name) => {
      save(model, "chart", name);
      chart.show(name);
    },
    select: (rows, add) => emphasis.applySelection(add ? unionSorted(emphasis.state.selection, rows) : rows, true),
  });
  shell.stage.append(chart.el);
  toolbar.el.insertBefore(chart.toggle, toolbar.el.querySelector(".pw-hint"));

  // What is drawn, and what is emphasised in it.
  const emphasis = new Emphasis(
    model,
    {
      points: () => drawing.points,
      total: () => shared.points.received?.n ?? 0,
      renderer: () => stage.renderer,
      status,
      panel,
      inspector,
      root: shell.root,
      selectionChanged: (indices) => chart.setSelection(indices),
      overviewRows: () => overview.planner.overview?.n ?? 0,
    },
    kernel,
  );
  const drawing: Drawing = new Drawing(model, shared, stage, {
    toolbar,
    panel,
    updateFlags: () => emphasis.updateFlags(),
    showError: shell.showError,
    progressChanged: (p) => status.setActivity(kernel ? statusActivity(p, decodeSpec(model.get("_spec"))) : ""),
    pointsChanged: (change) => {
      chart.setVisible(drawing.points?.visible ?? null); // the chart counts the rows drawn
      if (change !== "replaced") return;
      hover.clear();
      stage.renderer?.setHover(-1);
      camera.applyPending();
    },
  });

  // Above the overview threshold: a grid, then tiles of points, asked for as the view settles.
  const overview = overviewOf(model, shared, {
    renderer: () => stage.renderer,
    column: (column, rows) => {
      drawing.setOverviewColumn(column, rows);
      emphasis.updateFlags();
    },
    showError: shell.showError,
  });
  const overviewMoved = (): void => {
    const rect = stage.renderer?.visibleRect();
    if (rect) overview.planner.viewChanged(rect);
  };

  // Model -> view: each key bound once (run now and on change), in an order where what a
  // handler reads is already there: the kernel's rules first, the points before the emphasis.
  const offs: (() => void)[] = [
    bind(model, "height", () => shell.setHeight(numberAt(model, "height", DEFAULT_HEIGHT))),
    ...bindControls(model, controls),
    ...drawing.bind(),
    ...overview.bind(),
    bind(model, "_columns", () => chart.setColumns(drawing.columns)),
    bind(model, "chart", () => chart.show(stringAt(model, "chart", ""))),
    ...emphasis.bindNeighbors(),
    ...emphasis.bindSelection(),
    ...explain.bind(),
    bind(model, "camera", () => camera.changed(model.get("camera"))),
    bind(model, "_timeline", () => {
      steps = decodeTimeline(model.get("_timeline"));
      timeline.setSteps(steps?.names ?? []);
    }),
    bind(model, "_timeline_active", () => timeline.setEnabled(sequenceShown())),
    bind(model, "step", () => timeline.setStep(numberAt(model, "step", 0), stepsOpened ? STEP_MS : 0)),
    // Rows a restored widget will not get (its saved state holds the first part only): say so.
    subscribeNow(shared.points, () => shell.showNotice(missingMessage(shared.points))),
    shared.rows.subscribe((index) => hover.rowArrived(index)),
    shared.onReply((r) => {
      if (r.type === "selected_ack") {
        emphasis.ack();
        return;
      }
      shell.showError(r.type === "error" ? r.message : "");
      if (r.type === "search") panel.setSearchCount(r.count);
      if (r.type === "label")
        panel.setEditStatus(`Set \u201c${r.column}\u201d on ${r.count.toLocaleString("en-US")} point${r.count === 1 ? "" : "s"}`);
    }),
  ];

  stepsOpened = true; // a step set from now on animates; the first one showed at once
  // View -> model: gestures, then the host's size and theme, and the test hook.
  offs.push(
    attachGestures(shell.root, shell.canvas, stage.renderer, stage.lassoOverlay, {
      cameraMoved: () => {
        camera.moved();
        overviewMoved();
      },
      hover: (index, x, y) => {
        hover.set(index, x, y);
        stage.renderer?.setHover(index);
        if (stage.renderer?.drawsHover === false) stage.drawLabels(); // the ring is on the overlay: no redraw of the points
      },
      selection: () => emphasis.state.selection,
      select: (indices) => emphasis.applySelection(indices, true),
      focus: (index) => emphasis.setFocus(index),
      clearAll: () => emphasis.clearAll(),
      overviewLasso: (polygon, add) => {
        if (!overview.planner.overview) return false;
        const request = overview.planner.lassoRequest(polygon, add);
        if (request) send(model, request);
        return true;
      },
      motion: (phase) => {
        if (phase !== "step") overview.planner.setMoving(phase === "start");
      },
    }),
    watchSize(shell.stage, () => {
      stage.resize(inspector.el.offsetWidth);
      overviewMoved();
    }),
    watchTheme(shell.root, () => stage.applyTheme()),
    () => panelOpen.dispose(),
    attachTestHook(
      shell.root,
      viewTestHook(
        stage,
        () => emphasis.state.selectedCount,
        () => inspector.neighborCount,
        () => stringAt(model, "projection", ""),
        () => ({ n: shared.points.received?.n ?? 0, loaded: shared.points.received?.loaded ?? 0, values: shared.points.values }),
        () => explain.densityCount,
        () => {
          const ov = overview.planner.overview;
          return ov ? { ...overview.planner.stats, budget: ov.budget, version: ov.version } : null;
        },
      ),
    ),
  );

  return () => {
    camera.dispose();
    emphasis.dispose();
    for (const off of offs.splice(0).reverse()) off();
    controls.dispose();
    timeline.dispose();
    chart.dispose();
    stage.dispose();
    shell.dispose();
  };
}

/** `store.subscribe(listener)`, and `listener` run once now. */
function subscribeNow(store: { subscribe(listener: () => void): () => void }, listener: () => void): () => void {
  const off = store.subscribe(listener);
  listener();
  return off;
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
