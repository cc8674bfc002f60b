/**
 * The fast path of the schema engine: a codegen JSON Schema compiled, once,
 * into one JavaScript function `(value) => boolean` that says whether a JS
 * value is valid. It does no more than answer yes or no: the issues of an
 * invalid value (paths, wording) come from the walker (`_schema_walk.ts`),
 * which runs only when this says no.
 *
 * The function is built as source text and handed to `new Function`, as
 * ajv and TypeBox's compiler do: straight-line code with no closure call
 * per property is what keeps per-call validation as cheap as the unrolled
 * validators codegen used to write. No text from the schema reaches the
 * source except through `JSON.stringify` (property names, strings) or as
 * a finite number: everything else (regular expressions, literal values)
 * is passed in as a constant, so a schema received from the network cannot
 * inject code.
 *
 * @module
 */

import { isPlainObject } from "../_util/object.ts";
import {
  FORMATS,
  isRecord,
  refName,
  type Schema,
  schemaList,
} from "./_schema_text.ts";

/** A compiled check: whether a JS value is valid. */
export type Check = (value: unknown) => boolean;

/** Whether `items` holds a value twice (`uniqueItems`, by identity or JSON). */
export function hasDuplicate(items: readonly unknown[]): number {
  const seen = new Set<unknown>();
  for (let i = 0; i < items.length; i++) {
    const v = items[i];
    const key = typeof v === "object" && v !== null ? stableKey(v) : v;
    if (seen.has(key)) return i;
    seen.add(key);
  }
  return -1;
}

function stableKey(value: object): string {
  return "\u0000" +
    JSON.stringify(
      value,
      (_k, v) =>
        typeof v === "bigint" ? `${v}n` : isPlainObject(v)
          ? Object.fromEntries(
            Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
          )
          : v instanceof Map || v instanceof Set
          ? [...v]
          : v,
    );
}

/**
 * Compiles `root` (and the `$defs` beside it) into one check.
 *
 * @param root a schema `checkSchema` accepted
 * @param resolve the schema a `$ref` names
 * @returns the check
 */
export function compileCheck(
  root: Schema,
  resolve: (ref: string) => Schema,
): Check {
  return new Compiler(resolve).build(root);
}

class Compiler {
  readonly #resolve: (ref: string) => Schema;
  /** Constants the code reads as `k[i]`. */
  readonly #constants: unknown[] = [];
  /** Top-level functions: `$defs` and union members. */
  readonly #functions: string[] = [];
  readonly #defs = new Map<string, string>();
  #counter = 0;

  constructor(resolve: (ref: string) => Schema) {
    this.#resolve = resolve;
  }

  build(root: Schema): Check {
    const main = this.#function(root);
    const source = `"use strict";\n${
      this.#functions.join("\n")
    }\nreturn ${main};`;
    const factory = new Function("k", "isObj", "dup", source) as (
      k: unknown[],
      isObj: typeof isPlainObject,
      dup: typeof hasDuplicate,
    ) => Check;
    return factory(this.#constants, isPlainObject, hasDuplicate);
  }

  #fresh(prefix: string): string {
    return `${prefix}${++this.#counter}`;
  }

