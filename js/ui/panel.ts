/**
 * The side panel: Projection, Search, Colour & labels, Selection and
 * Bookmarks sections. It only builds controls and reports what the user asks
 * for through its handlers; view/controls.ts turns that into model changes
 * and protocol requests. The methods offered, their labels, defaults, choices and which are
 * iterative come from the kernel's `_spec`, and so do the colour maps and palettes offered;
 * the parameter fields of each known method are this panel's own. All data-derived text goes
 * through textContent.
 */
import { isFiniteNumber, isNonNegativeInt } from "../contract/guards";
import { type AppearanceSpec, isIterative, methodLabel, methodSpec, type Spec } from "../contract/protocol";
import type { Column } from "../contract/wireColumns";
import type { Progress } from "../contract/wireValues";
import { h, listen } from "./dom";
import { progressText } from "./progress";

/** Methods whose parameters have fields of their own here (any other method runs with its defaults). */
type ParamsGroup = "pca" | "tsne" | "umap" | "custom";
const GROUPS: readonly ParamsGroup[] = ["pca", "tsne", "umap", "custom"];

function isGroup(m: string): m is ParamsGroup {
  return (GROUPS as readonly string[]).includes(m);
}

/** The `params` of a project request, as the fields of each method give them. */
export type ProjectParams =
  | Record<string, never>
  | { components: number[] }
  | { perplexity: number; learning_rate: "auto" | number; n_iter: number; seed: number; dims: number }
  | { n_neighbors: number; min_dist: number; metric: string; seed: number; dims: number }
  | { column: string; x: [string, string]; y: [string, string] | null; regex: boolean };

export interface PanelHandlers {
  project(method: string, params: ProjectParams): void;
  control(action: "pause" | "resume" | "stop"): void;
  spherize(on: boolean): void;
  search(query: string, column: string, regex: boolean): void;
  query(text: string): void;
  labelBy(column: string): void;
  isolate(isolated: boolean): void;
  editLabel(column: string, value: string): void;
  bookmark(action: "save" | "restore" | "delete", name: string): void;
  /** How points look: the `color_map`, `palette`, `point_size`, `opacity`, `size_by` and `size_range` traits. */
  colorMap(name: string): void;
  palette(name: string): void;
  pointSize(px: number): void;
  opacity(value: number): void;
  sizeBy(column: string): void;
  sizeRange(range: [number, number]): void;
}

/** How points look, as the model holds it (shown by `Panel.setAppearance`). */
export interface AppearanceValues {
  colorMap: string;
  palette: string;
  /** CSS px; 0 = automatic. */
  pointSize: number;
  opacity: number;
  sizeBy: string;
  sizeRange: [number, number];
}

/** Opacity slider steps. */
export const OPACITY_STEP = 0.05;

const COLOR_MAP_GROUPS: Record<string, string> = { sequential: "Sequential", diverging: "Diverging", cyclical: "Cyclical" };

/** `name` as [colour map, reversed] among the maps `spec` declares ("rdbu_r" -> ["rdbu", true]). */
export function splitColorMap(spec: AppearanceSpec | null, name: string): [string, boolean] {
  const maps = spec?.colorMaps ?? [];
  const suffix = spec?.reversedSuffix ?? "_r";
  if (maps.some((m) => m.name === name)) return [name, false];
  const base = suffix && name.endsWith(suffix) ? name.slice(0, -suffix.length) : "";
  return base && maps.some((m) => m.name === base) ? [base, true] : [name, false];
}

/** A number typed into a field, within [lo, hi]; null when it is not a number. */
export function clampInput(text: string, lo: number, hi: number): number | null {
  const v = parseFloat(text);
  return Number.isFinite(v) ? Math.min(hi, Math.max(lo, v)) : null;
}

type Control = HTMLInputElement | HTMLSelectElement;

export function field(text: string, control: Control | HTMLElement, cls = "pw-field"): HTMLLabelElement {
  const label = h("label", cls);
  label.append(h("span", "pw-field-label", text), control);
  return label;
}

