/**
 * `zmp init [dir]`: a new project that uses this zmp, ready to run.
 *
 * @module
 */

import { basename, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseJsonc } from "../_util/jsonc.ts";
import { isPlainObject } from "../_util/object.ts";
import { CliError, parse, runCommand, UsageError } from "./_common.ts";
import { scaffold, type ZmpLocation } from "./_scaffold.ts";

/** The `--help` text of `zmp init`. */
export const USAGE = `Usage: zmp init [options] [dir]

Creates a zmp project in <dir> (default: the current folder), which must be
empty or not exist yet: a deno.json that maps "zmp" to this zmp (a path, or a
URL when zmp runs from one) with the tasks codegen, launch, test and zmp; a
definition file with a service, a topic and a params group; two nodes; a
launch file; and a test that launches the system and calls it.

Options:
  -h, --help  show this help

Examples:
  zmp init hello && cd hello && deno task codegen && deno task test
  deno task launch             # in the new project; then: deno task zmp list nodes`;

/** Where this zmp lives, and its own imports. */
async function locateZmp(): Promise<ZmpLocation> {
  const rootUrl = new URL("../../", import.meta.url);
  const remote = rootUrl.protocol !== "file:";
  const configUrl = new URL("deno.json", rootUrl);
  let imports: Record<string, string> = {};
  try {
    const text = remote
      ? await (await fetch(configUrl)).text()
      : await Deno.readTextFile(configUrl);
    const raw = parseJsonc(text, configUrl.href);
    if (isPlainObject(raw) && isPlainObject(raw.imports)) {
      imports = raw.imports as Record<string, string>;
    }
  } catch (e) {
    if (remote) {
      throw new CliError(
        `Cannot read zmp's ${configUrl.href}: ${(e as Error).message}`,
        { cause: e },
      );
    }
  }
  return {
    root: remote ? rootUrl.href : fileURLToPath(rootUrl).replace(/\/$/, ""),
    remote,
    imports,
  };
}

/** The entries of `dir`, or `undefined` when it does not exist. */
async function entriesOf(dir: string): Promise<string[] | undefined> {
  try {
    const names: string[] = [];
    for await (const e of Deno.readDir(dir)) names.push(e.name);
    return names;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    if (e instanceof Deno.errors.NotADirectory) {
      throw new CliError(
        `Cannot create a project in ${dir}: it is a file, not a folder`,
      );
    }
    throw e;
  }
}

/**
 * Runs `zmp init` with the arguments after `init`.
 *
 * @param args the command-line arguments
 * @returns the exit code
 */
export function main(args: string[]): Promise<number> {
  return runCommand({ name: "init", usage: USAGE }, args, async () => {
    const { positionals } = parse(args, {});
    if (positionals.length > 1) {
      throw new UsageError(
        `expected at most one folder, got ${positionals.length}`,
      );
    }
    const given = positionals[0] ?? ".";
    const dir = resolve(given);
    const entries = await entriesOf(dir);
    if (entries !== undefined && entries.length > 0) {
      const shown = entries.sort().slice(0, 3).join(", ");
      throw new CliError(
        `Cannot create a project in ${given}: the folder is not empty (${shown}${
          entries.length > 3 ? ", …" : ""
        })`,
      );
    }
    const zmp = await locateZmp();
    const name = basename(dir);
    await Deno.mkdir(dir, { recursive: true });
    const files = scaffold(name, zmp);
    for (const [path, text] of files) {
      await Deno.writeTextFile(join(dir, path), text, { createNew: true });
    }
    const shown = relative(Deno.cwd(), dir) || ".";
    console.log(`created ${shown}/ with zmp at ${zmp.root}:`);
    for (const [path] of files) console.log(`  ${path}`);
    console.log("next:");
    if (shown !== ".") console.log(`  cd ${shown}`);
    console.log("  deno task codegen   # writes greeter.api.gen.ts");
    console.log("  deno task test      # launches the system and calls it");
    console.log("  deno task launch    # runs it until Ctrl-C");
    return 0;
  });
}
