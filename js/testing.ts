/** Deterministic helpers for the unit tests (not part of the bundle). */
import fc from "fast-check";
import type { Handler, WidgetModel } from "./contract/model";
import SPEC from "./contract/spec.json";

/** The bundle's seeded generator (the level-of-detail draw order uses it), for the tests. */
export { seededRandom } from "./scene/detail";

/** Copy `bytes` into a fresh buffer at byte offset `offset` and return a DataView on them. */
export function dataViewAt(bytes: ArrayBufferView, offset: number): DataView {
  const src = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const buf = new ArrayBuffer(offset + src.length + 3);
  new Uint8Array(buf).fill(0xee);
  new Uint8Array(buf).set(src, offset);
  return new DataView(buf, offset, src.length);
}

/**
 * The `_spec` value the kernel sends, generated from the Python declarations by `make contract`
 * (tests/test_contract.py fails while it is stale): tests of what reads it read the real value.
 */
export const SPEC_WIRE = SPEC;

/** A Backbone-like model: `set` notifies `change:<key>` synchronously. */
export class FakeModel implements WidgetModel {
  readonly values = new Map<string, unknown>();
  readonly sent: unknown[] = [];
  saves = 0;
  private readonly listeners = new Map<string, Handler[]>();
  constructor(values: Record<string, unknown> = {}) {
    for (const [k, v] of Object.entries(values)) this.values.set(k, v);
  }
  get(key: string): unknown {
    return this.values.get(key);
  }
  set(key: string, value: unknown): void {
    this.values.set(key, value);
    this.emit(`change:${key}`);
  }
  save_changes(): void {
    this.saves++;
  }
  on(event: string, callback: Handler): void {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), callback]);
  }
  off(event?: string | null, callback?: Handler | null): void {
    if (event)
      this.listeners.set(
        event,
        (this.listeners.get(event) ?? []).filter((l) => l !== callback),
      );
  }
  send(content: unknown): void {
    this.sent.push(content);
  }
  emit(event: string, ...args: unknown[]): void {
    for (const l of this.listeners.get(event) ?? []) (l as (...a: unknown[]) => void)(...args);
  }
  listenerCount(event: string): number {
    return this.listeners.get(event)?.length ?? 0;
  }
}

/**
 * fast-check settings of every property test: a bounded number of cases and a fixed seed, so a
 * run is reproducible (a failure prints its counterexample and path; rerun with them to shrink).
 */
export const PROPERTY_RUNS = { numRuns: 200, seed: 0x5eed11 } as const;

/** The bytes of `a` (any typed array) as a fresh Uint8Array. */
export function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice();
}

// ------------------------------------------------ arbitraries of the wire decoders' property tests

/** Assert a property with PROPERTY_RUNS. */
export const run = (p: fc.IProperty<never> | fc.IProperty<unknown[]>) => fc.assert(p as fc.IProperty<unknown[]>, PROPERTY_RUNS);

/** Byte offset of a value inside the message buffer anywidget hands over (0..7: aligned or not). */
export const offset = fc.integer({ min: 0, max: 7 });

/** A binary value of arbitrary bytes as the model may deliver it. */
export const anyBinary = fc
  .tuple(fc.uint8Array({ maxLength: 64 }), offset, fc.constantFrom("view", "buffer", "typed"))
  .map(([bytes, at, kind]) => (kind === "view" ? dataViewAt(bytes, at) : kind === "buffer" ? bytes.slice().buffer : bytes));

/** Something the model could hold instead of the value: anything at all, any double, or a binary value. */
export const garbage = fc.oneof(fc.anything(), fc.double(), anyBinary);

/** A short arbitrary string: column, category and method names. */
export const name = fc.string({ unit: "binary", maxLength: 12 });

/** Label texts: any Unicode (no lone surrogates: neither side can encode them), tabs, newlines, "\r", "". */
export const labelText = fc.oneof(
  fc.string({ unit: "binary", maxLength: 16 }),
  fc.constantFrom("", "\t", "\n", "\r", "\r\n", "a\rb", " ", "\u00e9", "e\u0301", "\u{1f600}", "<img src=x onerror=alert(1)>"),
);
