/**
 * `paramsGroup()`: a typed view of a params group over a raw
 * {@linkcode ParamStore}. Keys are `<namespace>.<key>`; every value set is
 * checked with the key's generated validator, every value read back is
 * checked too.
 *
 * @module
 */

import { isDeepStrictEqual } from "node:util";
import {
  type ParamsDescriptor,
  ValidationError,
  type ValidationIssue,
} from "../wire/descriptors.ts";
import { consoleLogger, type Logger } from "../rpc/logger.ts";
import type { ParamStore } from "../registry/types.ts";
import type { ParamsGroup } from "./types.ts";

/** Options of {@linkcode paramsGroup}. */
export interface ParamsGroupOptions {
  /** Where invalid stored values and unknown keys are reported. @default {consoleLogger} */
  logger?: Logger;
  /**
   * Ends every `watch()` of the group when it aborts (e.g. the node's
   * signal).
   */
  signal?: AbortSignal;
}

/** One change of a typed group, as `watch()` yields it. */
export interface ParamsGroupChange<T> {
  /** The key inside the group. */
  key: keyof T & string;
  /** The new value; `undefined` when the key was deleted. */
  value: T[keyof T] | undefined;
}

/**
 * Makes the typed params group `T` of a store.
 *
 * @example
 * ```ts
 * import { connectRegistry, paramsGroup } from "zmp";
 * import { FilterParamsParams } from "../../examples/sensors/sensors.api.gen.ts";
 *
 * await using registry = await connectRegistry();
 * const filter = paramsGroup(registry.params, FilterParamsParams);
 * await filter.set("alpha", 0.5); // stored as "filter.alpha"
 * console.log(await filter.get("alpha")); // 0.5
 * for await (const { key, value } of filter.watch()) console.log(key, value);
 * ```
 *
 * @param store the raw store (e.g. `registry.params`)
 * @param group the generated params descriptor
 * @param options logger, and a signal that ends watches
 * @returns the typed group
 */
export function paramsGroup<T>(
  store: ParamStore,
  group: ParamsDescriptor<T>,
  options: ParamsGroupOptions = {},
): ParamsGroup<T> {
  return new TypedParamsGroup(store, group, options);
}

type Key<T> = keyof T & string;

class TypedParamsGroup<T> implements ParamsGroup<T> {
  readonly namespace: string;
  readonly #store: ParamStore;
  readonly #group: ParamsDescriptor<T>;
  readonly #logger: Logger;
  readonly #signal: AbortSignal | undefined;
  readonly #prefix: string;

  constructor(
    store: ParamStore,
    group: ParamsDescriptor<T>,
    options: ParamsGroupOptions,
  ) {
    this.#store = store;
    this.#group = group;
    this.namespace = group.namespace;
    this.#prefix = `${group.namespace}.`;
    this.#logger = options.logger ?? consoleLogger;
    this.#signal = options.signal;
  }

