/**
 * The panel's "Projection" section: the method (the kernel's `_spec` offers the methods, their
 * labels, defaults, choices and which are iterative), the parameter fields of each known method
 * (this section's own; any other method runs with its defaults), the seed, "Spherize data", Run,
 * Pause and Stop, and the progress of a running layout. On a saved page it gives way to a note.
 */
import { isFiniteNumber, isNonNegativeInt, isObjectLike } from "../../contract/guards";
import { isIterative, methodLabel, methodSpec, type ProjectParams, type Spec } from "../../contract/protocol";
import type { Column } from "../../contract/wireColumns";
import type { Progress } from "../../contract/wireValues";
import { button, check, field, h, input, listen, section, select, setOptions } from "../dom";
import { progressText } from "../progress";

/** Methods whose parameters have fields of their own here (any other method runs with its defaults). */
type ParamsGroup = "pca" | "tsne" | "umap" | "custom";
const GROUPS: readonly ParamsGroup[] = ["pca", "tsne", "umap", "custom"];

function isGroup(m: string): m is ParamsGroup {
  return (GROUPS as readonly string[]).includes(m);
}

export interface ProjectionHandlers {
  /** Run `method` with `params` (a `project` request: the kernel merges them over the method's defaults). */
  project(method: string, params: ProjectParams): void;
  control(action: "pause" | "resume" | "stop"): void;
  spherize(on: boolean): void;
}

function num(text: string, fallback: number): number {
  const v = parseFloat(text);
  return Number.isFinite(v) ? v : fallback;
}

/** What the parameter fields hold, as typed (one field per parameter this section shows). */
export interface ParamFields {
  /** The PC of each axis (x, y, z), as the selects hold it. */
  components: readonly string[];
  perplexity: string;
  learningRate: string;
  iterations: string;
  seed: string;
  nNeighbors: string;
  minDist: string;
  metric: string;
  column: string;
  x: [string, string];
  y: [string, string];
  regex: boolean;
}

/** Parameter `key` of `method` as the kernel declares its default (NaN when it declares none). */
function declared(spec: Spec | null, method: ParamsGroup, key: string): number {
  const v = methodSpec(spec, method)?.defaults[key];
  return typeof v === "number" ? v : Number.NaN;
}

/**
 * The parameters of a `project` request for `method`, from the fields (`dims`: the view's); an
 * empty field reads as the kernel's default (`spec`). Every name is a parameter the kernel
 * declares for the method (its `defaults` in `_spec`), which the kernel checks and
 * ui/panel/projection.test.ts checks against the kernel's value; any other method runs with its
 * defaults.
 */
export function projectParams(method: string, fields: ParamFields, spec: Spec | null, dims: number): ProjectParams {
  if (!isGroup(method)) return {};
  if (method === "pca") {
    const components = fields.components.map((v, k) => {
      const pc = parseInt(v, 10);
      return isNonNegativeInt(pc) ? pc : k; // PC1 is "0": only a field without an index takes its axis's own PC
    });
    return { components };
  }
  if (method === "tsne") {
    const lr = fields.learningRate.trim();
    const lrNum = parseFloat(lr);
    return {
      perplexity: num(fields.perplexity, declared(spec, "tsne", "perplexity")),
      learning_rate: lr === "" || lr === "auto" || !Number.isFinite(lrNum) ? "auto" : lrNum,
      n_iter: Math.round(num(fields.iterations, declared(spec, "tsne", "n_iter"))),
      seed: Math.round(num(fields.seed, 0)),
      dims,
    };
  }
  if (method === "umap") {
    return {
      n_neighbors: Math.round(num(fields.nNeighbors, declared(spec, "umap", "n_neighbors"))),
      min_dist: num(fields.minDist, declared(spec, "umap", "min_dist")),
      metric: fields.metric,
      seed: Math.round(num(fields.seed, 0)),
      dims,
    };
  }
  const [yl, yr] = fields.y;
  return {
    column: fields.column,
    x: [...fields.x],
    y: yl.trim() || yr.trim() ? [yl, yr] : null,
    regex: fields.regex,
  };
}

