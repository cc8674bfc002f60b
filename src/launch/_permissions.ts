/**
 * The `deno run` permission flags of a subprocess node: what its spec
 * declares, plus exactly what zmp itself needs to run a node:
 *
 * - on the libzmq engine (only for a node with `unsafeFfi`; the launcher
 *   runs every other subprocess node on the zmtp engine), `--allow-ffi`:
 *   libzmq and libc are opened through FFI. Deno can only scope FFI to paths, and the loader opens `libc.so.6`
 *   by name, so this one is unscoped (FFI is no sandbox boundary in Deno
 *   anyway). On the zmtp engine, `--allow-net` instead, and no FFI: ZeroMQ
 *   goes over Deno's own sockets, to endpoints known only at run time (the
 *   registry hands them out). ipc endpoints need the node to declare
 *   read and write of their paths.
 * - `--allow-read` of the project (the folder of its `deno.json`, with its
 *   `node_modules`), of zmp's `mod.ts` and `src/`, of the node module's
 *   folder, and of Deno's npm cache when the project has no `node_modules`:
 *   the node module is imported dynamically, which Deno checks against
 *   read permission, it and everything it imports.
 * - `--allow-import` of zmp's host, when zmp itself runs from a URL that
 *   Deno does not allow by default.
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

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { readEnv } from "../_util/env.ts";
import type { NodePermissions, PermissionValue } from "./types.ts";
import { type ProjectConfig, ZMP_ROOT, ZMP_ROOT_URL } from "./_project.ts";
import { defaultEngine, type EngineName } from "../zmq/mod.ts";

export { ZMP_ROOT };

const KINDS = [
  "read",
  "write",
  "net",
  "env",
  "run",
  "sys",
  "ffi",
  "import",
] as const;

/** What zmp adds to a node's declared permissions. */
export interface ZmpNeeds extends NodePermissions {
  /** Paths the node reads. */
  read?: string[];
  /** Hosts remote modules are imported from (`--allow-import`). */
  import?: string[];
}

/** Options of {@linkcode zmpNeeds}. */
export interface ZmpNeedsOptions {
  /** The names of the node spec's own `env` entries. @default {[]} */
  env?: readonly string[];
  /** The project the node runs in. @default {none} */
  project?: ProjectConfig;
  /**
   * The ZeroMQ engine the node runs on.
   * @default {the one ZMP_ENGINE names, which the node inherits}
   */
  engine?: EngineName;
}

/** Hosts Deno imports from without `--allow-import`. */
const DEFAULT_IMPORT_HOSTS = [
  "deno.land",
  "jsr.io",
  "esm.sh",
  "cdn.jsdelivr.net",
  "raw.githubusercontent.com",
  "gist.githubusercontent.com",
];

/** Deno's cache folder, where npm packages live without `node_modules`. */
function npmCache(): string | undefined {
  const dir = readEnv("DENO_DIR");
  if (dir) return join(dir, "npm");
  const home = readEnv("HOME");
  if (!home) return undefined;
  return Deno.build.os === "darwin"
    ? join(home, "Library", "Caches", "deno", "npm")
    : join(readEnv("XDG_CACHE_HOME") ?? join(home, ".cache"), "deno", "npm");
}

function hasNodeModules(root: string): boolean {
  try {
    return Deno.statSync(join(root, "node_modules")).isDirectory;
  } catch {
    return false;
  }
}

/**
 * What zmp adds to every subprocess node, for a module at `moduleUrl`.
 *
 * @param moduleUrl the node module
 * @param options the spec's env names and the project
 * @returns the permissions to merge with the declared ones
 */
export function zmpNeeds(
  moduleUrl: string,
  options: ZmpNeedsOptions = {},
): ZmpNeeds {
  const read: string[] = [];
  const project = options.project?.root;
  if (project !== undefined) read.push(project);
  if (ZMP_ROOT !== undefined) {
    read.push(join(ZMP_ROOT, "mod.ts"), join(ZMP_ROOT, "src"));
  }
  const url = new URL(moduleUrl);
  if (url.protocol === "file:") {
    const folder = dirname(fileURLToPath(url));
    const covered = read.some((r) =>
      folder === r || folder.startsWith(`${r}/`)
    );
    if (!covered) read.push(folder);
  }
  const modules = project ?? ZMP_ROOT;
  if (modules === undefined || !hasNodeModules(modules)) {
    const cache = npmCache();
    if (cache) read.push(cache);
  }
  const engine = options.engine ?? defaultEngine();
  const needs: ZmpNeeds = {
    ...(engine === "zmtp" ? { net: true } : { ffi: true }),
    read,
    env: [
      "ZMP_*",
      "MSGPACKR_NATIVE_ACCELERATION_DISABLED",
      ...(options.env ?? []),
    ],
    sys: ["hostname"],
  };
  const hosts = [ZMP_ROOT_URL, url]
    .filter((u) => u.protocol === "http:" || u.protocol === "https:")
    .map((u) => u.host)
    .filter((h) => !DEFAULT_IMPORT_HOSTS.includes(h));
  if (hosts.length > 0) needs.import = [...new Set(hosts)];
  return needs;
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
 * Two sets of permissions in one, kind by kind (`true` wins, lists join).
 *
 * @param a some permissions
 * @param b more permissions
 * @returns both
 */
export function mergePermissions(a: ZmpNeeds, b: ZmpNeeds): ZmpNeeds {
  const out: Record<string, PermissionValue> = {};
  for (const kind of KINDS) {
    const value = merge(a[kind], b[kind]);
    if (value !== undefined) out[kind] = value;
  }
  return out as ZmpNeeds;
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
  needs: ZmpNeeds,
): string[] {
  const flags = ["--no-prompt"];
  for (const kind of KINDS) {
    const value = merge(
      kind === "import" ? undefined : declared[kind],
      needs[kind],
    );
    if (value === true) flags.push(`--allow-${kind}`);
    else if (value) flags.push(`--allow-${kind}=${value.join(",")}`);
  }
  return flags;
}
