/**
 * What the renderer draws, from the model: the points (from the model's points store, grown
 * in place as parts arrive), the columns and the colour column with its legend, how points
 * look (colour map, palette, point size, opacity, size column; shown in the panel too), the
 * thumbnails, the semantic query point and the progress of a running layout (the status line
 * reports the kernel's work under way, a layout with its dimensions). The parts that follow the
 * points listen to `pointsShown`.
 */
import { isFiniteNumber } from "../contract/guards";
import { bind, decodeAt, numberAt, stringAt, type WidgetModel } from "../contract/model";
import { type AppearanceSpec, decodeSpec, layoutDims } from "../contract/protocol";
import { type CategoryColumn, type Column, colorableColumns, decodeColumns } from "../contract/wireColumns";
import { decodeSprites, type Points, type Sprites } from "../contract/wirePoints";
import { decodeProgress, decodeQueryPoint, type QueryPoint } from "../contract/wireValues";
import { colorMapLut, paletteColors, type RGB } from "../scene/colors";
import { missingMessage, type PointsChange } from "../shared/points";
import type { Shared } from "../shared/shared";
import type { Panel } from "../ui/panel/panel";
import { statusActivity } from "../ui/progress";
import type { StatusLine } from "../ui/status";
import type { Toolbar } from "../ui/toolbar";
import { Signal } from "./signal";
import type { Stage } from "./stage";

export interface DrawingHooks {
  toolbar: Toolbar;
  panel: Panel;
  status: StatusLine;
  /** A kernel answers (a saved page reports no work under way). */
  kernel: boolean;
  showError(message: string): void;
  /** Say what the view cannot show ("" hides it): rows a restored widget will not get. */
  showNotice(message: string): void;
}

/** `size_range` as the model holds it (a pair of positive numbers); [1, 1] (one size) otherwise. */
export function sizeRangeOf(raw: unknown): [number, number] {
  if (Array.isArray(raw) && raw.length === 2 && raw.every((x) => isFiniteNumber(x) && x > 0)) {
    return [raw[0] as number, raw[1] as number];
  }
  return [1, 1];
}

/** `opacity` as the model holds it, within (0, 1]; 1 otherwise. */
export function opacityOf(raw: unknown): number {
  return typeof raw === "number" && raw > 0 && raw <= 1 ? raw : 1;
}

