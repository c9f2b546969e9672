/**
 * The panel's "Map" section: cluster names and density contours on or off (the
 * `show_clusters` and `show_density` traits), "Find clusters" (the `clusters` request: the
 * kernel runs `w.cluster()` on the current layout, named from the chosen column) and a note
 * on what is shown (none found yet, found on an earlier layout, contours in 2-D only).
 * Reports through its handlers only; column names go through textContent.
 */
import type { Column } from "../wire";
import { h, listen } from "./dom";
import { button, field, input, section, select, setOptions } from "./panel";

export interface ExplainHandlers {
  showClusters(on: boolean): void;
  showDensity(on: boolean): void;
  /** Find clusters named from `column` ("" for the kernel's default). */
  findClusters(column: string): void;
}

export interface ExplainState {
  showClusters: boolean;
  showDensity: boolean;
  /** Clusters have been found. */
  found: boolean;
  stale: boolean;
  dims: number;
}

/** What the note under the controls says. */
export function explainNote(s: ExplainState): string {
  const notes: string[] = [];
  if (s.showClusters && !s.found) notes.push("No clusters yet: Find clusters names the groups of this layout.");
  if (s.showClusters && s.found && s.stale) notes.push("The clusters were found on an earlier layout: Find clusters again.");
  if (s.showDensity && s.dims === 3) notes.push("Density contours are drawn in 2-D views.");
  return notes.join(" ");
}

export class ExplainSection {
  readonly el: HTMLDetailsElement;
  private readonly clustersBox = input("pw-show-clusters", "checkbox");
  private readonly densityBox = input("pw-show-density", "checkbox");
  private readonly column = select("pw-cluster-column", [["", "(default)"]]);
  private readonly find = button("pw-find-clusters", "Find clusters", "Cluster the current layout (HDBSCAN) and name each cluster");
  private readonly note = h("div", "pw-hint pw-explain-note");
  private readonly offs: (() => void)[];

  constructor(handlers: ExplainHandlers, kernel: boolean) {
    const sec = section("Map", "pw-section-map");
    this.el = sec.el;
    const clusters = h("label", "pw-check");
    clusters.append(this.clustersBox, h("span", undefined, "Cluster names"));
    clusters.title = "Name the clusters of the layout on the map; zoom in for finer ones";
    const density = h("label", "pw-check");
    density.append(this.densityBox, h("span", undefined, "Density contours"));
    density.title = "Contour lines of where points are dense, under the points (2-D views)";
    const findRow = h("div", "pw-row");
    findRow.append(this.find);
    const named = field("Name clusters by", this.column);
    named.hidden = findRow.hidden = !kernel;
    this.note.setAttribute("role", "status");
    sec.body.append(clusters, density, named, findRow, this.note);
    this.offs = [
      listen(this.clustersBox, "change", () => handlers.showClusters(this.clustersBox.checked)),
      listen(this.densityBox, "change", () => handlers.showDensity(this.densityBox.checked)),
      listen(this.find, "click", () => handlers.findClusters(this.column.value)),
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
    const note = explainNote(s);
    this.note.textContent = note;
    this.note.hidden = note === "";
  }

  dispose(): void {
    for (const off of this.offs.splice(0)) off();
  }
}
