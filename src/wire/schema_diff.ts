/**
 * Interface evolution: what changed between two versions of a service,
 * topic or params group, and whether each change breaks the other side.
 *
 * A change is breaking when a value one side may send is refused by the
 * other: a parameter a caller may leave out is now required, a result a
 * server may return is no longer one the caller accepts, a type changed.
 * A compatible change only widens what is accepted (a new optional
 * parameter, a new method, a new optional property). Both `zmp codegen
 * --breaking` (old = the baseline, new = the current definition) and
 * clients meeting a server of another version (old = the client's
 * definition, new = the server's) use it.
 *
 * @module
 */

import type { JsonSchema } from "./json_schema.ts";
import { compileSchema } from "./json_schema.ts";
import { canonicalSchema } from "./schema_hash.ts";
import { type SchemaDocument, withDefs } from "./schema_document.ts";
import { isRecord, refName, schemaList, typeText } from "./_schema_text.ts";

/** One difference between two versions. */
export interface SchemaChange {
  /** Whether a peer of the old version may now be refused. */
  readonly breaking: boolean;
  /** What it is about: `Calculator.add`, `sensors/raw`, `filter`. */
  readonly subject: string;
  /** What changed: `parameter b is now required`. */
  readonly message: string;
}

/** How a reason reads forwards (narrowed) and backwards (widened). */
type Reason = [narrowed: string, widened: string];

type Schema = Record<string, unknown>;

/** A schema with the `$defs` its `$ref`s point into. */
interface Rooted {
  readonly schema: Schema;
  readonly defs: Schema;
}

function rooted(schema: JsonSchema): Rooted {
  return {
    schema,
    defs: isRecord(schema.$defs) ? schema.$defs : {},
  };
}

const RULE_KEYS = [
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "multipleOf",
  "minLength",
  "maxLength",
  "pattern",
  "format",
  "minItems",
  "maxItems",
  "uniqueItems",
];

/**
 * Finds why some value of `a` is not a value of `b`: each reason worded
 * for `a` → `b` (narrowed) and for `b` → `a` (widened).
 */
class Narrowing {
  readonly #a: Schema;
  readonly #b: Schema;
  readonly #seen = new Set<string>();

  constructor(aDefs: Schema, bDefs: Schema) {
    this.#a = aDefs;
    this.#b = bDefs;
  }

  /** Why values of `a` (in the old defs) may be refused by `b` (new defs). */
  reasons(a: Schema, b: Schema, where: string): Reason[] {
    const ar = this.#follow(a, this.#a);
    const br = this.#follow(b, this.#b);
    if (ar.ref !== undefined && br.ref !== undefined) {
      const key = `${ar.ref}\0${br.ref}`;
      if (this.#seen.has(key)) return [];
      this.#seen.add(key);
    }
    return this.#compare(ar.schema, br.schema, where);
  }

  #follow(s: Schema, defs: Schema): { schema: Schema; ref?: string } {
    let schema = s;
    let ref: string | undefined;
    for (let hops = 0; typeof schema.$ref === "string" && hops < 32; hops++) {
      ref = schema.$ref;
      const { $ref: _, ...siblings } = schema;
      const def = defs[refName(ref)];
      schema = { ...(isRecord(def) ? def : {}), ...siblings };
    }
    return { schema, ref };
  }

