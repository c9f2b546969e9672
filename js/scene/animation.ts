/**
 * A running position transition: the points it starts from and its clock. The GPU mixes the two
 * position buffers (pointBuffers.ts) by the eased progress; positions on the CPU (labels, the
 * test hook) mix the same way (transition.ts).
 */
import type { Points } from "../contract/wirePoints";
import { ease, transitionT } from "./transition";

export class Transition {
  /** Positions a running transition starts from; null when none runs. */
  from: Points | null = null;
  private start = 0;
  private duration = 0;

  /** Animate from `from` over `ms` milliseconds, starting now. */
  begin(from: Points, ms: number): void {
    this.from = from;
    this.start = performance.now();
    this.duration = ms;
  }

  /** Stop (the new positions are shown as they are). */
  clear(): void {
    this.from = null;
  }

  get running(): boolean {
    return this.from !== null;
  }

  /** The eased mix now (1 when none runs). */
  mix(): number {
    if (!this.from) return 1;
    return ease(transitionT(performance.now(), this.start, this.duration));
  }
}
