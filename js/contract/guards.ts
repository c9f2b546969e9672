/**
 * The type guards and number readers every decoder of the kernel's values uses, defined once.
 * A value from the kernel (or a saved page) is `unknown` until one of these has looked at it.
 */

/** A JSON object: not null, not an array. */
export function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/**
 * Any object, arrays included: for decoders that read named fields and check each one, so an
 * array reads as an object without those fields.
 */
export function isObjectLike(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null;
}

/** A number that is neither NaN nor infinite. */
export function isFiniteNumber(x: unknown): x is number {
  return typeof x === "number" && Number.isFinite(x);
}

/** An integer >= 0 (a row index, a count, a version). */
export function isNonNegativeInt(x: unknown): x is number {
  return typeof x === "number" && Number.isInteger(x) && x >= 0;
}

/** `x` when it is a finite number, otherwise `fallback`. */
export function finiteOr(x: unknown, fallback: number): number {
  return isFiniteNumber(x) ? x : fallback;
}

/** `x` when it is an integer > 0, otherwise null. */
export function positiveInt(x: unknown): number | null {
  return typeof x === "number" && Number.isInteger(x) && x > 0 ? x : null;
}

/** `x` when it is an array of exactly `length` finite numbers, otherwise null. */
export function finiteTuple(x: unknown, length: number): number[] | null {
  return Array.isArray(x) && x.length === length && x.every(isFiniteNumber) ? (x as number[]) : null;
}

/**
 * A value from the kernel read against its wire type `T` (one of contract.gen.ts, generated from
 * the Python declarations): the fields `T` declares, each still `unknown` until a guard has looked
 * at it. A decoder reads its fields through this, so reading a field the contract does not declare
 * (renamed or removed in Python) fails to compile.
 */
export type Unchecked<T> = { readonly [K in keyof T]?: unknown };
