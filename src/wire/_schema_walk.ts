/**
 * The slow path of the schema engine: one pass that checks a value against
 * a codegen JSON Schema, says what is wrong and where, and, reading JSON,
 * converts it into the JS value the schema describes. The fast path
 * (`_schema_compile.ts`) answers yes or no for JS values; this walker runs
 * when it says no, and for JSON typed by people (`zmp call`, `zmp param
 * set`, the HTTP gateway).
 *
 * Unions report as a person reads them: simple members first, one complex
 * member checked in detail, discriminated unions by their tag. Broken
 * constraints (`minimum`, `pattern`…) are issues with a `rule`.
 *
 * @module
 */

import { isPlainObject } from "../_util/object.ts";
import { describe, type ValidationIssue } from "./descriptors.ts";
import {
  addIssues,
  countedWhenFull,
  issueCount,
  IssueList,
  issueListLike,
} from "./errors.ts";
import {
  DEFS_PREFIX,
  expectedText,
  isRecord,
  itemSchema,
  literal,
  mapEntrySchemas,
  propertyPath,
  refName,
  type Schema,
  schemaList,
  tupleBounds,
} from "./_schema_text.ts";
import { checkSchema } from "./_schema_check.ts";
import {
  arrayRules,
  numberRules,
  siblingRules,
  stringRules,
} from "./_schema_rules.ts";

/** `json`: convert JSON forms (ISO strings, base64…); `js`: check only. */
export type Mode = "json" | "js";

/** A converted value and the problems found on the way. */
export interface Outcome {
  /** The value (converted in `json` mode; as given in `js` mode). */
  value: unknown;
  /** One issue per problem, in generated validators' wording. */
  issues: ValidationIssue[];
}

const ISO_DATE =
  /^(?:[+-]\d{6}|\d{4})-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)?$/;
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;
const INTEGER = /^-?\d+$/;
/** Hops a `$ref` chain may take (as codegen resolves discriminants). */
const MAX_HOPS = 32;

/** Walks values against one root schema (and its `$defs`). */
export class SchemaWalker {
  readonly #root: Schema;
  readonly #defs: Schema;
  readonly #json: boolean;
  readonly #arguments: boolean;

  /**
   * @param root the schema; `$ref`s resolve into its `$defs`
   * @param mode whether to convert JSON forms or only check JS values
   * @throws {TypeError} when the schema cannot be used (see `checkSchema`)
   */
  constructor(root: Schema, mode: Mode) {
    this.#root = root;
    this.#defs = isRecord(root.$defs) ? root.$defs : {};
    this.#json = mode === "json";
    const items = root.prefixItems;
    // A method's argument array: codegen titles every item with its name.
    this.#arguments = root.type === "array" && Array.isArray(items) &&
      items.every((s) => isRecord(s) && typeof s.title === "string");
    checkSchema(root, (ref) => this.resolve(ref));
  }

  /**
   * Walks `value` from the root schema.
   *
   * @param value the value
   * @param path the path of `value` in issues
   * @returns the (converted) value and the issues
   */
  run(
    value: unknown,
    path: string,
    issues: ValidationIssue[] = [],
  ): Outcome {
    return { value: this.#walk(this.#root, value, path, issues), issues };
  }

  #walk(
    schema: Schema,
    value: unknown,
    path: string,
    issues: ValidationIssue[],
    label?: string,
  ): unknown {
    // Past MAX_COUNTED_ISSUES problems, the rest of a bad value is not
    // looked at: it costs no more CPU, and it is invalid already.
    if (exhausted(issues)) return value;
    if (
      typeof schema.$ref === "string" || "const" in schema ||
      Array.isArray(schema.enum) || Array.isArray(schema.anyOf)
    ) {
      // Constraints beside a reference or a union (`@minimum` on a
      // property of an alias type) apply once the value has the type.
      const before = issueCount(issues);
      const out = this.#walkType(schema, value, path, issues, label);
      if (issueCount(issues) === before) {
        siblingRules(schema, out, path, issues);
      }
      return out;
    }
    return this.#walkType(schema, value, path, issues, label);
  }

