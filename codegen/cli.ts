/**
 * The `deno task codegen` command.
 *
 * ```sh
 * deno task codegen                 # every file matched by zmp.codegen.include
 * deno task codegen a.api.ts 'src/**\/*.api.ts'
 * deno task codegen --check         # CI: exit 1 naming stale or missing files
 * deno task codegen --watch         # regenerate on change until Ctrl-C
 * deno task codegen --breaking main # CI: list changes since a git ref (or a
 *                                   # baseline .schema.json); exit 1 if any breaks
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { isAbsolute, resolve } from "node:path";
import { type CodegenConfig, loadConfig } from "./config.ts";
import { findFiles, isGlob } from "./_glob.ts";
import { relativePath } from "./_paths.ts";
import { generate } from "./generate.ts";
import { findStale, writeOutputs } from "./write.ts";
import { watch } from "./watch.ts";
import { reportChanges } from "./breaking.ts";

/** Where the command reads and prints. */
export interface CliIo {
  /** The working folder. @default {Deno.cwd()} */
  readonly cwd?: string;
  /** Prints a line of progress. @default {console.log} */
  readonly log?: (line: string) => void;
  /** Prints a line of error. @default {console.error} */
  readonly error?: (line: string) => void;
  /** Stops `--watch`. */
  readonly signal?: AbortSignal;
}

const USAGE =
  `Usage: deno task codegen [--check | --watch | --breaking <baseline>] [files or globs…]

Generates x.api.gen.ts and x.api.schema.json beside each x.api.ts.
Without arguments, uses "zmp.codegen.include" of deno.json (default **/*.api.ts).

  --check                write nothing; exit 1 if an output is stale or missing
  --watch                regenerate on every change until Ctrl-C
  --breaking <baseline>  write nothing; list the breaking and compatible changes
                         since <baseline>, a git ref (its committed
                         x.api.schema.json files) or a .schema.json file;
                         exit 1 if any change is breaking
  --help                 show this help`;

/**
 * Runs the command.
 *
 * @param args the command-line arguments
 * @param io working folder and printers
 * @returns the exit code: 0 on success, 1 on errors or stale files, 2 on usage errors
 */
export async function runCli(
  args: readonly string[],
  io: CliIo = {},
): Promise<number> {
  const log = io.log ?? console.log;
  const error = io.error ?? console.error;
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: {
        check: { type: "boolean", default: false },
        watch: { type: "boolean", default: false },
        breaking: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
      allowPositionals: true,
    });
  } catch (e) {
    error(`${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    log(USAGE);
    return 0;
  }
  const modes = [values.check, values.watch, values.breaking !== undefined]
    .filter(Boolean).length;
  if (modes > 1) {
    error("--check, --watch and --breaking cannot be used together");
    return 2;
  }
  const cwd = io.cwd ?? Deno.cwd();
  const config = await loadConfig(cwd);
  if (values.breaking !== undefined) {
    const files = await definitionFiles(config, positionals, {
      cwd,
      log,
      error,
      check: true,
    });
    if (files === undefined) return 1;
    return await reportChanges(config, files, values.breaking, {
      cwd,
      log,
      error,
    });
  }
  const once = () =>
    runOnce(config, positionals, { cwd, log, error, check: values.check });
  if (!values.watch) return await once();
  await once();
  log("Watching for changes (Ctrl-C to stop)…");
  await watch(config.root, once, io.signal);
  return 0;
}

interface RunOptions {
  cwd: string;
  log: (line: string) => void;
  error: (line: string) => void;
  check: boolean;
}

async function runOnce(
  config: CodegenConfig,
  inputs: string[],
  o: RunOptions,
): Promise<number> {
  const rel = (p: string) => relativePath(config.root, p);
  const files = await definitionFiles(config, inputs, o);
  if (files === undefined) return 1;
  if (files.length === 0) {
    o.log(`No definition files match ${config.include.join(", ")}`);
    return 0;
  }
  const result = await generate({
    root: config.root,
    files,
    runtime: config.runtime,
  });
  for (const e of result.errors) o.error(`${e.message}\n`);
  let code = result.errors.length > 0 ? 1 : 0;
  if (o.check) {
    const stale = await findStale(result.outputs);
    for (const s of stale) o.error(`${s.state}: ${rel(s.path)}`);
    if (stale.length > 0) {
      o.error(
        `${stale.length} generated file(s) out of date: run \`deno task codegen\``,
      );
      code = 1;
    } else if (code === 0) {
      o.log(`${result.outputs.length} generated file(s) up to date`);
    }
    return code;
  }
  const written = await writeOutputs(result.outputs);
  for (const w of written) o.log(`wrote ${rel(w)}`);
  if (result.errors.length > 0) {
    o.error(
      `${result.errors.length} error(s); not generated: ${
        result.failed.map(rel).join(", ")
      }`,
    );
  } else if (written.length === 0) {
    o.log(`${result.outputs.length} generated file(s) up to date`);
  }
  return code;
}

/** The definition files to process, or `undefined` after printing why none. */
async function definitionFiles(
  config: CodegenConfig,
  inputs: string[],
  o: RunOptions,
): Promise<string[] | undefined> {
  if (inputs.length === 0) {
    return await findFiles(config.root, config.include, config.exclude);
  }
  const files = new Set<string>();
  let ok = true;
  for (const input of inputs) {
    const abs = isAbsolute(input) ? input : resolve(o.cwd, input);
    if (isGlob(input)) {
      const matches = await findFiles(config.root, [
        relativePath(config.root, abs),
      ]);
      if (matches.length === 0) {
        o.error(`No files match ${input}`);
        ok = false;
      }
      matches.filter((m) => m.endsWith(".api.ts")).forEach((m) => files.add(m));
    } else if (!abs.endsWith(".api.ts")) {
      o.error(
        `Cannot generate from ${input}: definition files are named *.api.ts`,
      );
      ok = false;
    } else {
      try {
        await Deno.stat(abs);
        files.add(abs);
      } catch {
        o.error(`Cannot generate from ${input}: no such file`);
        ok = false;
      }
    }
  }
  return ok ? [...files].sort() : undefined;
}