export function input(cls: string, type = "text", placeholder = ""): HTMLInputElement {
  const el = h("input", `pw-input ${cls}`);
  el.type = type;
  if (placeholder) el.placeholder = placeholder;
  el.spellcheck = false;
  el.autocomplete = "off";
  return el;
}

export function select(cls: string, options: [string, string][] = []): HTMLSelectElement {
  const el = h("select", `pw-select ${cls}`);
  setOptions(el, options);
  return el;
}

/** Replace a select's options ([value, text] pairs), keeping the value when it still exists. */
export function setOptions(el: HTMLSelectElement, options: [string, string][], value = el.value): void {
  el.replaceChildren();
  for (const [v, text] of options) {
    const opt = h("option", undefined, text);
    opt.value = v;
    el.append(opt);
  }
  if (options.some(([v]) => v === value)) el.value = value;
}

export function button(cls: string, text: string, title = ""): HTMLButtonElement {
  const b = h("button", `pw-button ${cls}`, text);
  b.type = "button";
  if (title) b.title = title;
  return b;
}

export function section(title: string, cls: string): { el: HTMLDetailsElement; body: HTMLDivElement } {
  const el = h("details", `pw-section ${cls}`);
  el.open = true;
  el.append(h("summary", "pw-section-title", title));
  const body = h("div", "pw-section-body");
  el.append(body);
  return { el, body };
}

function num(el: HTMLInputElement, fallback: number): number {
  const v = parseFloat(el.value);
  return Number.isFinite(v) ? v : fallback;
}

/** PC option text: "PC1 (17.1%)". */
export function pcLabel(i: number, variance: readonly number[]): string {
  const v = variance[i];
  return isFiniteNumber(v) ? `PC${i + 1} (${(v * 100).toFixed(1)}%)` : `PC${i + 1}`;
}

export class Panel {
  readonly el: HTMLDivElement;
  private readonly offs: (() => void)[] = [];
  private dims = 2;
  private variance: number[] = [];
  private columns: Column[] = [];
  private selectedCount = 0;
  private isolated = false;
  /** A saved page (no kernel): only what works offline is offered. */
  private standalone = false;
  private spec: Spec | null = null;
  /** The method shown (the select may not offer it yet: `_spec` not there). */
  private current = "pca";
  private readonly projectionBody: HTMLDivElement;
  private readonly kernelSections: HTMLDetailsElement[];
  private readonly standaloneNote = h("div", "pw-standalone-note");

  // Projection
  readonly method = select("pw-method");
  private readonly pcs = [select("pw-pc-x"), select("pw-pc-y"), select("pw-pc-z")];
  private readonly perplexity = input("pw-perplexity", "number");
  private readonly learningRate = input("pw-learning-rate", "text", "auto");
  private readonly iterations = input("pw-iterations", "number");
  private readonly seed = input("pw-seed", "number");
  private readonly nNeighbors = input("pw-n-neighbors", "number");
  private readonly minDist = input("pw-min-dist", "number");
  private readonly umapMetric = select("pw-umap-metric");
  private readonly customColumn = select("pw-custom-column");
  private readonly xLeft = input("pw-x-left", "text", "left");
  private readonly xRight = input("pw-x-right", "text", "right");
  private readonly yLeft = input("pw-y-left", "text", "bottom (optional)");
  private readonly yRight = input("pw-y-right", "text", "top (optional)");
  private readonly customRegex = input("pw-custom-regex", "checkbox");
  private readonly spherizeBox = input("pw-spherize", "checkbox");
  private readonly run = button("pw-run", "Run", "Compute the projection with these parameters");
  private readonly progress = h("div", "pw-progress");
  private readonly pause = button("pw-pause", "Pause");
  private readonly stop = button("pw-stop", "Stop");
  private readonly groups: Record<ParamsGroup, HTMLDivElement> = {
    pca: h("div", "pw-params pw-params-pca"),
    tsne: h("div", "pw-params pw-params-tsne"),
    umap: h("div", "pw-params pw-params-umap"),
    custom: h("div", "pw-params pw-params-custom"),
  };
  private progressState: Progress["state"] = "idle";