  #constant(value: unknown): string {
    let i = this.#constants.indexOf(value);
    if (i < 0) i = this.#constants.push(value) - 1;
    return `k[${i}]`;
  }

  /** A literal as source: strings through JSON, finite numbers, booleans. */
  #literal(value: unknown): string {
    if (typeof value === "string") return JSON.stringify(value);
    if (typeof value === "boolean" || value === null) return String(value);
    if (typeof value === "number" && Number.isFinite(value)) {
      return Object.is(value, -0) ? "-0" : String(value);
    }
    return this.#constant(value);
  }

  /** A named function checking one value against `schema`. */
  #function(schema: Schema): string {
    if (typeof schema.$ref === "string") return this.#def(schema.$ref);
    const name = this.#fresh("f");
    this.#functions.push(
      `function ${name}(v) {\n${this.#statements(schema, "v").join("\n")}\n` +
        "return true;\n}",
    );
    return name;
  }

  #def(ref: string): string {
    const known = this.#defs.get(ref);
    if (known) return known;
    const name = this.#fresh(`d_${refName(ref).replace(/[^\w$]/g, "_")}_`);
    this.#defs.set(ref, name);
    const def = this.#resolve(ref);
    this.#functions.push(
      `function ${name}(v) {\n${this.#statements(def, "v").join("\n")}\n` +
        "return true;\n}",
    );
    return name;
  }

  /** Statements that `return false` when `v` (an identifier) fails `schema`. */
  #statements(schema: Schema, v: string): string[] {
    const typed = this.#typeStatements(schema, v);
    if (
      typeof schema.$ref !== "string" && !("const" in schema) &&
      !Array.isArray(schema.enum) && !Array.isArray(schema.anyOf)
    ) {
      return typed;
    }
    // Constraints beside a reference or a union apply by the value's kind.
    const guarded = (test: string, rules: string[]) =>
      rules.length ? [`if (${test}) {`, ...rules, "}"] : [];
    return [
      ...typed,
      ...guarded(`typeof ${v} === "number"`, this.#number(schema, v)),
      ...guarded(`typeof ${v} === "string"`, this.#string(schema, v)),
      ...guarded(`Array.isArray(${v})`, this.#arrayRules(schema, v)),
    ];
  }

  #typeStatements(schema: Schema, v: string): string[] {
    const fail = (test: string) => `if (${test}) return false;`;
    if (typeof schema.$ref === "string") {
      return [fail(`!${this.#def(schema.$ref)}(${v})`)];
    }
    if ("const" in schema) {
      return [fail(`${v} !== ${this.#literal(schema.const)}`)];
    }
    if (Array.isArray(schema.enum)) {
      const tests = schema.enum.map((x) => `${v} !== ${this.#literal(x)}`);
      return [fail(tests.join(" && ") || "true")];
    }
    if (Array.isArray(schema.anyOf)) {
      const members = schemaList(schema.anyOf).map((m) =>
        this.#memberTest(m, v)
      );
      return [fail(`!(${members.join(" || ") || "false"})`)];
    }
    switch (schema["x-type"]) {
      case "bigint":
        return [fail(`typeof ${v} !== "bigint"`)];
      case "Date":
        return [fail(`!(${v} instanceof Date)`)];
      case "Uint8Array":
        return [fail(`!(${v} instanceof Uint8Array)`)];
      case "undefined":
        return [fail(`${v} !== undefined`)];
      case "Map":
        return this.#map(schema, v);
      case "Set":
        return this.#set(schema, v);
    }
    switch (schema.type) {
      case "string":
        return [fail(`typeof ${v} !== "string"`), ...this.#string(schema, v)];
      case "boolean":
        return [fail(`typeof ${v} !== "boolean"`)];
      case "null":
        return [fail(`${v} !== null`)];
      case "number":
        return [fail(`typeof ${v} !== "number"`), ...this.#number(schema, v)];
      case "integer":
        return [fail(`!Number.isInteger(${v})`), ...this.#number(schema, v)];
      case "array":
        return this.#array(schema, v);
      case "object":
        return [fail(`!isObj(${v})`), ...this.#object(schema, v)];
    }
    return [];
  }

  /** A boolean expression for a union member (simple tests inline). */
  #memberTest(schema: Schema, v: string): string {
    if ("const" in schema) return `${v} === ${this.#literal(schema.const)}`;
    if (schema["x-type"] === "undefined") return `${v} === undefined`;
    if (Object.keys(schema).every((k) => k === "type" || k === "description")) {
      switch (schema.type) {
        case "string":
        case "boolean":
        case "number":
          return `typeof ${v} === "${schema.type}"`;
        case "null":
          return `${v} === null`;
      }
    }
    return `${this.#function(schema)}(${v})`;
  }

  #number(schema: Schema, v: string): string[] {
    const out: string[] = [];
    const bound = (key: string, op: string) => {
      const n = schema[key];
      if (typeof n === "number") {
        out.push(`if (!(${v} ${op} ${this.#literal(n)})) return false;`);
      }
    };
    bound("minimum", ">=");
    bound("maximum", "<=");
    bound("exclusiveMinimum", ">");
    bound("exclusiveMaximum", "<");
    if (typeof schema.multipleOf === "number") {
      out.push(
        `if (${v} % ${this.#literal(schema.multipleOf)} !== 0) return false;`,
      );
    }
    return out;
  }

  #string(schema: Schema, v: string): string[] {
    const out: string[] = [];
    if (typeof schema.minLength === "number") {
      out.push(
        `if (${v}.length < ${this.#literal(schema.minLength)}) return false;`,
      );
    }
    if (typeof schema.maxLength === "number") {
      out.push(
        `if (${v}.length > ${this.#literal(schema.maxLength)}) return false;`,
      );
    }
    if (typeof schema.pattern === "string") {
      const re = this.#constant(new RegExp(schema.pattern, "u"));
      out.push(`if (!${re}.test(${v})) return false;`);
    }
    const format = typeof schema.format === "string"
      ? FORMATS[schema.format]
      : undefined;
    if (format && schema["x-type"] === undefined) {
      out.push(`if (!${this.#constant(format.test)}(${v})) return false;`);
    }
    return out;
  }

  #array(schema: Schema, v: string): string[] {
    const prefix = schemaList(schema.prefixItems);
    const items = isRecord(schema.items) ? schema.items : undefined;
    const min = typeof schema.minItems === "number" ? schema.minItems : 0;
    const max = typeof schema.maxItems === "number"
      ? schema.maxItems
      : Infinity;
    const out = [`if (!Array.isArray(${v})) return false;`];
    if (min > 0) {
      out.push(`if (${v}.length < ${this.#literal(min)}) return false;`);
    }
    if (max !== Infinity) {
      out.push(`if (${v}.length > ${this.#literal(max)}) return false;`);
    }
    prefix.forEach((s, i) => {
      const x = this.#fresh("x");
      const body = this.#statements(s, x);
      if (body.length === 0) return;
      out.push(`{ const ${x} = ${v}[${i}];`);
      // Optional elements (past minItems) may be absent or undefined.
      if (i >= min) out.push(`if (${x} !== undefined) {`, ...body, "}");
      else out.push(...body);
      out.push("}");
    });
    if (items) {
      const body = this.#statements(items, "x");
      if (body.length > 0) {
        const i = this.#fresh("i");
        const x = this.#fresh("x");
        out.push(
          `for (let ${i} = ${prefix.length}; ${i} < ${v}.length; ${i}++) {`,
          `const ${x} = ${v}[${i}];`,
          ...this.#statements(items, x),
          "}",
        );
      }
    }
    if (schema.uniqueItems === true && schema["x-type"] !== "Set") {
      out.push(`if (dup(${v}) >= 0) return false;`);
    }
    return out;
  }

  /** `minItems`, `maxItems` and `uniqueItems` of an array value `v`. */
  #arrayRules(schema: Schema, v: string): string[] {
    const out: string[] = [];
    if (typeof schema.minItems === "number") {
      out.push(
        `if (${v}.length < ${this.#literal(schema.minItems)}) return false;`,
      );
    }
    if (typeof schema.maxItems === "number") {
      out.push(
        `if (${v}.length > ${this.#literal(schema.maxItems)}) return false;`,
      );
    }
    if (schema.uniqueItems === true) {
      out.push(`if (dup(${v}) >= 0) return false;`);
    }
    return out;
  }

  #object(schema: Schema, v: string): string[] {
    const properties = isRecord(schema.properties) ? schema.properties : {};
    const required = new Set(
      Array.isArray(schema.required) ? schema.required : [],
    );
    const out: string[] = [];
    for (const [name, s] of Object.entries(properties)) {
      if (!isRecord(s)) continue;
      const x = this.#fresh("x");
      const body = this.#statements(s, x);
      const access = `${v}[${JSON.stringify(name)}]`;
      if (required.has(name)) {
        out.push(`{ const ${x} = ${access};`, ...body, "}");
      } else if (body.length > 0) {
        out.push(
          `{ const ${x} = ${access};`,
          `if (${x} !== undefined) {`,
          ...body,
          "}",
          "}",
        );
      }
    }
    const rest = schema.additionalProperties;
    if (isRecord(rest)) {
      const key = this.#fresh("key");
      const x = this.#fresh("x");
      const known = this.#constant(new Set(Object.keys(properties)));
      out.push(
        `for (const ${key} of Object.keys(${v})) {`,
        `if (${known}.has(${key})) continue;`,
        `const ${x} = ${v}[${key}];`,
        ...this.#statements(rest, x),
        "}",
      );
    }
    return out;
  }

  #map(schema: Schema, v: string): string[] {
    const entry = isRecord(schema.items) ? schema.items : {};
    const [key = {}, value = {}] = schemaList(entry.prefixItems);
    const [k, x] = [this.#fresh("k"), this.#fresh("x")];
    return [
      `if (!(${v} instanceof Map)) return false;`,
      `for (const [${k}, ${x}] of ${v}) {`,
      ...this.#statements(key, k),
      ...this.#statements(value, x),
      "}",
    ];
  }

  #set(schema: Schema, v: string): string[] {
    const items = isRecord(schema.items) ? schema.items : {};
    const x = this.#fresh("x");
    return [
      `if (!(${v} instanceof Set)) return false;`,
      `for (const ${x} of ${v}) {`,
      ...this.#statements(items, x),
      "}",
    ];
  }
}
