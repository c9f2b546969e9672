/**
 * The panel's "Selection" section: isolate the selected rows (or show every row again), and set
 * a column's value on the selected rows. Needs a kernel (hidden on a saved page).
 */
import type { Column } from "../../contract/wireColumns";
import { button, field, h, input, listen, onEnter, section, select, setOptions } from "../dom";

export interface SelectionHandlers {
  isolate(isolated: boolean): void;
  editLabel(column: string, value: string): void;
}

export class SelectionSection {
  readonly el: HTMLDetailsElement;
  private readonly offs: (() => void)[];
  private selectedCount = 0;
  private isolated = false;
  private readonly isolateBtn = button("pw-isolate", "Isolate selection", "Show only the selected points");
  private readonly editColumn = select("pw-edit-column");
  private readonly editValue = input("pw-edit-value", "text", "new value");
  private readonly editApply = button("pw-edit-apply", "Apply to selection");
  private readonly editStatus = h("div", "pw-edit-status");

  constructor(handlers: SelectionHandlers) {
    const sel = section("Selection", "pw-section-selection");
    const editRow = h("div", "pw-row");
    editRow.append(this.editValue, this.editApply);
    sel.body.append(this.isolateBtn, field("Edit column", this.editColumn), editRow, this.editStatus);
    this.el = sel.el;
    this.offs = [
      listen(this.isolateBtn, "click", () => handlers.isolate(this.isolated)),
      listen(this.editApply, "click", () => handlers.editLabel(this.editColumn.value, this.editValue.value)),
      onEnter(this.editValue, () => {
        if (!this.editApply.disabled) handlers.editLabel(this.editColumn.value, this.editValue.value);
      }),
    ];
  }

  /** The columns a value may be set in. */
  setColumns(columns: readonly Column[]): void {
    setOptions(
      this.editColumn,
      columns.map((c) => [c.name, c.name]),
    );
  }

  setSelectedCount(count: number): void {
    this.selectedCount = count;
    this.updateIsolate();
    this.editApply.disabled = count === 0;
  }

  setIsolated(isolated: boolean): void {
    this.isolated = isolated;
    this.updateIsolate();
  }

  private updateIsolate(): void {
    this.isolateBtn.textContent = this.isolated ? "Show all" : "Isolate selection";
    this.isolateBtn.title = this.isolated ? "Show every point again" : "Show only the selected points";
    this.isolateBtn.disabled = !this.isolated && this.selectedCount === 0;
  }

  setEditStatus(text: string): void {
    this.editStatus.textContent = text;
  }

  dispose(): void {
    for (const off of this.offs.splice(0)) off();
  }
}