  // Search
  private readonly search = input("pw-search", "search", "Search metadata");
  private readonly searchColumn = select("pw-search-column");
  private readonly searchRegex = input("pw-search-regex", "checkbox");
  private readonly searchGo = button("pw-search-go", "Search");
  private readonly searchCount = h("div", "pw-search-count");
  private readonly queryRow: HTMLLabelElement;
  private readonly query = input("pw-query", "search", "Type text to embed");

  // Colour & labels
  readonly labelBy = select("pw-label-by");
  private readonly colorMap = select("pw-color-map");
  private readonly colorMapReversed = input("pw-color-map-reversed", "checkbox");
  private readonly colorMapField: HTMLLabelElement;
  private readonly palette = select("pw-palette");
  private readonly paletteField: HTMLLabelElement;
  private readonly pointSize = input("pw-point-size", "number", "auto");
  private readonly opacity = input("pw-opacity", "range");
  private readonly opacityText = h("span", "pw-opacity-value");
  private readonly sizeBy = select("pw-size-by");
  private readonly sizeMin = input("pw-size-min", "number");
  private readonly sizeMax = input("pw-size-max", "number");
  private readonly sizeRangeField: HTMLLabelElement;
  private appearanceSpec: AppearanceSpec | null = null;
  private look: AppearanceValues = { colorMap: "", palette: "", pointSize: 0, opacity: 1, sizeBy: "", sizeRange: [1, 1] };

  // Selection
  private readonly isolateBtn = button("pw-isolate", "Isolate selection", "Show only the selected points");
  private readonly editColumn = select("pw-edit-column");
  private readonly editValue = input("pw-edit-value", "text", "new value");
  private readonly editApply = button("pw-edit-apply", "Apply to selection");
  private readonly editStatus = h("div", "pw-edit-status");

  // Bookmarks
  private readonly bookmarkName = input("pw-bookmark-name", "text", "Bookmark name");
  private readonly bookmarkSave = button("pw-bookmark-save", "Save");
  private readonly bookmarkList = h("ul", "pw-bookmarks");

