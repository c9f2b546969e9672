/**
 * The anywidget model as this package uses it: its interface (met by anywidget's model and by
 * the saved page's LocalModel), the synced keys the browser reads or writes, and `bind`, which
 * registers a change handler and runs it once with the current value. Values stay `unknown`
 * here; the wire modules and protocol.ts decode them.
 */
import type { TraitName } from "./contract.gen";
import { finiteOr, isObjectLike } from "./guards";

export type Handler = (...args: never[]) => void;

/** The part of the anywidget model the widget uses. */
export interface WidgetModel {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
  save_changes(): void;
  on(event: string, callback: Handler): void;
  off(event?: string | null, callback?: Handler | null): void;
  send(content: unknown, callbacks?: unknown, buffers?: ArrayBuffer[] | ArrayBufferView[]): void;
}

/**
 * The model's keys the browser reads or writes: the synced traits of `Projector` (generated from
 * the widget class, so a trait renamed or removed in Python fails to compile here) and the saved
 * page's own two, which its local model sets (standalone/model.ts).
 */
export type ModelKey = TraitName | "_standalone" | "_standalone_dims";

/** Listen to `event` on `model`; returns the function that stops listening. */
export function listenModel(model: WidgetModel, event: string, handler: Handler): () => void {
  model.on(event, handler);
  return () => model.off(event, handler);
}

/**
 * Run `handler` now and after every change of `key`; returns the function that unbinds it.
 * One call instead of a `model.on` plus an initial call made by hand.
 */
export function bind(model: WidgetModel, key: ModelKey, handler: () => void): () => void {
  const off = listenModel(model, `change:${key}`, handler);
  handler();
  return off;
}

/** Set `key` and send it to the kernel. */
export function save(model: WidgetModel, key: ModelKey, value: unknown): void {
  model.set(key, value);
  model.save_changes();
}

/** `key` as a finite number, or `fallback`. */
export function numberAt(model: WidgetModel, key: ModelKey, fallback: number): number {
  return finiteOr(model.get(key), fallback);
}

/** `key` as a string, or `fallback`. */
export function stringAt(model: WidgetModel, key: ModelKey, fallback: string): string {
  const x = model.get(key);
  return typeof x === "string" ? x : fallback;
}

/**
 * The identity of the model behind `model`, to key model-level state by. anywidget hands
 * `initialize` and each `render` a proxy of its own, so the proxy cannot be the key; the model's
 * `layout` (the LayoutModel an ipywidgets DOMWidget holds for its whole life) can. A model
 * without one (the saved page's LocalModel, handed over as itself) is its own identity.
 */
export function modelIdentity(model: WidgetModel): object {
  const layout = model.get("layout");
  return isObjectLike(layout) ? layout : model;
}

/** `key` decoded by `decode`; a value that fails to decode is logged and read as null. */
export function decodeAt<T>(model: WidgetModel, key: ModelKey, decode: (raw: unknown) => T | null): T | null {
  try {
    return decode(model.get(key));
  } catch (err) {
    console.error(`projector-widget: ignoring malformed ${key}`, err);
    return null;
  }
}
