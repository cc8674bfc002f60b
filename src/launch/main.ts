/**
 * `zmp launch <file>`: the command-line face of the launcher.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { LaunchError } from "./errors.ts";
import { type RunningLaunch, startLaunch } from "./launcher.ts";
import { loadLaunchFile } from "./load.ts";

/** The help text of `zmp launch`. */
export const LAUNCH_USAGE = `Usage: zmp launch [options] <file>

Starts the registry and the nodes of a launch file (a module whose default
export is defineLaunch({...})), prints their output prefixed with their
names, restarts them by their policies, and stops them in reverse order on
Ctrl-C or SIGTERM (a second Ctrl-C kills them at once).

<file> is a launch file, or a folder holding a launch.ts.

Options:
  --no-check   do not type-check the launch file and its node modules
  -h, --help   show this help

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