  constructor(private readonly handlers: PanelHandlers) {
    this.el = h("div", "pw-panel");
    this.el.setAttribute("aria-label", "Projector tools");

    // ---- Projection
    const proj = section("Projection", "pw-section-projection");
    proj.body.append(field("Method", this.method));
    const axisNames = ["X", "Y", "Z"];
    for (const [k, s] of this.pcs.entries()) this.groups.pca.append(field(`${axisNames[k]} axis`, s));
    this.groups.tsne.append(
      field("Perplexity", this.perplexity),
      field("Learning rate", this.learningRate),
      field("Iterations", this.iterations),
    );
    this.groups.umap.append(field("Neighbours", this.nNeighbors), field("Min distance", this.minDist), field("Metric", this.umapMetric));
    const regexLabel = h("label", "pw-check");
    regexLabel.append(this.customRegex, h("span", undefined, "Regular expressions"));
    this.groups.custom.append(
      field("Column", this.customColumn),
      field("X left", this.xLeft),
      field("X right", this.xRight),
      field("Y bottom", this.yLeft),
      field("Y top", this.yRight),
      regexLabel,
    );
    const seedField = field("Seed", this.seed, "pw-field pw-seed-field");
    seedField.title =
      "The same seed gives the same layout. UMAP with a seed runs on one core (umap-learn's rule); w.umap(seed=None) in Python uses every core";
    for (const m of GROUPS) proj.body.append(this.groups[m]);
    proj.body.append(seedField);
    const sph = h("label", "pw-check");
    sph.append(this.spherizeBox, h("span", undefined, "Spherize data"));
    sph.title = "Centre and scale every dimension to unit variance before projecting";
    const runRow = h("div", "pw-row");
    runRow.append(this.run, this.pause, this.stop);
    proj.body.append(sph, runRow, this.progress);
    this.projectionBody = proj.body;
    this.perplexity.min = "2";
    this.iterations.min = "10";
    this.nNeighbors.min = "2";
    this.minDist.step = "0.05";
    this.minDist.min = "0";

    // ---- Search
    const srch = section("Search", "pw-section-search");
    const searchRow = h("div", "pw-row");
    searchRow.append(this.search, this.searchGo);
    const sr = h("label", "pw-check");
    sr.append(this.searchRegex, h("span", undefined, "Regex"));
    const searchOpts = h("div", "pw-row");
    searchOpts.append(this.searchColumn, sr);
    this.queryRow = field("Semantic query", this.query, "pw-field pw-query-field");
    this.queryRow.hidden = true;
    srch.body.append(searchRow, searchOpts, this.searchCount, this.queryRow);

    // ---- Colour & labels
    const col = section("Colour & labels", "pw-section-labels");
    const reversed = h("label", "pw-check");
    reversed.append(this.colorMapReversed, h("span", undefined, "Reverse"));
    reversed.title = "Run the colour map the other way";
    const mapRow = h("div", "pw-row");
    mapRow.append(this.colorMap, reversed);
    this.colorMapField = field("Colour map", mapRow);
    this.colorMapField.title = "Colours of numeric columns";
    this.paletteField = field("Palette", this.palette);
    this.paletteField.title = "Colours of categorical columns";
    this.pointSize.min = "0";
    this.pointSize.step = "0.5";
    this.pointSize.title = "Point diameter in pixels (empty or 0: chosen from the number of points)";
    this.opacity.min = String(OPACITY_STEP);
    this.opacity.max = "1";
    this.opacity.step = String(OPACITY_STEP);
    this.opacity.style.flex = "1 1 auto";
    this.opacity.style.minWidth = "0";
    const opacityRow = h("div", "pw-row");
    opacityRow.append(this.opacity, this.opacityText);
    this.sizeMin.step = this.sizeMax.step = "0.1";
    this.sizeMin.title = "Size of the column's smallest value, times the point size";
    this.sizeMax.title = "Size of the column's largest value, times the point size";
    const rangeRow = h("div", "pw-row");
    rangeRow.append(this.sizeMin, h("span", undefined, "to"), this.sizeMax, h("span", undefined, "\u00d7"));
    this.sizeRangeField = field("Size range", rangeRow);
    col.body.append(
      field("Label by", this.labelBy),
      this.colorMapField,
      this.paletteField,
      field("Point size", this.pointSize),
      field("Opacity", opacityRow),
      field("Size by", this.sizeBy),
      this.sizeRangeField,
    );
    this.colorMapField.hidden = this.paletteField.hidden = this.sizeRangeField.hidden = true;

    // ---- Selection
    const sel = section("Selection", "pw-section-selection");
    const editRow = h("div", "pw-row");
    editRow.append(this.editValue, this.editApply);
    sel.body.append(this.isolateBtn, field("Edit column", this.editColumn), editRow, this.editStatus);

    // ---- Bookmarks
    const bm = section("Bookmarks", "pw-section-bookmarks");
    const bmRow = h("div", "pw-row");
    bmRow.append(this.bookmarkName, this.bookmarkSave);
    bm.body.append(bmRow, this.bookmarkList);

    this.el.append(proj.el, srch.el, col.el, sel.el, bm.el);
    this.kernelSections = [sel.el, bm.el];

    const enter = (el: HTMLInputElement, fn: () => void): (() => void) =>
      listen<KeyboardEvent>(el, "keydown", (e) => {
        if (e.key === "Enter") {
          e.preventDefault();
          fn();
        }
      });
    const doSearch = (): void => handlers.search(this.search.value, this.searchColumn.value, this.searchRegex.checked);
    const doQuery = (): void => {
      if (this.query.value.trim()) handlers.query(this.query.value);
    };
    const doBookmark = (): void => {
      const name = this.bookmarkName.value.trim();
      if (!name) return;
      handlers.bookmark("save", name);
      this.bookmarkName.value = "";
    };
    this.offs.push(
      listen(this.method, "change", () => this.showMethod(this.method.value)),
      ...this.pcs.map((s) => listen(s, "change", () => this.sendProject())),
      listen(this.run, "click", () => this.sendProject()),
      listen(this.pause, "click", () => handlers.control(this.progressState === "paused" ? "resume" : "pause")),
      listen(this.stop, "click", () => handlers.control("stop")),
      listen(this.spherizeBox, "change", () => handlers.spherize(this.spherizeBox.checked)),
      enter(this.search, doSearch),
      listen(this.searchGo, "click", doSearch),
      enter(this.query, doQuery),
      listen(this.labelBy, "change", () => handlers.labelBy(this.labelBy.value)),
      listen(this.isolateBtn, "click", () => handlers.isolate(this.isolated)),
      listen(this.editApply, "click", () => handlers.editLabel(this.editColumn.value, this.editValue.value)),
      enter(this.editValue, () => {
        if (!this.editApply.disabled) handlers.editLabel(this.editColumn.value, this.editValue.value);
      }),
      enter(this.bookmarkName, doBookmark),
      listen(this.bookmarkSave, "click", doBookmark),
      ...this.listenAppearance(),
    );
    this.showMethod("pca");
    this.setProgress({ method: "", state: "idle", iteration: 0, total: 0, etaS: null, message: "" });
    this.setSelectedCount(0);
  }

