/** The one line of text that reports a projection's progress in the panel. */
import { methodLabel, type Spec } from "../protocol";
import type { Progress } from "../wire";

/** "t-SNE · iteration 250 / 750 · ~4 s left", or the message; method labels come from `spec`. */
export function progressText(p: Progress, spec: Spec | null): string {
  if (p.state === "idle") return p.message;
  const label = methodLabel(spec, p.method);
  if ((p.state === "running" || p.state === "paused") && p.total > 0) {
    let s = `${label} · iteration ${p.iteration.toLocaleString("en-US")} / ${p.total.toLocaleString("en-US")}`;
    if (p.state === "paused") s += " · paused";
    else if (p.etaS !== null) s += ` · ~${Math.max(1, Math.round(p.etaS))} s left`;
    return s;
  }
  if (p.message) return p.message;
  return `${label} · ${p.state}`;
}
