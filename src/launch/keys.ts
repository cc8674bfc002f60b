/**
 * The key directory of secure mode: one CURVE key pair per node, made on
 * first use, in files only their owner can read.
 *
 * A key directory holds `<name>.key` files (mode 0600, the directory 0700),
 * each one JSON object `{"name", "publicKey", "secretKey"}` with the keys in
 * Z85 (40 characters), and `<name>.pub` files holding a public key only
 * (`{"name", "publicKey"}`, any mode but writable by its owner alone): the
 * keys of nodes that run on other hosts, brought here by `zmp keys import`
 * (`key_exchange.ts`). Node names are file names with `/` written `%2F`.
 * Two names are zmp's own: `@registry` (the embedded registry's key) and
 * `@cli` (the key the `zmp` tools use). The directory is `.zmp/keys/` in the
 * project unless `--keys DIR` or `ZMP_KEYS` names another.
 *
 * @module
 */

import { join } from "node:path";
import { type CurveKeyPair, curveKeypair, curvePublic } from "../zmq/curve.ts";
import { readEnv } from "../_util/env.ts";
import { isValidName } from "../wire/names.ts";
import {
  checkKeyName,
  checkPublicEntry,
  keyFile,
  type PublicKeyEntry,
} from "./_key_files.ts";

export type { PublicKeyEntry };

/** The key name of the embedded registry. */
export const REGISTRY_KEY_NAME = "@registry";
/** The key name of the `zmp` command-line tools. */
export const CLI_KEY_NAME = "@cli";

/** A named key pair, as stored in a key directory. */
export interface NamedKeyPair extends CurveKeyPair {
  /** The node name (or `@registry`, `@cli`). */
  name: string;
}

/** A key directory that cannot be used, or a key file that is not valid. */
export class KeyStoreError extends Error {
  /**
   * @param message what is wrong, naming the file
   * @param options the cause
   */
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = "KeyStoreError";
  }
}

/**
 * The key directory to use: the one given, else `ZMP_KEYS`, else
 * `.zmp/keys` under `base`.
 *
 * @param given `--keys DIR`, if any
 * @param base the project folder @default {Deno.cwd()}
 * @returns the directory's path
 */
export function keyDirectory(given?: string, base?: string): string {
  return given ?? readEnv("ZMP_KEYS") ?? join(base ?? Deno.cwd(), ".zmp/keys");
}

/** A key of a key directory, and whether its secret key is there too. */
export interface KeyEntry extends PublicKeyEntry {
  /** `true` for a key pair (`<name>.key`), `false` for `<name>.pub`. */
  secret: boolean;
}

/**
 * Reads a key pair from a key directory.
 *
 * @param dir the key directory
 * @param name the node name
 * @returns the key pair, or `undefined` when there is no file for it
 * @throws {TypeError} for a bad name
 * @throws {KeyStoreError} for a file that others can read, or that does not
 *   hold a valid key pair of that name
 */
export async function readKeyPair(
  dir: string,
  name: string,
): Promise<NamedKeyPair | undefined> {
  checkKeyName(name);
  const file = keyFile(dir, name);
  let text: string;
  try {
    const info = await Deno.stat(file);
    if (info.mode !== null && (info.mode & 0o077) !== 0) {
      throw new KeyStoreError(
        `Cannot use key file ${file}: other users may read it (mode ${
          (info.mode & 0o777).toString(8)
        }); make it 0600`,
      );
    }
    text = await Deno.readTextFile(file);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    if (e instanceof KeyStoreError) throw e;
    throw new KeyStoreError(
      `Cannot read key file ${file}: ${(e as Error).message}`,
      { cause: e },
    );
  }
  let pair: NamedKeyPair;
  try {
    pair = JSON.parse(text);
    if (
      pair === null || typeof pair !== "object" || pair.name !== name ||
      typeof pair.publicKey !== "string" ||
      await curvePublic(pair.secretKey) !== pair.publicKey
    ) {
      throw new Error("expected the name, public key and secret key in Z85");
    }
  } catch (e) {
    throw new KeyStoreError(
      `Cannot use key file ${file}: ${(e as Error).message}`,
      { cause: e },
    );
  }
  return {
    name,
    publicKey: pair.publicKey,
    secretKey: pair.secretKey,
  };
}

/**
 * Makes a new key pair for a name and writes it (mode 0600; the directory
 * is made with mode 0700). An existing key, or a public key alone, is
 * replaced only with `replace` (which then removes `<name>.pub`).
 *
 * @param dir the key directory
 * @param name the node name
 * @param options `replace: true` to rotate an existing key
 * @returns the new key pair
 * @throws {TypeError} for a bad name
 * @throws {KeyStoreError} when the key exists (without `replace`) or
 *   cannot be written
 */