  // --------------------------------------------------------- projection

  /**
   * The kernel's rules arrived: offer its methods (with their labels), the choices of their
   * choice-valued parameters, and fill every field with the method's defaults.
   */
  setSpec(spec: Spec | null): void {
    this.spec = spec;
    const methods = spec?.methods ?? [];
    setOptions(
      this.method,
      methods.map((m) => [m.name, m.label]),
      this.current,
    );
    const metrics = methodSpec(spec, "umap")?.choices.metric ?? [];
    setOptions(
      this.umapMetric,
      metrics.map((m) => [m, m]),
    );
    for (const m of methods) if (isGroup(m.name)) this.setParams(m.name, m.defaults);
    this.showMethod(this.current);
  }

  /** A parameter's default as the kernel declares it (NaN when it declares none). */
  private fallback(method: ParamsGroup, key: string): number {
    const v = methodSpec(this.spec, method)?.defaults[key];
    return typeof v === "number" ? v : Number.NaN;
  }

  private showMethod(m: string): void {
    const offered = this.spec === null || methodSpec(this.spec, m) !== undefined;
    if (!offered) m = this.spec?.methods[0]?.name ?? m;
    this.current = m;
    this.method.value = m;
    for (const k of GROUPS) this.groups[k].hidden = k !== m;
    (this.seed.closest(".pw-field") as HTMLElement).hidden = !isIterative(this.spec, m);
    this.pcs[2].disabled = this.dims !== 3;
  }

  /** The parameters shown for `method`, as the project message carries them. */
  params(method: string): ProjectParams {
    if (!isGroup(method)) return {};
    if (method === "pca") {
      return { components: this.pcs.map((s, k) => Math.max(0, parseInt(s.value, 10) || k)) };
    }
    if (method === "tsne") {
      const lr = this.learningRate.value.trim();
      const lrNum = parseFloat(lr);
      return {
        perplexity: num(this.perplexity, this.fallback("tsne", "perplexity")),
        learning_rate: lr === "" || lr === "auto" || !Number.isFinite(lrNum) ? "auto" : lrNum,
        n_iter: Math.round(num(this.iterations, this.fallback("tsne", "n_iter"))),
        seed: Math.round(num(this.seed, 0)),
        dims: this.dims,
      };
    }
    if (method === "umap") {
      return {
        n_neighbors: Math.round(num(this.nNeighbors, this.fallback("umap", "n_neighbors"))),
        min_dist: num(this.minDist, this.fallback("umap", "min_dist")),
        metric: this.umapMetric.value,
        seed: Math.round(num(this.seed, 0)),
        dims: this.dims,
      };
    }
    const yl = this.yLeft.value;
    const yr = this.yRight.value;
    return {
      column: this.customColumn.value,
      x: [this.xLeft.value, this.xRight.value],
      y: yl.trim() || yr.trim() ? [yl, yr] : null,
      regex: this.customRegex.checked,
    };
  }

