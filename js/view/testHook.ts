/**
 * The hook automated browser tests and benchmarks read, attached to the root element as `__pw`:
 * what is drawn, selected and labelled, without scraping pixels.
 */
import { stringAt, type WidgetModel } from "../contract/model";
import type { Shared } from "../shared/shared";
import type { OverviewInfo } from "./overview";
import type { Stage } from "./stage";

export interface ProjectorTestHook {
  /** 2n values: x, y in CSS px from the canvas's top-left; NaN for hidden points. */
  screenPositions(): Float32Array;
  /** x, y (CSS px) of `rows` where they are drawn now, mid-transition included. */
  positionsNow(rows: number[]): Float32Array;
  /** Frames drawn so far. */
  readonly frameCount: number;
  /** Points in the last draw call. */
  readonly lastDrawCount: number;
  /** Points in the first draw call that drew any (the first part, when sent in parts). */
  readonly firstDrawCount: number;
  /** Whether the last frame showed a sample of the points (level of detail while the view moves, or its refinement). */
  readonly lastFramePartial: boolean;
  /** Points a frame draws while the view moves (measured; Infinity until a frame is measured). */
  readonly detailBudget: number;
  /** Force that budget (tests: independent of the machine's speed); null returns to the measured one. */
  forceDetailBudget(points: number | null): void;
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
  /** The model's points: `n` rows in the value, `loaded` of them here, `values` received so far. */
  points(): PointsInfo;
  /** Whether a position transition is running. */
  isAnimating(): boolean;
  /** Render a frame and return it (with labels) as a PNG data URL. */
  exportPNG(): Promise<string>;
  /** Cluster names drawn in the last overlay pass: boxes as `labelBoxes`, their texts, and the level shown (-1: none). */
  clusterBoxes(): number[][];
  clusterTexts(): string[];
  clusterLevel(): number;
  /** Density contours drawn under the points (0: none). */
  densityCount(): number;
  /** The separate rings of each density contour drawn, lowest level first. */
  densityGroups(): number[];
  /** The density overview (above the overview threshold): null when it is off. */
  overview(): OverviewInfo | null;
}

export interface PointsInfo {
  n: number;
  loaded: number;
  values: number;
}

/** Attach `hook` to `root` as `__pw`; returns the function that removes it. */
export function attachTestHook(root: HTMLElement & { __pw?: unknown }, hook: ProjectorTestHook): () => void {
  root.__pw = hook;
  return () => {
    delete root.__pw;
  };
}

/** What the hook reads beyond the stage. */
export interface HookSources {
  /** The projection in use, and the model's points. */
  model: WidgetModel;
  shared: Shared;
  emphasis: { readonly state: { readonly selectedCount: number } };
  inspector: { readonly neighborCount: number };
  explain: { readonly densityCount: number; readonly densityGroups: number[] };
  overview: { info(): OverviewInfo | null };
}

/** The hook of a view: its stage, its selected-row count, its inspector, its projection and the model's points. */
export function viewTestHook(stage: Stage, { model, shared, emphasis, inspector, explain, overview }: HookSources): ProjectorTestHook {
  return {
    screenPositions: () => stage.renderer?.screenPositions(true) ?? new Float32Array(0),
    positionsNow: (rows) => stage.renderer?.positionsOf(rows) ?? new Float32Array(0),
    get frameCount() {
      return stage.renderer?.frameCount ?? 0;
    },
    get firstDrawCount() {
      return stage.firstDrawCount;
    },
    get lastDrawCount() {
      return stage.renderer?.lastDrawCount ?? 0;
    },
    get lastFramePartial() {
      return stage.renderer?.lastFramePartial ?? false;
    },
    get detailBudget() {
      return stage.renderer?.detail.points ?? Number.POSITIVE_INFINITY;
    },
    forceDetailBudget: (points) => {
      const r = stage.renderer;
      if (r) r.detail.forced = points === null ? null : Math.max(1, Math.floor(points));
    },
    selectedCount: () => emphasis.state.selectedCount,
    neighborCount: () => inspector.neighborCount,
    labelCount: () => stage.labelOverlay.count,
    labelBoxes: () => stage.labelOverlay.boxes.map((b) => [...b]),
    projection: () => stringAt(model, "projection", ""),
    points: () => ({ n: shared.points.received?.n ?? 0, loaded: shared.points.received?.loaded ?? 0, values: shared.points.values }),
    isAnimating: () => stage.renderer?.animating ?? false,
    exportPNG: () => stage.exportPNG(),
    clusterBoxes: () => stage.labelOverlay.clusterBoxes.map((b) => [...b]),
    clusterTexts: () => [...stage.labelOverlay.clusterTexts],
    clusterLevel: () => stage.labelOverlay.clusterLevel,
    densityCount: () => explain.densityCount,
    densityGroups: () => explain.densityGroups,
    overview: () => {
      const o = overview.info();
      return o ? { ...o } : null;
    },
  };
}
