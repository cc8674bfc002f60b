/**
 * Descriptors from a schema document: the `x.api.schema.json` codegen
 * writes is the one description of a definition file's services, topics
 * and params. A generated module imports it and asks these functions for
 * the descriptors the runtime consumes; their validators are the schemas,
 * compiled once ({@linkcode compileSchema}).
 *
 * @module
 */

import type {
  CodecName,
  MethodDescriptor,
  MethodKind,
  ParamDescriptor,
  ParamsDescriptor,
  ServiceDescriptor,
  TopicDescriptor,
} from "./descriptors.ts";
import { compileSchema, type JsonSchema } from "./json_schema.ts";
import { DEFS_PREFIX, isRecord, refName, schemaList } from "./_schema_text.ts";

/** What codegen writes to `x.api.schema.json` (as `JSON.parse` reads it). */
export interface SchemaDocument {
  /** The definition file, relative to its project. */
  readonly source?: string;
  /** Services by wire name. */
  readonly services?: Readonly<Record<string, unknown>>;
  /** Topics by name. */
  readonly topics?: Readonly<Record<string, unknown>>;
  /** Params groups by namespace. */
  readonly params?: Readonly<Record<string, unknown>>;
  /** Named types, by the name the user gave them. */
  readonly $defs?: Readonly<Record<string, unknown>>;
}

const CODECS: readonly string[] = ["msgpack", "superjson"];

function entry(
  doc: SchemaDocument,
  section: "services" | "topics" | "params",
  name: string,
): Record<string, unknown> {
  const table = doc[section];
  const found = isRecord(table) && Object.hasOwn(table, name)
    ? table[name]
    : undefined;
  if (!isRecord(found)) {
    throw new TypeError(
      `Cannot describe ${JSON.stringify(name)}: the schema document has no ${
        section.replace(/s$/, "")
      } of that name (regenerate with \`deno task codegen\`)`,
    );
  }
  return found;
}

