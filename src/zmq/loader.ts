/**
 * Finding and loading libzmq, lazily, on first use.
 *
 * The order is: the `ZMP_LIBZMQ` environment variable (a path), the system
 * libzmq, then the libzmq that the npm `zeromq` package ships inside its
 * prebuilt addons, trying the builds for this OS and CPU until one loads
 * (a build whose libc is newer than this machine's fails to load and the
 * next is tried).
 *
 * @module
 */

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
}

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
        `Set ZMP_LIBZMQ to the path of a libzmq shared library, install ` +
        `the system package (Debian: libzmq5), or run "deno install" so ` +
        `that the npm "zeromq" package is present`,
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

/** Directories that may hold an installed npm `zeromq` package. */
function npmPackageDirs(): string[] {
  const dirs: string[] = [];
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
  const denoDir = Deno.env.get("DENO_DIR") ??
    (Deno.env.get("HOME") ? `${Deno.env.get("HOME")}/.cache/deno` : undefined);
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

function candidates(): string[] {
  const list: string[] = [];
  const explicit = Deno.env.get("ZMP_LIBZMQ");
  if (explicit) return [explicit];
  list.push(...systemNames());
  for (const dir of npmPackageDirs()) list.push(...npmCandidates(dir));
  return list;
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
  for (const path of candidates()) {
    try {
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