  #walkType(
    schema: Schema,
    value: unknown,
    path: string,
    issues: ValidationIssue[],
    label?: string,
  ): unknown {
    if (typeof schema.$ref === "string") {
      const def = this.resolve(schema.$ref);
      return this.#walk(def, value, path, issues, refName(schema.$ref));
    }
    const fail = () => {
      if (countedWhenFull(issues)) return value;
      const expected = label ?? expectedText(schema);
      issues.push({ path, expected, received: describe(value) });
      return value;
    };
    const ok = (converted: unknown) =>
      converted === undefined ? fail() : converted;
    if ("const" in schema) return value === schema.const ? value : fail();
    if (Array.isArray(schema.enum)) {
      return schema.enum.some((x) => x === value) ? value : fail();
    }
    if (Array.isArray(schema.anyOf)) {
      return this.#union(schema, value, path, issues, label);
    }
    switch (schema["x-type"]) {
      case "bigint":
        return ok(this.#json ? toBigint(value) : asBigint(value));
      case "Date":
        return ok(this.#json ? toDate(value) : asInstance(value, Date));
      case "Uint8Array":
        return ok(this.#json ? toBytes(value) : asInstance(value, Uint8Array));
      case "undefined":
        return value === undefined ? value : fail();
      case "Map":
        return this.#map(schema, value, path, issues, fail);
      case "Set":
        return this.#set(schema, value, path, issues, fail);
    }
    switch (schema.type) {
      case "string":
        if (typeof value !== "string") return fail();
        stringRules(schema, value, path, issues);
        return value;
      case "boolean":
        return typeof value === "boolean" ? value : fail();
      case "null":
        return value === null ? value : fail();
      case "number":
      case "integer": {
        const n = this.#json && typeof value === "bigint"
          ? Number(value)
          : value;
        const integer = schema.type === "integer";
        if (typeof n !== "number" || (integer && !Number.isInteger(n))) {
          return fail();
        }
        numberRules(schema, n, path, issues);
        return n;
      }
      case "array": {
        if (Array.isArray(schema.prefixItems)) {
          return this.#tuple(schema, value, path, issues, label);
        }
        if (!Array.isArray(value)) return fail();
        const item = itemSchema(schema);
        const out = walkItems(
          value,
          issues,
          (v, i) => this.#walk(item, v, `${path}[${i}]`, issues),
        );
        arrayRules(schema, out, path, issues);
        return out;
      }
      case "object":
        return isPlainObject(value)
          ? this.#object(schema, value, path, issues)
          : fail();
      default: // `{}` (void): anything goes
        return value;
    }
  }

  #tuple(
    schema: Schema,
    value: unknown,
    path: string,
    issues: ValidationIssue[],
    label?: string,
  ): unknown {
    const items = schemaList(schema.prefixItems);
    const rest = isRecord(schema.items) ? schema.items : undefined;
    const { min, max } = tupleBounds(schema);
    if (!Array.isArray(value) || value.length < min || value.length > max) {
      const args = schema === this.#root && this.#arguments;
      const expected = args
        ? argumentsText(min, max)
        : label ?? expectedText(schema);
      const received = args && Array.isArray(value)
        ? argumentsText(value.length, value.length)
        : describe(value);
      issues.push({ path, expected, received });
      return value;
    }
    return walkItems(value, issues, (v, i) => {
      if (i >= items.length) {
        return rest ? this.#walk(rest, v, `${path}[${i}]`, issues) : v;
      }
      if (i >= min && v === undefined) return v;
      if (this.#json && i >= min && v === null) {
        // JSON has no `undefined`: `null` may stand for an omitted item.
        const own: ValidationIssue[] = [];
        const converted = this.#walk(items[i], v, `${path}[${i}]`, own);
        return own.length === 0 ? converted : undefined;
      }
      return this.#walk(items[i], v, `${path}[${i}]`, issues);
    });
  }

  #object(
    schema: Schema,
    value: Record<string, unknown>,
    path: string,
    issues: ValidationIssue[],
  ): unknown {
    const properties = isRecord(schema.properties) ? schema.properties : {};
    const required = Array.isArray(schema.required) ? schema.required : [];
    const rest = schema.additionalProperties;
    const out: Record<string, unknown> = {};
    for (const [name, s] of Object.entries(properties)) {
      const v = Object.hasOwn(value, name) ? value[name] : undefined;
      if (!isRecord(s) || (v === undefined && !required.includes(name))) {
        if (Object.hasOwn(value, name)) define(out, name, v);
        continue;
      }
      define(out, name, this.#walk(s, v, propertyPath(path, name), issues));
    }
    for (const name of Object.keys(value)) {
      if (exhausted(issues)) return value;
      if (Object.hasOwn(properties, name)) continue;
      const v = value[name];
      const at = `${path}[${JSON.stringify(name)}]`;
      define(out, name, isRecord(rest) ? this.#walk(rest, v, at, issues) : v);
    }
    return out;
  }

  #map(
    schema: Schema,
    value: unknown,
    path: string,
    issues: ValidationIssue[],
    fail: () => unknown,
  ): unknown {
    const entries: unknown[] | undefined = value instanceof Map
      ? [...value]
      : !this.#json
      ? undefined
      : Array.isArray(value)
      ? value
      : isPlainObject(value)
      ? Object.entries(value)
      : undefined;
    if (entries === undefined) return fail();
    const [keySchema, valueSchema] = mapEntrySchemas(schema);
    const out = new Map<unknown, unknown>();
    for (let i = 0; i < entries.length; i++) {
      if (exhausted(issues)) return value;
      const entry = entries[i];
      if (!Array.isArray(entry) || entry.length !== 2) {
        if (countedWhenFull(issues)) continue;
        const expected = expectedText(itemSchema(schema));
        issues.push({
          path: `${path}[${i}]`,
          expected,
          received: describe(entry),
        });
        continue;
      }
      out.set(
        this.#walk(keySchema, entry[0], `${path}.keys[${i}]`, issues),
        this.#walk(valueSchema, entry[1], `${path}.values[${i}]`, issues),
      );
    }
    return out;
  }

  #set(
    schema: Schema,
    value: unknown,
    path: string,
    issues: ValidationIssue[],
    fail: () => unknown,
  ): unknown {
    const items = value instanceof Set
      ? [...value]
      : this.#json && Array.isArray(value)
      ? value
      : undefined;
    if (items === undefined) return fail();
    const item = itemSchema(schema);
    const out = walkItems(
      items,
      issues,
      (v, i) => this.#walk(item, v, `${path}.values[${i}]`, issues),
    );
    return out === items && value instanceof Set ? value : new Set(out);
  }

  /**
   * The first member that takes `value` without issues wins. Otherwise
   * report as generated validators do: one complex member (not a simple
   * `typeof`/literal test) is checked in detail; a discriminated union
   * reports by its tag; anything else is one issue for the whole union.
   */
  #union(
    schema: Schema,
    value: unknown,
    path: string,
    issues: ValidationIssue[],
    label?: string,
  ): unknown {
    const members = schemaList(schema.anyOf);
    const tried: Outcome[] = [];
    const attempt = (i: number): Outcome => {
      if (tried[i]) return tried[i];
      const own = issueListLike(issues);
      const v = this.#walk(members[i], value, path, own);
      return tried[i] = { value: v, issues: own };
    };
    for (let i = 0; i < members.length; i++) {
      if (issueCount(attempt(i).issues) === 0) return attempt(i).value;
    }
    const follow = (m: Schema) => this.#follow(m);
    const complex = members.flatMap((m, i) => isSimple(m, follow) ? [] : [i]);
    const detail = (i: number) => {
      addIssues(issues, attempt(i).issues);
      return attempt(i).value;
    };
    // One member needs a closer look: say what is wrong inside it, when
    // the value is of its kind (an object for an object type…).
    if (
      complex.length === 1 && sameKind(this.#follow(members[complex[0]]), value)
    ) {
      return detail(complex[0]);
    }
    const tag = this.#discriminant(members, complex);
    if (tag === undefined || !isPlainObject(value)) {
      const expected = label ?? expectedText(schema);
      issues.push({ path, expected, received: describe(value) });
      return value;
    }
    const found = Object.hasOwn(value, tag) ? value[tag] : undefined;
    const all: unknown[] = [];
    for (const i of complex) {
      const values = this.#tagValues(members[i], tag);
      if (values.some((x) => x === found)) return detail(i);
      all.push(...values);
    }
    issues.push({
      path: propertyPath(path, tag),
      expected: all.map(literal).join(" | "),
      received: describe(found),
    });
    return value;
  }

  /**
   * The tag of a discriminated union (as `codegen/_discriminant.ts` finds
   * it), when every complex member is an object; else `undefined`.
   */
  #discriminant(members: Schema[], complex: number[]): string | undefined {
    const objects = members.map((m) => this.#follow(m)).filter(isObjectSchema);
    if (objects.length < 2) return undefined;
    if (!complex.every((i) => isObjectSchema(this.#follow(members[i])))) {
      return undefined;
    }
    const requires = (o: Schema, name: string) =>
      Array.isArray(o.required) && o.required.includes(name);
    const first = objects[0].properties;
    for (const candidate of Object.keys(isRecord(first) ? first : {})) {
      const seen = new Set<unknown>();
      const ok = objects.every((o) => {
        const values = requires(o, candidate)
          ? this.#literals(propertySchema(o, candidate))
          : undefined;
        if (!values || values.some((v) => seen.has(v))) return false;
        values.forEach((v) => seen.add(v));
        return true;
      });
      if (ok) return candidate;
    }
    return undefined;
  }

  #tagValues(member: Schema, tag: string): unknown[] {
    return this.#literals(propertySchema(this.#follow(member), tag)) ?? [];
  }

  /** The literal values a schema allows, or `undefined` if it allows others. */
  #literals(schema: Schema): unknown[] | undefined {
    const s = this.#follow(schema);
    if ("const" in s) return [s.const];
    if (Array.isArray(s.enum)) return [...s.enum];
    if (!Array.isArray(s.anyOf)) return undefined;
    const out: unknown[] = [];
    for (const m of schemaList(s.anyOf)) {
      const values = this.#literals(m);
      if (!values) return undefined;
      out.push(...values);
    }
    return out;
  }

  /** Follows a `$ref` chain (at most {@linkcode MAX_HOPS} hops). */
  #follow(schema: Schema): Schema {
    let s = schema;
    for (let hops = 0; typeof s.$ref === "string" && hops < MAX_HOPS; hops++) {
      s = this.resolve(s.$ref);
    }
    return s;
  }

  /**
   * The schema a `$ref` names.
   *
   * @param ref the reference, `#/$defs/<name>`
   * @returns the schema
   * @throws {TypeError} when it is not of that form or names nothing
   */
  resolve(ref: string): Schema {
    const name = refName(ref);
    if (!ref.startsWith(DEFS_PREFIX)) {
      throw new TypeError(
        `Cannot use schema: "$ref" ${
          JSON.stringify(ref)
        } is not of the form "#/$defs/<name>"`,
      );
    }
    const def = Object.hasOwn(this.#defs, name) ? this.#defs[name] : undefined;
    if (!isRecord(def)) {
      throw new TypeError(
        `Cannot use schema: "$ref" ${
          JSON.stringify(ref)
        } names no entry of "$defs"`,
      );
    }
    return def;
  }
}