  private sendProject(): void {
    this.handlers.project(this.current, this.params(this.current));
  }

  /**
   * A saved page: the projection cannot be recomputed and selections cannot
   * be isolated, edited or bookmarked, so those controls give way to a note;
   * search and label-by stay.
   */
  setStandalone(): void {
    this.standalone = true;
    this.el.classList.add("pw-standalone");
    // Keep the controls (showMethod still updates them) but out of sight.
    const controls = h("div", "pw-projection-controls");
    controls.append(...Array.from(this.projectionBody.children));
    controls.hidden = true;
    this.projectionBody.append(controls, this.standaloneNote);
    for (const s of this.kernelSections) s.hidden = true;
    this.queryRow.hidden = true;
    this.updateStandaloneNote();
  }

  private updateStandaloneNote(): void {
    this.standaloneNote.replaceChildren(
      h("div", "pw-standalone-method", `${methodLabel(this.spec, this.current)} \u00b7 saved view`),
      h("div", "pw-standalone-hint", "Search and selection work offline; recomputing the projection needs a running Python kernel."),
    );
  }

  /** The projection in use changed from Python: show it and its parameters. */
  setProjection(method: string, params: unknown): void {
    this.showMethod(method);
    if (this.standalone) this.updateStandaloneNote();
    if (isGroup(this.current))
      this.setParams(this.current, typeof params === "object" && params !== null ? (params as Record<string, unknown>) : {});
  }

  private setParams(m: ParamsGroup, p: Record<string, unknown>): void {
    if (m === "pca") {
      const comps = Array.isArray(p.components) ? p.components : [];
      this.pcs.forEach((s, k) => {
        const v = comps[k];
        const idx = isNonNegativeInt(v) ? v : k;
        this.ensurePcOptions();
        if (idx < s.options.length) s.value = String(idx);
      });
    } else if (m === "tsne") {
      this.perplexity.value = String(typeof p.perplexity === "number" ? p.perplexity : this.perplexity.value);
      const lr = p.learning_rate;
      if (typeof lr === "number" || lr === "auto") this.learningRate.value = String(lr);
      else if (!this.learningRate.value) this.learningRate.value = "auto";
      this.iterations.value = String(typeof p.n_iter === "number" ? p.n_iter : this.iterations.value);
      if (typeof p.seed === "number") this.seed.value = String(p.seed);
    } else if (m === "umap") {
      this.nNeighbors.value = String(typeof p.n_neighbors === "number" ? p.n_neighbors : this.nNeighbors.value);
      this.minDist.value = String(typeof p.min_dist === "number" ? p.min_dist : this.minDist.value);
      if (typeof p.metric === "string") this.umapMetric.value = p.metric;
      if (typeof p.seed === "number") this.seed.value = String(p.seed);
    } else {
      if (typeof p.column === "string") this.customColumn.value = p.column;
      const x = Array.isArray(p.x) ? p.x : null;
      const y = Array.isArray(p.y) ? p.y : null;
      if (x) [this.xLeft.value, this.xRight.value] = [String(x[0] ?? ""), String(x[1] ?? "")];
      if (y) [this.yLeft.value, this.yRight.value] = [String(y[0] ?? ""), String(y[1] ?? "")];
      else if (p.y === null) this.yLeft.value = this.yRight.value = "";
      if (typeof p.regex === "boolean") this.customRegex.checked = p.regex;
    }
    if (this.seed.value === "") this.seed.value = "0";
  }

  private ensurePcOptions(): void {
    const count = Math.max(3, this.variance.length);
    const options: [string, string][] = Array.from({ length: count }, (_, i) => [String(i), pcLabel(i, this.variance)]);
    for (const s of this.pcs) {
      if (s.options.length !== count || s.options[0]?.textContent !== options[0][1]) setOptions(s, options, s.value);
    }
  }

  setPcaVariance(variance: number[]): void {
    this.variance = variance.slice(0, 10);
    const values = this.pcs.map((s) => s.value);
    for (const s of this.pcs) s.replaceChildren();
    this.ensurePcOptions();
    this.pcs.forEach((s, k) => {
      s.value = values[k] !== "" && Number(values[k]) < s.options.length ? values[k] : String(k);
    });
  }

