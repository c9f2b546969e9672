/**
 * anywidget entry. `initialize` (once per model) creates what every view of the model shares
 * (shared/shared.ts: the points as they arrive, tooltip rows, the kernel's replies). `render`
 * (once per view) composes a view of it from the parts in view/, each built after what it uses:
 * the shell and the stage, the controls, what is drawn and emphasised, the overview, the chart,
 * the hover, the camera, the explanations and the timeline. It binds each model key to what it
 * drives, attaches pointer, keyboard and the test hook, and returns the cleanup. `standalone`
 * does both for a saved page.
 */
import "./style/theme.css";
import "./style/stage.css";
import "./style/panel.css";
import "./style/chart.css";
import "./style/timeline.css";
import { bind, numberAt, type WidgetModel } from "./contract/model";
import { initialize, sharedOf } from "./shared/shared";
import { LocalModel } from "./standalone/model";
import { decodePayload, type StandalonePayload } from "./standalone/payload";
import { h } from "./ui/dom";
import { StatusLine } from "./ui/status";
import { CameraBinder } from "./view/cameraSync";
import { ChartBinder } from "./view/chart";
import { bindControls, createControls, viewActions } from "./view/controls";
import { Drawing } from "./view/drawing";
import { Emphasis } from "./view/emphasis";
import { Explain } from "./view/explain";
import { attachGestures } from "./view/gestures";
import { HoverBinder } from "./view/hover";
import { labelContent } from "./view/labels";
import { OverviewBinder } from "./view/overview";
import { bindReplies } from "./view/replies";
import { createShell, DEFAULT_HEIGHT, watchSize, watchTheme } from "./view/shell";
import { Stage } from "./view/stage";
import { attachTestHook, viewTestHook } from "./view/testHook";
import { TimelineBinder } from "./view/timeline";

export interface RenderProps {
  model: WidgetModel;
  el: HTMLElement;
}

function render({ model, el }: RenderProps): () => void {
  const shared = sharedOf(model);
  const kernel = model.get("_standalone") !== true;
  const status = new StatusLine();
  const shell = createShell(el, status.el);
  const { root, showError } = shell;
  const stage = new Stage(shell, { total: () => shared.points.received?.n ?? 0, allDrawn: () => shared.allDrawn() });
  const controls = createControls(model, shell);
  const { toolbar, panel, inspector } = controls;
  const drawing = new Drawing(model, shared, stage, { toolbar, panel, status, kernel, showError, showNotice: shell.showNotice });
  const overview = new OverviewBinder(model, shared, { stage, drawing, showError });
  const emphasis = new Emphasis(model, shared, { drawing, overview, stage, status, panel, inspector, root }, kernel);
  const chart = new ChartBinder(model, { stage: shell.stage, toolbar, drawing, emphasis });
  const hover = new HoverBinder({ stage, el: shell.stage, rows: shared.rows, drawing });
  const camera = new CameraBinder(model, { stage, drawing, overview });
  const explain = new Explain(model, { stage, root, panel: panel.el, drawing, kernel, showError, status });
  const timeline = new TimelineBinder(model, shared, root, status.el, emphasis);
  stage.showLabels(labelContent({ emphasis, hover, drawing, explain }));
  controls.connect(viewActions({ model, showError, stage, drawing, emphasis }));

  // Model -> view: each key bound once (run now and on change), in an order where what a
  // handler reads is already there: the kernel's rules first, the points before the emphasis.
  const offs: (() => void)[] = [
    bind(model, "height", () => shell.setHeight(numberAt(model, "height", DEFAULT_HEIGHT))),
    ...bindControls(model, controls),
    ...drawing.bind(),
    ...overview.bind(),
    ...chart.bind(),
    ...emphasis.bindNeighbors(),
    ...emphasis.bindSelection(),
    ...explain.bind(),
    ...camera.bind(),
    ...timeline.bind(),
    ...hover.bind(),
    bindReplies(shared, { showError, panel, emphasis }),
    // View -> model: gestures, then the host's size and theme, and the test hook.
    attachGestures(root, shell.canvas, stage.renderer, stage.lassoOverlay, {
      cameraMoved: () => {
        camera.moved();
        overview.moved();
      },
      hover: (index, x, y) => hover.at(index, x, y),
      selection: () => emphasis.state.selection,
      select: (indices) => emphasis.applySelection(indices, true),
      focus: (index) => emphasis.setFocus(index),
      clearAll: () => emphasis.clearAll(),
      overviewLasso: (polygon, add) => overview.lasso(polygon, add),
      motion: (phase) => overview.motion(phase),
    }),
    watchSize(shell.stage, () => {
      stage.resize();
      overview.moved();
    }),
    watchTheme(root, () => stage.applyTheme()),
    attachTestHook(root, viewTestHook(stage, { model, shared, emphasis, inspector, explain, overview })),
  ];

  return () => {
    camera.dispose();
    emphasis.dispose();
    for (const off of offs.splice(0).reverse()) off();
    hover.dispose();
    controls.dispose();
    timeline.dispose();
    chart.dispose();
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
