/**
 * What one view emphasises: the selection, the focused row, the neighbours (of the focus or of
 * a semantic query) and whether the query was dismissed; the per-point flags composed from
 * them; and the schedule of the flags rebuild, which a large selection holds until the kernel's
 * receipt. Plain state and timers: no DOM, no model.
 */

import type { Neighbors } from "../contract/wireColumns";
import { composeFlags, hasEmphasis } from "../scene/flags";

/** A selection message above this many bytes may leave the page in several socket writes. */
export const SOCKET_WRITE_BYTES = 64 * 1024;
/** Longest wait for the kernel's receipt of a large selection before redrawing anyway. */
export const ACK_WAIT_MS = 1000;

const NONE = new Uint32Array(0);

export class ViewState {
  /** Sorted unique selected rows. */
  selection: Uint32Array = NONE;
  /** The focused row; -1 for none. */
  focus = -1;
  neighbors: Neighbors | null = null;
  /** The user closed the semantic query's inspector. */
  queryDismissed = false;
  /** Selected rows among the points drawn (after the last `composeFlags`). */
  selectedCount = 0;
  private flags = new Uint8Array(0);

  /** The semantic query is what the inspector shows (no focus, query not dismissed). */
  queryActive(): boolean {
    const nb = this.neighbors;
    return this.focus < 0 && !this.queryDismissed && nb !== null && nb.index === -1 && nb.query !== null;
  }

  /** Neighbours that belong to what is inspected now. */
  activeNeighbors(): Uint32Array {
    const nb = this.neighbors;
    if (!nb) return NONE;
    if (this.focus >= 0) return nb.index === this.focus ? nb.indices : NONE;
    return this.queryActive() ? nb.indices : NONE;
  }

  /** Focus `index` (-1: none); a new focus brings a dismissed query's inspector back. */
  setFocus(index: number): void {
    this.focus = index;
    if (index >= 0) this.queryDismissed = false;
  }

  /** New neighbours; those of a semantic query bring its inspector back. */
  setNeighbors(nb: Neighbors | null): void {
    this.neighbors = nb;
    if (nb && nb.index === -1) this.queryDismissed = false;
  }

  /** The per-point flags of `n` points (reused between calls) and whether anything is emphasised. */
  composeFlags(n: number, visible: Uint8Array | null): { flags: Uint8Array; count: number; emphasis: boolean } {
    if (this.flags.length !== n) this.flags = new Uint8Array(n);
    const inputs = { selected: this.selection, neighbors: this.activeNeighbors(), focus: this.focus, visible };
    this.selectedCount = composeFlags(this.flags, inputs);
    return { flags: this.flags, count: this.selectedCount, emphasis: hasEmphasis(inputs) };
  }
}

/** How long the flags rebuild waits after the user's own selection of `bytes` bytes went out. */
export function selectionRedrawDelay(bytes: number, kernel: boolean): number {
  // The model sends from promise callbacks, and a message larger than one socket write needs
  // this thread again to leave the page, while uploading flags and redrawing a million points
  // can hold it for a whole (software-rendered) frame. So the rebuild waits for a later task,
  // and for a large selection until the kernel acknowledges it (at most ACK_WAIT_MS).
  return kernel && bytes > SOCKET_WRITE_BYTES ? ACK_WAIT_MS : 0;
}

/**
 * Runs `rebuild` after a delay, or sooner: a later `schedule` with an earlier due time, or the
 * kernel's receipt (`ack`), brings it forward. One rebuild covers every schedule before it.
 */
export class FlagsSchedule {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private due = Number.POSITIVE_INFINITY;

  constructor(
    private readonly rebuild: () => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Whether a rebuild is waiting. */
  get pending(): boolean {
    return this.timer !== undefined;
  }

  schedule(delayMs: number): void {
    const due = this.now() + delayMs;
    if (this.timer !== undefined && due >= this.due) return;
    this.cancel();
    this.due = due;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.due = Number.POSITIVE_INFINITY;
      this.rebuild();
    }, delayMs);
  }

  /** The kernel holds the selection: a waiting rebuild runs at the next task. */
  ack(): void {
    if (this.timer !== undefined) this.schedule(0);
  }

  cancel(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.due = Number.POSITIVE_INFINITY;
  }
}
