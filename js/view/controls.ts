/**
 * The view's controls: the toolbar, the side panel (open by default on wide widgets) and the
 * inspector, placed in the shell and wired to the model (trait writes), to the kernel (protocol
 * requests) and to the view (plain callbacks). They are built before the parts of the view that
 * show their state in them, so what they ask of the view is connected once those exist
 * (`connect`). On a saved page (no kernel) only what works offline is offered. `bindControls`
 * shows the model keys that only the controls show.
 */
import { finiteOr } from "../contract/guards";
import { bind, type ModelKey, numberAt, save, stringAt, type WidgetModel } from "../contract/model";
import { decodeSpec, isIterative, layoutDims, methodLabel, type Request, send } from "../contract/protocol";
import { decodeOverview } from "../contract/wireOverview";
import { decodeBookmarks, decodeProgress } from "../contract/wireValues";
import type { Renderer } from "../scene/renderer";
import { offlineMessage } from "../standalone/model";
import { Inspector } from "../ui/inspector";
import { Panel } from "../ui/panel/panel";
import { dimensionTitle, Toolbar } from "../ui/toolbar";
import { panelToggle, type Shell } from "./shell";

/** Whether `_overview` holds an overview (it is `{}` when off). */
function isOverviewOn(raw: unknown): boolean {
  const d = decodeOverview(raw);
  return d.ok && d.value !== null;
}

/** What the controls ask of the view (`viewActions` makes it from the view's parts). */
export interface ViewActions {
  /** Send a request the user waits on (clears the error line first). */
  request(req: Request): void;
  /** The user chose a colour column or the thumbnails toggle: show it now. */
  colorByChanged(): void;
  showImagesChanged(): void;
  fit(): void;
  /** Clear the selection and the focus. */
  clearAll(): void;
  download(): void;
  /** The focused row (-1: none). */
  focus(): number;
  setFocus(index: number): void;
  /** The inspector was closed, or a semantic query was asked (`dismissed` false). */
  setQueryDismissed(dismissed: boolean): void;
  hover(index: number): void;
}

/** The parts of the view the controls act on. */
export interface ControlledParts {
  model: WidgetModel;
  /** The error line: a request the user waits on clears it first. */
  showError(message: string): void;
  stage: { readonly renderer: Renderer | null; download(): void };
  /** Shows a new colour column or the thumbnails toggle at once (view/drawing.ts). */
  drawing: { showColorBy(): void; showImages(): void };
  /** Selection and focus (view/emphasis.ts). */
  emphasis: {
    readonly state: { readonly focus: number };
    clearAll(): void;
    setFocus(index: number): void;
    setQueryDismissed(dismissed: boolean): void;
  };
}

/** What the controls ask of `parts`. */
export function viewActions({ model, showError, stage, drawing, emphasis }: ControlledParts): ViewActions {
  return {
    request: (req) => {
      showError("");
      send(model, req);
    },
    colorByChanged: () => drawing.showColorBy(),
    showImagesChanged: () => drawing.showImages(),
    fit: () => stage.renderer?.fit(),
    clearAll: () => emphasis.clearAll(),
    download: () => stage.download(),
    focus: () => emphasis.state.focus,
    setFocus: (index) => emphasis.setFocus(index),
    setQueryDismissed: (dismissed) => emphasis.setQueryDismissed(dismissed),
    hover: (index) => stage.renderer?.setHover(index),
  };
}

export interface Controls {
  toolbar: Toolbar;
  panel: Panel;
  inspector: Inspector;
  /** What the controls ask of the view, from now on (before, they ask nothing: no user has acted yet). */
  connect(actions: ViewActions): void;
  dispose(): void;
}

