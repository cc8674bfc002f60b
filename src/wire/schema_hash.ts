/**
 * A stable hash of a schema: what two ends compare to know, in one step,
 * that they agree on a service, a topic or a params group.
 *
 * The hash covers what travels and is checked, not how it is documented:
 * keys are sorted, and annotations (`title`, `description`, `$comment`,
 * `examples`, `default`) are left out, so rewording a doc comment or
 * renaming a parameter keeps the hash, while any change of a type or a
 * constraint changes it.
 *
 * @module
 */

import { createHash } from "node:crypto";

const ANNOTATIONS = new Set([
  "title",
  "description",
  "$comment",
  "examples",
  "default",
]);

/**
 * The canonical JSON text of a schema: sorted keys, annotations left out
 * (`const` and `enum` values are kept whole).
 *
 * @param schema a schema, or any JSON value
 * @returns the text
 */
export function canonicalSchema(schema: unknown): string {
  return JSON.stringify(canonical(schema));
}

function canonical(value: unknown, literal = false): unknown {
  if (Array.isArray(value)) return value.map((v) => canonical(v, literal));
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    if (!literal && ANNOTATIONS.has(key)) continue;
    const v = (value as Record<string, unknown>)[key];
    out[key] = canonical(v, literal || key === "const" || key === "enum");
  }
  return out;
}

/**
 * The hash of a schema: 16 hex digits of the SHA-256 of its canonical text.
 *
 * @example
 * ```ts
 * import { schemaHash } from "zmp/wire";
 * const a = schemaHash({ type: "number", description: "speed" });
 * const b = schemaHash({ description: "how fast", type: "number" });
 * console.log(a === b); // true
 * ```
 *
 * @param schema the schema (with its `$defs`)
 * @returns the hash
 */
export function schemaHash(schema: unknown): string {
  return createHash("sha256").update(canonicalSchema(schema)).digest("hex")
    .slice(0, 16);
}