  setDimensions(dims: number): void {
    this.dims = dims;
    this.pcs[2].disabled = dims !== 3;
  }

  setSpherize(on: boolean): void {
    this.spherizeBox.checked = on;
  }

  setProgress(p: Progress): void {
    this.progressState = p.state;
    const text = progressText(p, this.spec);
    this.progress.textContent = text;
    this.progress.hidden = text === "" || this.standalone;
    this.progress.dataset.state = p.state;
    const active = p.state === "running" || p.state === "paused";
    this.pause.disabled = !active;
    this.stop.disabled = !active;
    this.pause.textContent = p.state === "paused" ? "Resume" : "Pause";
    this.el.classList.toggle("pw-busy", p.state === "running");
  }

  // --------------------------------------------------------- appearance

  private listenAppearance(): (() => void)[] {
    const h = this.handlers;
    const colorMap = (): void => {
      const suffix = this.appearanceSpec?.reversedSuffix ?? "_r";
      h.colorMap(this.colorMap.value + (this.colorMapReversed.checked ? suffix : ""));
    };
    const sizeRange = (): void => {
      const [lo, hi] = this.appearanceSpec?.sizeFactorLimits ?? [0.1, 32];
      const a = clampInput(this.sizeMin.value, lo, hi) ?? this.look.sizeRange[0];
      const b = clampInput(this.sizeMax.value, lo, hi) ?? this.look.sizeRange[1];
      this.sizeMin.value = String(a);
      this.sizeMax.value = String(b);
      h.sizeRange([a, b]);
    };
    return [
      listen(this.colorMap, "change", colorMap),
      listen(this.colorMapReversed, "change", colorMap),
      listen(this.palette, "change", () => h.palette(this.palette.value)),
      listen(this.pointSize, "change", () => {
        const px = clampInput(this.pointSize.value, 0, this.appearanceSpec?.pointSizeMax ?? 256) ?? 0;
        this.pointSize.value = px > 0 ? String(px) : "";
        h.pointSize(px);
      }),
      // The value shows while dragging; the trait is set when the slider is let go.
      listen(this.opacity, "input", () => this.showOpacity(parseFloat(this.opacity.value))),
      listen(this.opacity, "change", () => h.opacity(clampInput(this.opacity.value, OPACITY_STEP, 1) ?? 1)),
      listen(this.sizeBy, "change", () => h.sizeBy(this.sizeBy.value)),
      listen(this.sizeMin, "change", sizeRange),
      listen(this.sizeMax, "change", sizeRange),
    ];
  }

  private showOpacity(value: number): void {
    this.opacityText.textContent = Number.isFinite(value) ? `${Math.round(value * 100)}%` : "";
  }

  /** The kernel's colour maps (grouped by kind) and palettes, offered by name. */
  setAppearanceSpec(spec: AppearanceSpec | null): void {
    this.appearanceSpec = spec;
    this.colorMap.replaceChildren();
    for (const kind of Object.keys(COLOR_MAP_GROUPS)) {
      const maps = (spec?.colorMaps ?? []).filter((m) => m.kind === kind);
      if (maps.length === 0) continue;
      const group = h("optgroup");
      group.label = COLOR_MAP_GROUPS[kind];
      for (const m of maps) {
        const opt = h("option", undefined, m.name);
        opt.value = m.name;
        group.append(opt);
      }
      this.colorMap.append(group);
    }
    setOptions(
      this.palette,
      (spec?.palettes ?? []).map((p) => [p.name, p.name]),
    );
    const [lo, hi] = spec?.sizeFactorLimits ?? [0.1, 32];
    for (const el of [this.sizeMin, this.sizeMax]) {
      el.min = String(lo);
      el.max = String(hi);
    }
    this.pointSize.max = String(spec?.pointSizeMax ?? 256);
    this.setAppearance(this.look);
  }

