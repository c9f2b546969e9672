/**
 * The stage: the WebGL renderer on the shell's canvas (or the message saying why it cannot
 * start), the label and lasso overlays, the legend and the tooltip over it. It marks the root
 * as frames are drawn (`data-frame`, `data-ready` with the first points, `data-complete` when
 * every point is), draws the labels after each frame, follows the host's theme and size, and
 * exports PNGs. It never reads the model: the parts built after it say what the labels show
 * (`showLabels`) and listen to its fits and frames (`fitted`, `framed`).
 */
import { createContext, Renderer } from "../scene/renderer";
import { h } from "../ui/dom";
import { LabelOverlay, type LabelScene } from "../ui/labelOverlay";
import { LassoOverlay } from "../ui/lassoOverlay";
import { Legend } from "../ui/legend";
import { cssToRgb, readTheme, type Theme } from "../ui/theme";
import { Tooltip } from "../ui/tooltip";
import type { Shell } from "./shell";
import { Signal } from "./signal";

/** The stage width from which fits keep clear of the inspector while it is open. */
const INSPECTOR_FIT_MIN_WIDTH = 480;
const DEFAULT_ACCENT: [number, number, number] = [25, 118, 210];

/** What the labels show; the rest of a LabelScene is the stage's. */
export type LabelContent = Pick<LabelScene, "labels" | "hover" | "focus" | "neighbors" | "selection" | "clusters"> & {
  /** The semantic query point (data coordinates) and its text, when it is shown. */
  query: { coords: [number, number, number]; text: string } | null;
};

export interface StageHost {
  /** Rows in the value on screen, all parts counted (for `data-complete`). */
  total(): number;
  /** Every point is on screen (first time per value and frame: the host decides what it means). */
  allDrawn(): void;
}

export class Stage {
  /** Null when WebGL2 is missing or the renderer failed (and after dispose). */
  renderer: Renderer | null = null;
  readonly labelOverlay = new LabelOverlay();
  readonly lassoOverlay = new LassoOverlay();
  readonly legend = new Legend();
  readonly tooltip = new Tooltip();
  /** Points in the first draw call that drew any (the first part, when sent in parts). */
  firstDrawCount = 0;
  /** The renderer fitted the view to the data. */
  readonly fitted = new Signal();
  /** The inspector's width over the stage's right edge (0: closed). */
  private inspectorWidth = 0;
  /** A frame was drawn (after its labels). */
  readonly framed = new Signal();
  /** What the labels show (none until the view says). */
  private labels: (() => LabelContent) | null = null;
  private theme: Theme = { background: [255, 255, 255], foreground: [33, 33, 33] };
  private accent: [number, number, number] = DEFAULT_ACCENT;
  private fontFamily = "sans-serif";

  constructor(
    private readonly shell: Shell,
    host: StageHost,
  ) {
    const { root, stage, canvas } = shell;
    stage.append(this.labelOverlay.el, this.lassoOverlay.el, this.legend.el, this.tooltip.el);
    const gl = createContext(canvas);
    let failure =
      "This projector needs WebGL2, which is not available here. Enable hardware acceleration or " +
      "WebGL in the browser settings, or open the notebook in a current Chrome, Edge, Firefox or Safari.";
    if (gl) {
      try {
        this.renderer = new Renderer(canvas, gl, {
          onFrame: ({ frame, drawn, overview }) => {
            root.setAttribute("data-frame", String(frame));
            this.drawLabels();
            this.framed.emit();
            if (drawn > 0 && this.firstDrawCount === 0) this.firstDrawCount = drawn;
            // The overview (no points, a grid or tiles instead) is ready once drawn too.
            if ((drawn > 0 || overview > 0) && root.getAttribute("data-ready") !== "1") root.setAttribute("data-ready", "1");
            // Every point drawn (data-ready comes with the first part when points arrive in parts).
            // The overview's first frame counts as every point on screen (it stands for them all).
            const all = (drawn > 0 && drawn === host.total()) || (overview > 0 && host.total() === 0);
            if (all !== (root.getAttribute("data-complete") === "1")) root.setAttribute("data-complete", all ? "1" : "0");
            if (all) host.allDrawn();
          },
          onContextLost: (lost) => root.classList.toggle("pw-context-lost", lost),
          onFit: () => this.fitted.emit(),
        });
        failure = "";
      } catch (err) {
        failure = `The WebGL2 renderer could not start: ${err instanceof Error ? err.message : String(err)}`;
      }
    }
    if (failure) {
      const message = h("div", "pw-message", failure);
      message.setAttribute("role", "alert");
      stage.append(message);
    }
  }

