/** The panel's "Bookmarks" section: save the view under a name, restore or delete a saved one. Needs a kernel. */
import { button, h, input, listen, onEnter, section } from "../dom";

export interface BookmarkHandlers {
  bookmark(action: "save" | "restore" | "delete", name: string): void;
}

export class BookmarksSection {
  readonly el: HTMLDetailsElement;
  private readonly offs: (() => void)[];
  private readonly bookmarkName = input("pw-bookmark-name", "text", "Bookmark name");
  private readonly bookmarkSave = button("pw-bookmark-save", "Save");
  private readonly bookmarkList = h("ul", "pw-bookmarks");

  constructor(private readonly handlers: BookmarkHandlers) {
    const bm = section("Bookmarks", "pw-section-bookmarks");
    const bmRow = h("div", "pw-row");
    bmRow.append(this.bookmarkName, this.bookmarkSave);
    bm.body.append(bmRow, this.bookmarkList);
    this.el = bm.el;
    const doBookmark = (): void => {
      const name = this.bookmarkName.value.trim();
      if (!name) return;
      handlers.bookmark("save", name);
      this.bookmarkName.value = "";
    };
    this.offs = [onEnter(this.bookmarkName, doBookmark), listen(this.bookmarkSave, "click", doBookmark)];
  }

  setBookmarks(names: string[]): void {
    this.bookmarkList.replaceChildren();
    for (const name of names) {
      const li = h("li", "pw-bookmark");
      li.dataset.name = name;
      const restore = h("button", "pw-bookmark-restore", name);
      restore.type = "button";
      restore.title = "Restore this bookmark";
      const del = h("button", "pw-bookmark-delete", "\u00d7");
      del.type = "button";
      del.title = "Delete this bookmark";
      del.setAttribute("aria-label", "Delete bookmark");
      li.addEventListener("click", () => this.handlers.bookmark("restore", name));
      del.addEventListener("click", (e) => {
        e.stopPropagation();
        this.handlers.bookmark("delete", name);
      });
      li.append(restore, del);
      this.bookmarkList.append(li);
    }
    if (names.length === 0) this.bookmarkList.append(h("li", "pw-empty", "No bookmarks yet"));
  }

  dispose(): void {
    for (const off of this.offs.splice(0)) off();
  }
}
