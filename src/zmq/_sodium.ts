/**
 * libsodium (npm `libsodium-wrappers`, WebAssembly), loaded on first use:
 * importing zmp costs nothing until a CURVE key or socket is needed.
 *
 * @module
 */

import type sodiumModule from "libsodium-wrappers";

/** The loaded library. */
export type Sodium = typeof sodiumModule;

let loaded: Sodium | undefined;
let loading: Promise<Sodium> | undefined;

/**
 * Loads libsodium once; later calls return the same promise.
 *
 * @returns the ready library
 */
export function loadSodium(): Promise<Sodium> {
  if (loaded !== undefined) return Promise.resolve(loaded);
  loading ??= import("libsodium-wrappers").then(async (m) => {
    await m.default.ready;
    loaded = m.default;
    return loaded;
  });
  return loading;
}

/**
 * The library, once {@linkcode loadSodium} has resolved.
 *
 * @throws {Error} when it has not been loaded yet (a bug in the caller)
 */
export function sodium(): Sodium {
  if (loaded === undefined) {
    throw new Error("Cannot use libsodium: loadSodium() has not resolved yet");
  }
  return loaded;
}

/** Whether libsodium is loaded (so that `sodium()` does not throw). */
export function sodiumLoaded(): boolean {
  return loaded !== undefined;
}