/** Build the controls into `shell`: the toolbar in its slot, the panel and the inspector either side of the stage. */
export function createControls(model: WidgetModel, shell: Shell): Controls {
  let connected: ViewActions | null = null;
  const view: ViewActions = {
    request: (req) => connected?.request(req),
    colorByChanged: () => connected?.colorByChanged(),
    showImagesChanged: () => connected?.showImagesChanged(),
    fit: () => connected?.fit(),
    clearAll: () => connected?.clearAll(),
    download: () => connected?.download(),
    focus: () => connected?.focus() ?? -1,
    setFocus: (index) => connected?.setFocus(index),
    setQueryDismissed: (dismissed) => connected?.setQueryDismissed(dismissed),
    hover: (index) => connected?.hover(index),
  };
  const panel: Panel = new Panel({
    project: (method, params) => view.request({ type: "project", method, params }),
    control: (action) => view.request({ type: "control", action }),
    spherize: (on) => save(model, "spherize", on),
    search: (query, column, regex) => view.request({ type: "search", query, column, regex }),
    query: (text) => {
      view.setQueryDismissed(false);
      view.request({ type: "query", text });
    },
    labelBy: (column) => save(model, "label_by", column),
    isolate: (isolated) => view.request({ type: isolated ? "show_all" : "isolate" }),
    editLabel: (column, value) => {
      panel.setEditStatus("");
      view.request({ type: "label", column, value });
    },
    bookmark: (action, name) => view.request({ type: "bookmark", action, name }),
    colorMap: (name) => save(model, "color_map", name),
    palette: (name) => save(model, "palette", name),
    pointSize: (px) => save(model, "point_size", px),
    opacity: (value) => save(model, "opacity", value),
    sizeBy: (column) => save(model, "size_by", column),
    sizeRange: (range) => save(model, "size_range", range),
  });
  const panelOpen = panelToggle(shell.root);
  const toolbar: Toolbar = new Toolbar({
    onColorBy: (name) => {
      save(model, "color_by", name);
      view.colorByChanged();
    },
    onDimensions: (dims) => {
      toolbar.setDimensions(dims);
      panel.setDimensions(dims);
      if (model.get("dimensions") !== dims) save(model, "dimensions", dims);
    },
    onFit: () => view.fit(),
    onClear: () => view.clearAll(),
    onTogglePanel: () => panelOpen.toggle(),
    onImages: (show) => {
      save(model, "show_images", show);
      view.showImagesChanged();
    },
    onExport: () => view.download(),
  });
  const inspector = new Inspector({
    focus: (index) => view.setFocus(index),
    k: (k) => save(model, "k_neighbors", k),
    metric: (m) => save(model, "metric", m),
    close: () => {
      if (view.focus() >= 0) view.setFocus(-1);
      else view.setQueryDismissed(true);
    },
    hover: (index) => view.hover(index),
  });

  shell.toolbarSlot.replaceWith(toolbar.el);
  shell.body.append(panel.el, shell.stage, inspector.el);
  panelOpen.follow((open) => {
    panel.el.hidden = !open;
    toolbar.setPanelOpen(open);
  });

  // A saved page (standalone): no kernel, so offer only what works offline.
  if (model.get("_standalone") === true) {
    shell.root.classList.add("pw-standalone");
    const saved = model.get("_standalone_dims");
    toolbar.setStandalone(Array.isArray(saved) ? saved.filter((d): d is number => typeof d === "number") : [2, 3]);
    panel.setStandalone();
    inspector.setOffline(offlineMessage("focus"));
  }
  return {
    toolbar,
    panel,
    inspector,
    connect: (actions) => {
      connected = actions;
    },
    dispose: () => {
      panelOpen.dispose();
      connected = null;
      toolbar.dispose();
      panel.dispose();
      inspector.dispose();
    },
  };
}

/** Show the model keys that only the controls show; returns the unbind functions. */
export function bindControls(model: WidgetModel, { toolbar, panel, inspector }: Controls): (() => void)[] {
  // What a 2D/3D switch costs: how long each layout (method and dims) took when it last finished.
  const took = new Map<string, number>();
  const dimensionTitles = (): void => {
    const spec = decodeSpec(model.get("_spec"));
    const method = stringAt(model, "projection", "pca");
    const dims = layoutDims(model.get("projection_params")) ?? null;
    const shown = { label: methodLabel(spec, method), iterative: isIterative(spec, method), dims };
    const at = (d: number | null): number | null => (d === null ? null : (took.get(`${method}/${d}`) ?? null));
    toolbar.setDimensionTitles(dimensionTitle(2, shown, at(2), at(dims)), dimensionTitle(3, shown, at(3), at(dims)));
  };
  const projection = (): void => {
    panel.setProjection(stringAt(model, "projection", "pca"), model.get("projection_params"));
    dimensionTitles();
  };
  const progress = (): void => {
    const p = decodeProgress(model.get("_progress"));
    const dims = layoutDims(model.get("projection_params"));
    if (p.state === "done" && p.elapsedS !== undefined && dims !== undefined) took.set(`${p.method}/${dims}`, p.elapsedS);
    dimensionTitles();
  };
  const handlers: [ModelKey, () => void][] = [
    [
      "_spec",
      () => {
        const spec = decodeSpec(model.get("_spec"));
        panel.setSpec(spec);
        inspector.setSpec(spec);
        dimensionTitles();
      },
    ],
    [
      "dimensions",
      () => {
        const d = numberAt(model, "dimensions", 2);
        toolbar.setDimensions(d);
        panel.setDimensions(d);
      },
    ],
    [
      "_pca_variance",
      () => {
        const v = model.get("_pca_variance");
        panel.setPcaVariance(Array.isArray(v) ? v.map((x) => finiteOr(x, Number.NaN)) : []);
      },
    ],
    ["projection", projection],
    ["projection_params", projection],
    ["_progress", progress],
    ["spherize", () => panel.setSpherize(model.get("spherize") === true)],
    ["label_by", () => panel.setLabelBy(stringAt(model, "label_by", ""))],
    ["k_neighbors", () => inspector.setK(numberAt(model, "k_neighbors", 10))],
    ["metric", () => inspector.setMetric(stringAt(model, "metric", "cosine"))],
    ["_has_encoder", () => panel.setHasEncoder(model.get("_has_encoder") === true)],
    ["_isolated", () => panel.setIsolated(model.get("_isolated") === true)],
    ["bookmarks", () => panel.setBookmarks(decodeBookmarks(model.get("bookmarks")))],
    // The density overview is 2-D: no 3-D toggle while it is on.
    ["_overview", () => toolbar.setOverview(isOverviewOn(model.get("_overview")))],
  ];
  return handlers.map(([key, handler]) => bind(model, key, handler));
}
