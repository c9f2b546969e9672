/**
 * Tooltip rows of one model: each row's metadata as text, asked of the kernel once (after the
 * pointer rests on a point for a moment), kept for the most recent rows, and shared by every
 * view of the model.
 */
import type { RowReply, RowValue } from "../contract/protocol";

/** A row's metadata: [column, text], text null when the value is missing. */
export type Row = RowValue[];

/** Rows kept; the oldest is dropped beyond this. */
export const ROW_CACHE_LIMIT = 2000;
/** The pointer rests this long on a point before its row is asked for. */
export const ROW_REQUEST_DELAY_MS = 60;

export class RowCache {
  private readonly rows = new Map<number, Row>();
  private readonly pending = new Set<number>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly listeners = new Set<(index: number) => void>();

  /** `fetch(index)` asks the kernel for row `index`; its reply comes to `receive`. */
  constructor(
    private readonly fetch: (index: number) => void,
    private readonly limit = ROW_CACHE_LIMIT,
    private readonly delayMs = ROW_REQUEST_DELAY_MS,
  ) {}

  get(index: number): Row | undefined {
    return this.rows.get(index);
  }

  /**
   * Ask for row `index` after the delay, unless it is kept or already asked for. A later
   * request replaces one still waiting; `wanted()` is asked when the delay ends (the pointer
   * may have moved on).
   */
  request(index: number, wanted: () => boolean): void {
    if (this.rows.has(index) || this.pending.has(index)) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!wanted() || this.rows.has(index) || this.pending.has(index)) return;
      this.pending.add(index);
      this.fetch(index);
    }, this.delayMs);
  }

  /** A row reply: kept (and the listeners told) when it was asked for; returns whether it was. */
  receive(reply: RowReply): boolean {
    if (!this.pending.has(reply.index)) return false; // stale (forgotten) or never asked for
    this.pending.delete(reply.index);
    this.rows.set(reply.index, reply.values);
    if (this.rows.size > this.limit) {
      const oldest = this.rows.keys().next();
      if (!oldest.done) this.rows.delete(oldest.value);
    }
    for (const l of [...this.listeners]) l(reply.index);
    return true;
  }

  /** Forget every row (the metadata or the rows changed); replies still on their way are dropped. */
  clear(): void {
    this.rows.clear();
    this.pending.clear();
  }

  /** Call `listener(index)` when row `index` arrives; returns the function that stops it. */
  subscribe(listener: (index: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.listeners.clear();
  }
}
