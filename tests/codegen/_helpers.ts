/**
 * Shared by the codegen tests: fixture paths, a temp-project builder and a
 * validator runner.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ValidationIssue, Validator } from "../../src/wire/descriptors.ts";

/** The repository root. */
export const ROOT: string = fileURLToPath(new URL("../..", import.meta.url));

/** The golden fixtures folder. */
export const FIXTURES: string = join(ROOT, "tests/codegen/fixtures");

/** The runtime stub golden files import. */
export const STUB: string = join(FIXTURES, "_runtime_stub.ts");

/** The definition files among the fixtures, sorted. */
export function fixtureFiles(): string[] {
  return [...Deno.readDirSync(FIXTURES)]
    .filter((e) => e.isFile && e.name.endsWith(".api.ts"))
    .map((e) => join(FIXTURES, e.name))
    .sort();
}

/** A temporary project folder, removed on dispose. */
export interface TempProject extends AsyncDisposable {
  readonly root: string;
  /** Writes `text` at `rel` (folders created). */
  write(rel: string, text: string): Promise<string>;
  /** Reads `rel`, or `undefined` when missing. */
  read(rel: string): Promise<string | undefined>;
}

/**
 * Creates a temp project with a `deno.json` (the given `zmp.codegen`
 * settings) and the given files.
 */
export async function tempProject(
  files: Record<string, string>,
  codegen: Record<string, unknown> = { import: "zmp" },
): Promise<TempProject> {
  const root = await Deno.makeTempDir({ prefix: "zmp_codegen_" });
  const write = async (rel: string, text: string) => {
    const path = join(root, rel);
    await Deno.mkdir(dirname(path), { recursive: true });
    await Deno.writeTextFile(path, text);
    return path;
  };
  await write(
    "deno.json",
    JSON.stringify({ zmp: { codegen } }, null, 2) + "\n",
  );
  for (const [rel, text] of Object.entries(files)) await write(rel, text);
  return {
    root,
    write,
    read: async (rel) => {
      try {
        return await Deno.readTextFile(join(root, rel));
      } catch (e) {
        if (e instanceof Deno.errors.NotFound) return undefined;
        throw e;
      }
    },
    [Symbol.asyncDispose]: () => Deno.remove(root, { recursive: true }),
  };
}

/** Runs a validator on `value` at path `value`; returns the issues. */
export function issuesOf(
  validate: Validator,
  value: unknown,
  path = "value",
): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  validate(value, path, issues);
  return issues;
}

/** Collects printed lines. */
export function capture(): {
  lines: string[];
  print: (line: string) => void;
  text(): string;
} {
  const lines: string[] = [];
  return { lines, print: (l) => lines.push(l), text: () => lines.join("\n") };
}
