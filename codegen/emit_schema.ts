/**
 * JSON Schema emitter (draft 2020-12): model types → schema objects, and
 * the `x.api.schema.json` document of a whole file.
 *
 * Schemas describe values as JSON shows them (what the HTTP gateway and
 * the superjson codec expose). Types JSON lacks are marked with `x-type`:
 * `bigint` is an integer, `Date` an ISO string, `Uint8Array` a base64
 * string, `Map` an array of `[key, value]` pairs, `Set` an array of unique
 * items. Named types live in `$defs` and are referenced with `$ref`.
 *
 * @module
 */

import type { Constraints, FileModel, Method, TypeNode } from "./model.ts";
import { refTo } from "../src/wire/_schema_text.ts";
import { withDefs } from "../src/wire/schema_document.ts";
import { schemaHash } from "../src/wire/schema_hash.ts";

/** A JSON Schema object. */
export type Schema = { [key: string]: unknown };

/** The schema of a type; named types become `$ref`s into `#/$defs`. */
export function schemaOf(node: TypeNode): Schema {
  switch (node.kind) {
    case "string":
    case "number":
    case "boolean":
    case "null":
      return { type: node.kind };
    case "bigint":
      return { type: "integer", "x-type": "bigint" };
    case "undefined":
      return { not: {}, "x-type": "undefined" };
    case "void":
    case "unknown":
      return {};
    case "date":
      return { type: "string", format: "date-time", "x-type": "Date" };
    case "bytes":
      return {
        type: "string",
        contentEncoding: "base64",
        "x-type": "Uint8Array",
      };
    case "literal":
      return { const: node.value };
    case "template":
      return { type: "string", pattern: node.pattern };
    case "ref":
      return { $ref: refTo(node.name) };
    case "array":
      return { type: "array", items: schemaOf(node.element) };
    case "tuple":
      return {
        type: "array",
        prefixItems: node.elements.map((e) => schemaOf(e.type)),
        minItems: node.elements.filter((e) => !e.optional).length,
        ...(node.rest
          ? { items: schemaOf(node.rest) }
          : { maxItems: node.elements.length }),
      };
    case "object": {
      const properties: Schema = {};
      const required: string[] = [];
      for (const p of node.properties) {
        // An absent property stands for `undefined`: not in the schema.
        const s = withConstraints(schemaOf(definedOf(p.type)), p.constraints);
        properties[p.name] = p.doc ? { ...s, description: p.doc } : s;
        if (!p.optional && !allowsUndefined(p.type)) required.push(p.name);
      }
      return {
        type: "object",
        ...(node.properties.length ? { properties } : {}),
        ...(required.length ? { required } : {}),
        ...(node.index ? { additionalProperties: schemaOf(node.index) } : {}),
      };
    }
    case "map":
      return {
        type: "array",
        items: {
          type: "array",
          prefixItems: [schemaOf(node.key), schemaOf(node.value)],
          minItems: 2,
          maxItems: 2,
        },
        "x-type": "Map",
      };
    case "set":
      return {
        type: "array",
        items: schemaOf(node.element),
        uniqueItems: true,
        "x-type": "Set",
      };
    case "union": {
      const members = node.members;
      if (members.length === 1) return schemaOf(members[0]);
      if (members.every((m) => m.kind === "literal")) {
        return {
          enum: members.map((m) => (m.kind === "literal" ? m.value : null)),
        };
      }
      return { anyOf: members.map(schemaOf) };
    }
  }
}

/**
 * A schema with JSDoc constraints added: keywords as they are, `@integer`
 * as `type: "integer"` on a number (else `multipleOf: 1`).
 *
 * @param schema the schema of the annotated type
 * @param constraints the constraints, if any
 * @returns the schema with them
 */
export function withConstraints(
  schema: Schema,
  constraints: Constraints | undefined,
): Schema {
  if (!constraints) return schema;
  const { integer, ...keywords } = constraints;
  const out: Schema = { ...schema, ...keywords };
  if (integer === true) {
    if (out.type === "number") out.type = "integer";
    else out.multipleOf = 1;
  }
  return out;
}

