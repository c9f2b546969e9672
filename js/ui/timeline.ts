/**
 * The timeline bar of a sequence (`Projector.sequence`): a slider over the steps, a play/pause
 * button and the current step's name, under the plot. Hidden unless the widget holds several
 * steps. Moving the slider (pointer or keyboard) or playing shows a step at once: the positions
 * of every step are already in the browser (`_timeline`), and the renderer animates from one
 * to the next on the GPU (scene/transition.ts); the step then goes to the kernel. No model here:
 * `show` draws a step, `commit` tells the kernel.
 */
import type { Timeline } from "../contract/wireTimeline";
import { h, listen } from "./dom";

/** Animation from one step to the next while playing, and from a slider move (ms). */
export const STEP_MS = 900;
/** Pause on each step while playing (ms). */
export const HOLD_MS = 300;
/** The share of the rows "Select moved" selects: those that moved most since the first step. */
export const MOVED_SHARE = 0.05;

export interface TimelineHooks {
  /** Draw step `step`, animated over `ms` (0: at once). */
  show(step: number, ms: number): void;
  /** The user (or playback) moved to `step`: tell the kernel. */
  commit(step: number): void;
  /** The user asked for the rows that moved most since the first step (to the step shown). */
  selectMoved(step: number): void;
}

export class TimelineBar {
  readonly el: HTMLDivElement;
  private readonly button: HTMLButtonElement;
  private readonly slider: HTMLInputElement;
  private readonly label: HTMLSpanElement;
  private readonly moved: HTMLButtonElement;
  private names: string[] = [];
  private enabled = true;
  private current = 0;
  private timer = 0;
  private readonly offs: (() => void)[];

  constructor(private readonly hooks: TimelineHooks) {
    this.el = h("div", "pw-timeline");
    this.el.hidden = true;
    this.button = h("button", "pw-button pw-timeline-play", "\u25b6");
    this.button.type = "button";
    this.slider = h("input", "pw-timeline-slider");
    this.slider.type = "range";
    this.slider.min = "0";
    this.slider.step = "1";
    this.slider.setAttribute("aria-label", "Step of the sequence");
    this.label = h("span", "pw-timeline-label");
    this.label.setAttribute("aria-live", "polite");
    this.moved = h("button", "pw-button pw-timeline-moved", "Select moved");
    this.moved.type = "button";
    this.moved.title = `Select the ${MOVED_SHARE * 100}% of points that moved most since the first step (w.drift() measures them)`;
    this.el.append(this.button, this.slider, this.label, this.moved);
    this.setPlaying(false);
    this.offs = [
      listen(this.button, "click", () => (this.playing ? this.pause() : this.play())),
      listen(this.moved, "click", () => this.hooks.selectMoved(this.current)),
      listen(this.slider, "input", () => {
        this.pause();
        this.go(Number(this.slider.value), STEP_MS);
      }),
      // The keys a range input takes, handled here: notebook hosts take arrow keys for
      // themselves (JupyterLab prevents their default), so the slider would not move.
      listen<KeyboardEvent>(this.slider, "keydown", (e) => {
        const to = keyStep(e.key, this.current, this.names.length);
        if (to === null || e.altKey || e.ctrlKey || e.metaKey) return;
        e.preventDefault();
        e.stopPropagation();
        this.pause();
        this.go(to, STEP_MS);
      }),
    ];
  }

  get playing(): boolean {
    return this.button.getAttribute("aria-pressed") === "true";
  }

  /** The step shown. */
  get step(): number {
    return this.current;
  }

  /** The steps' names (fewer than two hide the bar). */
  setSteps(names: string[]): void {
    this.pause();
    this.names = names;
    this.slider.max = String(Math.max(0, names.length - 1));
    this.el.hidden = names.length < 2;
    this.current = Math.min(this.current, Math.max(0, names.length - 1));
    this.render();
  }

  /**
   * Whether the plot shows the sequence's own layouts (not while t-SNE/UMAP, an isolated subset
   * or spherized rows are shown): the bar then stays, disabled, and says why.
   */
  setEnabled(enabled: boolean): void {
    if (!enabled) this.pause();
    this.enabled = enabled;
    this.slider.disabled = !enabled;
    this.button.disabled = !enabled;
    this.moved.disabled = !enabled;
    this.render();
  }

