/**
 * Handing public keys between hosts: `zmp keys export` writes a node's
 * public entry (`{"name", "publicKey"}`, one JSON line), and
 * `zmp keys import` adds such entries to another host's key directory as
 * `<name>.pub`, so that each host holds the key pairs of its own nodes
 * only.
 *
 * @module
 */

import { join } from "node:path";
import { curveKeyBytes } from "../zmq/curve.ts";
import {
  checkKeyName,
  checkPublicEntry,
  keyFile,
  type PublicKeyEntry,
} from "./_key_files.ts";
import { KeyStoreError, readPublicKey } from "./keys.ts";

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
