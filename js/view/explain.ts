/**
 * The map explains itself: cluster names, density contours and the layout's quality, from the
 * model. Binds `show_clusters`, `show_density`, `_clusters` (the kernel's cluster levels) and
 * `_quality` (its last layout check); gives the label overlay the levels to name
 * (view/stage.ts draws them with the point labels), and traces the density of the drawn points
 * after frames (ui/density.ts, throttled) into the renderer's underlay, in 2-D views. The
 * panel's "Map" section (appended to the panel) writes the traits and asks the kernel to find clusters or check the
 * layout (both run in the background there; the status line shows their phases, and the
 * results arrive as `_clusters` and `_quality`, which turn the names on or colour the map).
 */
import { bind, save, type WidgetModel } from "../contract/model";
import { send } from "../contract/protocol";
import type { Column } from "../contract/wireColumns";
import { decodeQuality, type Quality } from "../contract/wireValues";
import { type ClusterLevels, decodeClusters } from "../ui/clusterLabels";
import { DensityDriver, DensityLayer, densityContours, positionsKey } from "../ui/density";
import { DENSITY_STATUS_3D, ExplainSection } from "../ui/explainSection";
import { readTheme } from "../ui/theme";
import type { Stage } from "./stage";

/** Where the explanations show and what they read. */
export interface ExplainParts {
  stage: Stage;
  /** The widget's root: the density's ink follows its theme. */
  root: HTMLElement;
  /** The panel's element: the "Map" section goes last in it. */
  panel: HTMLElement;
  /** The columns clusters may be named from (view/drawing.ts). */
  drawing: { readonly columns: readonly Column[] };
  /** A kernel answers (false on a saved page: finding and checking need one). */
  kernel: boolean;
  showError(message: string): void;
  /** The status line: it says when contours are asked for in a 3-D view. */
  status: { setNote(text: string): void };
}

export class Explain {
  readonly section: ExplainSection;
  private clusters: ClusterLevels | null = null;
  private quality: Quality | null = null;
  private showClusters = false;
  private showDensity = false;
  private readonly layer = new DensityLayer();
  private readonly driver = new DensityDriver(() => this.trace());
  /** What the contours on the underlay were traced from ("" when none are drawn). */
  private traced = "";

  private readonly stage: Stage;
  private readonly root: HTMLElement;
  private readonly drawing: { readonly columns: readonly Column[] };
  private readonly status: { setNote(text: string): void };

  constructor(
    private readonly model: WidgetModel,
    { stage, root, panel, drawing, kernel, showError, status }: ExplainParts,
  ) {
    this.stage = stage;
    this.root = root;
    this.drawing = drawing;
    this.status = status;
    this.section = new ExplainSection(
      {
        showClusters: (on) => save(model, "show_clusters", on),
        showDensity: (on) => save(model, "show_density", on),
        findClusters: (column) => {
          showError("");
          send(model, { type: "clusters", column });
        },
        checkLayout: (k) => {
          showError("");
          send(model, { type: "quality", k });
        },
      },
      kernel,
    );
    panel.append(this.section.el);
  }

  /** Cluster levels for the labels, while they are shown. */
  get shownClusters(): ClusterLevels | null {
    return this.showClusters ? this.clusters : null;
  }

  /** Contours on the underlay now. */
  get densityCount(): number {
    return this.traced === "" ? 0 : this.layer.count;
  }

  /** The separate rings of each contour on the underlay now, lowest level first. */
  get densityGroups(): number[] {
    return this.traced === "" ? [] : [...this.layer.groups];
  }

  bind(): (() => void)[] {
    const { model } = this;
    const changed = (): void => {
      this.clusters = decodeClusters(model.get("_clusters"));
      this.showClusters = model.get("show_clusters") === true;
      this.showDensity = model.get("show_density") === true;
      this.showState();
      this.stage.drawLabels();
      this.frame();
    };
    return [
      bind(model, "_clusters", changed),
      bind(model, "show_clusters", changed),
      bind(model, "show_density", changed),
      bind(model, "_quality", () => {
        this.quality = decodeQuality(model.get("_quality"));
        this.showState();
      }),
      bind(model, "_columns", () => this.section.setColumns(this.drawing.columns)),
      this.stage.framed.on(() => this.frame()),
      () => this.dispose(),
    ];
  }

  /** A frame was drawn: trace the density again soon if it is shown (or remove it). */
  frame(): void {
    if (this.showDensity || this.traced !== "") this.driver.frame();
    this.showState();
  }

  private showState(): void {
    const dims = this.stage.renderer?.dims ?? 2;
    this.section.show({
      showClusters: this.showClusters,
      showDensity: this.showDensity,
      found: this.clusters !== null,
      stale: this.clusters?.stale ?? false,
      dims,
      quality: this.quality,
    });
    this.status.setNote(this.showDensity && dims === 3 ? DENSITY_STATUS_3D : "");
  }

  /** Trace the contours of the drawn points when they moved; none in 3-D or when hidden. */
  private trace(): void {
    const r = this.stage.renderer;
    if (!r) return;
    if (!this.showDensity || r.dims !== 2) {
      if (this.traced !== "") r.setUnderlay(null);
      this.layer.clear();
      this.traced = "";
      return;
    }
    const vp = r.getViewport();
    const positions = r.screenPositions(true);
    const ink = readTheme(this.root).foreground;
    const key = `${positionsKey(positions, vp.width, vp.height)}:${r.canvas.width}:${ink.join(",")}`;
    if (key === this.traced) return;
    this.traced = key;
    this.layer.draw(
      densityContours(positions, vp.width, vp.height),
      r.canvas.width,
      r.canvas.height,
      r.canvas.width / Math.max(1, vp.width),
      ink,
    );
    r.setUnderlay(this.layer.canvas);
  }

  private dispose(): void {
    this.driver.dispose();
    this.section.dispose();
  }
}
