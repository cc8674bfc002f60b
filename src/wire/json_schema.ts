/**
 * The schema engine: JSON Schemas, as codegen emits them, are the one
 * description of zmp data. {@linkcode compileSchema} turns one, once, into
 * a fast check of JS values (what servers, clients, topics and params run
 * per message) plus the issues of an invalid value; {@linkcode fromJson}
 * turns JSON a person typed into the values the schema describes (what the
 * `zmp` CLI needs to call a method, publish a message or set a param).
 *
 * The schemas are a draft 2020-12 subset, self-contained (`$ref:
 * "#/$defs/Name"` with `$defs` beside it), with `x-type` marking what JSON
 * lacks (`bigint`, `Date`, `Uint8Array`, `Map`, `Set`, `undefined`) and the
 * constraints codegen reads from JSDoc tags (`minimum`, `maxLength`,
 * `pattern`, `format`, `uniqueItems`…). Issues read the same before
 * sending as after: `args[1]: expected number, got string "x"`,
 * `args[0].priceCents: must be >= 0, got -1`.
 *
 * @module
 */

import type { ValidationIssue, Validator } from "./descriptors.ts";
import { SchemaWalker } from "./_schema_walk.ts";
import { typeText } from "./_schema_text.ts";
import { compileCheck } from "./_schema_compile.ts";

/** A JSON Schema as codegen emits it. */
export type JsonSchema = Record<string, unknown>;

/**
 * Converts JSON (as parsed) into the JS value `schema` describes, and
 * checks it. ISO strings become `Date`s; integer numbers and decimal-digit
 * strings `bigint`s; base64 strings `Uint8Array`s; arrays of `[key, value]`
 * pairs (or objects) `Map`s; arrays `Set`s. `$ref`, `anyOf` (the first
 * member that takes the value without issues), `prefixItems`, `properties`
 * and `additionalProperties` are followed; extra properties are kept.
 * Values already in JS form (a `Date`, a `Map`…) are taken as they are.
 * As JSON has no `undefined`, `null` in an optional tuple or argument
 * position that does not take `null` stands for an omitted item.
 *
 * Issues say what {@linkcode compileSchema}'s `validate` says: `expected
 * number, got string "x"`, a missing property as `got undefined`, a wrong
 * argument count as `expected 2 arguments, got 1 argument`.
 *
 * @example Checking arguments typed on a command line
 * ```ts
 * import { fromJson } from "zmp/wire";
 * const schema = {
 *   type: "array",
 *   prefixItems: [{ title: "a", type: "number" }, { title: "b", type: "number" }],
 *   minItems: 2,
 *   maxItems: 2,
 * };
 * const { issues } = fromJson(schema, [2, "x"], "args");
 * console.log(issues); // [{ path: "args[1]", expected: "number", received: 'string "x"' }]
 * ```
 *
 * @param schema the schema (with its `$defs`)
 * @param value JSON as parsed, by `JSON.parse` or {@linkcode parseJson}
 * @param path the path of `value` in issues (default `"value"`)
 * @returns the converted value (best effort when there are issues) and
 * one issue per problem; the value is valid when there are none
 * @throws {TypeError} when the schema cannot be used: a `$ref` that does not
 * resolve or loops, a `type` or `x-type` codegen does not emit
 */
export function fromJson(
  schema: JsonSchema,
  value: unknown,
  path = "value",
): { value: unknown; issues: ValidationIssue[] } {
  return compileSchema(schema).fromJson(value, path);
}

/** A schema compiled once: a fast check, and issues when it fails. */
export interface CompiledSchema {
  /** The schema it was compiled from. */
  readonly schema: JsonSchema;
  /** Whether a JS value is valid (the fast path: no issues, no paths). */
  readonly is: (value: unknown) => boolean;
  /**
   * A {@linkcode Validator}: runs {@linkcode CompiledSchema.is}, and only
   * when it fails walks the value again to say what is wrong and where.
   */
  readonly validate: Validator;
  /**
   * Every issue of a JS value, found by walking it whatever
   * {@linkcode CompiledSchema.is} says (empty when it is valid).
   */
  issues(value: unknown, path?: string): ValidationIssue[];
  /**
   * Converts JSON into the JS value the schema describes, and checks it
   * (see {@linkcode fromJson}).
   */
  fromJson(
    value: unknown,
    path?: string,
  ): { value: unknown; issues: ValidationIssue[] };
}

const compiled = new WeakMap<JsonSchema, CompiledSchema>();

/**
 * Compiles a schema into a fast checker, once per schema object (later
 * calls with the same object return the same checker).
 *
 * @example
 * ```ts
 * import { compileSchema, type ValidationIssue } from "zmp/wire";
 * const price = compileSchema({ type: "integer", minimum: 0 });
 * console.log(price.is(5)); // true
 * const issues: ValidationIssue[] = [];
 * price.validate(-1, "args[0].priceCents", issues);
 * console.log(issues[0].expected); // "must be >= 0"
 * ```
 *
 * @param schema the schema (with its `$defs`)
 * @returns the compiled schema
 * @throws {TypeError} when the schema cannot be used: a `$ref` that does not
 * resolve or loops, a `type` or `x-type` codegen does not emit, a `pattern`
 * that is no regular expression
 */
