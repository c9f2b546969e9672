/**
 * What the renderer draws, from the model: the points (from the model's points store, grown
 * in place as parts arrive), the columns and the colour column with its legend, the point size,
 * the thumbnails, the semantic query point and the progress of a running layout (whose
 * positions stream in without refits).
 */
import { bind, decodeAt, numberAt, stringAt, type WidgetModel } from "../model";
import type { PointsChange } from "../shared/points";
import type { Shared } from "../shared/shared";
import type { Panel } from "../ui/panel";
import type { Toolbar } from "../ui/toolbar";
import * as wire from "../wire";
import type { Stage } from "./stage";

export interface DrawingHooks {
  toolbar: Toolbar;
  panel: Panel;
  /** The points were replaced (hover cleared, a pending camera may now apply) or grew. */
  pointsChanged(change: PointsChange): void;
  /** Rebuild the per-point flags (their count follows the points). */
  updateFlags(): void;
  showError(message: string): void;
}

const active = (p: wire.Progress): boolean => p.state === "running" || p.state === "paused";

export class Drawing {
  /** The points drawn: the rows of the model's value that have arrived. */
  points: wire.Points | null = null;
  columns: wire.Column[] = [];
  queryPoint: wire.QueryPoint | null = null;
  private sprites: wire.Sprites | null = null;
  private progress = wire.decodeProgress(null);
  /** A layout started: its first positions refit; later ones stream in. */
  private awaitingFirstFrame = false;

  constructor(
    private readonly model: WidgetModel,
    private readonly shared: Shared,
    private readonly stage: Stage,
    private readonly hooks: DrawingHooks,
  ) {}

  get n(): number {
    return this.points?.n ?? 0;
  }

  /** The user chose a colour column (the model's change event may come later). */
  showColorBy(): void {
    const colorBy = stringAt(this.model, "color_by", "");
    this.hooks.toolbar.setColorBy(colorBy);
    this.stage.renderer?.setColorBy(colorBy);
    this.showLegend();
  }

  /** The user toggled the thumbnails. */
  showImages(): void {
    const on = this.model.get("show_images") === true;
    this.hooks.toolbar.setImages(this.sprites !== null, on);
    this.stage.renderer?.setShowImages(on && this.sprites !== null);
  }

  /** Bind every key the renderer draws, and the points; returns the unbind functions. */
  bind(): (() => void)[] {
    const { model, stage, hooks } = this;
    return [
      bind(model, "_columns", () => {
        this.columns = wire.decodeColumns(model.get("_columns"));
        stage.renderer?.setColumns(this.columns);
        hooks.toolbar.setColumns(wire.colorableColumns(this.columns), stringAt(model, "color_by", ""));
        hooks.panel.setColumns(this.columns, stringAt(model, "label_by", ""));
        this.showLegend();
      }),
      bind(model, "_progress", () => {
        const wasRunning = active(this.progress);
        this.progress = wire.decodeProgress(model.get("_progress"));
        if (active(this.progress) && !wasRunning) this.awaitingFirstFrame = true;
        stage.renderer?.setStreaming(active(this.progress) && !this.awaitingFirstFrame);
        if (this.progress.state === "error" && this.progress.message) hooks.showError(this.progress.message);
        hooks.panel.setProgress(this.progress);
      }),
      // The points follow the progress (a running layout streams them) and precede the rest.
      this.bindPoints(),
      bind(model, "color_by", () => this.showColorBy()),
      bind(model, "point_size", () => stage.renderer?.setPointSize(numberAt(model, "point_size", 0))),
      bind(model, "_query_point", () => {
        this.queryPoint = wire.decodeQueryPoint(model.get("_query_point"));
        stage.renderer?.requestRender();
      }),
      bind(model, "_sprites", () => {
        this.sprites = decodeAt(model, "_sprites", wire.decodeSprites);
        const err = stage.renderer?.setSprites(this.sprites) ?? "";
        if (err) {
          this.sprites = null;
          hooks.showError(err);
        }
        this.showImages();
      }),
      bind(model, "show_images", () => this.showImages()),
    ];
  }

  private bindPoints(): () => void {
    const show = (change: PointsChange): void => {
      const r = this.stage.renderer;
      this.points = this.shared.points.arrived;
      if (change === "grown" && this.points) {
        r?.extendPoints(this.points);
      } else {
        r?.setStreaming(active(this.progress) && !this.awaitingFirstFrame);
        this.awaitingFirstFrame = false;
        r?.setPoints(this.points);
      }
      this.hooks.updateFlags();
      this.showLegend();
      this.hooks.pointsChanged(change);
    };
    const off = this.shared.points.subscribe(show);
    show("replaced");
    return off;
  }

  private showLegend(): void {
    const name = stringAt(this.model, "color_by", "");
    this.stage.legend.show(this.columns.find((c) => c.name === name) ?? null, this.n);
  }
}