/**
 * Whether a check should look no further: `issues` is an
 * {@linkcode IssueList} that counted `MAX_COUNTED_ISSUES`
 * problems (it is then marked partial).
 */
function exhausted(issues: ValidationIssue[]): boolean {
  if (!(issues instanceof IssueList) || !issues.exhausted) return false;
  issues.partial = true;
  return true;
}

/**
 * Walks the items of an array (holes read as `undefined`) into a new one,
 * until the issues are {@linkcode exhausted}: then the array itself is
 * returned, unwalked past that point. Without this stop, a 4 MB array of
 * bad elements costs a path string and a call per element after the
 * issues stopped counting (0.3 s for two million).
 */
function walkItems(
  items: readonly unknown[],
  issues: ValidationIssue[],
  walk: (item: unknown, index: number) => unknown,
): unknown[] {
  // Pushed, not `new Array(n)`: V8 makes a large preallocated array a
  // slow dictionary (0.1 s for two million).
  const out: unknown[] = [];
  for (let i = 0; i < items.length; i++) {
    if (exhausted(issues)) return items as unknown[];
    out.push(walk(items[i], i));
  }
  return out;
}

/** `2 arguments`, `1 argument`, `0 to 2 arguments`, `at least 1 argument`. */
function argumentsText(min: number, max: number): string {
  const plural = (n: number) => `${n} argument${n === 1 ? "" : "s"}`;
  return min === max
    ? plural(max)
    : max === Infinity
    ? `at least ${plural(min)}`
    : `${min} to ${max} arguments`;
}