export function compileSchema(schema: JsonSchema): CompiledSchema {
  const known = compiled.get(schema);
  if (known) return known;
  const js = new SchemaWalker(schema, "js");
  const json = new SchemaWalker(schema, "json");
  const is = compileCheck(schema, (ref) => js.resolve(ref));
  const out: CompiledSchema = {
    schema,
    is,
    validate: (value, path, issues) => {
      if (is(value)) return;
      // Into the caller's list: an IssueList keeps its bound, and millions
      // of issues are never spread into one call.
      js.run(value, path, issues);
    },
    issues: (value, path = "value") => js.run(value, path).issues,
    fromJson: (value, path = "value") => json.run(value, path),
  };
  compiled.set(schema, out);
  return out;
}

/**
 * A {@linkcode Validator} checking JS values against `schema`: the
 * `validate` of {@linkcode compileSchema}.
 *
 * @example
 * ```ts
 * import { validatorFromSchema, type ValidationIssue } from "zmp/wire";
 * const validate = validatorFromSchema({ type: "string", format: "date-time", "x-type": "Date" });
 * const issues: ValidationIssue[] = [];
 * validate("2024-01-01", "when", issues);
 * console.log(issues); // [{ path: "when", expected: "Date", received: 'string "2024-01-01"' }]
 * ```
 *
 * @param schema the schema (with its `$defs`)
 * @returns the validator
 * @throws {TypeError} when the schema cannot be used (see {@linkcode compileSchema})
 */
export function validatorFromSchema(schema: JsonSchema): Validator {
  return compileSchema(schema).validate;
}

/**
 * JS value → JSON text, the inverse of {@linkcode fromJson}: `Date`s as ISO
 * strings, `bigint`s as exact integer literals, `Uint8Array`s as base64,
 * other typed arrays as arrays of numbers, `Map`s as arrays of `[key,
 * value]` pairs, `Set`s as arrays. As `JSON.stringify` does, `undefined`
 * properties are left out, `undefined` array items, `NaN`s and infinities
 * become `null`. An `undefined` value as a whole becomes `null`.
 *
 * @example
 * ```ts
 * import { stringifyJson } from "zmp/wire";
 * const text = stringifyJson({ id: 2n ** 64n, at: new Date(0), tags: new Set(["a"]) });
 * console.log(text); // {"id":18446744073709551616,"at":"1970-01-01T00:00:00.000Z","tags":["a"]}
 * ```
 *
 * @param value the value
 * @param indent spaces per level, as `JSON.stringify`'s `space`; one line
 * when absent
 * @returns the JSON text
 * @throws {TypeError} when `value` contains a cycle
 */
export function stringifyJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, toJsonForm, indent) ?? "null";
}

const { rawJSON } = JSON as unknown as { rawJSON(text: string): unknown };

function toJsonForm(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return rawJSON(value.toString());
  if (value instanceof Map || value instanceof Set) return [...value];
  if (value instanceof Uint8Array) return value.toBase64();
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return Array.from(value as unknown as ArrayLike<number | bigint>);
  }
  return value;
}

/**
 * JSON text → value, as `JSON.parse`, except that integers beyond
 * `Number.MAX_SAFE_INTEGER` stay exact: they become `bigint`s (which
 * {@linkcode fromJson} turns back into numbers where the schema wants one).
 *
 * @example
 * ```ts
 * import { parseJson } from "zmp/wire";
 * console.log(parseJson("[9007199254740993, 1.5]")); // [9007199254740993n, 1.5]
 * ```
 *
 * @param text the JSON text
 * @returns the value
 * @throws {SyntaxError} when `text` is not JSON, saying where
 */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text, keepBigIntegers);
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e;
    throw new SyntaxError(`Cannot parse JSON: ${e.message}`, { cause: e });
  }
}

const INTEGER_LITERAL = /^-?\d+$/;

function keepBigIntegers(
  _key: string,
  value: unknown,
  context?: { source?: string },
): unknown {
  const source = context?.source;
  return typeof value === "number" && !Number.isSafeInteger(value) &&
      source !== undefined && INTEGER_LITERAL.test(source)
    ? BigInt(source)
    : value;
}

/**
 * A short TypeScript-like rendering of a schema for listings: `number`,
 * `string[]`, `Date`, `Map<string, number>`, `"on" | "off"`, a `$ref` by
 * its name, `{ a: number; b?: string }` (nested objects shortened to
 * `{ … }`, long ones cut with `…`), an argument array as a labelled tuple
 * `[a: number, b?: number]`, and `{}` (void) as `void`.
 *
 * @example
 * ```ts
 * import { schemaToTypeText } from "zmp/wire";
 * console.log(schemaToTypeText({ type: "array", items: { $ref: "#/$defs/Point" } })); // "Point[]"
 * ```
 *
 * @param schema the schema
 * @returns the type text
 */
export function schemaToTypeText(schema: JsonSchema): string {
  return typeText(schema);
}
