/**
 * `deno task codegen --breaking <baseline>`: the changes of each definition
 * file's schema document since a baseline, breaking ones first, for CI.
 *
 * The baseline is a git ref (the `x.api.schema.json` files committed
 * there: what was generated, and so deployed, then) or one baseline
 * `.schema.json` file (compared with the definition file it names in its
 * `source`). The current documents are generated in memory: nothing is
 * written.
 *
 * @module
 */

import { isAbsolute, resolve } from "node:path";
import type { CodegenConfig } from "./config.ts";
import { relativePath } from "./_paths.ts";
import { generate, schemaFileOf } from "./generate.ts";
import { documentChanges, type SchemaChange } from "../src/wire/schema_diff.ts";

/** Where the report goes. */
export interface ReportIo {
  readonly cwd: string;
  readonly log: (line: string) => void;
  readonly error: (line: string) => void;
}

/**
 * Prints the changes since `baseline` of each definition file.
 *
 * @param config the codegen settings
 * @param files absolute paths of the definition files
 * @param baseline a git ref or a `.schema.json` file
 * @param io where to print
 * @returns 0 when nothing breaks, 1 when something does (or a definition
 *   has errors), 2 when the baseline cannot be read
 */
export async function reportChanges(
  config: CodegenConfig,
  files: string[],
  baseline: string,
  io: ReportIo,
): Promise<number> {
  const rel = (p: string) => relativePath(config.root, p);
  const result = await generate({
    root: config.root,
    files,
    runtime: config.runtime,
  });
  for (const e of result.errors) io.error(`${e.message}\n`);
  if (result.errors.length > 0) return 1;
  const current = new Map<string, Record<string, unknown>>();
  for (const o of result.outputs) {
    if (o.path.endsWith(".schema.json")) {
      current.set(o.path, JSON.parse(o.text));
    }
  }
  let baselines: Map<string, Record<string, unknown> | undefined>;
  try {
    baselines = await readBaselines(config, [...current.keys()], baseline, io);
  } catch (e) {
    io.error(`Cannot read the baseline ${baseline}: ${(e as Error).message}`);
    return 2;
  }
  const all: SchemaChange[] = [];
  for (const [path, now] of current) {
    if (!baselines.has(path)) continue;
    const old = baselines.get(path) ?? {};
    const changes = documentChanges(old, now);
    if (changes.length === 0) continue;
    io.log(`${rel(path)}:`);
    for (const c of [...changes].sort((a, b) => +b.breaking - +a.breaking)) {
      io.log(
        `  ${
          c.breaking ? "breaking" : "compatible"
        }: ${c.subject}: ${c.message}`,
      );
    }
    all.push(...changes);
  }
  const breaking = all.filter((c) => c.breaking).length;
  const summary = `${breaking} breaking, ${
    all.length - breaking
  } compatible change(s) since ${baseline}`;
  if (breaking > 0) io.error(summary);
  else io.log(summary);
  return breaking > 0 ? 1 : 0;
}

/**
 * The baseline document of each current schema file: `undefined` where the
 * file did not exist at the baseline (everything in it is new); paths
 * without a baseline at all are left out.
 */
async function readBaselines(
  config: CodegenConfig,
  paths: string[],
  baseline: string,
  io: ReportIo,
): Promise<Map<string, Record<string, unknown> | undefined>> {
  const out = new Map<string, Record<string, unknown> | undefined>();
  const file = isAbsolute(baseline) ? baseline : resolve(io.cwd, baseline);
  if (baseline.endsWith(".json") && await exists(file)) {
    const doc = JSON.parse(await Deno.readTextFile(file));
    const source = typeof doc.source === "string" ? doc.source : undefined;
    const match = paths.find((p) =>
      source !== undefined
        ? p === schemaFileOf(resolve(config.root, source))
        : paths.length === 1
    );
    if (match === undefined) {
      throw new Error(
        source === undefined
          ? "it names no source and several definition files were given"
          : `no definition file given matches its source ${source}`,
      );
    }
    out.set(match, doc);
    return out;
  }
  await git(config.root, [
    "rev-parse",
    "--verify",
    "--quiet",
    `${baseline}^{commit}`,
  ])
    .catch(() => {
      throw new Error("it is neither a .json file nor a git ref");
    });
  for (const path of paths) {
    const rel = relativePath(config.root, path);
    try {
      out.set(
        path,
        JSON.parse(await git(config.root, ["show", `${baseline}:./${rel}`])),
      );
    } catch {
      out.set(path, undefined); // not generated yet at the baseline
    }
  }
  return out;
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

async function git(cwd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command("git", {
    args,
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(new TextDecoder().decode(out.stderr).trim());
  }
  return new TextDecoder().decode(out.stdout);
}
