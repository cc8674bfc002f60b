/**
 * Checks a schema once, before any value is walked: every `$ref` resolves,
 * every `type` and `x-type` is one codegen emits, and no `$ref` leads back
 * to itself without a value in between (which would loop forever).
 *
 * @module
 */

import { isRecord, type Schema, schemaList } from "./_schema_text.ts";

const TYPES = new Set<unknown>([
  undefined,
  "string",
  "number",
  "integer",
  "boolean",
  "null",
  "array",
  "object",
]);
const X_TYPES = new Set<unknown>([
  undefined,
  "bigint",
  "Date",
  "Uint8Array",
  "undefined",
  "Map",
  "Set",
]);

/**
 * Checks `root` and every schema reachable from it.
 *
 * @param root the schema
 * @param resolve returns the schema a `$ref` names, or throws
 * @throws {TypeError} on an unresolvable `$ref`, an unsupported `type` or
 * `x-type`, or a `$ref` that reaches itself through `$ref`s and `anyOf`s
 */
export function checkSchema(
  root: Schema,
  resolve: (ref: string) => Schema,
): void {
  const visited = new Set<Schema>();
  const refs = new Set<string>();
  const pending = [root];
  while (pending.length > 0) {
    const s = pending.pop()!;
    if (visited.has(s)) continue;
    visited.add(s);
    if (typeof s.$ref === "string") {
      const def = resolve(s.$ref);
      if (!refs.has(s.$ref)) checkLoop(s.$ref, resolve);
      refs.add(s.$ref);
      pending.push(def);
      continue;
    }
    if (!TYPES.has(s.type)) {
      throw new TypeError(
        `Cannot use schema: type ${JSON.stringify(s.type)} is not supported`,
      );
    }
    if (!X_TYPES.has(s["x-type"])) {
      throw new TypeError(
        `Cannot use schema: x-type ${
          JSON.stringify(s["x-type"])
        } is not supported`,
      );
    }
    if (typeof s.pattern === "string") {
      try {
        new RegExp(s.pattern, "u");
      } catch (e) {
        throw new TypeError(
          `Cannot use schema: pattern ${
            JSON.stringify(s.pattern)
          } is not a regular expression`,
          { cause: e },
        );
      }
    }
    const properties = isRecord(s.properties) ? s.properties : {};
    pending.push(
      ...schemaList(s.anyOf),
      ...schemaList(s.prefixItems),
      ...[s.items, s.additionalProperties].filter(isRecord),
      ...Object.values(properties).filter(isRecord),
    );
  }
}

/** Throws when `start` reaches itself through `$ref`s and `anyOf`s alone. */
function checkLoop(start: string, resolve: (ref: string) => Schema): void {
  const seen = new Set<string>();
  const pending = [start];
  while (pending.length > 0) {
    for (const next of heads(resolve(pending.pop()!))) {
      if (next === start) {
        throw new TypeError(
          `Cannot use schema: "$ref" ${
            JSON.stringify(start)
          } leads back to itself without a value in between`,
        );
      }
      if (!seen.has(next)) pending.push(next);
      seen.add(next);
    }
  }
}

/** The `$ref`s a schema checks the same value against. */
function heads(schema: Schema): string[] {
  if (typeof schema.$ref === "string") return [schema.$ref];
  return schemaList(schema.anyOf).flatMap(heads);
}