  /** Show how points look (from the model). */
  setAppearance(look: AppearanceValues): void {
    this.look = look;
    const [map, reversed] = splitColorMap(this.appearanceSpec, look.colorMap);
    this.colorMap.value = map;
    this.colorMapReversed.checked = reversed;
    this.palette.value = look.palette;
    if (document.activeElement !== this.pointSize) this.pointSize.value = look.pointSize > 0 ? String(look.pointSize) : "";
    this.opacity.value = String(look.opacity);
    this.showOpacity(look.opacity);
    this.setSizeOptions();
    this.sizeMin.value = String(look.sizeRange[0]);
    this.sizeMax.value = String(look.sizeRange[1]);
  }

  /** Which colour control applies: the colour map for a numeric column, the palette for a categorical one. */
  setColorKind(kind: Column["kind"] | null): void {
    this.colorMapField.hidden = kind !== "number";
    this.paletteField.hidden = kind !== "category";
  }

  private setSizeOptions(): void {
    const numeric: [string, string][] = this.columns.filter((c) => c.kind === "number").map((c) => [c.name, c.name]);
    setOptions(this.sizeBy, [["", "(none)"], ...numeric], this.look.sizeBy);
    if (this.sizeBy.value !== this.look.sizeBy) this.sizeBy.value = "";
    this.sizeRangeField.hidden = this.sizeBy.value === "";
  }

  // ------------------------------------------------------------ columns

  setColumns(columns: Column[], labelBy: string): void {
    this.columns = columns;
    const all: [string, string][] = columns.map((c) => [c.name, c.name]);
    setOptions(this.searchColumn, [["", "(all columns)"], ...all]);
    setOptions(this.labelBy, [["", "(none)"], ...all], labelBy);
    setOptions(this.editColumn, all);
    setOptions(this.customColumn, all);
    this.setLabelBy(labelBy);
    this.setSizeOptions();
  }

  setLabelBy(name: string): void {
    this.labelBy.value = this.columns.some((c) => c.name === name) ? name : "";
  }

  // ------------------------------------------------------------- search

  setSearchCount(count: number | null): void {
    this.searchCount.textContent = count === null ? "" : `${count.toLocaleString("en-US")} match${count === 1 ? "" : "es"}`;
  }

  setHasEncoder(has: boolean): void {
    this.queryRow.hidden = !has || this.standalone;
  }

  // ---------------------------------------------------------- selection

  setSelectedCount(count: number): void {
    this.selectedCount = count;
    this.updateIsolate();
    this.editApply.disabled = count === 0;
  }

  setIsolated(isolated: boolean): void {
    this.isolated = isolated;
    this.updateIsolate();
  }

  private updateIsolate(): void {
    this.isolateBtn.textContent = this.isolated ? "Show all" : "Isolate selection";
    this.isolateBtn.title = this.isolated ? "Show every point again" : "Show only the selected points";
    this.isolateBtn.disabled = !this.isolated && this.selectedCount === 0;
  }

  setEditStatus(text: string): void {
    this.editStatus.textContent = text;
  }

  // ---------------------------------------------------------- bookmarks

  setBookmarks(names: string[]): void {
    this.bookmarkList.replaceChildren();
    for (const name of names) {
      const li = h("li", "pw-bookmark");
      li.dataset.name = name;
      const restore = h("button", "pw-bookmark-restore", name);
      restore.type = "button";
      restore.title = "Restore this bookmark";
      const del = h("button", "pw-bookmark-delete", "\u00d7");
      del.type = "button";
      del.title = "Delete this bookmark";
      del.setAttribute("aria-label", "Delete bookmark");
      li.addEventListener("click", () => this.handlers.bookmark("restore", name));
      del.addEventListener("click", (e) => {
        e.stopPropagation();
        this.handlers.bookmark("delete", name);
      });
      li.append(restore, del);
      this.bookmarkList.append(li);
    }
    if (names.length === 0) this.bookmarkList.append(h("li", "pw-empty", "No bookmarks yet"));
  }

  dispose(): void {
    for (const off of this.offs) off();
    this.offs.length = 0;
  }
}
