/**
 * `zmp launch <file>`: the command-line face of the launcher.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { LaunchError } from "./errors.ts";
import { type RunningLaunch, startLaunch } from "./launcher.ts";
import { loadLaunchFile } from "./load.ts";
import { connectRegistry } from "../registry/client.ts";
import { servePrometheus } from "../observe/prometheus.ts";

/** The Prometheus endpoint of `--metrics-port`, asking the launch's registry. */
async function serveLaunchMetrics(
  running: RunningLaunch,
  port: number,
): Promise<AsyncDisposable> {
  const registry = await connectRegistry({
    endpoint: running.registry,
    logger: { warn() {}, error() {} },
  });
  let server;
  try {
    server = servePrometheus({
      port,
      nodes: () => registry.nodes(),
      registry: running.registry,
    });
  } catch (e) {
    await registry.close();
    await running.stop();
    throw e;
  }
  console.log(`metrics │ Prometheus text at ${server.url}`);
  return {
    async [Symbol.asyncDispose]() {
      await server.close();
      await registry.close();
    },
  };
}

/** The help text of `zmp launch`. */
export const LAUNCH_USAGE = `Usage: zmp launch [options] <file>

Starts the registry and the nodes of a launch file (a module whose default
export is defineLaunch({...})), prints their output prefixed with their
names, restarts them by their policies, and stops them in reverse order on
Ctrl-C or SIGTERM (a second Ctrl-C kills them at once).

<file> is a launch file, or a folder holding a launch.ts.

Options:
  --no-check            do not type-check the launch file and its node modules
  --metrics-port <n>    serve every process's metrics in the Prometheus text
                        format at http://127.0.0.1:<n>/metrics (0: a free port)
  -h, --help            show this help

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
        "metrics-port": { type: "string" },
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
  const metricsPort = parsed.values["metrics-port"];
  if (
    metricsPort !== undefined &&
    !(/^\d+$/.test(metricsPort) && Number(metricsPort) <= 65535)
  ) {
    console.error(
      `zmp launch: --metrics-port must be a port number (0 to 65535), got ${
        JSON.stringify(metricsPort)
      }`,
    );
    return 2;
  }
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
    await using _metrics = metricsPort === undefined
      ? undefined
      : await serveLaunchMetrics(running, Number(metricsPort));
    const result = await running.done;
    return result.code;
  } catch (e) {
    if (e instanceof LaunchError) {
      console.error(`error: ${e.message}`);
      return 2;
    }
    if (e instanceof Deno.errors.AddrInUse) {
      console.error(`zmp launch: --metrics-port ${metricsPort}: ${e.message}`);
      return 1;
    }
    throw e;
  } finally {
    for (const s of names) Deno.removeSignalListener(s, onSignal);
  }
}
