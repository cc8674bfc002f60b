/**
 * Codegen configuration: the `"zmp": { "codegen": { … } }` key of the
 * project's `deno.json`.
 *
 * ```json
 * { "zmp": { "codegen": {
 *   "include": ["examples/**\/*.api.ts"],
 *   "exclude": ["vendor/**"],
 *   "import": "zmp"
 * } } }
 * ```
 *
 * @module
 */

import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseJsonc } from "../src/_util/jsonc.ts";

/** Where generated modules import the zmp runtime from. */
export type RuntimeImport =
  | { readonly kind: "path"; readonly path: string }
  | { readonly kind: "specifier"; readonly specifier: string };

/** Resolved codegen settings. */
export interface CodegenConfig {
  /** The folder of `deno.json` (or the working folder when there is none). */
  readonly root: string;
  /**
   * Globs of definition files, relative to `root`.
   * @default {["**\/*.api.ts"]}
   */
  readonly include: readonly string[];
  /**
   * Globs to skip, relative to `root` (`node_modules` is always skipped).
   * @default {[]}
   */
  readonly exclude: readonly string[];
  /**
   * The runtime: a path (relative to `root` when written `./…` or `../…`)
   * or a bare specifier such as `"zmp"`.
   * @default this repository's `mod.ts`
   */
  readonly runtime: RuntimeImport;
}

const CONFIG_FILES = ["deno.json", "deno.jsonc"];

/** The default runtime: the `mod.ts` beside this codegen folder. */
function defaultRuntime(): RuntimeImport {
  const url = new URL("../mod.ts", import.meta.url);
  return url.protocol === "file:"
    ? { kind: "path", path: fileURLToPath(url) }
    : { kind: "specifier", specifier: "zmp" };
}

/** Resolves an `import` setting written in a config file in `root`. */
export function runtimeImport(value: string, root: string): RuntimeImport {
  if (value.startsWith("./") || value.startsWith("../") || isAbsolute(value)) {
    return { kind: "path", path: resolve(root, value) };
  }
  if (value.startsWith("file:")) {
    return { kind: "path", path: fileURLToPath(value) };
  }
  return { kind: "specifier", specifier: value };
}

/**
 * Finds the nearest `deno.json` from `cwd` upwards and reads its codegen
 * settings.
 *
 * @param cwd where to start looking
 * @returns the settings, defaults filled in
 * @throws {TypeError} when the `zmp.codegen` key is malformed
 */
export async function loadConfig(cwd: string): Promise<CodegenConfig> {
  const found = await findConfigFile(resolve(cwd));
  const root = found ? dirname(found) : resolve(cwd);
  const raw = found ? parseJsonc(await Deno.readTextFile(found), found) : {};
  const zmp = (raw as { zmp?: { codegen?: unknown } }).zmp;
  const section = zmp?.codegen ?? {};
  if (
    typeof section !== "object" || section === null || Array.isArray(section)
  ) {
    throw new TypeError(`Invalid ${found}: "zmp.codegen" must be an object`);
  }
  const { include, exclude, import: imp } = section as Record<string, unknown>;
  const globs = (value: unknown, key: string, fallback: string[]): string[] => {
    if (value === undefined) return fallback;
    if (Array.isArray(value) && value.every((v) => typeof v === "string")) {
      return value;
    }
    throw new TypeError(
      `Invalid ${found}: "zmp.codegen.${key}" must be an array of globs`,
    );
  };
  if (imp !== undefined && typeof imp !== "string") {
    throw new TypeError(
      `Invalid ${found}: "zmp.codegen.import" must be a string`,
    );
  }
  return {
    root,
    include: globs(include, "include", ["**/*.api.ts"]),
    exclude: globs(exclude, "exclude", []),
    runtime: imp === undefined ? defaultRuntime() : runtimeImport(imp, root),
  };
}

async function findConfigFile(start: string): Promise<string | undefined> {
  for (let dir = start;; dir = dirname(dir)) {
    for (const name of CONFIG_FILES) {
      const path = join(dir, name);
      try {
        if ((await Deno.stat(path)).isFile) return path;
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      }
    }
    if (dirname(dir) === dir) return undefined;
  }
}
