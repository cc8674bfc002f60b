/**
 * `zmp launch <file>`: runs a launch file (see `src/launch/`) with the
 * configuration of the project that holds it.
 *
 * @module
 */

import { readEnv } from "../_util/env.ts";
import { LaunchError } from "../launch/errors.ts";
import type { LaunchDefinition } from "../launch/types.ts";
import type { RunningLaunch } from "../launch/launcher.ts";
import {
  findProjectConfig,
  projectOf,
  reachesZmp,
  resolveLaunchFile,
  ZMP_ROOT,
} from "../launch/_project.ts";
import { CliError, parse, runCommand, UsageError } from "./_common.ts";
import { rerun, runsWithConfig } from "./_rerun.ts";

/** The `--help` text of `zmp launch`. */
export const USAGE = `Usage: zmp launch [options] <file>

Starts the registry and the nodes of a launch file (a module whose default
export is defineLaunch({...})), prints their output prefixed with their
names, restarts them by their policies, and stops them in reverse order on
Ctrl-C or SIGTERM (a second Ctrl-C kills them at once).

<file> is a launch file, or a folder holding a launch.ts. The launcher and
its nodes run with the configuration of the project that holds it (the
nearest deno.json or deno.jsonc from its folder up): its import map,
nodeModulesDir and lock file. The embedded registry listens where the
launch file says, else at $ZMP_REGISTRY, else at tcp://127.0.0.1:7350.

Options:
  --config <file>  the deno.json to run with instead
  --no-check       do not type-check the launch file and its node modules
  -h, --help       show this help

Examples:
  zmp launch launch.ts
  zmp launch examples/sensors
  zmp launch --config app/deno.json app/launch.ts

Exit codes: 0 when every node ended cleanly or was stopped, 1 when a node
failed beyond its restart policy, 2 when the launch file cannot be used.`;

/**
 * Runs `zmp launch` with the arguments after `launch`, until the launch
 * ends.
 *
 * @param args the command-line arguments
 * @returns the exit code: 0, 1 (a node failed) or 2 (bad usage or file)
 */
export function main(args: string[]): Promise<number> {
  return runCommand({ name: "launch", usage: USAGE }, args, async () => {
    const { values, positionals } = parse(args, {
      config: { type: "string" },
      "no-check": { type: "boolean" },
    });
    if (positionals.length !== 1) {
      throw new UsageError(
        `expected one launch file, got ${positionals.length}`,
      );
    }
    if (values.config === "") throw new UsageError("--config is empty");
    const file = launchError(() => resolveLaunchFile(positionals[0]));
    const project = projectOf(file, values.config);
    if (
      project !== undefined &&
      !runsWithConfig(project.file, findProjectConfig(Deno.cwd())?.file)
    ) {
      await checkProject(project.file);
      return await rerun({ config: project.file }, ["launch", ...args]);
    }
    return await run(file, project?.file, values["no-check"] !== true);
  });
}

/** Refuses a configuration under which zmp's own modules cannot load. */
async function checkProject(config: string): Promise<void> {
  let reaches: boolean;
  try {
    Deno.statSync(config);
    reaches = await reachesZmp(config);
  } catch (e) {
    throw new CliError(
      `Cannot launch: cannot read ${config}: ${(e as Error).message}`,
      { code: 2, cause: e },
    );
  }
  if (!reaches) {
    throw new CliError(
      `Cannot launch: ${config} does not map zmp: add "imports": { "zmp": "${ZMP_ROOT}/mod.ts" } to it (or run zmp init)`,
      { code: 2 },
    );
  }
}

function launchError<T>(body: () => T): T {
  try {
    return body();
  } catch (e) {
    if (e instanceof LaunchError) {
      throw new CliError(e.message, { code: 2, cause: e });
    }
    throw e;
  }
}

/**
 * The spec with its embedded registry at `ZMP_REGISTRY` when the file names
 * no endpoint: the launch then listens where every other `zmp` command
 * looks.
 */
function withEnvRegistry(spec: LaunchDefinition): LaunchDefinition {
  const endpoint = readEnv("ZMP_REGISTRY");
  const registry = spec.registry;
  if (endpoint === undefined) return spec;
  if (registry !== undefined && ("external" in registry || registry.endpoint)) {
    return spec;
  }
  return { ...spec, registry: { ...registry, endpoint } };
}

async function run(
  file: string,
  config: string | undefined,
  check: boolean,
): Promise<number> {
  const controller = new AbortController();
  let running: RunningLaunch | undefined;
  let signals = 0;
  const onSignal = () => {
    signals++;
    if (signals === 1) controller.abort();
    else void running?.kill();
  };
  const names: Deno.Signal[] = Deno.build.os === "windows"
    ? ["SIGINT"]
    : ["SIGINT", "SIGTERM", "SIGHUP"];
  for (const s of names) Deno.addSignalListener(s, onSignal);
  try {
    let loaded;
    try {
      // Loaded here, not at the top: a zmp launch that runs itself again
      // under the project's configuration never loads the launcher twice.
      const { loadLaunchFile } = await import("../launch/load.ts");
      const { startLaunch } = await import("../launch/launcher.ts");
      loaded = await loadLaunchFile(file, { check, config });
      running = await startLaunch(withEnvRegistry(loaded.spec), {
        file: loaded.url,
        config,
        signal: controller.signal,
      });
    } catch (e) {
      return launchError(() => {
        throw e;
      });
    }
    const result = await running.done;
    return result.code;
  } finally {
    for (const s of names) Deno.removeSignalListener(s, onSignal);
  }
}
