/**
 * The panel's "Map" section: cluster names and density contours on or off (the
 * `show_clusters` and `show_density` traits), "Find clusters" (the `clusters` request: the
 * kernel runs `w.cluster()` on the current layout in the background, named from the chosen
 * column), "Check layout" (the `quality` request: `w.layout_quality(k)` in the background, then
 * the map is coloured by the neighbours each point kept), the scores of the last check, and a
 * note on what is shown (none found yet, found or measured on an earlier layout, contours in
 * 2-D only). Reports through its handlers only; column names and scores go through textContent.
 */
import type { Column } from "../contract/wireColumns";
import type { Quality } from "../contract/wireValues";
import { button, clampInput, field, h, input, listen, section, select, setOptions } from "./dom";

const DENSITY_TITLE = "Contour lines of where points are dense, under the points (2-D views)";

/** Neighbours per point a layout check uses unless the user types another number. */
export const DEFAULT_QUALITY_K = 10;

export interface ExplainHandlers {
  showClusters(on: boolean): void;
  showDensity(on: boolean): void;
  /** Find clusters named from `column` ("" for the kernel's default). */
  findClusters(column: string): void;
  /** Measure the layout with `k` neighbours per point. */
  checkLayout(k: number): void;
}

export interface ExplainState {
  showClusters: boolean;
  showDensity: boolean;
  /** Clusters have been found. */
  found: boolean;
  stale: boolean;
  dims: number;
  /** The last layout check's scores (null before any). */
  quality: Quality | null;
}

/** What the note under the controls says. */
export function explainNote(s: ExplainState): string {
  const notes: string[] = [];
  if (s.showClusters && !s.found) notes.push("No clusters yet: Find clusters names the groups of this layout.");
  if (s.showClusters && s.found && s.stale) notes.push("The clusters were found on an earlier layout: Find clusters again.");
  if (s.quality?.stale) notes.push("The scores were measured on an earlier layout: Check layout again.");
  if (s.showDensity && s.dims === 3) notes.push(DENSITY_2D_ONLY);
  return notes.join(" ");
}

/** Why no contours show in a 3-D view (the panel's note, the checkbox's title). */
export const DENSITY_2D_ONLY = "Density contours are drawn in 2-D views only: switch to 2D to see them.";
/** What the status line says while contours are asked for in a 3-D view. */
export const DENSITY_STATUS_3D = "density contours: 2-D views only";

const score = (v: number): string => v.toFixed(3);

/**
 * The scores of a layout check: "Trustworthiness 0.912 · continuity 0.934 (k = 10, exact)", or
 * with standard errors "… 0.912 ± 0.004 … (k = 10, estimated from 20,000 points)".
 */
export function qualityText(q: Quality): string {
  if (q.exact) return `Trustworthiness ${score(q.trustworthiness)} · continuity ${score(q.continuity)} (k = ${q.k}, exact)`;
  const t = `${score(q.trustworthiness)} ± ${score(q.trustworthinessSe)}`;
  const c = `${score(q.continuity)} ± ${score(q.continuitySe)}`;
  return `Trustworthiness ${t} · continuity ${c} (k = ${q.k}, estimated from ${q.evaluated.toLocaleString("en-US")} points)`;
}

/** The k a typed text asks for: a whole number from 1 (the default when it is not a number). */
export function qualityK(text: string): number {
  const k = clampInput(text, 1, Number.MAX_SAFE_INTEGER);
  return k === null ? DEFAULT_QUALITY_K : Math.round(k);
}

export class ExplainSection {
  readonly el: HTMLDetailsElement;
  private readonly clustersBox = input("pw-show-clusters", "checkbox");
  private readonly densityBox = input("pw-show-density", "checkbox");
  private readonly densityLabel = h("label", "pw-check");
  private readonly column = select("pw-cluster-column", [["", "(default)"]]);
  private readonly find = button("pw-find-clusters", "Find clusters", "Cluster the current layout (HDBSCAN) and name each cluster");
  private readonly k = input("pw-quality-k", "number");
  private readonly check = button(
    "pw-check-layout",
    "Check layout",
    "Measure how far the layout keeps each point's k nearest neighbours, and colour the points by the share kept (dark: the layout misplaces them)",
  );
  private readonly quality = h("div", "pw-quality");
  private readonly note = h("div", "pw-hint pw-explain-note");
  private readonly offs: (() => void)[];

  constructor(handlers: ExplainHandlers, kernel: boolean) {
    const sec = section("Map", "pw-section-map");
    this.el = sec.el;
    const clusters = h("label", "pw-check");
    clusters.append(this.clustersBox, h("span", undefined, "Cluster names"));
    clusters.title = "Name the clusters of the layout on the map; zoom in for finer ones";
    const density = this.densityLabel;
    density.append(this.densityBox, h("span", undefined, "Density contours"));
    density.title = DENSITY_TITLE;
    const findRow = h("div", "pw-row");
    findRow.append(this.find);
    const named = field("Name clusters by", this.column);
    this.k.min = "1";
    this.k.step = "1";
    this.k.value = String(DEFAULT_QUALITY_K);
    this.k.title = "Neighbours per point";
    const kField = h("label", "pw-field pw-field-inline");
    kField.append(h("span", "pw-field-label", "k"), this.k);
    const checkRow = h("div", "pw-row");
    checkRow.append(this.check, kField);
    named.hidden = findRow.hidden = checkRow.hidden = !kernel;
    this.quality.setAttribute("role", "status");
    this.quality.title =
      "Trustworthiness: how many of each point's neighbours on the map are true neighbours. " +
      "Continuity: how many of its true neighbours stay neighbours on the map. 1 is perfect.";
    this.quality.hidden = true;
    this.note.setAttribute("role", "status");
    sec.body.append(clusters, density, named, findRow, checkRow, this.quality, this.note);
    this.offs = [
      listen(this.clustersBox, "change", () => handlers.showClusters(this.clustersBox.checked)),
      listen(this.densityBox, "change", () => handlers.showDensity(this.densityBox.checked)),
      listen(this.find, "click", () => handlers.findClusters(this.column.value)),
      listen(this.check, "click", () => {
        const k = qualityK(this.k.value);
        this.k.value = String(k);
        handlers.checkLayout(k);
      }),
    ];
  }

  /** Offer the text and categorical columns to name clusters by. */
  setColumns(columns: readonly Column[]): void {
    const usable = columns.filter((c) => c.kind === "text" || c.kind === "category");
    setOptions(this.column, [["", "(default)"], ...usable.map((c): [string, string] => [c.name, c.name])]);
  }

  show(s: ExplainState): void {
    this.clustersBox.checked = s.showClusters;
    this.densityBox.checked = s.showDensity;
    // In 3-D the contours cannot be drawn: the box says so, and can only be turned off.
    this.densityBox.disabled = s.dims === 3 && !s.showDensity;
    this.densityLabel.title = s.dims === 3 ? DENSITY_2D_ONLY : DENSITY_TITLE;
    this.quality.textContent = s.quality ? qualityText(s.quality) : "";
    this.quality.hidden = s.quality === null;
    const note = explainNote(s);
    this.note.textContent = note;
    this.note.hidden = note === "";
  }

  dispose(): void {
    for (const off of this.offs.splice(0)) off();
  }
}