export class Drawing {
  /** The points drawn: the rows of the model's value that have arrived. */
  points: Points | null = null;
  /** The points drawn were replaced, or grew (after the renderer and the legend have them). */
  readonly pointsShown = new Signal<[PointsChange]>();
  columns: Column[] = [];
  queryPoint: QueryPoint | null = null;
  private sprites: Sprites | null = null;
  /** The kernel's colour maps and palettes (from `_spec`). */
  private appearance: AppearanceSpec | null = null;
  private lut: Uint8Array = colorMapLut(null, "");
  private palette: RGB[] = paletteColors(null, "");
  /** The overview's colour column (its categories, no per-row codes) and rows, when the overview is on. */
  private overviewColumn: CategoryColumn | null = null;
  private overviewRows = 0;

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
    this.hooks.panel.setColorKind(this.columns.find((c) => c.name === colorBy)?.kind ?? null);
    this.showLegend();
  }

  /** How points look changed (or the rules naming the choices): draw it, show it in the panel and the legend. */
  showAppearance(): void {
    const { model } = this;
    const colorMap = stringAt(model, "color_map", "");
    const palette = stringAt(model, "palette", "");
    const opacity = opacityOf(model.get("opacity"));
    const sizeBy = stringAt(model, "size_by", "");
    const sizeRange = sizeRangeOf(model.get("size_range"));
    this.lut = colorMapLut(this.appearance, colorMap);
    this.palette = paletteColors(this.appearance, palette);
    const r = this.stage.renderer;
    r?.setColorMap(this.lut);
    r?.setPalette(this.palette);
    r?.setOpacity(opacity);
    r?.setSizeBy(sizeBy, sizeRange);
    this.hooks.panel.setAppearance({ colorMap, palette, pointSize: numberAt(model, "point_size", 0), opacity, sizeBy, sizeRange });
    this.showLegend();
  }

  /** The overview's categorical column (null: overview off, or no column) and its rows: the legend shows it. */
  setOverviewColumn(column: CategoryColumn | null, rows: number): void {
    this.overviewColumn = column;
    this.overviewRows = rows;
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
      bind(model, "_spec", () => {
        this.appearance = decodeSpec(model.get("_spec"))?.appearance ?? null;
        hooks.panel.setAppearanceSpec(this.appearance);
        this.showAppearance();
      }),
      bind(model, "_columns", () => {
        this.columns = decodeColumns(model.get("_columns"));
        stage.renderer?.setColumns(this.columns);
        hooks.toolbar.setColumns(colorableColumns(this.columns), stringAt(model, "color_by", ""));
        hooks.panel.setColumns(this.columns, stringAt(model, "label_by", ""));
        this.showColorBy();
        this.showAppearance();
      }),
      bind(model, "_progress", () => {
        const progress = decodeProgress(model.get("_progress"));
        if (progress.state === "error" && progress.message) hooks.showError(progress.message);
        hooks.panel.setProgress(progress);
        // A layout says the dimensions it computes (a 2D/3D switch runs t-SNE or UMAP again).
        const dims = layoutDims(model.get("projection_params"));
        hooks.status.setActivity(hooks.kernel ? statusActivity(progress, decodeSpec(model.get("_spec")), dims) : "");
      }),
      // The points follow the progress (a running layout streams them) and precede the rest.
      this.bindPoints(),
      // Rows a restored widget will not get (its saved state holds the first part only): say so.
      subscribeNow(this.shared.points, () => hooks.showNotice(missingMessage(this.shared.points))),
      bind(model, "color_by", () => this.showColorBy()),
      bind(model, "point_size", () => {
        stage.renderer?.setPointSize(numberAt(model, "point_size", 0));
        this.showAppearance();
      }),
      ...(["color_map", "palette", "opacity", "size_by", "size_range"] as const).map((key) =>
        bind(model, key, () => this.showAppearance()),
      ),
      bind(model, "_query_point", () => {
        this.queryPoint = decodeQueryPoint(model.get("_query_point"));
        stage.renderer?.requestRender();
      }),
      bind(model, "_sprites", () => {
        this.sprites = decodeAt(model, "_sprites", decodeSprites);
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
        r?.setPoints(this.points);
      }
      this.showLegend();
      this.pointsShown.emit(change);
    };
    const off = this.shared.points.subscribe(show);
    show("replaced");
    return off;
  }

  private showLegend(): void {
    const { model } = this;
    const name = stringAt(model, "color_by", "");
    const sizeName = stringAt(model, "size_by", "");
    const sized = this.columns.find((c) => c.name === sizeName);
    const base = this.stage.renderer?.pointSize ?? 0;
    const [lo, hi] = sizeRangeOf(model.get("size_range"));
    const listed = this.columns.find((c) => c.name === name) ?? null;
    // The overview's column: the kernel's descriptor of it when listed (its counts are exact).
    const ov = this.overviewColumn;
    const color = ov ? (listed?.kind === "category" && listed.name === ov.name ? listed : ov) : listed;
    this.stage.legend.show({
      color,
      n: this.overviewColumn ? this.overviewRows : this.n,
      lut: this.lut,
      palette: this.palette,
      opacity: opacityOf(model.get("opacity")),
      size: sized?.kind === "number" && base > 0 ? { column: sized, minPx: base * lo, maxPx: base * hi } : null,
    });
  }
}

/** `store.subscribe(listener)`, and `listener` run once now. */
function subscribeNow(store: { subscribe(listener: () => void): () => void }, listener: () => void): () => void {
  const off = store.subscribe(listener);
  listener();
  return off;
}
