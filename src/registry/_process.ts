/**
 * Whether the process behind a registration is known to be gone, so that a
 * node restarted after a crash can take its name back at once instead of
 * waiting for the dead instance's lease to expire.
 *
 * Only a process on this host can be checked, and only where `/proc`
 * exists (Linux); everywhere else the answer is "not known to be gone" and
 * the lease runs out as usual.
 *
 * @module
 */

import type { NodeInfo } from "./types.ts";

function hostname(): string | undefined {
  try {
    return Deno.hostname();
  } catch {
    return undefined;
  }
}

/**
 * Whether the node's process has exited: it ran on this host and its pid
 * has no `/proc` entry, or only a zombie's (exited, not yet reaped).
 *
 * @param info the registered node
 * @returns `true` only when the process is certainly gone
 */
export function processGone(info: NodeInfo): boolean {
  if (Deno.build.os !== "linux" || info.host !== hostname()) return false;
  if (info.pid === Deno.pid) return false;
  let stat: string;
  try {
    stat = Deno.readTextFileSync(`/proc/${info.pid}/stat`);
  } catch (e) {
    // No entry: gone. No permission or anything else: cannot tell.
    return e instanceof Deno.errors.NotFound;
  }
  const state = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
  return state === "Z" || state === "X";
}
