/**
 * The toolbar: panel toggle, colour-by select, 2D/3D toggle, Fit, Clear,
 * the thumbnails toggle (when there are images) and PNG export.
 */
import type { CategoryColumn, NumberColumn } from "../contract/wireColumns";
import { h, listen } from "./dom";

/** Titles of the 2D and 3D buttons when they only change the view. */
const VIEW_TITLES = {
  2: "Two-dimensional view (pan with drag, zoom with wheel)",
  3: "Three-dimensional view (orbit with drag, pan with right-drag)",
} as const;

/** The layout on screen, as a dimension button's title speaks of it. */
export interface LayoutShown {
  /** The method's label ("t-SNE"). */
  label: string;
  /** Computed by a job (t-SNE, UMAP): another dimension runs it again. */
  iterative: boolean;
  /** Its dimensions (null: not known). */
  dims: number | null;
}

/** Seconds as a title says them: "under a second", "25 s", "3 min". */
export function seconds(s: number): string {
  if (s < 1) return "under a second";
  return s < 120 ? `${Math.round(s)} s` : `${Math.round(s / 60)} min`;
}

/**
 * The title of the button that switches to `target` dimensions. For a t-SNE or UMAP layout in the
 * other dimension it says what the switch costs: the layout runs again (`lastS`: how long it took
 * in `target` dimensions last time, else `shownS`: how long the one on screen took), and the
 * layout on screen stays until the new one is ready.
 */
export function dimensionTitle(target: 2 | 3, shown: LayoutShown | null, lastS: number | null, shownS: number | null): string {
  if (!shown?.iterative || shown.dims === null || shown.dims === target) return VIEW_TITLES[target];
  let cost = "";
  if (lastS !== null) cost = ` (about ${seconds(lastS)} last time)`;
  else if (shownS !== null) cost = ` (the ${shown.dims}-D one took ${seconds(shownS)})`;
  return `Runs ${shown.label} again in ${target}-D${cost}; the ${shown.dims}-D layout stays on screen until the new one is ready`;
}

export interface ToolbarHandlers {
  onColorBy(name: string): void;
  onDimensions(dims: 2 | 3): void;
  onFit(): void;
  onClear(): void;
  onTogglePanel(): void;
  onImages(show: boolean): void;
  onExport(): void;
}

export class Toolbar {
  readonly el: HTMLDivElement;
  private readonly select: HTMLSelectElement;
  private readonly btn2d: HTMLButtonElement;
  private readonly btn3d: HTMLButtonElement;
  private readonly offs: (() => void)[] = [];
  private readonly panelToggle: HTMLButtonElement;
  private readonly images: HTMLButtonElement;
  private readonly saved: HTMLSpanElement;

