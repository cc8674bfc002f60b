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

import type { FileModel, Method, TypeNode } from "./model.ts";

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
    case "ref":
      return { $ref: `#/$defs/${node.name}` };
    case "array":
      return { type: "array", items: schemaOf(node.element) };
    case "tuple":
      return {
        type: "array",
        prefixItems: node.elements.map((e) => schemaOf(e.type)),
        minItems: node.elements.filter((e) => !e.optional).length,
        maxItems: node.elements.length,
      };
    case "object": {
      const properties: Schema = {};
      const required: string[] = [];
      for (const p of node.properties) {
        const s = schemaOf(p.type);
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
      const members = node.members.filter((m) => m.kind !== "undefined");
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

/** Whether a type accepts `undefined` (so a property of it may be absent). */
function allowsUndefined(node: TypeNode): boolean {
  return node.kind === "undefined" || node.kind === "void" ||
    (node.kind === "union" && node.members.some(allowsUndefined));
}

/** `$defs` for every named type of the model, in name order. */
export function defsOf(model: FileModel): Schema {
  const defs: Schema = {};
  for (const t of model.types) {
    const s = schemaOf(t.type);
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
      ...schemaOf(p.type),
    })),
    minItems: method.params.filter((p) => !p.optional).length,
    maxItems: method.params.length,
  };
}

/** Whether a schema contains a `$ref` (and so needs `$defs` beside it). */
export function hasRef(schema: unknown): boolean {
  if (Array.isArray(schema)) return schema.some(hasRef);
  if (schema === null || typeof schema !== "object") return false;
  return Object.entries(schema).some(([k, v]) => k === "$ref" || hasRef(v));
}

/**
 * The `x.api.schema.json` document: `$defs` for named types, plus the
 * services' argument and result schemas, topics and params groups.
 *
 * @param model the file model
 * @param comment the `$comment` (who generated it and how to regenerate)
 * @returns JSON text (not yet formatted)
 */
export function emitSchemaFile(model: FileModel, comment: string): string {
  const doc = (d: string | undefined) => (d ? { description: d } : {});
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
    services[s.wireName] = { codec: s.codec, ...doc(s.doc), methods };
  }
  const topics: Schema = {};
  for (const t of model.topics) {
    topics[t.topic] = {
      codec: t.codec,
      ...doc(t.doc),
      message: schemaOf({ kind: "ref", name: t.typeName }),
    };
  }
  const params: Schema = {};
  for (const g of model.params) {
    params[g.namespace] = {
      ...doc(g.doc),
      schema: schemaOf({ kind: "ref", name: g.typeName }),
    };
  }
  const document = {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $comment: comment,
    services,
    topics,
    params,
    $defs: defsOf(model),
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}
