/**
 * Finding and loading libzmq, lazily, on first use.
 *
 * By default zmp uses the libzmq that the npm `zeromq` package bundles
 * inside its prebuilt addons (4.3.5, with CURVE and the DRAFT API), so that
 * installing a system package never changes the library under you. The
 * builds for this OS and CPU are tried newest libc first until one loads: a
 * build whose libc is newer than this machine's fails to load and the next
 * is tried (on Debian 12, glibc-147 and glibc-115 fail and glibc-127 loads).
 *
 * The system library (`libzmq.so.5`; Debian's 4.3.4 has no DRAFT API) is
 * used when `ZMP_LIBZMQ=system` asks for it, or when no bundled build loads.
 * `ZMP_LIBZMQ=<path>` loads that file and nothing else.
 *
 * @module
 */

import { readEnv } from "../_util/env.ts";
import { type Libc, LIBC_SYMBOLS, type Libzmq, ZMQ_SYMBOLS } from "./_ffi.ts";

/** One place the loader looked, and why it did not use it. */
export interface LoadAttempt {
  /** The path or library name given to `dlopen`. */
  path: string;
  /** Why it failed, or `undefined` for the one that loaded. */
  error?: string;
}

/** The loaded native libraries and where libzmq came from. */
export interface LoadedLibzmq {
  /** The libzmq symbols. */
  zmq: Libzmq;
  /** The libc symbols the reactor needs. */
  libc: Libc;
  /** The path libzmq was loaded from. */
  path: string;
  /** The libzmq version as `[major, minor, patch]`. */
  version: [number, number, number];
  /**
   * Where it came from: `bundled` (npm `zeromq`), `system`, or `env` (the
   * path in `ZMP_LIBZMQ`).
   */
  source: LibzmqSource;
  /** The places tried before it, and why each failed. */
  attempts: LoadAttempt[];
}

/** Where the loaded libzmq came from. */
export type LibzmqSource = "bundled" | "system" | "env";

/**
 * Raised when no libzmq could be loaded; the message lists every place
 * tried and why each failed.
 */
export class LibzmqNotFoundError extends Error {
  /** Every place the loader tried, in order. */
  readonly attempts: LoadAttempt[];
  /**
   * @param attempts every place tried, with the reason it failed
   */
  constructor(attempts: LoadAttempt[]) {
    const lines = attempts.map((a) => `  - ${a.path}: ${a.error}`).join("\n");
    super(
      `Cannot load libzmq: tried ${attempts.length} places\n${lines}\n` +
        `Set ZMP_LIBZMQ to the path of a libzmq shared library, run ` +
        `"deno install" so that the npm "zeromq" package is present, or ` +
        `install the system package (Debian: libzmq5)`,
    );
    this.name = "LibzmqNotFoundError";
    this.attempts = attempts;
  }
}

let loaded: LoadedLibzmq | undefined;

/**
 * Returns the loaded libzmq, loading it on the first call.
 *
 * @returns the loaded libraries
 * @throws {LibzmqNotFoundError} when no candidate loads
 */
export function libzmq(): LoadedLibzmq {
  return loaded ??= load();
}

function systemNames(): string[] {
  switch (Deno.build.os) {
    case "darwin":
      return [
        "libzmq.5.dylib",
        "/opt/homebrew/lib/libzmq.5.dylib",
        "/usr/local/lib/libzmq.5.dylib",
      ];
    case "windows":
      return ["libzmq.dll"];
    default:
      return ["libzmq.so.5", "libzmq.so"];
  }
}

function libcName(): string {
  return Deno.build.os === "darwin" ? "libSystem.B.dylib" : "libc.so.6";
}

/** The folder of the npm `zeromq` package zmp's import map resolves to. */
function resolvedPackageDir(): string | undefined {
  let url: URL;
  try {
    url = new URL(import.meta.resolve("zeromq"));
  } catch {
    return undefined;
  }
  if (url.protocol !== "file:") return undefined;
  const path = decodeURIComponent(url.pathname);
  const at = path.lastIndexOf("/zeromq/");
  if (at < 0) return undefined;
  const rest = path.slice(at + "/zeromq/".length).split("/");
  // node_modules/zeromq/lib/… or the cache's zeromq/<version>/lib/…
  const version = /^\d+\.\d+\.\d+/.test(rest[0]) ? `/${rest[0]}` : "";
  return `${path.slice(0, at)}/zeromq${version}`;
}

