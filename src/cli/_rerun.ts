/**
 * Runs `zmp` again in a child Deno with another configuration, and behaves
 * like it: the child's output is this process's output, its exit code this
 * process's exit code, and SIGINT, SIGTERM and SIGHUP sent to this process
 * reach it once.
 *
 * `zmp launch` does this to run with the project's `deno.json` (so that
 * the launch file, Worker and in-process nodes import what the project
 * maps), and `zmp` itself when it was installed without a configuration in
 * which zmp's own imports resolve.
 *
 * The child runs in a session of its own, so that Ctrl-C in a terminal
 * reaches it once, through this process. Its standard input is a pipe that
 * this process holds and never writes: when this process dies, even by
 * SIGKILL, the child reads end-of-file and stops as if sent SIGTERM.
 *
 * @module
 */

import { readEnv } from "../_util/env.ts";

/** The variable that tells a child `zmp` it was started by {@linkcode rerun}. */
export const RERUN_ENV = "ZMP_CLI_CONFIG";

/** The entry of the `zmp` command. */
const MAIN = new URL("./main.ts", import.meta.url).href;

const SIGNALS: Deno.Signal[] = ["SIGINT", "SIGTERM", "SIGHUP"];
const NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

/** How the child Deno resolves modules. */
export type RerunConfig =
  | { config: string }
  | { importMap: string };

/**
 * The configuration this process was started with by {@linkcode rerun},
 * if it was.
 *
 * @returns the `--config` file or import map URL, or `undefined`
 */
export function rerunConfig(): string | undefined {
  return readEnv(RERUN_ENV);
}

/**
 * Whether this process runs with the configuration `file`: started by
 * {@linkcode rerun} with it, or (on Linux, read from the command line) with
 * `--config file`, or with no `--config` from a folder where Deno finds
 * `file` itself. `deno task zmp launch …` in a project is the common case,
 * and it then needs no second process.
 *
 * @param file a `deno.json` or `deno.jsonc`, absolute
 * @param discovered the configuration Deno would find from the working folder
 * @returns `false` when it does not, or cannot be told
 */
export function runsWithConfig(
  file: string,
  discovered: string | undefined,
): boolean {
  if (rerunConfig() !== undefined) return rerunConfig() === file;
  let argv: string[];
  try {
    argv = Deno.readTextFileSync("/proc/self/cmdline").split("\0");
  } catch {
    return false;
  }
  // The flags of `deno run` come before the script.
  const script = argv.findIndex((a, i) =>
    i > 1 && !a.startsWith("-") &&
    !/^(-c|--config|--import-map|--lock|--env-file|--location|--seed|--v8-flags|--cert)$/
      .test(argv[i - 1] ?? "")
  );
  const flags = argv.slice(2, script < 0 ? argv.length : script);
  for (let i = 0; i < flags.length; i++) {
    const flag = flags[i];
    if (flag === "--no-config" || flag.startsWith("--import-map")) return false;
    if (flag === "-c" || flag === "--config") return flags[i + 1] === file;
    if (flag.startsWith("--config=")) return flag.slice(9) === file;
  }
  return discovered === file;
}

/**
 * Runs `zmp <args>` in a child Deno with `how`, until it exits.
 *
 * @param how the configuration file or import map the child uses
 * @param args the arguments after `zmp`
 * @returns the child's exit code (128 + n when signal n ended it)
 */
export async function rerun(how: RerunConfig, args: string[]): Promise<number> {
  const target = "config" in how ? how.config : how.importMap;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      ...("config" in how
        ? ["--config", how.config]
        : ["--import-map", how.importMap]),
      MAIN,
      ...args,
    ],
    env: { [RERUN_ENV]: target, DENO_NO_UPDATE_CHECK: "1" },
    stdin: "piped",
    stdout: "inherit",
    stderr: "inherit",
    detached: true,
  }).spawn();
  const forward = (signal: Deno.Signal) => () => {
    try {
      child.kill(signal);
    } catch {
      // it has exited
    }
  };
  const handlers = SIGNALS.map((s) => [s, forward(s)] as const);
  for (const [s, h] of handlers) Deno.addSignalListener(s, h);
  try {
    const status = await child.status;
    if (status.signal !== null) return 128 + (NUMBERS[status.signal] ?? 9);
    return status.code;
  } finally {
    for (const [s, h] of handlers) Deno.removeSignalListener(s, h);
    await child.stdin.close().catch(() => {});
  }
}

/**
 * In a child started by {@linkcode rerun}: sends SIGTERM to this process
 * when standard input ends (the parent is gone), so that every command
 * stops the way it does on SIGTERM.
 */
export function stopWhenParentGoes(): void {
  if (rerunConfig() === undefined || Deno.stdin.isTerminal()) return;
  const reader = Deno.stdin.readable.getReader();
  (async () => {
    try {
      while (!(await reader.read()).done) {
        // nothing is ever written: only the end matters
      }
    } catch {
      // a read error is an end too
    }
    Deno.kill(Deno.pid, "SIGTERM");
  })();
}
