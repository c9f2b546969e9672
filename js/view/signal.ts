/**
 * A notification one part of a view sends and the parts built after it listen to: how a part
 * tells those that depend on it without knowing them (the points changed, the selection
 * changed, a frame was drawn), so every part is built after what it uses.
 */
export class Signal<A extends unknown[] = []> {
  private readonly listeners = new Set<(...args: A) => void>();

  /** Call `listener` on every emit, in the order listeners were added; returns the function that removes it. */
  on(listener: (...args: A) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(...args: A): void {
    for (const l of [...this.listeners]) l(...args);
  }

  clear(): void {
    this.listeners.clear();
  }
}