  /** The kernel's step (set from Python, or echoed): show it (over `ms`) when it is not the step shown. */
  setStep(step: number, ms: number): void {
    if (!Number.isInteger(step) || step < 0 || step >= this.names.length) return;
    if (step === this.current) return;
    this.current = step;
    this.render();
    this.hooks.show(step, ms);
  }

  /** Animate through the steps from the one shown (from the first when at the last). */
  play(): void {
    if (!this.enabled || this.names.length < 2) return;
    this.setPlaying(true);
    if (this.current >= this.names.length - 1) this.go(0, 0);
    this.timer = window.setTimeout(this.advance, HOLD_MS);
  }

  pause(): void {
    if (this.timer) window.clearTimeout(this.timer);
    this.timer = 0;
    this.setPlaying(false);
  }

  dispose(): void {
    this.pause();
    for (const off of this.offs.splice(0)) off();
    this.el.remove();
  }

  private readonly advance = (): void => {
    this.timer = 0;
    if (!this.playing) return;
    if (this.current >= this.names.length - 1) {
      this.pause();
      return;
    }
    this.go(this.current + 1, STEP_MS);
    this.timer = window.setTimeout(this.advance, STEP_MS + HOLD_MS);
  };

  private go(step: number, ms: number): void {
    if (step === this.current && ms > 0) return;
    this.current = step;
    this.render();
    this.hooks.show(step, ms);
    this.hooks.commit(step);
  }

  private setPlaying(playing: boolean): void {
    this.button.setAttribute("aria-pressed", String(playing));
    this.button.textContent = playing ? "\u23f8" : "\u25b6";
    const what = playing ? "Pause" : "Play through the steps";
    this.button.title = what;
    this.button.setAttribute("aria-label", what);
  }

  private render(): void {
    this.slider.value = String(this.current);
    const name = this.names[this.current] ?? "";
    const where = `${name} (${this.current + 1}/${this.names.length})`;
    this.label.textContent = this.enabled ? where : `${where} \u2013 shown in PCA only`;
    this.slider.setAttribute("aria-valuetext", name);
  }
}

/** The step a key moves a slider of `steps` steps to from `step`; null for other keys. */
export function keyStep(key: string, step: number, steps: number): number | null {
  const last = Math.max(0, steps - 1);
  const moves: Record<string, number> = {
    ArrowRight: step + 1,
    ArrowUp: step + 1,
    PageUp: step + 1,
    ArrowLeft: step - 1,
    ArrowDown: step - 1,
    PageDown: step - 1,
    Home: 0,
    End: last,
  };
  return key in moves ? Math.max(0, Math.min(last, moves[key])) : null;
}

/**
 * The `count` rows that moved most between the first step and `step` of `timeline` (distance in
 * the aligned 3-D layouts, as `w.drift()` measures it), sorted by row.
 */
export function mostMoved(timeline: Timeline, step: number, count: number): Uint32Array {
  const { n, data, lo, hi } = timeline;
  const moved = new Float64Array(n);
  const at = step * n * 3;
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let axis = 0; axis < 3; axis++) {
      const from = lo[0][axis] + (data[3 * i + axis] / 65535) * (hi[0][axis] - lo[0][axis]);
      const to = lo[step][axis] + (data[at + 3 * i + axis] / 65535) * (hi[step][axis] - lo[step][axis]);
      sum += (to - from) ** 2;
    }
    moved[i] = sum;
  }
  // The count-th largest distance by a native numeric sort of a copy (no per-row JS objects or
  // comparator calls: a million rows stay typed), then the rows above it and, of the rows at
  // it, the lowest indices.
  const take = Math.max(0, Math.min(n, count));
  const out = new Uint32Array(take);
  if (take === 0) return out;
  const threshold = Float64Array.from(moved).sort()[n - take];
  let above = 0;
  for (let i = 0; i < n; i++) if (moved[i] > threshold) above++;
  let k = 0;
  let ties = take - above;
  for (let i = 0; i < n; i++) {
    if (moved[i] > threshold || (moved[i] === threshold && ties-- > 0)) out[k++] = i;
  }
  return out;
}
