/**
 * The entry of a node run as a subprocess:
 *
 * ```sh
 * deno run -A src/node/subprocess_main.ts <module> [args…]
 * ```
 *
 * What the launcher sets:
 *
 * | variable | meaning | default |
 * |---|---|---|
 * | `ZMP_NODE_NAME` | the node name | the module's file name without extension |
 * | `ZMP_REGISTRY` | the registry endpoint | `tcp://127.0.0.1:7350` |
 * | `ZMP_RUN_MODE` | reported to the registry | `subprocess` |
 * | `ZMP_HOST` | the host name reported to the registry | `Deno.hostname()` |
 * | `ZMP_ADVERTISE_HOST` | the address its sockets listen on and peers reach | chosen from the registry's address |
 * | `ZMP_LOG_LEVEL` | `debug`, `info`, `warn`, `error`, `silent` | `info` |
 * | `ZMP_STDIN_WATCH` | `0` to not stop when standard input ends | watch |
 * | `ZMP_STDIN_TOKEN` | `1`: the first line of standard input is the registration's secret token | no token: the registry makes one |
 * | `ZMP_SECURE` | `1`: secure mode, the next line of standard input holds the node's keys | off |
 *
 * The node stops gracefully (node signal aborted, calls drained,
 * unregistered, exit code 0) on SIGTERM or SIGINT, and when its standard
 * input reaches end of file. The launcher spawns it with `stdin: "piped"`
 * and keeps the pipe open: it closes the pipe to stop the node (SIGTERM
 * only after the grace period), and if the launcher dies, even by SIGKILL,
 * the pipe closes as well and the node exits, so no node outlives it. The
 * end waits in the pipe until the node reads it, so a node stopped while
 * Deno is still loading it stops as cleanly, where an early SIGTERM would
 * kill it (exit code 143); a stop while its module loads (a top-level
 * `await`) exits 0 at once. Standard input that is a terminal is not
 * watched. A second request (a signal after a signal or after the end of
 * input) exits at once with code 1, and so does a stop that has not
 * finished after 15 s.
 *
 * Exit codes: 0 after a stop, 1 when the module cannot be loaded, the node
 * cannot be created (e.g. its name is taken) or `run` threw — with one log
 * line on standard error — and 2 for a bad command line.
 *
 * The launcher gives every node a registration token of its own, the same
 * for each restart, on the first line of standard input: a restarted node
 * takes its name back from its crashed predecessor at once, and another
 * process cannot take the name meanwhile. The token is never in argv or
 * the environment, where `ps` could show it.
 *
 * The launcher knows the node is up when the registry lists a node of its
 * name with the child's pid.
 *
 * @module
 */

import { basename, extname } from "node:path";
import { readEnv } from "../_util/env.ts";
import { RUN_MODES } from "../registry/types.ts";
import { runNodeProcess } from "./_process.ts";

/**
 * Runs the node module named on the command line until it is stopped.
 *
 * @param argv `<module> [args…]`
 * @returns the exit code
 */
export async function subprocessMain(argv: string[]): Promise<number> {
  const [moduleUrl, ...args] = argv;
  if (moduleUrl === undefined || moduleUrl === "") {
    console.error(
      "usage: deno run -A src/node/subprocess_main.ts <module> [args…]",
    );
    return 2;
  }
  const mode = readEnv("ZMP_RUN_MODE") ?? "subprocess";
  if (!(RUN_MODES as readonly string[]).includes(mode)) {
    console.error(
      `subprocess_main: ZMP_RUN_MODE must be one of ${
        RUN_MODES.join(", ")
      }, got ${JSON.stringify(mode)}`,
    );
    return 2;
  }
  return await runNodeProcess(moduleUrl, {
    name: readEnv("ZMP_NODE_NAME") ?? basename(moduleUrl, extname(moduleUrl)),
    mode: mode as (typeof RUN_MODES)[number],
    args,
    registry: readEnv("ZMP_REGISTRY"),
    watchStdin: readEnv("ZMP_STDIN_WATCH") !== "0",
    tokenFromStdin: readEnv("ZMP_STDIN_TOKEN") === "1",
    securityFromStdin: readEnv("ZMP_SECURE") === "1",
  });
}

if (import.meta.main) Deno.exit(await subprocessMain(Deno.args));
