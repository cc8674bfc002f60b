/**
 * Constraints of the schema engine (`minimum`, `maxLength`, `pattern`,
 * `format`, `minItems`, `uniqueItems`…), checked once a value has the
 * right type, each broken one an issue with a `rule`: `must be >= 0, got
 * -1`.
 *
 * @module
 */

import { describe, type ValidationIssue } from "./descriptors.ts";
import { FORMATS, type Schema } from "./_schema_text.ts";
import { hasDuplicate } from "./_schema_compile.ts";

/** The constraint keywords of a schema, by the kind of value they fit. */
const RULES = {
  number: [
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
  ],
  string: ["minLength", "maxLength", "pattern", "format"],
  array: ["minItems", "maxItems", "uniqueItems"],
} as const;

/** Whether a schema has constraint keywords of any kind. */
export function hasRules(schema: Schema): boolean {
  return Object.values(RULES).some((keys) => keys.some((k) => k in schema));
}

/** Constraints written beside a `$ref` or a union, by the value's kind. */
export function siblingRules(
  schema: Schema,
  value: unknown,
  path: string,
  issues: ValidationIssue[],
): void {
  if (!hasRules(schema)) return;
  if (typeof value === "number") numberRules(schema, value, path, issues);
  else if (typeof value === "string") stringRules(schema, value, path, issues);
  else if (Array.isArray(value)) arrayRules(schema, value, path, issues);
}

/** An issue for a broken rule: `must be >= 0, got -1`. */
function rule(
  issues: ValidationIssue[],
  path: string,
  keyword: string,
  must: string,
  received: string,
): void {
  issues.push({ path, expected: must, received, rule: keyword });
}

/** `minimum`, `maximum`, the exclusive ones and `multipleOf` of a number. */
export function numberRules(
  schema: Schema,
  n: number,
  path: string,
  issues: ValidationIssue[],
): void {
  const got = String(n);
  const bound = (key: string, op: string, ok: (limit: number) => boolean) => {
    const limit = schema[key];
    if (typeof limit === "number" && !ok(limit)) {
      rule(issues, path, key, `must be ${op} ${limit}`, got);
    }
  };
  bound("minimum", ">=", (l) => n >= l);
  bound("maximum", "<=", (l) => n <= l);
  bound("exclusiveMinimum", ">", (l) => n > l);
  bound("exclusiveMaximum", "<", (l) => n < l);
  const m = schema.multipleOf;
  if (typeof m === "number" && n % m !== 0) {
    rule(issues, path, "multipleOf", `must be a multiple of ${m}`, got);
  }
}

/** `minLength`/`maxLength` (`Length`) or `minItems`/`maxItems` (`Items`). */
function lengthRules(
  schema: Schema,
  length: number,
  suffix: "Length" | "Items",
  unit: string,
  path: string,
  issues: ValidationIssue[],
): void {
  const count = (n: number) => `${n} ${unit}${n === 1 ? "" : "s"}`;
  for (
    const [bound, words, broken] of [
      ["min", "at least", (n: number) => length < n],
      ["max", "at most", (n: number) => length > n],
    ] as const
  ) {
    const limit = schema[`${bound}${suffix}`];
    if (typeof limit === "number" && broken(limit)) {
      rule(
        issues,
        path,
        `${bound}${suffix}`,
        `must have ${words} ${count(limit)}`,
        count(length),
      );
    }
  }
}

/** `minLength`, `maxLength`, `pattern` and `format` of a string. */
export function stringRules(
  schema: Schema,
  s: string,
  path: string,
  issues: ValidationIssue[],
): void {
  lengthRules(schema, s.length, "Length", "character", path, issues);
  if (
    typeof schema.pattern === "string" &&
    !new RegExp(schema.pattern, "u").test(s)
  ) {
    rule(
      issues,
      path,
      "pattern",
      `must match /${schema.pattern}/`,
      describe(s),
    );
  }
  const format = typeof schema.format === "string"
    ? FORMATS[schema.format]
    : undefined;
  if (format && schema["x-type"] === undefined && !format.test(s)) {
    rule(issues, path, "format", `must be ${format.what}`, describe(s));
  }
}

/** `minItems`, `maxItems` and `uniqueItems` of an array. */
export function arrayRules(
  schema: Schema,
  items: unknown[],
  path: string,
  issues: ValidationIssue[],
): void {
  lengthRules(schema, items.length, "Items", "item", path, issues);
  if (schema.uniqueItems === true) {
    const at = hasDuplicate(items);
    if (at >= 0) {
      rule(
        issues,
        path,
        "uniqueItems",
        "must have unique items",
        `a repeat at [${at}]`,
      );
    }
  }
}