  constructor(handlers: ToolbarHandlers) {
    this.el = h("div", "pw-toolbar");

    const label = h("label", "pw-label");
    label.append(h("span", "pw-label-text", "Color by"));
    this.select = h("select", "pw-color-by");
    this.select.title = "Colour points by a metadata column";
    label.append(this.select);

    const dims = h("div", "pw-segmented");
    dims.setAttribute("role", "group");
    dims.setAttribute("aria-label", "View dimensions");
    this.btn2d = h("button", "pw-button pw-2d", "2D");
    this.btn3d = h("button", "pw-button pw-3d", "3D");
    this.btn2d.title = VIEW_TITLES[2];
    this.btn3d.title = VIEW_TITLES[3];
    dims.append(this.btn2d, this.btn3d);

    const fit = h("button", "pw-button pw-fit", "Fit");
    fit.title = "Fit the view to all points";
    const clear = h("button", "pw-button pw-clear", "Clear");
    clear.title = "Clear the selection (Escape)";
    for (const b of [this.btn2d, this.btn3d, fit, clear]) b.type = "button";

    this.panelToggle = h("button", "pw-button pw-panel-toggle", "\u2630");
    this.panelToggle.title = "Show or hide the tools panel";
    this.panelToggle.setAttribute("aria-label", "Tools panel");
    this.images = h("button", "pw-button pw-images", "Images");
    this.images.title = "Draw points as their thumbnails";
    this.images.hidden = true;
    this.images.setAttribute("aria-pressed", "false");
    const exportBtn = h("button", "pw-button pw-export", "PNG");
    exportBtn.title = "Download the view as projector.png";
    for (const b of [this.panelToggle, this.images, exportBtn]) b.type = "button";

    this.saved = h("span", "pw-saved-badge", "Saved view");
    this.saved.title = "A saved page: search, colour, labels and selection work offline; recomputing needs a running Python kernel";
    this.saved.hidden = true;
    const hint = h("span", "pw-hint", "Click: select · Shift+click: toggle · Shift+drag: lasso");
    this.el.append(this.panelToggle, label, dims, fit, clear, this.images, exportBtn, this.saved, hint);

    this.offs.push(
      listen(this.select, "change", () => handlers.onColorBy(this.select.value)),
      listen(this.btn2d, "click", () => handlers.onDimensions(2)),
      listen(this.btn3d, "click", () => handlers.onDimensions(3)),
      listen(fit, "click", () => handlers.onFit()),
      listen(clear, "click", () => handlers.onClear()),
      listen(this.panelToggle, "click", () => handlers.onTogglePanel()),
      listen(this.images, "click", () => handlers.onImages(this.images.getAttribute("aria-pressed") !== "true")),
      listen(exportBtn, "click", () => handlers.onExport()),
    );
    this.setColumns([], "");
  }

  /** Rebuild the colour-by options: "(none)" then every category/number column. */
  setColumns(columns: (CategoryColumn | NumberColumn)[], colorBy: string): void {
    this.select.replaceChildren();
    const none = h("option", undefined, "(none)");
    none.value = "";
    this.select.append(none);
    for (const c of columns) {
      const opt = h("option", undefined, c.name);
      opt.value = c.name;
      this.select.append(opt);
    }
    this.setColorBy(colorBy);
  }

  setColorBy(name: string): void {
    const exists = Array.from(this.select.options).some((o) => o.value === name);
    this.select.value = exists ? name : "";
  }

  /** Mark the active view mode. */
  setDimensions(dims: number): void {
    const is3d = dims === 3;
    this.btn2d.classList.toggle("pw-active", !is3d);
    this.btn3d.classList.toggle("pw-active", is3d);
    this.btn2d.setAttribute("aria-pressed", String(!is3d));
    this.btn3d.setAttribute("aria-pressed", String(is3d));
  }

  /** Say what the 2D and 3D buttons do (`dimensionTitle`); a saved page's titles stay. */
  setDimensionTitles(title2d: string, title3d: string): void {
    if (!this.btn2d.disabled) this.btn2d.title = title2d;
    if (!this.btn3d.disabled) this.btn3d.title = title3d;
  }

  /** The density overview is 2-D only: its 3-D button is hidden while it is on. */
  setOverview(on: boolean): void {
    this.btn3d.hidden = on;
  }

  /** A saved page: mark it, and disable the view modes whose points it does not hold. */
  setStandalone(available: readonly number[]): void {
    this.saved.hidden = false;
    for (const [btn, d] of [
      [this.btn2d, 2],
      [this.btn3d, 3],
    ] as const) {
      const ok = available.includes(d);
      btn.disabled = !ok;
      if (!ok) btn.title = `The ${d}-D view was not saved in this page`;
    }
  }

  setPanelOpen(open: boolean): void {
    this.panelToggle.setAttribute("aria-pressed", String(open));
    this.panelToggle.setAttribute("aria-expanded", String(open));
    this.panelToggle.classList.toggle("pw-active", open);
  }

  /** Show the thumbnails toggle (only when there are images) and its state. */
  setImages(available: boolean, on: boolean): void {
    this.images.hidden = !available;
    this.images.setAttribute("aria-pressed", String(available && on));
    this.images.classList.toggle("pw-active", available && on);
  }

  dispose(): void {
    for (const off of this.offs) off();
    this.offs.length = 0;
  }
}
