/**
 * Write stage: puts outputs on disk, or compares them with what is there.
 *
 * @module
 */

import type { Output } from "./generate.ts";

/** How a file on disk differs from its output. */
export interface Staleness {
  readonly path: string;
  readonly state: "missing" | "stale";
}

async function readOrUndefined(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
}

/**
 * Writes the outputs whose content changed; leaves the others untouched
 * (so watchers and build tools see no change).
 *
 * @returns the paths written
 */
export async function writeOutputs(
  outputs: readonly Output[],
): Promise<string[]> {
  const written: string[] = [];
  for (const o of outputs) {
    if ((await readOrUndefined(o.path)) === o.text) continue;
    await Deno.writeTextFile(o.path, o.text);
    written.push(o.path);
  }
  return written;
}

/** The outputs that are missing on disk or differ from it. */
export async function findStale(
  outputs: readonly Output[],
): Promise<Staleness[]> {
  const out: Staleness[] = [];
  for (const o of outputs) {
    const current = await readOrUndefined(o.path);
    if (current === undefined) out.push({ path: o.path, state: "missing" });
    else if (current !== o.text) out.push({ path: o.path, state: "stale" });
  }
  return out;
}
