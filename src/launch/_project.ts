/**
 * The project a launch belongs to, and where zmp itself lives.
 *
 * A user's project has its own `deno.json` that maps `"zmp"` to zmp. Its
 * nodes must run with that configuration (its import map, `nodeModulesDir`
 * and lock file), so the launcher finds it the way Deno does for a file: the
 * nearest `deno.json` or `deno.jsonc` from the launch file's folder up.
 *
 * @module
 */

import { dirname, join, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { LaunchError } from "./errors.ts";
import { isPlainObject } from "../_util/object.ts";

/** The names Deno reads a configuration from, in its order. */
const CONFIG_NAMES = ["deno.json", "deno.jsonc"] as const;

/** The root of zmp (the folder of its `mod.ts`), as a URL. */
export const ZMP_ROOT_URL: URL = new URL("../../", import.meta.url);

/** The root of zmp as a path, or `undefined` when zmp runs from a URL. */
export const ZMP_ROOT: string | undefined = ZMP_ROOT_URL.protocol === "file:"
  ? fileURLToPath(ZMP_ROOT_URL).replace(/[\\/]$/, "")
  : undefined;

/** A project's configuration file and its folder. */
export interface ProjectConfig {
  /** The `deno.json` or `deno.jsonc`, absolute. */
  file: string;
  /** Its folder: the project root. */
  root: string;
}

/**
 * Finds the configuration that governs files in `dir`: the nearest
 * `deno.json` or `deno.jsonc` in `dir` or above it.
 *
 * @param dir an absolute folder
 * @returns the project, or `undefined` when there is none up to `/`
 */
export function findProjectConfig(dir: string): ProjectConfig | undefined {
  for (let at = resolve(dir);; at = dirname(at)) {
    for (const name of CONFIG_NAMES) {
      const file = join(at, name);
      try {
        if (Deno.statSync(file).isFile) return { file, root: at };
      } catch {
        // not here, or not readable: keep looking up
      }
    }
    if (dirname(at) === at) return undefined;
  }
}

/**
 * The project of a launch: `explicit` (a `--config` file) when given, else
 * the one that governs the launch file, else the one that governs the
 * working folder.
 *
 * @param file the launch file's URL or path, if any
 * @param explicit a configuration file chosen by the user
 * @returns the project, or `undefined` when no configuration applies
 */
export function projectOf(
  file: string | undefined,
  explicit?: string,
): ProjectConfig | undefined {
  if (explicit !== undefined) {
    const path = resolve(explicit);
    return { file: path, root: dirname(path) };
  }
  if (file !== undefined) {
    const url = /^[a-z][a-z0-9+.-]+:/i.test(file)
      ? new URL(file)
      : pathToFileURL(resolve(file));
    if (url.protocol !== "file:") return undefined;
    return findProjectConfig(dirname(fileURLToPath(url)));
  }
  return findProjectConfig(Deno.cwd());
}

/**
 * Whether the modules of zmp resolve their own imports under `config`.
 * Deno gives a folder with its own `deno.json` its own imports only when
 * the project reaches it through its import map (or `links`), so a
 * project must map `"zmp"` to zmp's `mod.ts`; zmp's own configuration
 * always works, and so does a zmp that runs from a URL (its imports are
 * the project's to map, see `zmp init`).
 *
 * @param config the project's configuration file
 * @returns `false` when zmp is a local folder the configuration never maps
 *   (the parser is loaded only when needed: `zmp launch` asks this before
 *   running itself again, and stays light)
 * @throws {SyntaxError} when the configuration is not valid JSONC
 */
export async function reachesZmp(config: string): Promise<boolean> {
  if (ZMP_ROOT === undefined) return true;
  const root = dirname(resolve(config));
  if (root === ZMP_ROOT) return true;
  const { parseJsonc } = await import("../_util/jsonc.ts");
  const raw = parseJsonc(await Deno.readTextFile(config), config);
  if (!isPlainObject(raw)) return false;
  const targets: unknown[] = [];
  if (isPlainObject(raw.imports)) targets.push(...Object.values(raw.imports));
  if (isPlainObject(raw.scopes)) {
    for (const scope of Object.values(raw.scopes)) {
      if (isPlainObject(scope)) targets.push(...Object.values(scope));
    }
  }
  if (Array.isArray(raw.links)) targets.push(...raw.links);
  const inside = `${ZMP_ROOT}${sep}`;
  return targets.some((t) => {
    if (typeof t !== "string") return false;
    let path: string;
    if (t.startsWith("file:")) path = fileURLToPath(t);
    else if (/^[a-z][a-z0-9+.-]+:/i.test(t)) return false;
    else if (t.startsWith(".") || t.startsWith("/")) path = resolve(root, t);
    else return false;
    return path === ZMP_ROOT || path.startsWith(inside);
  });
}

/**
 * The launch file a command line names: the file, or the `launch.ts` of a
 * folder.
 *
 * @param path a file or a folder
 * @returns the absolute path of the file
 * @throws {LaunchError} when it does not exist, or a folder has no launch.ts
 */
export function resolveLaunchFile(path: string): string {
  const abs = resolve(path);
  let stat: Deno.FileInfo;
  try {
    stat = Deno.statSync(abs);
  } catch {
    throw new LaunchError(`Cannot launch: "${path}" does not exist`, {
      file: path,
    });
  }
  if (stat.isDirectory) {
    const inside = `${abs.replace(/\/$/, "")}/launch.ts`;
    try {
      if (Deno.statSync(inside).isFile) return inside;
    } catch {
      // reported below
    }
    throw new LaunchError(
      `Cannot launch: "${path}" is a folder without a launch.ts`,
      { file: path },
    );
  }
  return abs;
}