/** A type without its `undefined` members. */
function definedOf(node: TypeNode): TypeNode {
  if (node.kind !== "union") return node;
  const kept = node.members.filter((m) => m.kind !== "undefined");
  return kept.length === 1 ? kept[0] : { kind: "union", members: kept };
}

/** Whether a type accepts `undefined` (so a property of it may be absent). */
function allowsUndefined(node: TypeNode): boolean {
  return node.kind === "undefined" || node.kind === "void" ||
    node.kind === "unknown" ||
    (node.kind === "union" && node.members.some(allowsUndefined));
}

/** `$defs` for every named type of the model, in name order. */
export function defsOf(model: FileModel): Schema {
  const defs: Schema = {};
  for (const t of model.types) {
    const s = withConstraints(schemaOf(t.type), t.constraints);
    defs[t.name] = {
      title: t.name,
      ...(t.doc ? { description: t.doc } : {}),
      ...s,
    };
  }
  return defs;
}

/** The schema of a method's argument array. */
export function argsSchemaOf(method: Method): Schema {
  return {
    type: "array",
    prefixItems: method.params.map((p) => ({
      title: p.name,
      ...withConstraints(schemaOf(p.type), p.constraints),
    })),
    minItems: method.params.filter((p) => !p.optional).length,
    maxItems: method.params.length,
  };
}

/**
 * The schema document of a file, as data: `$defs` for named types, plus
 * services (with their methods' argument and result schemas), topics and
 * params groups, each with the stable hash of its schemas.
 *
 * @param model the file model
 * @param comment the `$comment` (who generated it and how to regenerate)
 * @returns the document
 */
export function schemaDocument(model: FileModel, comment: string): Schema {
  const doc = (d: string | undefined) => (d ? { description: d } : {});
  const $defs = defsOf(model);
  const hashed = (s: Schema) => schemaHash(withDefs({ $defs }, s));
  const services: Schema = {};
  for (const s of model.services) {
    const methods: Schema = {};
    for (const m of s.methods) {
      methods[m.name] = {
        kind: m.kind,
        idempotent: m.idempotent,
        ...doc(m.doc),
        args: argsSchemaOf(m),
        result: schemaOf(m.result),
      };
    }
    services[s.wireName] = {
      typeName: s.typeName,
      codec: s.codec,
      hash: hashed({ methods }),
      ...doc(s.doc),
      methods,
    };
  }
  const topics: Schema = {};
  for (const t of model.topics) {
    const message = schemaOf({ kind: "ref", name: t.typeName });
    topics[t.topic] = {
      typeName: t.typeName,
      codec: t.codec,
      hash: hashed(message),
      ...doc(t.doc),
      message,
    };
  }
  const params: Schema = {};
  for (const g of model.params) {
    const schema = schemaOf({ kind: "ref", name: g.typeName });
    params[g.namespace] = {
      typeName: g.typeName,
      hash: hashed(schema),
      ...doc(g.doc),
      schema,
    };
  }
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $comment: comment,
    source: model.source,
    services,
    topics,
    params,
    $defs,
  };
}

/**
 * The `x.api.schema.json` text: {@linkcode schemaDocument} as JSON, small
 * values kept on one line.
 *
 * @param model the file model
 * @param comment the `$comment`
 * @returns JSON text (not yet formatted)
 */
export function emitSchemaFile(model: FileModel, comment: string): string {
  return `${compactJson(schemaDocument(model, comment), 0)}\n`;
}

/** Width a value may take on one line before it is broken up. */
const LINE = 72;

function compactJson(value: unknown, indent: number): string {
  const flat = JSON.stringify(value);
  if (
    value === null || typeof value !== "object" ||
    flat.length + indent <= LINE
  ) {
    return flat;
  }
  const pad = " ".repeat(indent + 2);
  const close = " ".repeat(indent);
  if (Array.isArray(value)) {
    const items = value.map((v) => pad + compactJson(v, indent + 2));
    return `[\n${items.join(",\n")}\n${close}]`;
  }
  const entries = Object.entries(value).map(([k, v]) =>
    `${pad}${JSON.stringify(k)}: ${compactJson(v, indent + 2)}`
  );
  return `{\n${entries.join(",\n")}\n${close}}`;
}