  /** Show what `labels` says from now on (the labels, the hover ring, the query marker). */
  showLabels(labels: () => LabelContent): void {
    this.labels = labels;
  }

  /** Draw the labels (and the hover ring, the query marker) over the last frame. */
  drawLabels(): void {
    const r = this.renderer;
    if (!r || !this.labels) return;
    const vp = r.getViewport();
    const content = this.labels();
    const q = content.query;
    const qs = q ? r.project(q.coords) : null;
    const legend = this.legend.el;
    this.labelOverlay.draw(
      {
        ...content,
        width: vp.width,
        height: vp.height,
        dpr: window.devicePixelRatio || 1,
        foreground: this.theme.foreground,
        background: this.theme.background,
        accent: this.accent,
        ringHover: !r.drawsHover,
        positionsOf: (rows) => r.positionsOf(rows),
        query: q && qs ? { x: qs[0], y: qs[1], text: q.text } : null,
        reserved: legend.hidden
          ? []
          : [[legend.offsetLeft, legend.offsetTop, legend.offsetLeft + legend.offsetWidth, legend.offsetTop + legend.offsetHeight]],
      },
      this.fontFamily,
    );
  }

  /** Read the host's colours and font (computed styles are only meaningful once attached). */
  applyTheme(): void {
    this.theme = readTheme(this.shell.root);
    const cs = getComputedStyle(this.shell.root);
    this.accent = cssToRgb(cs.getPropertyValue("--pw-accent").trim(), DEFAULT_ACCENT);
    this.fontFamily = cs.fontFamily || "sans-serif";
    this.renderer?.setTheme(this.theme.background, this.theme.foreground, this.accent);
  }

  /** Follow the stage's size; while the inspector is open, fits leave room for it (it floats over the right edge). */
  resize(): void {
    const w = this.shell.stage.clientWidth;
    const hgt = this.shell.stage.clientHeight;
    if (w <= 0 || hgt <= 0) return;
    this.applyTheme();
    this.renderer?.setFitInsetRight(w >= INSPECTOR_FIT_MIN_WIDTH ? this.inspectorWidth : 0);
    this.renderer?.resize(w, hgt, window.devicePixelRatio || 1);
  }

  /**
   * The inspector opened (`width` CSS px over the right edge) or closed (0). The fit frames what
   * it leaves free: the whole stage, centred, while it is closed; the part left of it while it is
   * open. A view the user moved stays as it is (the inspector may cover part of it).
   */
  inspect(width: number): void {
    this.inspectorWidth = width > 0 ? width : 0;
    this.resize();
  }

  /** Render a frame and return it (with labels) as a PNG data URL. */
  async exportPNG(): Promise<string> {
    const { canvas } = this.shell;
    const out = document.createElement("canvas");
    out.width = canvas.width;
    out.height = canvas.height;
    const ctx = out.getContext("2d");
    if (!ctx) throw new Error("no 2-D canvas");
    ctx.fillStyle = `rgb(${this.theme.background.join(",")})`;
    ctx.fillRect(0, 0, out.width, out.height);
    if (this.renderer) {
      this.renderer.draw(); // read right after drawing
      this.drawLabels();
      ctx.drawImage(canvas, 0, 0);
      ctx.drawImage(this.labelOverlay.el, 0, 0, out.width, out.height);
    }
    return out.toDataURL("image/png");
  }

  /** Download the PNG export as projector.png. */
  download(): void {
    void this.exportPNG().then((url) => {
      const a = document.createElement("a");
      a.href = url;
      a.download = "projector.png";
      a.click();
    });
  }

  dispose(): void {
    this.renderer?.dispose();
    this.renderer = null;
    this.fitted.clear();
    this.framed.clear();
  }
}
