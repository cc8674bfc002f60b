/**
 * The `deno run` permission flags of a subprocess node: what its spec
 * declares, plus exactly what zmp itself needs to run a node:
 *
 * - on the libzmq engine, `--allow-ffi`: libzmq and libc are opened through
 *   FFI. Deno can only scope FFI to paths, and the loader opens `libc.so.6`
 *   by name, so this one is unscoped (FFI is no sandbox boundary in Deno
 *   anyway). On the zmtp engine, `--allow-net` instead, and no FFI: ZeroMQ
 *   goes over Deno's own sockets, to endpoints known only at run time (the
 *   registry hands them out). ipc endpoints need the node to declare
 *   read and write of their paths.
 * - `--allow-read` of zmp's `mod.ts` and `src/` and of the node module's
 *   folder: the node module is imported dynamically, which Deno checks
 *   against read permission, it and everything it imports locally.
 * - `--allow-env=ZMP_*,MSGPACKR_NATIVE_ACCELERATION_DISABLED`: the node
 *   reads `ZMP_NODE_NAME`, `ZMP_REGISTRY`, `ZMP_RUN_MODE` and `ZMP_LIBZMQ`;
 *   msgpackr reads its variable on import. Plus the names of the spec's own
 *   `env` entries.
 * - `--allow-sys=hostname`: the registry records each node's host.
 *
 * Nothing else: no writes, no subprocesses; on the libzmq engine no
 * network (ZeroMQ goes through FFI).
 *
 * @module
 */

import type { NodePermissions, PermissionValue } from "./types.ts";
import { defaultEngine, type EngineName } from "../zmq/mod.ts";

const KINDS = ["read", "write", "net", "env", "run", "sys", "ffi"] as const;

/** The zmp source root (the folder of `mod.ts`), as a path. */
export const ZMP_ROOT: string = decodeURIComponent(
  new URL("../../", import.meta.url).pathname,
).replace(/\/$/, "");

/**
 * What zmp adds to every subprocess node, for a module at `moduleUrl`,
 * running on `engine` (by default the one `ZMP_ENGINE` names, which the
 * node inherits).
 */
export function zmpNeeds(
  moduleUrl: string,
  envNames: readonly string[] = [],
  engine: EngineName = defaultEngine(),
): NodePermissions {
  const read = [`${ZMP_ROOT}/mod.ts`, `${ZMP_ROOT}/src`];
  const url = new URL(moduleUrl);
  if (url.protocol === "file:") {
    read.push(
      decodeURIComponent(new URL(".", url).pathname).replace(/\/$/, ""),
    );
  }
  return {
    ...(engine === "zmtp" ? { net: true } : { ffi: true }),
    read,
    env: ["ZMP_*", "MSGPACKR_NATIVE_ACCELERATION_DISABLED", ...envNames],
    sys: ["hostname"],
  };
}

function merge(
  a: PermissionValue | undefined,
  b: PermissionValue | undefined,
): PermissionValue | undefined {
  if (a === true || b === true) return true;
  const list = [...(a || []), ...(b || [])];
  return list.length === 0 ? undefined : [...new Set(list)];
}

/**
 * The permission flags for `deno run`: `declared` merged with `needs`,
 * one flag per kind, `--no-prompt` first.
 *
 * @param declared what the node's spec declares
 * @param needs what zmp adds (see {@linkcode zmpNeeds})
 * @returns the flags, e.g. `["--no-prompt", "--allow-read=/a,/b", "--allow-ffi"]`
 */
export function permissionFlags(
  declared: NodePermissions,
  needs: NodePermissions,
): string[] {
  const flags = ["--no-prompt"];
  for (const kind of KINDS) {
    const value = merge(declared[kind], needs[kind]);
    if (value === true) flags.push(`--allow-${kind}`);
    else if (value) flags.push(`--allow-${kind}=${value.join(",")}`);
  }
  return flags;
}
