/**
 * The panel's "Search" section: a metadata search (in one column or all, as text or a regular
 * expression) with its match count, and the semantic query, offered when the kernel has an
 * encoder (not on a saved page).
 */
import type { Column } from "../../contract/wireColumns";
import { button, check, field, h, input, listen, onEnter, section, select, setOptions } from "../dom";

export interface SearchHandlers {
  search(query: string, column: string, regex: boolean): void;
  query(text: string): void;
}

export class SearchSection {
  readonly el: HTMLDetailsElement;
  private readonly offs: (() => void)[];
  /** A saved page: no semantic query. */
  private standalone = false;
  private readonly search = input("pw-search", "search", "Search metadata");
  private readonly searchColumn = select("pw-search-column");
  private readonly searchRegex = input("pw-search-regex", "checkbox");
  private readonly searchGo = button("pw-search-go", "Search");
  private readonly searchCount = h("div", "pw-search-count");
  private readonly queryRow: HTMLLabelElement;
  private readonly query = input("pw-query", "search", "Type text to embed");

  constructor(handlers: SearchHandlers) {
    const srch = section("Search", "pw-section-search");
    const searchRow = h("div", "pw-row");
    searchRow.append(this.search, this.searchGo);
    const searchOpts = h("div", "pw-row");
    searchOpts.append(this.searchColumn, check(this.searchRegex, "Regex"));
    this.queryRow = field("Semantic query", this.query, "pw-field pw-query-field");
    this.queryRow.hidden = true;
    srch.body.append(searchRow, searchOpts, this.searchCount, this.queryRow);
    this.el = srch.el;
    const doSearch = (): void => handlers.search(this.search.value, this.searchColumn.value, this.searchRegex.checked);
    const doQuery = (): void => {
      if (this.query.value.trim()) handlers.query(this.query.value);
    };
    this.offs = [onEnter(this.search, doSearch), listen(this.searchGo, "click", doSearch), onEnter(this.query, doQuery)];
  }

  /** The columns searched in. */
  setColumns(columns: readonly Column[]): void {
    setOptions(this.searchColumn, [["", "(all columns)"], ...columns.map((c): [string, string] => [c.name, c.name])]);
  }

  setSearchCount(count: number | null): void {
    this.searchCount.textContent = count === null ? "" : `${count.toLocaleString("en-US")} match${count === 1 ? "" : "es"}`;
  }

  setHasEncoder(has: boolean): void {
    this.queryRow.hidden = !has || this.standalone;
  }

  /** A saved page: no semantic query (search still works offline). */
  setStandalone(): void {
    this.standalone = true;
    this.queryRow.hidden = true;
  }

  dispose(): void {
    for (const off of this.offs.splice(0)) off();
  }
}
