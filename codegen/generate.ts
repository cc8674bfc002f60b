/**
 * The pipeline without the disk writes: parse → model → emit → format.
 *
 * @module
 */

import type { RuntimeImport } from "./config.ts";
import type { CodegenError } from "./errors.ts";
import { emitModule, provenance } from "./emit_module.ts";
import { emitSchemaFile } from "./emit_schema.ts";
import { formatText } from "./format.ts";
import { importSpecifier } from "./_paths.ts";
import { parseDefinitions } from "./parse.ts";

/** What to generate. */
export interface GenerateOptions {
  /** The project root: paths in output and errors are relative to it. */
  readonly root: string;
  /** Absolute paths of the definition files (`*.api.ts`). */
  readonly files: readonly string[];
  /** Where generated modules import the runtime from. */
  readonly runtime: RuntimeImport;
}

/** One file to write. */
export interface Output {
  /** Absolute path. */
  readonly path: string;
  /** The complete, formatted content. */
  readonly text: string;
}

/** What a run produced. */
export interface GenerateResult {
  /** Files to write, for every definition file without errors. */
  readonly outputs: Output[];
  /** Every error found, sorted by file and position, without duplicates. */
  readonly errors: CodegenError[];
  /** Definition files that produced errors (nothing generated for them). */
  readonly failed: string[];
}

/** `x.api.ts` → `x.api.gen.ts`. */
export function moduleFileOf(source: string): string {
  return source.replace(/\.ts$/, ".gen.ts");
}

/** `x.api.ts` → `x.api.schema.json`. */
export function schemaFileOf(source: string): string {
  return source.replace(/\.ts$/, ".schema.json");
}

/**
 * Generates the module and schema of each definition file, in memory.
 *
 * @param options root, files and runtime import
 * @returns the outputs, errors and failed files
 */
export async function generate(
  options: GenerateOptions,
): Promise<GenerateResult> {
  const parsed = parseDefinitions(options.files, options.root);
  const outputs: Output[] = [];
  const errors = new Map<string, CodegenError>();
  const failed: string[] = [];
  for (const file of parsed) {
    for (const e of file.errors) errors.set(e.message, e);
    if (file.errors.length > 0) {
      failed.push(file.path);
      continue;
    }
    const outFile = moduleFileOf(file.path);
    const runtime = file.model.runtime ??
      (options.runtime.kind === "path"
        ? importSpecifier(outFile, options.runtime.path)
        : options.runtime.specifier);
    const [module, schema] = await Promise.all([
      formatText(
        emitModule(file.model, {
          outFile,
          schemaFile: schemaFileOf(file.path),
          sourceFile: file.path,
          runtime,
        }),
        "ts",
        options.root,
      ),
      formatText(
        emitSchemaFile(file.model, provenance(file.model).join(" ")),
        "json",
        options.root,
      ),
    ]);
    outputs.push({ path: outFile, text: module }, {
      path: schemaFileOf(file.path),
      text: schema,
    });
  }
  const sorted = [...errors.values()].sort((a, b) =>
    a.file < b.file
      ? -1
      : a.file > b.file
      ? 1
      : a.line - b.line || a.column - b.column
  );
  return { outputs, errors: sorted, failed };
}