function text(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function codec(value: unknown): CodecName {
  return CODECS.includes(value as string) ? value as CodecName : "msgpack";
}

/**
 * `schema` made self-contained: the `$defs` of the document it reaches
 * (transitively) put beside it, and nothing else.
 *
 * @param doc the schema document
 * @param schema a schema of the document (its `$ref`s point into `doc.$defs`)
 * @returns the schema with its `$defs`, or `schema` when it needs none
 */
export function withDefs(doc: SchemaDocument, schema: JsonSchema): JsonSchema {
  const all = isRecord(doc.$defs) ? doc.$defs : {};
  const defs: Record<string, unknown> = {};
  const pending: unknown[] = [schema];
  while (pending.length > 0) {
    const s = pending.pop();
    if (Array.isArray(s)) {
      pending.push(...s);
      continue;
    }
    if (!isRecord(s)) continue;
    for (const [key, value] of Object.entries(s)) {
      if (key === "$ref" && typeof value === "string") {
        const name = refName(value);
        if (
          value.startsWith(DEFS_PREFIX) && !Object.hasOwn(defs, name) &&
          Object.hasOwn(all, name)
        ) {
          defs[name] = all[name];
          pending.push(all[name]);
        }
      } else if (key !== "const" && key !== "enum" && key !== "default") {
        pending.push(value);
      }
    }
  }
  if (Object.keys(defs).length === 0) return schema;
  const sorted = Object.fromEntries(
    Object.keys(defs).sort().map((k) => [k, defs[k]]),
  );
  return { ...schema, $defs: sorted };
}

/**
 * The descriptor of a service, from its entry in a schema document.
 *
 * @example
 * ```ts
 * import { serviceFromSchema } from "zmp";
 * const doc = {
 *   services: {
 *     Echo: {
 *       typeName: "Echo",
 *       codec: "msgpack",
 *       methods: {
 *         echo: {
 *           kind: "unary",
 *           idempotent: true,
 *           args: { type: "array", prefixItems: [{ title: "text", type: "string" }], minItems: 1, maxItems: 1 },
 *           result: { type: "string" },
 *         },
 *       },
 *     },
 *   },
 * };
 * const Echo = serviceFromSchema(doc, "Echo");
 * console.log(Echo.methods.echo.params); // ["text"]
 * ```
 *
 * @param doc the schema document (`import schema from "./x.api.schema.json"
 *   with { type: "json" }`)
 * @param name the service's wire name
 * @returns the descriptor; its validators are the schemas, compiled
 * @throws {TypeError} when the document has no such service, or a schema
 *   cannot be compiled
 */
export function serviceFromSchema<T>(
  doc: SchemaDocument,
  name: string,
): ServiceDescriptor<T> {
  const s = entry(doc, "services", name);
  const methods: Record<string, MethodDescriptor> = {};
  const table = isRecord(s.methods) ? s.methods : {};
  for (const [m, raw] of Object.entries(table)) {
    if (!isRecord(raw)) continue;
    const argsSchema = withDefs(doc, isRecord(raw.args) ? raw.args : {});
    const resultSchema = withDefs(doc, isRecord(raw.result) ? raw.result : {});
    const items = schemaList(argsSchema.prefixItems);
    const doc_ = text(raw.description);
    methods[m] = {
      name: m,
      kind: (raw.kind === "stream" ? "stream" : "unary") as MethodKind,
      idempotent: raw.idempotent === true,
      params: items.map((p, i) => text(p.title) ?? `arg${i}`),
      requiredParams: typeof argsSchema.minItems === "number"
        ? argsSchema.minItems
        : items.length,
      validateArgs: compileSchema(argsSchema).validate,
      validateResult: compileSchema(resultSchema).validate,
      argsSchema,
      resultSchema,
      ...(doc_ ? { doc: doc_ } : {}),
    };
  }
  const description = text(s.description);
  const hash = text(s.hash);
  return {
    name,
    codec: codec(s.codec),
    methods,
    source: text(doc.source) ?? "",
    ...(hash ? { hash } : {}),
    ...(description ? { doc: description } : {}),
  };
}

/**
 * The descriptor of a topic, from its entry in a schema document.
 *
 * @param doc the schema document
 * @param name the topic name
 * @returns the descriptor
 * @throws {TypeError} when the document has no such topic
 */
export function topicFromSchema<T>(
  doc: SchemaDocument,
  name: string,
): TopicDescriptor<T> {
  const t = entry(doc, "topics", name);
  const schema = withDefs(doc, isRecord(t.message) ? t.message : {});
  const description = text(t.description);
  const hash = text(t.hash);
  return {
    name,
    typeName: text(t.typeName) ?? "",
    codec: codec(t.codec),
    validate: compileSchema(schema).validate,
    schema,
    source: text(doc.source) ?? "",
    ...(hash ? { hash } : {}),
    ...(description ? { doc: description } : {}),
  };
}

/**
 * The descriptor of a params group, from its entry in a schema document:
 * one key per property of the group's object type, with its schema, its
 * JSDoc summary and its `@default`.
 *
 * @param doc the schema document
 * @param namespace the group's namespace
 * @returns the descriptor
 * @throws {TypeError} when the document has no such group
 */
export function paramsFromSchema<T>(
  doc: SchemaDocument,
  namespace: string,
): ParamsDescriptor<T> {
  const g = entry(doc, "params", namespace);
  const schema = withDefs(doc, isRecord(g.schema) ? g.schema : {});
  const object = follow(doc, schema);
  const properties = isRecord(object.properties) ? object.properties : {};
  const required = Array.isArray(object.required) ? object.required : [];
  const keys: Record<string, ParamDescriptor> = {};
  for (const [key, raw] of Object.entries(properties)) {
    if (!isRecord(raw)) continue;
    const s = withDefs(doc, raw);
    const description = text(raw.description);
    keys[key] = {
      name: key,
      optional: !required.includes(key),
      validate: compileSchema(s).validate,
      schema: s,
      ...("default" in raw ? { default: raw.default } : {}),
      ...(description ? { doc: description } : {}),
    };
  }
  const hash = text(g.hash);
  return {
    namespace,
    typeName: text(g.typeName) ?? "",
    keys: keys as ParamsDescriptor<T>["keys"],
    validate: compileSchema(schema).validate,
    schema,
    source: text(doc.source) ?? "",
    ...(hash ? { hash } : {}),
  };
}

/** Follows `$ref`s into the document's `$defs` (a few hops at most). */
function follow(doc: SchemaDocument, schema: JsonSchema): JsonSchema {
  const defs = isRecord(doc.$defs) ? doc.$defs : {};
  let s = schema;
  for (let hops = 0; typeof s.$ref === "string" && hops < 32; hops++) {
    const next = defs[refName(s.$ref)];
    if (!isRecord(next)) break;
    s = next;
  }
  return s;
}