  #compare(a: Schema, b: Schema, where: string): Reason[] {
    if (Object.keys(strip(b)).length === 0) return []; // anything goes
    const aMembers = members(a);
    if (aMembers) {
      for (const m of aMembers) {
        const r = this.reasons(m, b, where);
        if (r.length > 0) return r;
      }
      return [];
    }
    const bMembers = members(b);
    if (bMembers) {
      const tries = bMembers.map((m) => this.reasons(a, m, where));
      if (tries.some((r) => r.length === 0)) return [];
      const same = bMembers.findIndex((m) =>
        kind(m, this.#b) === kind(a, this.#a)
      );
      if (same >= 0) return tries[same];
      return [typeChange(a, b, where)];
    }
    if ("const" in b) {
      if ("const" in a && a.const === b.const) return [];
      if ("const" in a) return [valueChange(a.const, where)];
      return [typeChange(a, b, where)];
    }
    if ("const" in a) {
      return compileSchema({ ...b, $defs: this.#b }).is(a.const)
        ? []
        : [valueChange(a.const, where)];
    }
    const ka = kind(a, this.#a);
    const kb = kind(b, this.#b);
    if (ka !== kb && !(ka === "integer" && kb === "number")) {
      return [typeChange(a, b, where)];
    }
    const out = ruleChanges(a, b, where);
    switch (kb) {
      case "array":
        if (Array.isArray(b.prefixItems) || Array.isArray(a.prefixItems)) {
          out.push(...this.tuple(a, b, (i) => `${where}[${i}]`));
        } else {
          out.push(...this.#items(a, b, `${where}[]`));
        }
        break;
      case "Set":
        out.push(...this.#items(a, b, `${where}[]`));
        break;
      case "Map": {
        const [ak, av] = schemaList((a.items as Schema)?.prefixItems);
        const [bk, bv] = schemaList((b.items as Schema)?.prefixItems);
        out.push(...this.reasons(ak ?? {}, bk ?? {}, `${where} keys`));
        out.push(...this.reasons(av ?? {}, bv ?? {}, `${where} values`));
        break;
      }
      case "object":
        out.push(...this.#object(a, b, where));
        break;
    }
    return out;
  }

  #items(a: Schema, b: Schema, where: string): Reason[] {
    const ai = isRecord(a.items) ? a.items : {};
    const bi = isRecord(b.items) ? b.items : {};
    return this.reasons(ai, bi, where);
  }

  /**
   * A tuple or an argument array, element by element.
   *
   * @param a the old tuple
   * @param b the new tuple
   * @param name how element `i` is called (`parameter b`, `x[1]`)
   */
  tuple(a: Schema, b: Schema, name: (i: number) => string): Reason[] {
    const ai = schemaList(a.prefixItems);
    const bi = schemaList(b.prefixItems);
    const aMin = typeof a.minItems === "number" ? a.minItems : ai.length;
    const bMin = typeof b.minItems === "number" ? b.minItems : bi.length;
    const aMax = typeof a.maxItems === "number" ? a.maxItems : Infinity;
    const bMax = typeof b.maxItems === "number" ? b.maxItems : Infinity;
    const out: Reason[] = [];
    for (
      let i = aMin;
      i < Math.min(bMin, Math.max(ai.length, bi.length));
      i++
    ) {
      out.push([`${name(i)} is now required`, `${name(i)} is now optional`]);
    }
    for (let i = bMax; i < Math.min(aMax, ai.length); i++) {
      out.push([`${name(i)} was removed`, `${name(i)} was added`]);
    }
    for (let i = 0; i < Math.min(ai.length, bi.length); i++) {
      out.push(...this.reasons(ai[i], bi[i], name(i)));
    }
    if (isRecord(a.items) || isRecord(b.items)) {
      out.push(
        ...this.reasons(
          isRecord(a.items) ? a.items : {},
          isRecord(b.items) ? b.items : {},
          `${name(Math.max(ai.length, bi.length))}…`,
        ),
      );
    }
    return out;
  }

  #object(a: Schema, b: Schema, where: string): Reason[] {
    const ap = isRecord(a.properties) ? a.properties : {};
    const bp = isRecord(b.properties) ? b.properties : {};
    const aReq = new Set(Array.isArray(a.required) ? a.required : []);
    const bReq = new Set(Array.isArray(b.required) ? b.required : []);
    const out: Reason[] = [];
    for (const [key, bs] of Object.entries(bp)) {
      const at = `${where}.${key}`;
      if (bReq.has(key) && !aReq.has(key)) {
        out.push(
          key in ap
            ? [`${at} is now required`, `${at} is now optional`]
            : [`${at} was added, required`, `${at} was removed`],
        );
      }
      if (key in ap && isRecord(bs) && isRecord(ap[key])) {
        out.push(...this.reasons(ap[key] as Schema, bs, at));
      }
    }
    if (isRecord(b.additionalProperties) && isRecord(a.additionalProperties)) {
      out.push(
        ...this.reasons(
          a.additionalProperties,
          b.additionalProperties,
          `${where}[…]`,
        ),
      );
    }
    return out;
  }
}

/** A schema without annotations. */
function strip(s: Schema): Schema {
  const { title: _t, description: _d, default: _f, ...rest } = s;
  return rest;
}

/** The members of a union (`anyOf`, or `enum` values as `const`s). */
function members(s: Schema): Schema[] | undefined {
  if (Array.isArray(s.anyOf)) return schemaList(s.anyOf);
  if (Array.isArray(s.enum)) return s.enum.map((v) => ({ const: v }));
  return undefined;
}

function kind(s: Schema, defs: Schema): string {
  if (typeof s.$ref === "string") {
    const def = defs[refName(s.$ref)];
    return isRecord(def) ? kind(def, defs) : "ref";
  }
  if ("const" in s) return `literal ${typeof s.const}`;
  if (typeof s["x-type"] === "string") return s["x-type"];
  return typeof s.type === "string" ? s.type : "any";
}

function typeChange(a: Schema, b: Schema, where: string): Reason {
  const same = typeText(a) === typeText(b);
  const was = same ? String(a.type ?? a["x-type"]) : typeText(a);
  const now = same ? String(b.type ?? b["x-type"]) : typeText(b);
  return [
    `${where} is now ${now} (was ${was})`,
    `${where} is now ${was} (was ${now})`,
  ];
}

function valueChange(value: unknown, where: string): Reason {
  const v = JSON.stringify(value);
  return [
    `${where}: ${v} is no longer accepted`,
    `${where}: ${v} is now accepted`,
  ];
}

function ruleChanges(a: Schema, b: Schema, where: string): Reason[] {
  const out: Reason[] = [];
  const tighter = (key: string, x: unknown, y: unknown): boolean => {
    if (y === undefined) return false;
    if (x === undefined) return true;
    switch (key) {
      case "minimum":
      case "exclusiveMinimum":
      case "minLength":
      case "minItems":
        return (y as number) > (x as number);
      case "maximum":
      case "exclusiveMaximum":
      case "maxLength":
      case "maxItems":
        return (y as number) < (x as number);
      default:
        return x !== y;
    }
  };
  for (const key of RULE_KEYS) {
    if (tighter(key, a[key], b[key])) {
      const rule = `${key} ${JSON.stringify(b[key])}`;
      out.push([`${where} now has ${rule}`, `${where} no longer has ${rule}`]);
    }
  }
  return out;
}

/** A method of a service, as both versions describe it. */
export interface MethodSchemas {
  readonly kind: string;
  readonly args: JsonSchema;
  readonly result: JsonSchema;
}

/**
 * The changes of one method: callers of `old` calling a server of `now`.
 *
 * @param subject `Service.method`, for the messages
 * @param old the old method (its schemas self-contained)
 * @param now the new method, or `undefined` when it was removed
 * @returns the changes, breaking ones first
 */
export function methodChanges(
  subject: string,
  old: MethodSchemas,
  now: MethodSchemas | undefined,
): SchemaChange[] {
  if (now === undefined) {
    return [{ breaking: true, subject, message: "the method was removed" }];
  }
  if (now.kind !== old.kind) {
    return [{
      breaking: true,
      subject,
      message: `the method is now ${now.kind} (was ${old.kind})`,
    }];
  }
  const a = rooted(old.args);
  const b = rooted(now.args);
  const titles = (s: Schema) =>
    schemaList(s.prefixItems).map((p, i) =>
      typeof p.title === "string" ? p.title : `#${i + 1}`
    );
  const names = [
    ...titles(b.schema),
    ...titles(a.schema).slice(titles(b.schema).length),
  ];
  const param = (i: number) => `parameter ${names[i] ?? `#${i + 1}`}`;
  const forward = new Narrowing(a.defs, b.defs);
  const backward = new Narrowing(b.defs, a.defs);
  const breaking = forward.tuple(a.schema, b.schema, param).map((r) => r[0]);
  const widened = backward.tuple(b.schema, a.schema, param).map((r) => r[1]);
  const ra = rooted(old.result);
  const rb = rooted(now.result);
  breaking.push(
    ...new Narrowing(rb.defs, ra.defs).reasons(rb.schema, ra.schema, "result")
      .map((r) => r[1]),
  );
  widened.push(
    ...new Narrowing(ra.defs, rb.defs).reasons(ra.schema, rb.schema, "result")
      .map((r) => r[0]),
  );
  return changes(subject, breaking, widened, old, now);
}

/**
 * The changes of a message or params type read and written by both
 * versions: any narrowing either way breaks someone.
 *
 * @param subject the topic name or params namespace
 * @param old the old schema (self-contained)
 * @param now the new schema
 * @param what how the value is called in messages (`message`, a key)
 * @returns the changes
 */
export function valueChanges(
  subject: string,
  old: JsonSchema,
  now: JsonSchema,
  what: string,
): SchemaChange[] {
  const a = rooted(old);
  const b = rooted(now);
  const forward = new Narrowing(a.defs, b.defs).reasons(
    a.schema,
    b.schema,
    what,
  );
  const backward = new Narrowing(b.defs, a.defs).reasons(
    b.schema,
    a.schema,
    what,
  );
  return changes(
    subject,
    [...forward.map((r) => r[0]), ...backward.map((r) => r[1])],
    [],
    old,
    now,
  );
}

function changes(
  subject: string,
  breaking: string[],
  widened: string[],
  old: unknown,
  now: unknown,
): SchemaChange[] {
  const out: SchemaChange[] = [...new Set(breaking)].map((message) => ({
    breaking: true,
    subject,
    message,
  }));
  // What a change is about: `parameter q` of `parameter q was added`.
  const about = (m: string) => m.split(/ is | was | now |: /)[0];
  const broken = new Set(breaking.map(about));
  for (const message of new Set(widened)) {
    if (!broken.has(about(message))) {
      out.push({ breaking: false, subject, message });
    }
  }
  if (out.length === 0 && canonicalSchema(old) !== canonicalSchema(now)) {
    out.push({
      breaking: false,
      subject,
      message: "the schema changed compatibly",
    });
  }
  return out;
}

/**
 * Every change between two schema documents (`x.api.schema.json`), as
 * `zmp codegen --breaking` lists them.
 *
 * @example
 * ```ts
 * import { documentChanges } from "zmp/wire";
 * const args = (n: number) => ({
 *   type: "array",
 *   prefixItems: [{ title: "a", type: "number" }, { title: "b", type: "number" }],
 *   minItems: n,
 *   maxItems: 2,
 * });
 * const doc = (n: number) => ({
 *   services: { Calc: { methods: { add: { kind: "unary", args: args(n), result: { type: "number" } } } } },
 * });
 * const [change] = documentChanges(doc(1), doc(2));
 * console.log(change.subject, change.message); // Calc.add parameter b is now required
 * ```
 *
 * @param old the baseline document
 * @param now the current document
 * @returns the changes: breaking and compatible, per service method,
 *   topic and params group
 */
export function documentChanges(
  old: SchemaDocument,
  now: SchemaDocument,
): SchemaChange[] {
  const out: SchemaChange[] = [];
  const table = (d: SchemaDocument, k: "services" | "topics" | "params") =>
    isRecord(d[k]) ? d[k] as Record<string, Schema> : {};
  const self = (d: SchemaDocument, s: unknown): JsonSchema =>
    isRecord(s) ? withDefs(d, s) : {};
  const oldServices = table(old, "services");
  const newServices = table(now, "services");
  for (const [name, service] of Object.entries(oldServices)) {
    const before = isRecord(service.methods) ? service.methods : {};
    const after = isRecord(newServices[name]?.methods)
      ? newServices[name].methods as Schema
      : undefined;
    if (after === undefined) {
      out.push({
        breaking: true,
        subject: name,
        message: "the service was removed",
      });
      continue;
    }
    for (const [m, raw] of Object.entries(before)) {
      const method = (
        d: SchemaDocument,
        r: unknown,
      ): MethodSchemas | undefined =>
        isRecord(r)
          ? {
            kind: String(r.kind),
            args: self(d, r.args),
            result: self(d, r.result),
          }
          : undefined;
      out.push(
        ...methodChanges(
          `${name}.${m}`,
          method(old, raw)!,
          method(now, after[m]),
        ),
      );
    }
    for (const m of Object.keys(after)) {
      if (!(m in before)) {
        out.push({
          breaking: false,
          subject: `${name}.${m}`,
          message: "the method was added",
        });
      }
    }
  }
  for (const name of Object.keys(newServices)) {
    if (!(name in oldServices)) {
      out.push({
        breaking: false,
        subject: name,
        message: "the service was added",
      });
    }
  }
  for (
    const [section, field, what] of [
      ["topics", "message", "message"],
      ["params", "schema", "params"],
    ] as const
  ) {
    const before = table(old, section);
    const after = table(now, section);
    for (const [name, entry] of Object.entries(before)) {
      if (!(name in after)) {
        out.push({
          breaking: true,
          subject: name,
          message: `the ${section.slice(0, -1)} was removed`,
        });
        continue;
      }
      out.push(
        ...valueChanges(
          name,
          self(old, entry[field]),
          self(now, after[name][field]),
          what,
        ),
      );
    }
    for (const name of Object.keys(after)) {
      if (!(name in before)) {
        out.push({
          breaking: false,
          subject: name,
          message: `the ${section.slice(0, -1)} was added`,
        });
      }
    }
  }
  return out;
}
