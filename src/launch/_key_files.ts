/**
 * What the key directory's files are named and hold, shared by
 * `keys.ts` (the directory) and `key_exchange.ts` (public keys between
 * hosts). Private: not re-exported.
 *
 * @module
 */

import { join } from "node:path";
import { curveKeyBytes } from "../zmq/curve.ts";
import { checkName, isValidName } from "../wire/names.ts";

/** A public key as a key directory stores it, without its secret key. */
export interface PublicKeyEntry {
  /** The node name (or `@registry`, `@cli`). */
  name: string;
  /** The public key, in Z85. */
  publicKey: string;
}

/** Checks a key name by the one rule of names. */
export function checkKeyName(name: string): void {
  checkName("keyName", name, { action: `use key ${JSON.stringify(name)}` });
}

/** The file of a name's key: `<name>.key`, or `<name>.pub` with `ext`. */
export function keyFile(dir: string, name: string, ext = ".key"): string {
  return join(dir, `${name.replaceAll("/", "%2F")}${ext}`);
}

/**
 * Checks one public entry (`{"name", "publicKey"}`, nothing else).
 *
 * @param value a parsed JSON value
 * @returns the entry
 * @throws {Error} naming what is wrong
 */
export function checkPublicEntry(value: unknown): PublicKeyEntry {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new Error('expected a JSON object {"name", "publicKey"}');
  }
  const { name, publicKey, ...rest } = value as Record<string, unknown>;
  if ("secretKey" in rest) {
    throw new Error(
      "it holds a secret key: import public keys only (zmp keys export)",
    );
  }
  const extra = Object.keys(rest);
  if (extra.length > 0) {
    throw new Error(`unknown field ${JSON.stringify(extra[0])}`);
  }
  if (typeof name !== "string" || !isValidName("keyName", name)) {
    throw new Error(`expected a key name, got ${JSON.stringify(name)}`);
  }
  if (typeof publicKey !== "string") {
    throw new Error(`expected the public key of ${name} in Z85`);
  }
  curveKeyBytes(publicKey, `the public key of ${name}`);
  return { name, publicKey };
}
