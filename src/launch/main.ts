/**
 * `zmp launch <file>`: the command-line face of the launcher.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { LaunchError } from "./errors.ts";
import { type RunningLaunch, startLaunch } from "./launcher.ts";
import { loadLaunchFile } from "./load.ts";
import type { LaunchSpec } from "./types.ts";

/** The help text of `zmp launch`. */
export const LAUNCH_USAGE = `Usage: zmp launch [options] <file>

Starts the registry and the nodes of a launch file (a module whose default
export is defineLaunch({...})), prints their output prefixed with their
names, restarts them by their policies, and stops them in reverse order on
Ctrl-C or SIGTERM (a second Ctrl-C kills them at once).

<file> is a launch file, or a folder holding a launch.ts.

Options:
  --registry <endpoint>  use this registry instead of the launch file's:
                         etcd://host:2379,host:2379 (many machines), or a
                         running registry's tcp://host:port; none is started
  --host <name>          start only the nodes the launch file places on this
                         host (run it on each machine, against etcd)
  --params <path>        keep the params in this file (default: the launch
                         file's name with .params.json, beside it)
  --no-params            keep the params in memory only
  --no-check             do not type-check the launch file and its node modules
  -h, --help             show this help

What survives what:
  - A node restart: everything in the registry (params, other nodes).
  - A launcher restart, embedded registry: the params, from the params file
    (written after every change); the nodes register again as they start.
    With --no-params, params start empty.
  - With etcd (--registry etcd://...): params live in etcd and survive any
    launcher, node or machine restart; the params file is not used.

Exit codes: 0 when every node ended cleanly or was stopped, 1 when a node
failed beyond its restart policy, 2 when the launch file cannot be used.
`;

/**
 * Runs `zmp launch` with `args` (what follows `launch` on the command
 * line) until the launch ends.
 *
 * @param args the command-line arguments
 * @returns the exit code: 0, 1 (a node failed) or 2 (bad usage or file)
 */
export async function launchMain(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        help: { type: "boolean", short: "h" },
        "no-check": { type: "boolean" },
        registry: { type: "string" },
        host: { type: "string" },
        params: { type: "string" },
        "no-params": { type: "boolean" },
      },
    });
  } catch (e) {
    console.error(`zmp launch: ${(e as Error).message.split("\n")[0]}`);
    return 2;
  }
  if (parsed.values.help) {
    console.log(LAUNCH_USAGE);
    return 0;
  }
  if (parsed.positionals.length !== 1) {
    console.error(
      `zmp launch: expected one launch file, got ${parsed.positionals.length} (see zmp launch --help)`,
    );
    return 2;
  }
  if (parsed.values.params !== undefined && parsed.values["no-params"]) {
    console.error(
      "zmp launch: --params and --no-params cannot go together (see zmp launch --help)",
    );
    return 2;
  }
  if (parsed.values.params === "") {
    console.error("zmp launch: --params must not be empty");
    return 2;
  }
  const file = parsed.positionals[0];
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
    : ["SIGINT", "SIGTERM"];
  for (const s of names) Deno.addSignalListener(s, onSignal);
  try {
    const loaded = await loadLaunchFile(file, {
      check: !parsed.values["no-check"],
    });
    running = await startLaunch(loaded.spec, {
      file: loaded.url,
      signal: controller.signal,
      registry: parsed.values.registry,
      host: parsed.values.host,
      paramsFile: paramsFileOf(parsed.values, loaded.spec, loaded.url),
    });
    const result = await running.done;
    return result.code;
  } catch (e) {
    if (e instanceof LaunchError) {
      console.error(`error: ${e.message}`);
      return 2;
    }
    throw e;
  } finally {
    for (const s of names) Deno.removeSignalListener(s, onSignal);
  }
}

/**
 * The params file of a launch file: its name with `.params.json`, beside
 * it (`apps/launch.ts` → `apps/launch.params.json`).
 *
 * @param url the launch file's URL
 * @returns the path, or `undefined` for a launch file that is not local
 */
export function defaultParamsFile(url: string): string | undefined {
  const u = new URL(url);
  if (u.protocol !== "file:") return undefined;
  const path = decodeURIComponent(u.pathname);
  return path.replace(/\.[cm]?[jt]sx?$/, "") + ".params.json";
}

/** Where `zmp launch` keeps params: the options, else the spec, else beside the file. */
function paramsFileOf(
  values: { params?: string; "no-params"?: boolean },
  spec: LaunchSpec,
  url: string,
): string | false | undefined {
  if (values["no-params"]) return false;
  if (values.params !== undefined) return values.params;
  const own = spec.registry !== undefined && "paramsFile" in spec.registry &&
    spec.registry.paramsFile !== undefined;
  return own ? undefined : defaultParamsFile(url);
}