/**
 * Whether a union member is a plain test (a primitive, a literal, a union
 * of those, or a name for one): a value failing it needs no detail, so a
 * union with one other member reports that member's issues.
 */
function isSimple(schema: Schema, follow: (s: Schema) => Schema): boolean {
  if (typeof schema.$ref === "string") {
    const target = follow(schema);
    return typeof target.$ref !== "string" && isSimple(target, follow);
  }
  if ("const" in schema || Array.isArray(schema.enum)) return true;
  if (Array.isArray(schema.anyOf)) {
    return schemaList(schema.anyOf).every((m) => isSimple(m, follow));
  }
  if (schema["x-type"] === "Map" || schema["x-type"] === "Set") return false;
  return schema.type !== "array" && schema.type !== "object";
}

/** Whether `value` is of the kind a (complex) schema describes. */
function sameKind(schema: Schema, value: unknown): boolean {
  switch (schema["x-type"]) {
    case "Map":
      return value instanceof Map || Array.isArray(value);
    case "Set":
      return value instanceof Set || Array.isArray(value);
  }
  if (schema.type === "object") return isPlainObject(value);
  if (schema.type === "array") return Array.isArray(value);
  return true;
}

function isObjectSchema(schema: Schema): boolean {
  return schema.type === "object" && schema["x-type"] === undefined;
}

