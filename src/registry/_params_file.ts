/**
 * The params file of the embedded registry: superjson (so `Date`, `Map`,
 * `Set` and `bigint` survive, and a person can read it), loaded at start,
 * written after every change through a temporary file and a rename, so a
 * crash never leaves half a file. Writes are coalesced: many changes while
 * one write runs make one more write.
 *
 * The content is `{"json": {"version": 1, "params": {key: value, …},
 * "revision": n, "revisions": {key: n, …}}, "meta": …}`: the values, the
 * last revision given out, and each key's revision (both optional when
 * read, so that a file written by hand needs only `params`).
 *
 * @module
 */

import SuperJSON from "superjson";
import type { Logger } from "../rpc/logger.ts";
import type { ParamEntry } from "./types.ts";

const sj = new SuperJSON();

/** The version of the file format. */
export const PARAMS_FILE_VERSION = 1;

/** What a params file holds. */
export interface LoadedParams {
  /** key → value and revision. */
  params: Map<string, ParamEntry>;
  /** The last revision given out (0 when the file does not say). */
  revision: number;
}

/**
 * Reads a params file. A missing or blank file is no params.
 *
 * @param path the file
 * @returns the params with their revisions
 * @throws {SyntaxError} naming the file when its content is not a params file
 * @throws {Error} naming the file when it cannot be read
 */
export async function loadParams(path: string): Promise<LoadedParams> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return empty();
    throw new Error(
      `Cannot load params from "${path}": ${(e as Error).message}`,
      { cause: e },
    );
  }
  if (text.trim() === "") return empty();
  let data: unknown;
  try {
    const envelope = JSON.parse(text);
    if (
      typeof envelope !== "object" || envelope === null ||
      !Object.hasOwn(envelope, "json")
    ) {
      throw new SyntaxError('expected an object with a "json" member');
    }
    data = sj.deserialize(envelope);
  } catch (e) {
    throw new SyntaxError(
      `Cannot load params from "${path}": the file is corrupt (${
        (e as Error).message
      })`,
      { cause: e },
    );
  }
  const d = data as {
    version?: unknown;
    params?: unknown;
    revision?: unknown;
    revisions?: unknown;
  };
  if (
    typeof d !== "object" || d === null || d.version !== PARAMS_FILE_VERSION ||
    typeof d.params !== "object" || d.params === null ||
    Array.isArray(d.params)
  ) {
    throw new SyntaxError(
      `Cannot load params from "${path}": the file is corrupt (expected {"version": ${PARAMS_FILE_VERSION}, "params": {…}} in its "json" member)`,
    );
  }
  const saved =
    typeof d.revision === "number" && Number.isSafeInteger(d.revision)
      ? d.revision
      : 0;
  const revisions = typeof d.revisions === "object" && d.revisions !== null
    ? d.revisions as Record<string, unknown>
    : {};
  let revision = saved;
  const params = new Map<string, ParamEntry>();
  for (const [key, value] of Object.entries(d.params)) {
    const r = revisions[key];
    const known = typeof r === "number" && Number.isSafeInteger(r) && r > 0 &&
      r <= saved;
    params.set(key, { value, revision: known ? r : ++revision });
  }
  return { params, revision };
}

function empty(): LoadedParams {
  return { params: new Map(), revision: 0 };
}

/** What a {@linkcode ParamsFileWriter} writes. */
export interface ParamsSnapshot {
  /** key → value and revision. */
  params: ReadonlyMap<string, ParamEntry>;
  /** The last revision given out. */
  revision: number;
}

/**
 * Encodes params as the file's text.
 *
 * @param snapshot the params and the last revision
 * @returns the text
 */
export function encodeParams(snapshot: ParamsSnapshot): string {
  const keys = [...snapshot.params.keys()].sort();
  const params = Object.fromEntries(
    keys.map((k) => [k, snapshot.params.get(k)!.value]),
  );
  const revisions = Object.fromEntries(
    keys.map((k) => [k, snapshot.params.get(k)!.revision]),
  );
  return JSON.stringify(
    sj.serialize({
      version: PARAMS_FILE_VERSION,
      params,
      revision: snapshot.revision,
      revisions,
    }),
    null,
    2,
  ) + "\n";
}

/** Writes the params file after changes, atomically and coalesced. */
export class ParamsFileWriter {
  readonly #path: string;
  readonly #read: () => ParamsSnapshot;
  readonly #logger: Logger;
  #wanted = 0;
  #saved = 0;
  #loop: Promise<void> | undefined;
  #waiters: { generation: number; resolve: () => void }[] = [];

  /**
   * @param path the file
   * @param read returns the params to write
   * @param logger where failed writes are reported
   */
  constructor(
    path: string,
    read: () => ParamsSnapshot,
    logger: Logger,
  ) {
    this.#path = path;
    this.#read = read;
    this.#logger = logger;
  }

  /**
   * Writes the file now (at start, to create it and to find out early
   * when it cannot be written).
   *
   * @returns once written
   * @throws {Error} naming the file when it cannot be written
   */
  async writeNow(): Promise<void> {
    try {
      await this.#write(encodeParams(this.#read()));
    } catch (e) {
      throw new Error(
        `Cannot save params to "${this.#path}": ${(e as Error).message}`,
        { cause: e },
      );
    }
  }

  /** Notes a change: a write will follow. */
  schedule(): void {
    this.#wanted++;
    this.#loop ??= this.#run();
  }

  /**
   * Waits until every change scheduled so far is written (or its write
   * failed, which is logged).
   *
   * @returns once written
   */
  flush(): Promise<void> {
    const generation = this.#wanted;
    if (this.#saved >= generation) return Promise.resolve();
    return new Promise((resolve) => {
      this.#waiters.push({ generation, resolve });
    });
  }

  async #run(): Promise<void> {
    while (this.#saved < this.#wanted) {
      const generation = this.#wanted;
      try {
        await this.#write(encodeParams(this.#read()));
      } catch (e) {
        this.#logger.error(
          `cannot save params to "${this.#path}": ${(e as Error).message}`,
        );
      }
      this.#saved = generation;
      const ready = this.#waiters.filter((w) => w.generation <= generation);
      this.#waiters = this.#waiters.filter((w) => w.generation > generation);
      for (const w of ready) w.resolve();
    }
    this.#loop = undefined;
  }

  async #write(text: string): Promise<void> {
    const tmp = `${this.#path}.${Deno.pid}.tmp`;
    const file = await Deno.open(tmp, {
      write: true,
      create: true,
      truncate: true,
    });
    try {
      const bytes = new TextEncoder().encode(text);
      let written = 0;
      while (written < bytes.length) {
        written += await file.write(bytes.subarray(written));
      }
      await file.syncData();
    } finally {
      file.close();
    }
    await Deno.rename(tmp, this.#path);
  }
}
