/**
 * Output helpers of the CLI: aligned tables, method signatures, values as
 * JSON.
 *
 * @module
 */

import type { MethodEntry } from "../registry/types.ts";
import { schemaToTypeText, stringifyJson } from "../wire/json_schema.ts";

/**
 * Lays out rows in columns separated by two spaces; the last column is not
 * padded.
 *
 * @param header the column titles
 * @param rows the rows (each as many cells as `header`)
 * @returns the lines, header first
 */
export function table(header: string[], rows: string[][]): string[] {
  const all = [header, ...rows];
  const widths = header.map((_, i) =>
    Math.max(...all.map((r) => (r[i] ?? "").length))
  );
  return all.map((r) =>
    r.map((cell, i) => i === r.length - 1 ? cell : cell.padEnd(widths[i]))
      .join("  ").trimEnd()
  );
}

/**
 * A method as the TypeScript interface declares it:
 * `add(a: number, b?: number): Promise<number>`.
 *
 * @param method the registered method
 * @returns its signature
 */
export function signature(method: MethodEntry): string {
  const items = (method.args.prefixItems ?? []) as Record<string, unknown>[];
  const params = method.params.map((name, i) => {
    const optional = i >= method.requiredParams ? "?" : "";
    const schema = items[i];
    const type = schema === undefined
      ? "unknown"
      : schemaToTypeText(withDefs(schema, method.args));
    return `${name}${optional}: ${type}`;
  });
  const result = schemaToTypeText(method.result);
  const wrapper = method.kind === "stream" ? "AsyncIterable" : "Promise";
  return `${method.name}(${params.join(", ")}): ${wrapper}<${result}>`;
}

/**
 * A sub-schema with its parent's `$defs`, so that its `$ref`s still
 * resolve (an argument's schema inside the argument list's, say).
 *
 * @param schema the sub-schema
 * @param parent the schema that holds it
 * @returns `schema`, with the parent's `$defs` when it has none
 */
export function withDefs(
  schema: Record<string, unknown>,
  parent: Record<string, unknown>,
): Record<string, unknown> {
  return parent.$defs === undefined || schema.$defs !== undefined
    ? schema
    : { ...schema, $defs: parent.$defs };
}

/**
 * A value as JSON: indented for people, one line for scripts (`--json`).
 * Dates become ISO strings, bigints exact integers, `Uint8Array`s base64,
 * Maps arrays of pairs, Sets arrays.
 *
 * @param value the value
 * @param compact one line
 * @returns the JSON text
 */
export function json(value: unknown, compact: boolean): string {
  return stringifyJson(value, compact ? undefined : 2);
}
