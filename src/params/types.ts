/**
 * The typed view of one params namespace.
 *
 * @module
 */

/** A typed params group `T` (the user's `@params` interface). */
export interface ParamsGroup<T> {
  /** The namespace. */
  readonly namespace: string;
  /** The value of `key`, or `undefined` when unset. */
  get<K extends keyof T & string>(key: K): Promise<T[K] | undefined>;
  /** Validates and sets `key`. @throws {ValidationError} for a bad value */
  set<K extends keyof T & string>(key: K, value: T[K]): Promise<void>;
  /**
   * Read-modify-write of `key` without lost updates (a compare-and-set,
   * done again when someone else changed the key meanwhile): `fn` gets the
   * current value and returns the new one (`undefined`: leave it).
   * @throws {ValidationError} when `fn` returns a value of the wrong type
   * @throws {ParamConflictError} after too many conflicts in a row
   */
  update<K extends keyof T & string>(
    key: K,
    fn: (current: T[K] | undefined) => T[K] | undefined,
  ): Promise<T[K] | undefined>;
  /** Deletes `key`; `true` if it existed. */
  delete<K extends keyof T & string>(key: K): Promise<boolean>;
  /** Every set key of the group. */
  getAll(): Promise<Partial<T>>;
  /**
   * The current values, then every change, until `signal` aborts or the
   * node closes. Invalid stored values are logged and skipped.
   */
  watch(
    options?: { signal?: AbortSignal },
  ): AsyncIterable<
    { key: keyof T & string; value: T[keyof T] | undefined }
  >;
}
