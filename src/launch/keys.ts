/**
 * The key directory of secure mode: one CURVE key pair per node, made on
 * first use, in files only their owner can read.
 *
 * A key directory holds `<name>.key` files (mode 0600, the directory 0700),
 * each one JSON object `{"name", "publicKey", "secretKey"}` with the keys in
 * Z85 (40 characters), and `<name>.pub` files holding a public key only
 * (`{"name", "publicKey"}`, any mode but writable by its owner alone): the
 * keys of nodes that run on other hosts, brought here by
 * {@linkcode importPublicKeys} (`zmp keys import`). Node names are file
 * names with `/` written `%2F`.
 * Two names are zmp's own: `@registry` (the embedded registry's key) and
 * `@cli` (the key the `zmp` tools use). The directory is `.zmp/keys/` in the
 * project unless `--keys DIR` or `ZMP_KEYS` names another.
 *
 * @module
 */

import { join } from "node:path";
import {
  curveKeyBytes,
  type CurveKeyPair,
  curveKeypair,
  curvePublic,
} from "../zmq/curve.ts";
import { readEnv } from "../_util/env.ts";
import { checkName, isValidName } from "../wire/names.ts";

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

function checkKeyName(name: string): void {
  checkName("keyName", name, { action: `use key ${JSON.stringify(name)}` });
}

function keyFile(dir: string, name: string, ext = ".key"): string {
  return join(dir, `${name.replaceAll("/", "%2F")}${ext}`);
}