/** PC option text: "PC1 (17.1%)". */
export function pcLabel(i: number, variance: readonly number[]): string {
  const v = variance[i];
  return isFiniteNumber(v) ? `PC${i + 1} (${(v * 100).toFixed(1)}%)` : `PC${i + 1}`;
}

export class ProjectionSection {
  readonly el: HTMLDetailsElement;
  private readonly offs: (() => void)[];
  private dims = 2;
  private variance: number[] = [];
  /** A saved page (no kernel): the controls give way to a note. */
  private standalone = false;
  private spec: Spec | null = null;
  /** The method shown (the select may not offer it yet: `_spec` not there). */
  private current = "pca";
  private readonly body: HTMLDivElement;
  private readonly standaloneNote = h("div", "pw-standalone-note");
  private readonly method = select("pw-method");
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

  constructor(
    private readonly handlers: ProjectionHandlers,
    /** Called with the panel's busy state (a layout runs). */
    private readonly busy: (running: boolean) => void,
  ) {
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
    this.groups.custom.append(
      field("Column", this.customColumn),
      field("X left", this.xLeft),
      field("X right", this.xRight),
      field("Y bottom", this.yLeft),
      field("Y top", this.yRight),
      check(this.customRegex, "Regular expressions"),
    );
    const seedField = field("Seed", this.seed, "pw-field pw-seed-field");
    seedField.title =
      "The same seed gives the same layout. UMAP with a seed runs on one core (umap-learn's rule); w.umap(seed=None) in Python uses every core";
    for (const m of GROUPS) proj.body.append(this.groups[m]);
    proj.body.append(seedField);
    const sph = check(this.spherizeBox, "Spherize data");
    sph.title = "Centre and scale every dimension to unit variance before projecting";
    const runRow = h("div", "pw-row");
    runRow.append(this.run, this.pause, this.stop);
    proj.body.append(sph, runRow, this.progress);
    this.el = proj.el;
    this.body = proj.body;
    this.perplexity.min = "2";
    this.iterations.min = "10";
    this.nNeighbors.min = "2";
    this.minDist.step = "0.05";
    this.minDist.min = "0";
    this.offs = [
      listen(this.method, "change", () => this.showMethod(this.method.value)),
      ...this.pcs.map((s) => listen(s, "change", () => this.sendProject())),
      listen(this.run, "click", () => this.sendProject()),
      listen(this.pause, "click", () => handlers.control(this.progressState === "paused" ? "resume" : "pause")),
      listen(this.stop, "click", () => handlers.control("stop")),
      listen(this.spherizeBox, "change", () => handlers.spherize(this.spherizeBox.checked)),
    ];
    this.showMethod("pca");
  }

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

  showMethod(m: string): void {
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
    return projectParams(method, this.fields(), this.spec, this.dims);
  }

  private fields(): ParamFields {
    return {
      components: this.pcs.map((s) => s.value),
      perplexity: this.perplexity.value,
      learningRate: this.learningRate.value,
      iterations: this.iterations.value,
      seed: this.seed.value,
      nNeighbors: this.nNeighbors.value,
      minDist: this.minDist.value,
      metric: this.umapMetric.value,
      column: this.customColumn.value,
      x: [this.xLeft.value, this.xRight.value],
      y: [this.yLeft.value, this.yRight.value],
      regex: this.customRegex.checked,
    };
  }

  private sendProject(): void {
    this.handlers.project(this.current, this.params(this.current));
  }

  /** A saved page: the projection cannot be recomputed, so its controls give way to a note. */
  setStandalone(): void {
    this.standalone = true;
    // Keep the controls (showMethod still updates them) but out of sight.
    const controls = h("div", "pw-projection-controls");
    controls.append(...Array.from(this.body.children));
    controls.hidden = true;
    this.body.append(controls, this.standaloneNote);
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
    if (isGroup(this.current)) this.setParams(this.current, isObjectLike(params) ? params : {});
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
    this.busy(p.state === "running");
  }

  /** The columns a custom projection may read. */
  setColumns(columns: readonly Column[]): void {
    setOptions(
      this.customColumn,
      columns.map((c) => [c.name, c.name]),
    );
  }

  dispose(): void {
    for (const off of this.offs.splice(0)) off();
  }
}
