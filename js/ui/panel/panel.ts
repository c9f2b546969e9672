/**
 * The side panel: the Projection, Search, Colour & labels, Selection and Bookmarks sections (one
 * module each, in this folder), in that order. It only builds controls and reports what the user
 * asks for through its handlers; view/controls.ts turns that into model changes and protocol
 * requests. On a saved page only what works offline is offered. All data-derived text goes
 * through textContent.
 */
import type { AppearanceSpec, Spec } from "../../contract/protocol";
import type { Column } from "../../contract/wireColumns";
import type { Progress } from "../../contract/wireValues";
import { h } from "../dom";
import { type AppearanceHandlers, AppearanceSection, type AppearanceValues } from "./appearance";
import { type BookmarkHandlers, BookmarksSection } from "./bookmarks";
import { type ProjectionHandlers, ProjectionSection } from "./projection";
import { type SearchHandlers, SearchSection } from "./search";
import { type SelectionHandlers, SelectionSection } from "./selection";

export type { AppearanceValues } from "./appearance";

export type PanelHandlers = ProjectionHandlers & SearchHandlers & AppearanceHandlers & SelectionHandlers & BookmarkHandlers;

export class Panel {
  readonly el: HTMLDivElement;
  private readonly projection: ProjectionSection;
  private readonly search: SearchSection;
  private readonly appearance: AppearanceSection;
  private readonly selection: SelectionSection;
  private readonly bookmarks: BookmarksSection;

  constructor(handlers: PanelHandlers) {
    const el = h("div", "pw-panel");
    el.setAttribute("aria-label", "Projector tools");
    this.el = el;
    this.projection = new ProjectionSection(handlers, (running) => el.classList.toggle("pw-busy", running));
    this.search = new SearchSection(handlers);
    this.appearance = new AppearanceSection(handlers);
    this.selection = new SelectionSection(handlers);
    this.bookmarks = new BookmarksSection(handlers);
    el.append(this.projection.el, this.search.el, this.appearance.el, this.selection.el, this.bookmarks.el);
    this.setProgress({ method: "", state: "idle", iteration: 0, total: 0, etaS: null, message: "" });
    this.setSelectedCount(0);
  }

  // --------------------------------------------------------- projection

  /** The kernel's rules: its methods, their labels, choices and defaults. */
  setSpec(spec: Spec | null): void {
    this.projection.setSpec(spec);
  }

  /** The projection in use changed from Python: show it and its parameters. */
  setProjection(method: string, params: unknown): void {
    this.projection.setProjection(method, params);
  }

  setPcaVariance(variance: number[]): void {
    this.projection.setPcaVariance(variance);
  }

  setDimensions(dims: number): void {
    this.projection.setDimensions(dims);
  }

  setSpherize(on: boolean): void {
    this.projection.setSpherize(on);
  }

  setProgress(p: Progress): void {
    this.projection.setProgress(p);
  }

  /**
   * A saved page: the projection cannot be recomputed and selections cannot
   * be isolated, edited or bookmarked, so those controls give way to a note;
   * search and label-by stay.
   */
  setStandalone(): void {
    this.el.classList.add("pw-standalone");
    this.projection.setStandalone();
    this.selection.el.hidden = true;
    this.bookmarks.el.hidden = true;
    this.search.setStandalone();
  }

  // --------------------------------------------------------- appearance

  /** The kernel's colour maps (grouped by kind) and palettes, offered by name. */
  setAppearanceSpec(spec: AppearanceSpec | null): void {
    this.appearance.setSpec(spec);
  }

  /** Show how points look (from the model). */
  setAppearance(look: AppearanceValues): void {
    this.appearance.setAppearance(look);
  }

  /** Which colour control applies: the colour map for a numeric column, the palette for a categorical one. */
  setColorKind(kind: Column["kind"] | null): void {
    this.appearance.setColorKind(kind);
  }

  // ------------------------------------------------------------ columns

  setColumns(columns: Column[], labelBy: string): void {
    this.search.setColumns(columns);
    this.appearance.setColumns(columns, labelBy);
    this.selection.setColumns(columns);
    this.projection.setColumns(columns);
  }

  setLabelBy(name: string): void {
    this.appearance.setLabelBy(name);
  }

  // ------------------------------------------------- search, selection, bookmarks

  setSearchCount(count: number | null): void {
    this.search.setSearchCount(count);
  }

  setHasEncoder(has: boolean): void {
    this.search.setHasEncoder(has);
  }

  setSelectedCount(count: number): void {
    this.selection.setSelectedCount(count);
  }

  setIsolated(isolated: boolean): void {
    this.selection.setIsolated(isolated);
  }

  setEditStatus(text: string): void {
    this.selection.setEditStatus(text);
  }

  setBookmarks(names: string[]): void {
    this.bookmarks.setBookmarks(names);
  }

  dispose(): void {
    this.projection.dispose();
    this.search.dispose();
    this.appearance.dispose();
    this.selection.dispose();
    this.bookmarks.dispose();
  }
}
