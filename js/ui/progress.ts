/**
 * The one line of text that reports the kernel's long work in the panel: a projection's phase
 * ("t-SNE · computing affinities: 40% (k-NN search)", "UMAP · optimising layout 120/500
 * epochs · ~4 s left") or, in the idle state, a task's ("building index 3/124 chunks").
 * The kernel writes the phase text (`message`) and the time left of a phase it can count
 * (`eta_s`, also for steps that are not iterations); this adds the method, pause and time left.
 */
import { methodLabel, type Spec } from "../contract/protocol";
import type { Progress } from "../contract/wireValues";

/**
 * "t-SNE · optimising layout 250/750 · ~4 s left", or the message; labels come from `spec`.
 * With the `dims` of the layout being computed, its label says them ("t-SNE in 3-D · …").
 */
export function progressText(p: Progress, spec: Spec | null, dims?: number): string {
  if (p.state === "idle") return p.message;
  const label = dims === 2 || dims === 3 ? `${methodLabel(spec, p.method)} in ${dims}-D` : methodLabel(spec, p.method);
  if (p.state === "running" || p.state === "paused") {
    let s = "";
    if (p.message) s = `${label} · ${p.message}`;
    else if (p.total > 0) s = `${label} · iteration ${p.iteration.toLocaleString("en-US")} / ${p.total.toLocaleString("en-US")}`;
    if (s) {
      if (p.state === "paused") s += " · paused";
      else if (p.etaS !== null) s += ` · ~${Math.max(1, Math.round(p.etaS))} s left`;
      return s;
    }
  }
  if (p.message) return p.message;
  return `${label} · ${p.state}`;
}

/** What the status line adds for `p` (of a layout in `dims`): the work under way, or "" once it is done. */
export function statusActivity(p: Progress, spec: Spec | null, dims?: number): string {
  const working = p.state === "running" || p.state === "paused" || (p.state === "idle" && p.message !== "");
  return working ? progressText(p, spec, dims) : "";
}