  /**
   * The value of `key`; when unset, its `@default` (or `undefined` when it
   * has none).
   *
   * @param key a key of the group
   * @returns the value
   * @throws {TypeError} for a key that is not in the group
   * @throws {ValidationError} when the stored value does not fit the key's
   *   type (someone stored it without the types)
   */
  async get<K extends Key<T>>(key: K): Promise<T[K] | undefined> {
    this.#check(key, "get");
    const value = await this.#store.get(this.#full(key));
    if (value === undefined) {
      return structuredClone(this.#group.keys[key].default) as T[K] | undefined;
    }
    const issues = this.#validate(key, value);
    if (issues.length > 0) {
      throw new ValidationError(
        `stored value of param ${this.#full(key)}`,
        issues,
      );
    }
    return value as T[K];
  }

  /**
   * Validates and sets `key`; nothing is stored when the value is invalid.
   *
   * @param key a key of the group
   * @param value its new value
   * @returns once stored
   * @throws {TypeError} for a key that is not in the group
   * @throws {ValidationError} for a value that does not fit the key's type
   */
  async set<K extends Key<T>>(key: K, value: T[K]): Promise<void> {
    this.#check(key, "set");
    const issues = this.#validate(key, value);
    if (value === undefined && issues.length === 0) {
      issues.push({
        path: this.#full(key),
        expected: "a value (use delete() to unset)",
        received: "undefined",
      });
    }
    if (issues.length > 0) {
      throw new ValidationError(`value for param ${this.#full(key)}`, issues);
    }
    await this.#store.set(this.#full(key), value);
  }

  /**
   * Read-modify-write of `key`: see {@linkcode ParamsGroup.update}. A
   * stored value of the wrong type reaches `fn` as `undefined` (and is
   * logged).
   *
   * @param key a key of the group
   * @param fn the new value from the current one
   * @returns the value the key holds afterwards
   * @throws {TypeError} for a key that is not in the group
   * @throws {ValidationError} for a new value of the wrong type (nothing
   *   is stored)
   */
  async update<K extends Key<T>>(
    key: K,
    fn: (current: T[K] | undefined) => T[K] | undefined,
  ): Promise<T[K] | undefined> {
    this.#check(key, "update");
    return await this.#store.update(this.#full(key), (raw) => {
      const current =
        raw === undefined || this.#accept(this.#full(key), raw) === undefined
          ? undefined
          : raw as T[K];
      const next = fn(current);
      if (next === undefined) return undefined;
      const issues = this.#validate(key, next);
      if (issues.length > 0) {
        throw new ValidationError(`value for param ${this.#full(key)}`, issues);
      }
      return next;
    }) as T[K] | undefined;
  }

  /**
   * Deletes `key`.
   *
   * @param key a key of the group
   * @returns `true` if it was set
   * @throws {TypeError} for a key that is not in the group
   */
  delete<K extends Key<T>>(key: K): Promise<boolean> {
    try {
      this.#check(key, "delete");
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#store.delete(this.#full(key));
  }

  /**
   * Every set key of the group, and the `@default` of every unset key that
   * has one; stored values that do not fit their key's type, and keys the
   * group does not have, are logged and left out.
   *
   * @returns key → value
   */
  async getAll(): Promise<Partial<T>> {
    const raw = await this.#store.list(this.#prefix);
    const out: Partial<T> = {};
    for (const [key, d] of Object.entries(this.#group.keys)) {
      if (d.default !== undefined) {
        out[key as Key<T>] = structuredClone(d.default) as T[Key<T>];
      }
    }
    for (const [full, value] of Object.entries(raw)) {
      const key = this.#accept(full, value);
      if (key !== undefined) out[key] = value as T[Key<T>];
    }
    return out;
  }

  /**
   * The current values (one change per set key), then every change, until
   * `options.signal` or the group's signal aborts. A deletion is a change
   * with `value: undefined`. After a reconnection to the store, only what
   * changed meanwhile is reported. Invalid stored values are logged and
   * skipped.
   *
   * @param options a signal that ends the watch
   * @returns the changes
   */
  async *watch(
    options: { signal?: AbortSignal } = {},
  ): AsyncGenerator<ParamsGroupChange<T>, void, undefined> {
    const signals = [options.signal, this.#signal].filter((s) =>
      s !== undefined
    );
    const signal = signals.length === 0
      ? undefined
      : signals.length === 1
      ? signals[0]
      : AbortSignal.any(signals);
    if (signal?.aborted) return;
    const known = new Map<Key<T>, unknown>();
    for await (const event of this.#store.watch(this.#prefix, { signal })) {
      if (event.type === "snapshot") {
        const fresh = new Map<Key<T>, unknown>();
        for (const [full, value] of Object.entries(event.values)) {
          const key = this.#accept(full, value);
          if (key !== undefined) fresh.set(key, value);
        }
        for (const key of known.keys()) {
          if (!fresh.has(key)) {
            known.delete(key);
            yield { key, value: undefined };
          }
        }
        for (const [key, value] of fresh) {
          if (known.has(key) && isDeepStrictEqual(known.get(key), value)) {
            continue;
          }
          known.set(key, value);
          yield { key, value: value as T[Key<T>] };
        }
      } else if (event.type === "set") {
        const key = this.#accept(event.key, event.value);
        if (key === undefined) continue;
        known.set(key, event.value);
        yield { key, value: event.value as T[Key<T>] };
      } else {
        const key = this.#keyOf(event.key);
        if (key === undefined || !known.has(key)) continue;
        known.delete(key);
        yield { key, value: undefined };
      }
    }
  }

  #full(key: string): string {
    return `${this.#prefix}${key}`;
  }

  #check(key: unknown, what: string): asserts key is Key<T> {
    if (typeof key !== "string" || !Object.hasOwn(this.#group.keys, key)) {
      throw new TypeError(
        `Cannot ${what} param ${
          typeof key === "string"
            ? `"${this.#prefix}${key}"`
            : `key ${String(key)}`
        }: the group ${this.namespace} has keys ${
          Object.keys(this.#group.keys).join(", ") || "(none)"
        }`,
      );
    }
  }

  #validate(key: Key<T>, value: unknown): ValidationIssue[] {
    const issues: ValidationIssue[] = [];
    this.#group.keys[key].validate(value, this.#full(key), issues);
    return issues;
  }

  /** The group key of a full key, if the group has it. */
  #keyOf(full: string): Key<T> | undefined {
    if (!full.startsWith(this.#prefix)) return undefined;
    const key = full.slice(this.#prefix.length);
    return Object.hasOwn(this.#group.keys, key) ? key as Key<T> : undefined;
  }

  /** The group key of a stored entry, or undefined (logged) to skip it. */
  #accept(full: string, value: unknown): Key<T> | undefined {
    const key = this.#keyOf(full);
    if (key === undefined) {
      this.#logger.warn(
        `ignored param ${full}: the group ${this.namespace} has no such key`,
      );
      return undefined;
    }
    const issues = this.#validate(key, value);
    if (issues.length > 0) {
      this.#logger.warn(
        `ignored param ${full}: ${
          new ValidationError("stored value", issues).message
        }`,
      );
      return undefined;
    }
    return key;
  }
}
