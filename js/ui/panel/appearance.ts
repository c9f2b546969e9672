/**
 * The panel's "Colour & labels" section: the column that labels the points, and how points look
 * (the `color_map`, `palette`, `point_size`, `opacity`, `size_by` and `size_range` traits). The
 * colour maps and palettes offered, the size factors' limits and the largest point size come
 * from the kernel's `_spec`; the colour map shows for a numeric colour column, the palette for a
 * categorical one.
 */
import type { AppearanceSpec } from "../../contract/protocol";
import type { Column } from "../../contract/wireColumns";
import { check, clampInput, field, h, input, listen, section, select, setOptions } from "../dom";

export interface AppearanceHandlers {
  labelBy(column: string): void;
  colorMap(name: string): void;
  palette(name: string): void;
  pointSize(px: number): void;
  opacity(value: number): void;
  sizeBy(column: string): void;
  sizeRange(range: [number, number]): void;
}

/** How points look, as the model holds it (shown by `setAppearance`). */
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

export class AppearanceSection {
  readonly el: HTMLDetailsElement;
  private readonly offs: (() => void)[];
  private columns: readonly Column[] = [];
  private readonly labelBy = select("pw-label-by");
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
  private spec: AppearanceSpec | null = null;
  private look: AppearanceValues = { colorMap: "", palette: "", pointSize: 0, opacity: 1, sizeBy: "", sizeRange: [1, 1] };

  constructor(private readonly handlers: AppearanceHandlers) {
    const col = section("Colour & labels", "pw-section-labels");
    const reversed = check(this.colorMapReversed, "Reverse");
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
    this.el = col.el;
    this.offs = [listen(this.labelBy, "change", () => handlers.labelBy(this.labelBy.value)), ...this.listenAppearance()];
  }

  private listenAppearance(): (() => void)[] {
    const h = this.handlers;
    const colorMap = (): void => {
      const suffix = this.spec?.reversedSuffix ?? "_r";
      h.colorMap(this.colorMap.value + (this.colorMapReversed.checked ? suffix : ""));
    };
    const sizeRange = (): void => {
      const [lo, hi] = this.spec?.sizeFactorLimits ?? [0.1, 32];
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
        const px = clampInput(this.pointSize.value, 0, this.spec?.pointSizeMax ?? 256) ?? 0;
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
  setSpec(spec: AppearanceSpec | null): void {
    this.spec = spec;
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
    const [map, reversed] = splitColorMap(this.spec, look.colorMap);
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

  /** The columns to label and size by; `labelBy` is the one labelling now. */
  setColumns(columns: readonly Column[], labelBy: string): void {
    this.columns = columns;
    setOptions(this.labelBy, [["", "(none)"], ...columns.map((c): [string, string] => [c.name, c.name])], labelBy);
    this.setLabelBy(labelBy);
    this.setSizeOptions();
  }

  setLabelBy(name: string): void {
    this.labelBy.value = this.columns.some((c) => c.name === name) ? name : "";
  }

  dispose(): void {
    for (const off of this.offs.splice(0)) off();
  }
}
