/**
 * Loading a launch file: find it, import it, check its spec, and type-check
 * it together with its node modules (`deno check`), so that a launch with
 * a type error never starts.
 *
 * @module
 */

import { fileURLToPath, pathToFileURL } from "node:url";
import { LaunchError } from "./errors.ts";
import { checkModules } from "./launcher.ts";
import { type ResolvedLaunch, validateLaunch } from "./_validate.ts";
import type { LaunchDefinition } from "./types.ts";
import {
  findProjectConfig,
  type ProjectConfig,
  projectOf,
  resolveLaunchFile,
} from "./_project.ts";

/** Options of {@linkcode loadLaunchFile}. */
export interface LoadLaunchFileOptions {
  /**
   * Type-check the launch file and its node modules with `deno check`.
   * @default {true}
   */
  check?: boolean;
  /**
   * The `deno.json` to type-check with (and that nodes run with).
   * @default {the nearest deno.json or deno.jsonc from the file's folder up}
   */
  config?: string;
}

/** A launch file, loaded and checked. */
export interface LoadedLaunchFile {
  /** The file's URL. */
  url: string;
  /** Its default export. */
  spec: LaunchDefinition;
  /**
   * The `deno.json` or `deno.jsonc` of the project that holds the file (or
   * the one given as `config`), if any: what nodes run with.
   */
  config?: string;
}

// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0];
}

/** A failed type check: its first diagnostic in one line, and all of it. */
interface CheckFailure {
  /** `path:line:col: TS2322 message (and 2 more errors)`. */
  summary: string;
  /** The checker's whole output. */
  output: string;
}

function shortPath(url: string): string {
  const path = url.startsWith("file://")
    ? decodeURIComponent(new URL(url).pathname)
    : url;
  const cwd = `${Deno.cwd()}/`;
  return path.startsWith(cwd) ? path.slice(cwd.length) : path;
}

/**
 * Condenses `deno check` output to its first diagnostic on one line.
 *
 * @param output the checker's output, without colours
 * @returns e.g. `app/launch.ts:4:36: TS2322 Type '"x"' is not assignable …`
 */
export function summarizeCheck(output: string): string {
  const errors = [...output.matchAll(/^(TS\d+) \[ERROR\]: (.*)$/gm)];
  if (errors.length === 0) {
    const line = output.split("\n").find((l) => l.trim() !== "");
    return line?.trim() ?? "deno check failed";
  }
  const first = errors[0];
  const rest = output.slice((first.index ?? 0) + first[0].length);
  const at = /^\s+at (\S+):(\d+):(\d+)$/m.exec(rest);
  const where = at ? `${shortPath(at[1])}:${at[2]}:${at[3]}: ` : "";
  const more = errors.length > 1
    ? ` (and ${errors.length - 1} more error${errors.length > 2 ? "s" : ""})`
    : "";
  return `${where}${first[1]} ${first[2]}${more}`;
}

/**
 * Runs `deno check` on `paths`.
 *
 * @returns the failure, or `undefined` when the check passes
 */
async function typeCheck(
  paths: string[],
  project: ProjectConfig | undefined,
): Promise<CheckFailure | undefined> {
  // From the project's folder, without --config: Deno finds the same file
  // there, and keys its type-check cache as for every other command run
  // in the project (`deno test`, `deno task`), so the check is warm; an
  // explicit --config is a separate, cold cache entry (30 s on this VM).
  const found = project && findProjectConfig(project.root);
  const config = project && found?.file !== project.file
    ? ["--config", project.file]
    : [];
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["check", "--quiet", ...config, ...paths],
    cwd: project?.root,
    env: { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (out.code === 0) return undefined;
  const output = (new TextDecoder().decode(out.stderr) +
    new TextDecoder().decode(out.stdout)).replace(ANSI, "").trim();
  return { summary: summarizeCheck(output), output };
}

/**
 * Loads a launch file: its default export must be `defineLaunch({...})`.
 *
 * The file is imported, its spec checked (a bad spec is refused with the
 * checker's message when the file does not type-check, else with a
 * one-line {@linkcode LaunchError}), the node modules must exist, then the
 * file and its local node modules are type-checked in one `deno check`.
 *
 * @param path the launch file, or a folder holding a `launch.ts`
 * @param options whether to type-check
 * @returns the file's URL, spec and normalised launch
 * @throws {LaunchError} for a missing file or module, a bad spec or a type
 *   error
 */
export async function loadLaunchFile(
  path: string,
  options: LoadLaunchFileOptions = {},
): Promise<LoadedLaunchFile> {
  const check = options.check ?? true;
  const abs = resolveLaunchFile(path);
  const url = pathToFileURL(abs).href;
  const project = projectOf(abs, options.config);
  let mod: Record<string, unknown>;
  try {
    // The user's launch file, by absolute file: URL: resolvable without
    // zmp's import map (deno publish cannot analyze it, by design).
    mod = await import(url);
  } catch (e) {
    const problems = check ? await typeCheck([abs], project) : undefined;
    if (problems) {
      throw new LaunchError(
        `Cannot launch: "${path}" does not type-check: ${problems.summary}`,
        { file: path, cause: e, details: problems.output },
      );
    }
    throw new LaunchError(
      `Cannot launch: "${path}" cannot be loaded: ${firstLine(e)}`,
      { file: path, cause: e },
    );
  }
  let launch: ResolvedLaunch;
  try {
    launch = validateLaunch(mod.default, url);
    checkModules(launch);
  } catch (e) {
    const problems = check ? await typeCheck([abs], project) : undefined;
    if (problems) {
      throw new LaunchError(
        `Cannot launch: "${path}" does not type-check: ${problems.summary}`,
        { file: path, cause: e, details: problems.output },
      );
    }
    throw e;
  }
  if (check) {
    const modules = launch.nodes
      .map((n) => new URL(n.moduleUrl))
      .filter((u) => u.protocol === "file:")
      .map((u) => fileURLToPath(u));
    const problems = await typeCheck([abs, ...new Set(modules)], project);
    if (problems) {
      throw new LaunchError(
        `Cannot launch: "${path}" or its node modules do not type-check: ${problems.summary}`,
        { file: path, details: problems.output },
      );
    }
  }
  const loaded: LoadedLaunchFile = {
    url,
    spec: mod.default as LaunchDefinition,
  };
  if (project) loaded.config = project.file;
  return loaded;
}
