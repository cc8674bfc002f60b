/**
 * `ParamStore.update()` for every backend: read the entry, compute the new
 * value, compare-and-set on the revision read, and start over when someone
 * else got there first.
 *
 * @module
 */

import { ParamConflictError } from "./errors.ts";
import type { ParamStore, ParamUpdateOptions } from "./types.ts";

/**
 * Runs a read-modify-write of `key` on `store`; see
 * {@linkcode ParamStore.update}.
 *
 * @param store the store (its `getEntry` and `set` with `ifRevision`)
 * @param key the key
 * @param fn computes the new value from the current one
 * @param options attempts, timeout and signal of each step
 * @returns the value stored (or left) in the key
 * @throws {ParamConflictError} after `attempts` conflicts in a row
 * @throws {RangeError} for `attempts` that is not a whole number >= 1
 */
export async function updateParam(
  store: Pick<ParamStore, "getEntry" | "set">,
  key: string,
  fn: (current: unknown) => unknown,
  options: ParamUpdateOptions = {},
): Promise<unknown> {
  const attempts = options.attempts ?? 20;
  if (!Number.isInteger(attempts) || attempts < 1) {
    throw new RangeError(
      `Cannot update param "${key}": attempts must be a whole number >= 1, got ${
        String(attempts)
      }`,
    );
  }
  const wait = { timeout: options.timeout, signal: options.signal };
  let conflict: ParamConflictError | undefined;
  for (let i = 0; i < attempts; i++) {
    options.signal?.throwIfAborted();
    const entry = await store.getEntry(key, wait);
    const next = await fn(entry?.value);
    if (next === undefined) return entry?.value;
    try {
      await store.set(key, next, { ...wait, ifRevision: entry?.revision ?? 0 });
      return next;
    } catch (e) {
      if (!(e instanceof ParamConflictError)) throw e;
      conflict = e;
    }
  }
  throw conflict;
}