/** Directories that may hold an installed npm `zeromq` package. */
function npmPackageDirs(): string[] {
  const dirs: string[] = [];
  const resolved = resolvedPackageDir();
  if (resolved) dirs.push(resolved);
  const here = new URL(".", import.meta.url);
  if (here.protocol === "file:") {
    // src/zmq/ -> project root
    dirs.push(
      decodeURIComponent(new URL("../../node_modules/zeromq", here).pathname),
    );
  }
  try {
    dirs.push(`${Deno.cwd()}/node_modules/zeromq`);
  } catch {
    // no cwd permission: skip
  }
  const home = readEnv("HOME");
  const denoDir = readEnv("DENO_DIR") ??
    (home ? `${home}/.cache/deno` : undefined);
  if (denoDir) {
    const base = `${denoDir}/npm/registry.npmjs.org/zeromq`;
    try {
      const versions = [...Deno.readDirSync(base)]
        .filter((e) => e.isDirectory)
        .map((e) => e.name)
        .sort()
        .reverse();
      for (const v of versions) dirs.push(`${base}/${v}`);
    } catch {
      // not cached there
    }
  }
  return [...new Set(dirs)];
}

/**
 * The prebuilt addon files of one npm `zeromq` package for this OS and CPU,
 * newest libc first: the loader tries each until one loads.
 */
function npmCandidates(dir: string): string[] {
  const os = Deno.build.os === "windows" ? "win32" : Deno.build.os;
  const arch = Deno.build.arch === "aarch64" ? "arm64" : "x64";
  const base = `${dir}/build/${os}/${arch}/node`;
  let names: string[];
  try {
    names = [...Deno.readDirSync(base)].filter((e) => e.isDirectory).map((e) =>
      e.name
    );
  } catch {
    return [];
  }
  // Prefer builds named "<libc>-<abi>-Release", highest ABI first, then the
  // older bare-ABI folders. musl builds only load on musl systems; they are
  // tried last so that glibc systems report the glibc failures first.
  const score = (n: string) => {
    const m = /^(glibc|musl|libc|msvc)?-?(\d+)/.exec(n);
    const abi = m ? Number(m[2]) : 0;
    const musl = n.startsWith("musl") ? -100000 : 0;
    const named = m?.[1] ? 1000 : 0;
    return musl + named + abi;
  };
  names.sort((a, b) => score(b) - score(a));
  return names.map((n) => `${base}/${n}/addon.node`);
}

/** A place to load libzmq from. */
interface Candidate {
  path: string;
  source: LibzmqSource;
}

/**
 * Where to look, in order: `ZMP_LIBZMQ` alone when it names a path; the
 * system library first when it says `system`; else the bundled builds,
 * then the system library as a fallback.
 */
export function libzmqCandidates(): Candidate[] {
  const explicit = readEnv("ZMP_LIBZMQ");
  const system = systemNames().map((path) => ({
    path,
    source: "system" as const,
  }));
  if (explicit !== undefined && explicit !== "system") {
    return [{ path: explicit, source: "env" }];
  }
  const bundled = npmPackageDirs().flatMap((dir) =>
    npmCandidates(dir).map((path) => ({ path, source: "bundled" as const }))
  );
  return explicit === "system"
    ? [...system, ...bundled]
    : [...bundled, ...system];
}

const RTLD_NOW = 2;
const RTLD_NODELETE = Deno.build.os === "darwin" ? 0x80 : 0x1000;

/**
 * Keeps libzmq mapped until the process ends. Deno `dlclose`s the libraries
 * it opened when the runtime shuts down, while libzmq's I/O and reaper
 * threads may still run code in it: that crashed about one exit in ten
 * with SIGSEGV. A second `dlopen` with `RTLD_NODELETE` prevents the unload.
 * Best effort: skipped where `dlopen` cannot be found.
 */
function pin(libc: Libc, path: string): void {
  let dlopen = libc.dlopen;
  if (dlopen === null && Deno.build.os === "linux") {
    try {
      dlopen = Deno.dlopen("libdl.so.2", { dlopen: LIBC_SYMBOLS.dlopen })
        .symbols.dlopen;
    } catch {
      return;
    }
  }
  dlopen?.(new TextEncoder().encode(`${path}\0`), RTLD_NOW | RTLD_NODELETE);
}

function load(): LoadedLibzmq {
  const attempts: LoadAttempt[] = [];
  for (const { path, source } of libzmqCandidates()) {
    try {
      if (source === "bundled" && !Deno.statSync(path).isFile) continue;
      const lib = Deno.dlopen(path, ZMQ_SYMBOLS);
      const libc = Deno.dlopen(libcName(), LIBC_SYMBOLS);
      pin(libc.symbols, path);
      const v = new Int32Array(3);
      lib.symbols.zmq_version(
        v.subarray(0, 1),
        v.subarray(1, 2),
        v.subarray(2, 3),
      );
      return {
        zmq: lib.symbols,
        libc: libc.symbols,
        path,
        version: [v[0], v[1], v[2]],
        source,
        attempts: [...attempts],
      };
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      attempts.push({ path, error: msg.split("\n")[0] });
    }
  }
  if (attempts.length === 0) {
    attempts.push({ path: "(none)", error: "no candidate paths" });
  }
  throw new LibzmqNotFoundError(attempts);
}