/** A public key as a key directory stores it, without its secret key. */
export interface PublicKeyEntry {
  /** The node name (or `@registry`, `@cli`). */
  name: string;
  /** The public key, in Z85. */
  publicKey: string;
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

/**
 * Checks one public entry (`{"name", "publicKey"}`, nothing else).
 *
 * @param value a parsed JSON value
 * @returns the entry
 * @throws {Error} naming what is wrong
 */
function checkPublicEntry(value: unknown): PublicKeyEntry {
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

/**
 * Parses public entries as {@linkcode exportPublicKeys} writes them: one
 * JSON object `{"name", "publicKey"}` per line (a `<name>.pub` file is
 * one such line).
 *
 * @param text the entries
 * @param source where they come from, for errors
 * @returns the entries, in order
 * @throws {KeyStoreError} naming the source and line of a bad entry, or
 *   when there is none
 */
export function parsePublicKeys(
  text: string,
  source: string,
): PublicKeyEntry[] {
  const out: PublicKeyEntry[] = [];
  const lines = text.split("\n");
  const many = lines.filter((l) => l.trim() !== "").length > 1;
  for (const [i, line] of lines.entries()) {
    if (line.trim() === "") continue;
    try {
      out.push(checkPublicEntry(JSON.parse(line)));
    } catch (e) {
      throw new KeyStoreError(
        `Cannot import ${source}${many ? ` line ${i + 1}` : ""}: ${
          (e as Error).message
        }`,
        { cause: e },
      );
    }
  }
  if (out.length === 0) {
    throw new KeyStoreError(`Cannot import ${source}: it holds no public key`);
  }
  return out;
}

/**
 * The public entries to hand to other hosts, for names whose key is in a
 * key directory (key pair or public key).
 *
 * @param dir the key directory
 * @param names the names
 * @returns their entries, in the order given
 * @throws {TypeError} for a bad name
 * @throws {KeyStoreError} for a name with no key here, or a bad key file
 */
export async function exportPublicKeys(
  dir: string,
  names: readonly string[],
): Promise<PublicKeyEntry[]> {
  const out = [];
  for (const name of names) {
    const entry = await readPublicKey(dir, name);
    if (entry === undefined) {
      throw new KeyStoreError(
        `Cannot export the key of ${name}: there is no key for ${
          JSON.stringify(name)
        } in ${dir}`,
      );
    }
    out.push({ name, publicKey: entry.publicKey });
  }
  return out;
}

/** What {@linkcode importPublicKeys} did with one entry. */
export interface ImportedKey extends PublicKeyEntry {
  /**
   * `added`: a new `<name>.pub`; `unchanged`: the directory had that key;
   * `replaced`: it had another (with `replace`), and its secret key, if it
   * held one, is removed.
   */
  result: "added" | "unchanged" | "replaced";
}

/**
 * Adds public keys to a key directory as `<name>.pub` files (mode 0644).
 * Nothing is written unless every entry can be: a name whose key here is
 * another one is refused without `replace`.
 *
 * @param dir the key directory (made with mode 0700 if missing)
 * @param entries the public entries (from {@linkcode parsePublicKeys})
 * @param options `replace: true` to replace a different key, removing its
 *   secret key from this directory
 * @returns what was done, per entry
 * @throws {KeyStoreError} for a name given twice with different keys, a
 *   different key here (without `replace`), or a file that cannot be read
 *   or written
 */
export async function importPublicKeys(
  dir: string,
  entries: readonly PublicKeyEntry[],
  options: { replace?: boolean } = {},
): Promise<ImportedKey[]> {
  const wanted = new Map<string, string>();
  for (const { name, publicKey } of entries) {
    checkKeyName(name);
    curveKeyBytes(publicKey, `the public key of ${name}`);
    const seen = wanted.get(name);
    if (seen !== undefined && seen !== publicKey) {
      throw new KeyStoreError(
        `Cannot import the key of ${name}: two different keys are given for it`,
      );
    }
    wanted.set(name, publicKey);
  }
  const plan: ImportedKey[] = [];
  for (const [name, publicKey] of wanted) {
    const here = await readPublicKey(dir, name);
    if (here === undefined) {
      plan.push({ name, publicKey, result: "added" });
    } else if (here.publicKey === publicKey) {
      plan.push({ name, publicKey, result: "unchanged" });
    } else if (!options.replace) {
      throw new KeyStoreError(
        `Cannot import the key of ${name}: ${dir} holds another key for it (${here.publicKey}${
          here.secret ? ", with its secret key" : ""
        }); replace it with --replace`,
      );
    } else {
      plan.push({ name, publicKey, result: "replaced" });
    }
  }
  for (const { name, publicKey, result } of plan) {
    if (result === "unchanged") continue;
    const file = keyFile(dir, name, ".pub");
    try {
      await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
      const tmp = `${file}.${crypto.randomUUID()}.tmp`;
      await Deno.writeTextFile(
        tmp,
        JSON.stringify({ name, publicKey }) + "\n",
        { mode: 0o644, createNew: true },
      );
      await Deno.chmod(tmp, 0o644); // whatever the umask
      await Deno.rename(tmp, file);
      if (result === "replaced") {
        await Deno.remove(keyFile(dir, name)).catch((e) => {
          if (!(e instanceof Deno.errors.NotFound)) throw e;
        });
      }
    } catch (e) {
      throw new KeyStoreError(
        `Cannot write public key file ${file}: ${(e as Error).message}`,
        { cause: e },
      );
    }
  }
  return plan;
}

/**
 * Reads public entries from a file of them (`zmp keys export`'s output, or
 * one `<name>.pub`), or from every `*.pub` file of a directory.
 *
 * @param path the file or directory
 * @returns the entries
 * @throws {KeyStoreError} when it cannot be read, holds a bad entry, or
 *   holds none; for a directory, a `<name>.pub` holding another name
 */
export async function readPublicKeysFrom(
  path: string,
): Promise<PublicKeyEntry[]> {
  try {
    if (!(await Deno.stat(path)).isDirectory) {
      return parsePublicKeys(await Deno.readTextFile(path), path);
    }
    const files: string[] = [];
    for await (const entry of Deno.readDir(path)) {
      if (entry.isFile && entry.name.endsWith(".pub")) files.push(entry.name);
    }
    const out: PublicKeyEntry[] = [];
    for (const file of files.sort()) {
      const full = join(path, file);
      const entries = parsePublicKeys(await Deno.readTextFile(full), full);
      const name = file.slice(0, -4).replaceAll("%2F", "/");
      if (entries.length !== 1 || entries[0].name !== name) {
        throw new KeyStoreError(
          `Cannot import ${full}: expected the one key of ${
            JSON.stringify(name)
          }`,
        );
      }
      out.push(entries[0]);
    }
    if (out.length === 0) {
      throw new KeyStoreError(
        `Cannot import ${path}: the directory has no .pub file`,
      );
    }
    return out;
  } catch (e) {
    if (e instanceof KeyStoreError) throw e;
    throw new KeyStoreError(
      `Cannot import ${path}: ${(e as Error).message}`,
      { cause: e },
    );
  }
}
