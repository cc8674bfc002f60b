/**
 * `deno run -A node.ts`: a node module started on its own runs itself.
 *
 * `defineNode` asks {@linkcode runIfMain} to look, once the module that
 * called it has been evaluated, whether that module is the program's main
 * module (`Deno.mainModule`) whose default export is this node. Then it
 * runs it as a process: it joins the registry at `ZMP_REGISTRY` (or the
 * default endpoint), takes its name from `--name <name>`, else
 * `ZMP_NODE_NAME`, else the file name, passes the other arguments to
 * `run`, and stops cleanly on Ctrl-C or SIGTERM.
 *
 * Nothing happens when a runner imports the module (the launcher's
 * subprocess entry, a Worker, `runNode` in-process): they import it
 * through {@linkcode importAsRunner}.
 *
 * @module
 */

import { basename, extname } from "node:path";
import { readEnv } from "../_util/env.ts";
import type { NodeModule } from "./types.ts";

let runnerImports = 0;

/**
 * Imports a node module for a runner: while it loads, `defineNode` does
 * not start the node on its own.
 *
 * @param url the module's URL
 * @returns the module namespace
 */
export async function importAsRunner(
  url: string,
): Promise<Record<string, unknown>> {
  runnerImports++;
  try {
    // The user's node module, by absolute URL: resolvable without zmp's
    // import map (deno publish cannot analyze it, by design).
    return await import(url);
  } finally {
    runnerImports--;
  }
}

/**
 * Splits `--name <name>` (or `--name=<name>`) off a command line.
 *
 * @param args the command-line arguments
 * @returns the name, if given, and the other arguments in order
 * @throws {TypeError} when `--name` has no value
 */
export function splitName(
  args: readonly string[],
): { name?: string; rest: string[] } {
  const rest: string[] = [];
  let name: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      rest.push(...args.slice(i + 1));
      break;
    }
    if (arg === "--name") {
      if (i + 1 >= args.length || args[i + 1].startsWith("--")) {
        throw new TypeError("Cannot run the node: --name needs a value");
      }
      name = args[++i];
    } else if (arg.startsWith("--name=")) name = arg.slice("--name=".length);
    else rest.push(arg);
  }
  return name === undefined ? { rest } : { name, rest };
}

/**
 * Called by `defineNode`: unless a runner is importing modules, checks
 * after this turn whether `node` is the main module's default export, and
 * if so runs it as a process and exits with its code.
 *
 * @param node what `defineNode` returned
 */
export function runIfMain(node: NodeModule): void {
  if (runnerImports > 0) return;
  let main: string;
  try {
    main = Deno.mainModule;
  } catch {
    return;
  }
  if (!/^(file|https?):/.test(main)) return;
  setTimeout(async () => {
    let exported: unknown;
    try {
      // The program's own main module, already loaded: this only reads
      // its namespace (deno publish cannot analyze it, by design).
      exported = (await import(main)).default;
    } catch {
      return;
    }
    if (exported !== node) return;
    const { runNodeProcess } = await import("./_process.ts");
    let split: { name?: string; rest: string[] };
    try {
      split = splitName(Deno.args);
    } catch (e) {
      console.error((e as Error).message);
      Deno.exit(2);
    }
    const path = new URL(main).pathname;
    const name = split.name ?? readEnv("ZMP_NODE_NAME") ??
      basename(path, extname(path));
    Deno.exit(
      await runNodeProcess(node, {
        name,
        mode: "subprocess",
        args: split.rest,
        registry: readEnv("ZMP_REGISTRY"),
        watchStdin: readEnv("ZMP_STDIN_WATCH") === "1",
      }),
    );
  }, 0);
}
