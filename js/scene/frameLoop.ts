/**
 * The renderer's clock: at most one requestAnimationFrame pending, a frame drawn at it when one
 * was asked for, and the time of a drawn frame measured at the animation frame after it (the
 * browser starts that one only once the frame is done; GPU time itself is not observable in
 * every browser). The level of detail sizes its samples from these times (detail.ts).
 */

export interface FrameHost {
  /** Whether no frame may run now (the context is lost, or the renderer disposed). */
  halted(): boolean;
  /** The frame measured drew `drawn` points in `ms` milliseconds. */
  measured(drawn: number, ms: number): void;
  /** Draw the frame asked for. */
  draw(now: number): void;
}

export class FrameLoop {
  private raf = 0;
  /** A frame waits to be drawn (animation frames also run for measurements). */
  private dirty = false;
  /** The last drawn frame, until the next animation frame measures how long it took. */
  private timing: { at: number; drawn: number } | null = null;

  constructor(private readonly host: FrameHost) {}

  /** Draw a frame at the next animation frame. */
  schedule(): void {
    this.dirty = true;
    this.request();
  }

  /** Measure the frame drawn at `at`, of `drawn` points, at the next animation frame. */
  measure(at: number, drawn: number): void {
    this.timing = { at, drawn };
    this.request();
  }

  /** Drop the pending animation frame (a frame asked for waits for the next request). */
  cancel(): void {
    if (this.raf) cancelAnimationFrame(this.raf);
    this.raf = 0;
  }

  private request(): void {
    if (this.raf || this.host.halted()) return;
    this.raf = requestAnimationFrame(this.tick);
  }

  private readonly tick = (now: number): void => {
    this.raf = 0;
    const t = this.timing;
    this.timing = null;
    if (t) this.host.measured(t.drawn, now - t.at);
    if (!this.dirty) return;
    this.dirty = false;
    this.host.draw(now);
  };
}
