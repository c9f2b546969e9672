/**
 * A sequence's steps (`Projector.sequence`) in a view: the timeline bar under the plot
 * (ui/timeline.ts), whose steps' positions come from `_timeline` and replace the drawn ones
 * (the renderer animates between them on the GPU), the `step` trait both ways, and "Select
 * moved". The kernel says whether its view is the sequence's own layouts (`_timeline_active`:
 * one rule, kept there); the bar is disabled otherwise.
 */
import { bind, numberAt, save, type WidgetModel } from "../contract/model";
import { decodeTimeline, type Timeline, timelinePoints } from "../contract/wireTimeline";
import type { Shared } from "../shared/shared";
import { MOVED_SHARE, mostMoved, STEP_MS, TimelineBar } from "../ui/timeline";

export class TimelineBinder {
  private readonly bar: TimelineBar;
  private steps: Timeline | null = null;
  /** Whether a step set from the model animates (the first one shows at once). */
  private opened = false;

  constructor(
    private readonly model: WidgetModel,
    private readonly shared: Shared,
    /** The bar goes before `before` in `root`. */
    root: HTMLElement,
    before: HTMLElement,
    /** "Select moved" selects through it (view/emphasis.ts). */
    emphasis: { applySelection(rows: Uint32Array, fromUser: boolean): void },
  ) {
    this.bar = new TimelineBar({
      show: (step, ms) => this.show(step, ms),
      commit: (step) => save(model, "step", step),
      selectMoved: (step) => {
        const steps = this.steps;
        if (steps) emphasis.applySelection(mostMoved(steps, step, Math.max(1, Math.round(steps.n * MOVED_SHARE))), true);
      },
    });
    root.insertBefore(this.bar.el, before);
  }

  /** Draw step `step` over `ms` when it belongs to the points shown and the kernel shows the sequence. */
  private show(step: number, ms: number): void {
    const { shared, steps } = this;
    const dims = shared.points.received?.dims;
    if (!steps || !dims || step >= steps.steps || steps.n !== shared.points.received?.n || !this.active()) return;
    const layout = shared.points.received?.layout ?? 0;
    shared.points.showLocal(timelinePoints(steps, step, dims, ms, layout), `${step}/${dims}`);
  }

  private active(): boolean {
    return this.model.get("_timeline_active") === true;
  }

  /** Show `_timeline`, `_timeline_active` and `step` now and on change; returns the unbind functions. */
  bind(): (() => void)[] {
    const { model, bar } = this;
    const offs = [
      bind(model, "_timeline", () => {
        this.steps = decodeTimeline(model.get("_timeline"));
        bar.setSteps(this.steps?.names ?? []);
      }),
      bind(model, "_timeline_active", () => bar.setEnabled(this.active())),
      bind(model, "step", () => bar.setStep(numberAt(model, "step", 0), this.opened ? STEP_MS : 0)),
    ];
    this.opened = true; // a step set from now on animates; the first one showed at once
    return offs;
  }

  dispose(): void {
    this.bar.dispose();
  }
}