function propertySchema(object: Schema, name: string): Schema {
  const properties = isRecord(object.properties) ? object.properties : {};
  const s = Object.hasOwn(properties, name) ? properties[name] : undefined;
  return isRecord(s) ? s : {};
}

/** Sets an own property, even one named `__proto__`. */
function define(target: Record<string, unknown>, key: string, value: unknown) {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

function asBigint(value: unknown): unknown {
  return typeof value === "bigint" ? value : undefined;
}

function asInstance(value: unknown, type: abstract new () => object): unknown {
  return value instanceof type ? value : undefined;
}

/** A bigint from a bigint, an integer number or a decimal-digit string. */
function toBigint(value: unknown): bigint | undefined {
  if (typeof value === "bigint") return value;
  if (typeof value === "number" && Number.isInteger(value)) {
    return BigInt(value);
  }
  if (typeof value === "string" && INTEGER.test(value)) return BigInt(value);
  return undefined;
}

/** A Date from a Date or an ISO 8601 date(-time) string. */
function toDate(value: unknown): Date | undefined {
  if (value instanceof Date) return value;
  if (typeof value !== "string" || !ISO_DATE.test(value)) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** A Uint8Array from a Uint8Array or a base64 (or base64url) string. */
function toBytes(value: unknown): Uint8Array | undefined {
  if (value instanceof Uint8Array) return value;
  if (typeof value !== "string" || !BASE64.test(value)) return undefined;
  try {
    // Either alphabet, padded or not.
    return Uint8Array.fromBase64(
      value.replaceAll("-", "+").replaceAll("_", "/"),
      { lastChunkHandling: "loose" },
    );
  } catch {
    return undefined;
  }
}
