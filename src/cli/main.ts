/**
 * The `zmp` command: `deno task zmp <command> [...]`, or installed with
 * `deno install -g -A -n zmp <zmp>/src/cli/main.ts` and used from any
 * folder.
 *
 * Subcommands are one file each under `src/cli/`, listed in `commands.ts`.
 * `zmp --help` lists them, `zmp <command> --help` explains one. An unknown
 * command or a bad argument is one line on stderr and exit code 2.
 *
 * @module
 */

import { COMMANDS } from "./commands.ts";
import { rerun, rerunConfig, stopWhenParentGoes } from "./_rerun.ts";

/**
 * Whether zmp's own imports (npm packages mapped in zmp's deno.json)
 * resolve in this process. They do under zmp's configuration and under a
 * project's that maps "zmp"; they do not under the empty configuration
 * that `deno install -g` gives a script.
 */
async function ownImportsResolve(): Promise<boolean> {
  try {
    // Cheap, and enough under a deno.json that maps them...
    import.meta.resolve("superjson");
    return true;
  } catch {
    // ...but it misses an import map's scopes (a zmp served from a URL):
    // loading one is the real test.
    try {
      await import("superjson");
      return true;
    } catch {
      return false;
    }
  }
}

/** zmp's own configuration, to run again with when its imports fail. */
function zmpConfig(): { config: string } | { importMap: string } {
  const url = new URL("../../deno.json", import.meta.url);
  return url.protocol === "file:"
    ? { config: decodeURIComponent(url.pathname) }
    : { importMap: url.href };
}

/** The help text of `zmp`. */
export function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const list = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`)
    .join("\n");
  return `Usage: zmp <command> [options]

Typed services, topics and params over ZeroMQ, for Deno.

Commands:
${list}

Options:
  -h, --help  show this help (zmp <command> --help for a command's)

Examples:
  zmp init my-app
  zmp codegen --check
  zmp launch launch.ts
  zmp registry --endpoint tcp://127.0.0.1:7350
  zmp list services
  zmp call Calculator.add 2 3
  zmp echo sensors/filtered --count 5
  zmp param set filter.alpha 0.5
  zmp graph --svg system.svg
  zmp doctor

The registry is found with --registry, else $ZMP_REGISTRY, else
tcp://127.0.0.1:7350.
`;
}

/**
 * Runs `zmp` with `args`.
 *
 * @param args the command line after `zmp`
 * @returns the exit code
 */
export async function main(args: string[]): Promise<number> {
  if (!(await ownImportsResolve())) {
    if (rerunConfig() !== undefined) {
      console.error(
        `zmp: cannot resolve zmp's own imports with ${rerunConfig()} (see zmp's deno.json)`,
      );
      return 1;
    }
    return await rerun(zmpConfig(), args);
  }
  stopWhenParentGoes();
  const [first, ...rest] = args;
  if (first === undefined) {
    console.error("zmp: missing command (see zmp --help)");
    return 2;
  }
  if (first === "-h" || first === "--help" || first === "help") {
    console.log(usage());
    return 0;
  }
  const entry = COMMANDS.find((c) => c.name === first);
  if (!entry) {
    const what = first.startsWith("-") ? "option" : "command";
    console.error(
      `zmp: unknown ${what} "${first}" (commands: ${
        COMMANDS.map((c) => c.name).join(", ")
      }; see zmp --help)`,
    );
    return 2;
  }
  const command = await entry.load();
  return await command.main(rest);
}

if (import.meta.main) Deno.exit(await main(Deno.args));
