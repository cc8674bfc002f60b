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
 *
 * The node stops gracefully (node signal aborted, calls drained,
 * unregistered, exit code 0) on SIGTERM or SIGINT, and when its standard
 * input reaches end of file. The launcher spawns it with `stdin: "piped"`
 * and keeps the pipe open: if the launcher dies, even by SIGKILL, the pipe
 * closes and the node exits, so no node outlives it. Standard input that is
 * a terminal is not watched. A second signal exits at once with code 1,
 * and so does a stop that has not finished after 15 s.
 *
 * Exit codes: 0 after a stop, 1 when the module cannot be loaded, the node
 * cannot be created (e.g. its name is taken) or `run` threw — with one log
 * line on standard error — and 2 for a bad command line.
 *
 * The launcher knows the node is up when the registry lists a node of its
 * name with the child's pid.
 *
 * @module
 */

import { basename, extname } from "node:path";
import { runNode } from "./run.ts";
import { createNodeLogger } from "./logger.ts";
import type { RunMode } from "../registry/types.ts";

/** How long a stop may take before the process exits anyway, in ms. */
const HARD_STOP_MS = 15000;

function env(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined;
  }
}

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
  const name = env("ZMP_NODE_NAME") ??
    basename(moduleUrl, extname(moduleUrl));
  const mode = (env("ZMP_RUN_MODE") ?? "subprocess") as RunMode;
  const log = createNodeLogger(name);
  const stop = new AbortController();
  let hardStop: ReturnType<typeof setTimeout> | undefined;
  const requestStop = (why: string) => {
    if (stop.signal.aborted) return;
    log.debug(`stopping: ${why}`);
    stop.abort(new DOMException(`stop requested: ${why}`, "AbortError"));
    const timer = setTimeout(() => {
      log.error(`stop did not finish within ${HARD_STOP_MS} ms: exiting`);
      Deno.exit(1);
    }, HARD_STOP_MS);
    Deno.unrefTimer(timer);
    hardStop = timer;
  };
  const signals: Deno.Signal[] = Deno.build.os === "windows"
    ? ["SIGINT"]
    : ["SIGTERM", "SIGINT"];
  const handlers = signals.map((signal) => {
    const handler = () => {
      if (stop.signal.aborted) {
        log.warn(`${signal} again: exiting now`);
        Deno.exit(1);
      }
      requestStop(signal);
    };
    Deno.addSignalListener(signal, handler);
    return [signal, handler] as const;
  });
  let stdin: ReadableStreamDefaultReader<Uint8Array> | undefined;
  if (env("ZMP_STDIN_WATCH") !== "0" && !Deno.stdin.isTerminal()) {
    stdin = Deno.stdin.readable.getReader();
    (async () => {
      try {
        while (!(await stdin!.read()).done) {
          // the content is ignored: only the end matters
        }
      } catch {
        // a read error is an end too
      }
      requestStop("standard input closed");
    })();
  }
  try {
    return await runNode(moduleUrl, {
      name,
      mode,
      args,
      registry: env("ZMP_REGISTRY"),
      signal: stop.signal,
      logger: log,
    });
  } finally {
    clearTimeout(hardStop);
    for (const [signal, handler] of handlers) {
      Deno.removeSignalListener(signal, handler);
    }
    stdin?.cancel().catch(() => {});
  }
}

if (import.meta.main) Deno.exit(await subprocessMain(Deno.args));
