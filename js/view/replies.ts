/**
 * The kernel's replies a view shows (shared/shared.ts receives them once per model): a failed
 * request's message on the error line (any other reply clears it), a search's match count and
 * a label edit's result in the panel, and the selection's receipt, which lets a held redraw run.
 */
import type { Shared, ViewReply } from "../shared/shared";

/** Where the replies go. */
export interface ReplyTargets {
  showError(message: string): void;
  panel: { setSearchCount(count: number): void; setEditStatus(text: string): void };
  /** Told that the kernel holds the browser's new selection (view/emphasis.ts). */
  emphasis: { ack(): void };
}

/** What the panel says after a label edit: "Set “kind” on 3 points". */
export function labelEditText(column: string, count: number): string {
  return `Set \u201c${column}\u201d on ${count.toLocaleString("en-US")} point${count === 1 ? "" : "s"}`;
}

/** Show `reply` in `targets`. */
export function showReply(reply: ViewReply, targets: ReplyTargets): void {
  if (reply.type === "selected_ack") {
    targets.emphasis.ack();
    return;
  }
  targets.showError(reply.type === "error" ? reply.message : "");
  if (reply.type === "search") targets.panel.setSearchCount(reply.count);
  if (reply.type === "label") targets.panel.setEditStatus(labelEditText(reply.column, reply.count));
}

/** Show the kernel's replies in `targets` from now on; returns the function that stops it. */
export function bindReplies(shared: Shared, targets: ReplyTargets): () => void {
  return shared.onReply((reply) => showReply(reply, targets));
}
