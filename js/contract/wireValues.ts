/**
 * The small synced values: `_progress` (a running layout), `_quality` (the last layout check),
 * `_query_point` (a semantic query's place in the layout) and `bookmarks`. Pure functions, no DOM.
 */
import { finiteOr, isObjectLike } from "./guards";

export type ProgressState = "idle" | "running" | "paused" | "done" | "stopped" | "error";

export interface Progress {
  method: string;
  state: ProgressState;
  iteration: number;
  total: number;
  etaS: number | null;
  message: string;
  /** Seconds the job has run (paused time not counted); absent when the kernel does not say. */
  elapsedS?: number;
}

const STATES: readonly ProgressState[] = ["idle", "running", "paused", "done", "stopped", "error"];

export function decodeProgress(raw: unknown): Progress {
  const r = isObjectLike(raw) ? raw : {};
  const state = STATES.find((s) => s === r.state) ?? "idle";
  return {
    method: typeof r.method === "string" ? r.method : "",
    state,
    iteration: finiteOr(r.iteration, 0),
    total: finiteOr(r.total, 0),
    etaS: typeof r.eta_s === "number" && Number.isFinite(r.eta_s) ? r.eta_s : null,
    message: typeof r.message === "string" ? r.message : "",
    ...(typeof r.elapsed_s === "number" && Number.isFinite(r.elapsed_s) && r.elapsed_s >= 0 ? { elapsedS: r.elapsed_s } : {}),
  };
}

/** `_quality`: the scores of the kernel's last `layout_quality` (explain.quality_payload). */
export interface Quality {
  version: number;
  /** The metadata column holding each row's neighbours kept. */
  column: string;
  k: number;
  metric: string;
  /** Every row evaluated; otherwise the scores are estimates with standard errors. */
  exact: boolean;
  evaluated: number;
  trustworthiness: number;
  continuity: number;
  trustworthinessSe: number;
  continuitySe: number;
  /** The layout changed since it was measured. */
  stale: boolean;
}

const unitScore = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x) && x >= 0 && x <= 1;

/** Decode `_quality`; null before any measure, or when either score is not a number in [0, 1]. */
export function decodeQuality(raw: unknown): Quality | null {
  if (!isObjectLike(raw) || !unitScore(raw.trustworthiness) || !unitScore(raw.continuity)) return null;
  const se = (x: unknown): number => Math.max(0, finiteOr(x, 0));
  return {
    version: finiteOr(raw.version, 0),
    column: typeof raw.column === "string" ? raw.column : "",
    k: finiteOr(raw.k, 0),
    metric: typeof raw.metric === "string" ? raw.metric : "",
    exact: raw.exact !== false,
    evaluated: finiteOr(raw.evaluated, 0),
    trustworthiness: raw.trustworthiness,
    continuity: raw.continuity,
    trustworthinessSe: se(raw.trustworthiness_se),
    continuitySe: se(raw.continuity_se),
    stale: raw.stale === true,
  };
}

export interface QueryPoint {
  text: string;
  coords: [number, number, number];
  dims: 2 | 3;
}

export function decodeQueryPoint(raw: unknown): QueryPoint | null {
  if (!isObjectLike(raw) || !Array.isArray(raw.coords)) return null;
  const c = raw.coords;
  if (c.length !== 2 && c.length !== 3) return null;
  if (!c.every((v) => typeof v === "number" && Number.isFinite(v))) return null;
  const coords: [number, number, number] = [c[0] as number, c[1] as number, c.length === 3 ? (c[2] as number) : 0];
  return { text: typeof raw.text === "string" ? raw.text : "", coords, dims: c.length === 3 ? 3 : 2 };
}

/** Bookmark names from `bookmarks`. */
export function decodeBookmarks(raw: unknown): string[] {
  if (!Array.isArray(raw)) return [];
  const out: string[] = [];
  for (const b of raw) if (isObjectLike(b) && typeof b.name === "string") out.push(b.name);
  return out;
}
