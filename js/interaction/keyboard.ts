/** Keyboard handling on the focused widget. */
import { listen } from "../ui/dom";

export interface KeyboardTarget {
  clearSelection(): void;
}

/**
 * Escape clears the selection. The event is stopped so that the host
 * (JupyterLab leaves edit/command mode on Escape) does not act on it too.
 */
export function attachKeyboard(root: HTMLElement, target: KeyboardTarget): () => void {
  return listen<KeyboardEvent>(root, "keydown", (e) => {
    if (e.key === "Escape" && !e.altKey && !e.ctrlKey && !e.metaKey) {
      e.stopPropagation();
      e.preventDefault();
      target.clearSelection();
    }
  });
}