export async function generateKeyPair(
  dir: string,
  name: string,
  options: { replace?: boolean } = {},
): Promise<NamedKeyPair> {
  checkKeyName(name);
  const file = keyFile(dir, name);
  const pub = keyFile(dir, name, ".pub");
  const exists = (what: string, cause?: unknown) =>
    new KeyStoreError(
      `Cannot make a key for ${name}: ${what} exists (rotate it with --replace)`,
      { cause },
    );
  if (!options.replace && await isFile(pub)) throw exists(pub);
  const pair = { name, ...await curveKeypair() };
  try {
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    const tmp = `${file}.${crypto.randomUUID()}.tmp`;
    await Deno.writeTextFile(tmp, JSON.stringify(pair) + "\n", {
      mode: 0o600,
      createNew: true,
    });
    if (!options.replace) {
      try {
        await Deno.link(tmp, file);
      } finally {
        await Deno.remove(tmp);
      }
    } else {
      await Deno.rename(tmp, file);
      await Deno.remove(pub).catch((e) => {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      });
    }
  } catch (e) {
    if (e instanceof Deno.errors.AlreadyExists) throw exists(file, e);
    throw new KeyStoreError(
      `Cannot write key file ${file}: ${(e as Error).message}`,
      { cause: e },
    );
  }
  return pair;
}

/**
 * The key pair of a name, made on first use.
 *
 * @param dir the key directory
 * @param name the node name
 * @returns its key pair
 * @throws {TypeError} for a bad name
 * @throws {KeyStoreError} for an unreadable or invalid key file
 */
export async function ensureKeyPair(
  dir: string,
  name: string,
): Promise<NamedKeyPair> {
  const found = await readKeyPair(dir, name);
  if (found !== undefined) return found;
  if (await readPublicOnly(dir, name) !== undefined) {
    throw new KeyStoreError(publicOnlyMessage(dir, name));
  }
  try {
    return await generateKeyPair(dir, name);
  } catch (e) {
    // Another launcher made it meanwhile: use theirs.
    const made = await readKeyPair(dir, name);
    if (made !== undefined) return made;
    throw e;
  }
}

/**
 * The keys in a key directory, by name: key pairs and public keys alone.
 *
 * @param dir the key directory
 * @returns their names, public keys and whether the secret key is here,
 *   sorted by name (none when the directory does not exist)
 * @throws {KeyStoreError} for an invalid key file
 */
export async function listKeys(dir: string): Promise<KeyEntry[]> {
  const names = new Set<string>();
  try {
    for await (const entry of Deno.readDir(dir)) {
      const ext = entry.name.slice(-4);
      if (entry.isFile && (ext === ".key" || ext === ".pub")) {
        names.add(entry.name.slice(0, -4).replaceAll("%2F", "/"));
      }
    }
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw new KeyStoreError(
      `Cannot read key directory ${dir}: ${(e as Error).message}`,
      { cause: e },
    );
  }
  const out = [];
  for (const name of [...names].sort()) {
    if (!isValidName("keyName", name)) continue;
    const entry = await readPublicKey(dir, name);
    if (entry !== undefined) out.push(entry);
  }
  return out;
}

/**
 * The public key of a name: from its key pair, else from its `<name>.pub`.
 *
 * @param dir the key directory
 * @param name the node name
 * @returns the key and whether its secret key is here, or `undefined`
 *   when the directory has neither file
 * @throws {TypeError} for a bad name
 * @throws {KeyStoreError} for an invalid file, a `.pub` that others may
 *   write, or a `.key` and a `.pub` that disagree
 */
export async function readPublicKey(
  dir: string,
  name: string,
): Promise<KeyEntry | undefined> {
  const pair = await readKeyPair(dir, name);
  const pub = await readPublicOnly(dir, name);
  if (pair !== undefined && pub !== undefined && pair.publicKey !== pub) {
    throw new KeyStoreError(
      `Cannot use the key of ${name}: ${keyFile(dir, name)} and ${
        keyFile(dir, name, ".pub")
      } hold different public keys; remove the wrong one`,
    );
  }
  if (pair !== undefined) {
    return { name, publicKey: pair.publicKey, secret: true };
  }
  return pub === undefined
    ? undefined
    : { name, publicKey: pub, secret: false };
}

/** `<name>.pub`'s public key, or `undefined` without that file. */
async function readPublicOnly(
  dir: string,
  name: string,
): Promise<string | undefined> {
  checkKeyName(name);
  const file = keyFile(dir, name, ".pub");
  let text: string;
  try {
    const info = await Deno.stat(file);
    if (info.mode !== null && (info.mode & 0o022) !== 0) {
      throw new KeyStoreError(
        `Cannot use public key file ${file}: other users may change it (mode ${
          (info.mode & 0o777).toString(8)
        }); make it 0644`,
      );
    }
    text = await Deno.readTextFile(file);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    if (e instanceof KeyStoreError) throw e;
    throw new KeyStoreError(
      `Cannot read public key file ${file}: ${(e as Error).message}`,
      { cause: e },
    );
  }
  let entry: PublicKeyEntry;
  try {
    entry = checkPublicEntry(JSON.parse(text));
  } catch (e) {
    throw new KeyStoreError(
      `Cannot use public key file ${file}: ${(e as Error).message}`,
      { cause: e },
    );
  }
  if (entry.name !== name) {
    throw new KeyStoreError(
      `Cannot use public key file ${file}: it holds the key of ${
        JSON.stringify(entry.name)
      }`,
    );
  }
  return entry.publicKey;
}

function publicOnlyMessage(dir: string, name: string): string {
  return `Cannot use the key pair of ${name}: ${dir} holds only its public key (${
    keyFile(dir, name, ".pub")
  }); its secret key is on the host it was made on`;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.lstat(path)).isFile;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw new KeyStoreError(`Cannot read ${path}: ${(e as Error).message}`, {
      cause: e,
    });
  }
}
