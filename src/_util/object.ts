/**
 * One `isPlainObject` for every checker in zmp.
 *
 * @module
 */

/**
 * Whether `value` is a plain object: made by `{}` or `Object.create(null)`,
 * not an array, a class instance, a `Date` or a `Map`.
 *
 * @param value anything
 * @returns `true` for a plain object
 */
export function isPlainObject(
  value: unknown,
): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
