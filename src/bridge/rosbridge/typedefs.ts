/**
 * ROS message details (`rosapi/message_details`) built from the JSON
 * Schemas that zmp nodes registered: the ROS types of `names.ts`, with
 * fields typed as rosbridge clients see them in JSON.
 *
 * | JSON Schema | ROS field type |
 * | --- | --- |
 * | `string` (and `Date`, an ISO string) | `string` |
 * | `number` | `float64` |
 * | `integer`, `bigint` | `int64` |
 * | `boolean` | `bool` |
 * | `Uint8Array` (base64, as rosbridge sends `uint8[]`) | `uint8[]` |
 * | `T[]` | `T[]` |
 * | a named type (`$ref`) | `zmp/Name` |
 * | an inline object | `zmp/<Parent>_<field>` |
 * | anything else (unions, maps, literals) | `string` |
 *
 * @module
 */

import type { NodeInfo } from "../../registry/types.ts";
import { liveServices, liveTopics } from "../_descriptors.ts";
import { rosServiceType, rosTypeName } from "./names.ts";

type Schema = Record<string, unknown>;

/** One message type, as rosapi describes it. */
export interface TypeDef {
  type: string;
  fieldnames: string[];
  fieldtypes: string[];
  fieldarraylen: number[];
  examples: string[];
  constnames: string[];
  constvalues: string[];
}

interface Entry {
  schema: Schema;
  defs: Record<string, Schema>;
}

/** Every ROS type the live system has, by name. */
export class TypeCatalog {
  readonly #entries = new Map<string, Entry>();

  /**
   * Collects the types of the live topics and service methods.
   *
   * @param nodes the live nodes
   */
  constructor(nodes: readonly NodeInfo[]) {
    for (const topic of liveTopics(nodes).values()) {
      if (topic.schema === undefined) continue;
      this.#add(rosTypeName(topic.typeName), topic.schema);
    }
    for (const { entry } of liveServices(nodes).values()) {
      for (const m of entry.methods ?? []) {
        const type = rosServiceType(entry.name, m.name);
        const items = (m.args.prefixItems ?? []) as Schema[];
        const properties: Record<string, Schema> = {};
        m.params.forEach((p, i) => properties[p] = items[i] ?? {});
        const defs = (m.args.$defs ?? {}) as Record<string, Schema>;
        this.#add(`${type}Request`, {
          type: "object",
          properties,
          required: m.params.slice(0, m.requiredParams),
          $defs: defs,
        });
        this.#add(`${type}Response`, {
          type: "object",
          properties: { result: m.result },
          required: ["result"],
          $defs: (m.result.$defs ?? {}) as Record<string, Schema>,
        });
      }
    }
  }

  #add(name: string, schema: Schema): void {
    const defs = (schema.$defs ?? {}) as Record<string, Schema>;
    if (!this.#entries.has(name)) {
      this.#entries.set(name, { schema: resolve(schema, defs), defs });
    }
    for (const [defName, def] of Object.entries(defs)) {
      const ros = rosTypeName(defName);
      if (!this.#entries.has(ros)) {
        this.#entries.set(ros, { schema: def, defs });
      }
    }
  }

  /** Whether the type exists. */
  has(type: string): boolean {
    return this.#entries.has(type);
  }

  /**
   * The type's details: its own typedef first, then those of every type
   * its fields use.
   *
   * @param type e.g. `zmp/Greeting`
   * @returns the typedefs, or `undefined` for an unknown type
   */
  details(type: string): TypeDef[] | undefined {
    if (!this.#entries.has(type)) return undefined;
    const out: TypeDef[] = [];
    const queue = [type];
    const seen = new Set(queue);
    while (queue.length > 0) {
      const name = queue.shift()!;
      const entry = this.#entries.get(name)!;
      const def: TypeDef = {
        type: name,
        fieldnames: [],
        fieldtypes: [],
        fieldarraylen: [],
        examples: [],
        constnames: [],
        constvalues: [],
      };
      const props = (entry.schema.properties ?? {}) as Record<string, Schema>;
      for (const [field, raw] of Object.entries(props)) {
        let schema = resolveWith(raw, entry.defs);
        let arrayLen = -1;
        let nestedName: string | undefined;
        if (schema["x-type"] === "Uint8Array") {
          def.fieldnames.push(field);
          def.fieldtypes.push("uint8");
          def.fieldarraylen.push(0);
          def.examples.push("[]");
          continue;
        }
        if (schema.type === "array" && schema.items !== undefined) {
          arrayLen = 0;
          const items = schema.items as Schema;
          nestedName = refName(items);
          schema = resolveWith(items, entry.defs);
        } else nestedName = refName(raw);
        let fieldType = scalarType(schema);
        if (fieldType === undefined) {
          const nested = nestedName === undefined
            ? `${name}_${field}`
            : rosTypeName(nestedName);
          if (!this.#entries.has(nested)) {
            this.#entries.set(nested, { schema, defs: entry.defs });
          }
          if (!seen.has(nested)) {
            seen.add(nested);
            queue.push(nested);
          }
          fieldType = nested;
        }
        def.fieldnames.push(field);
        def.fieldtypes.push(fieldType);
        def.fieldarraylen.push(arrayLen);
        def.examples.push(arrayLen === 0 ? "[]" : example(fieldType));
      }
      out.push(def);
    }
    return out;
  }
}

function refName(schema: Schema): string | undefined {
  return typeof schema.$ref === "string"
    ? schema.$ref.replace("#/$defs/", "")
    : undefined;
}

function resolve(schema: Schema, defs: Record<string, Schema>): Schema {
  return resolveWith(schema, defs);
}

function resolveWith(schema: Schema, defs: Record<string, Schema>): Schema {
  let s = schema;
  for (let i = 0; i < 32 && typeof s.$ref === "string"; i++) {
    s = defs[s.$ref.replace("#/$defs/", "")] ?? {};
  }
  return s;
}

/** The ROS type of a scalar schema; `undefined` for an object. */
function scalarType(schema: Schema): string | undefined {
  if (schema.type === "object" || schema.properties !== undefined) {
    return schema.additionalProperties !== undefined &&
        schema.properties === undefined
      ? "string"
      : undefined;
  }
  if (schema["x-type"] === "bigint" || schema.type === "integer") {
    return "int64";
  }
  if (schema.type === "number") return "float64";
  if (schema.type === "boolean") return "bool";
  return "string";
}

function example(type: string): string {
  if (type === "string") return "";
  if (type === "bool") return "False";
  if (type === "float64" || type === "int64") return "0";
  return "{}";
}

/**
 * Type names for the request and response of a method.
 *
 * @param service the zmp service
 * @param method the method
 * @returns `zmp/Service_methodRequest` and `…Response`
 */
export function serviceMessageTypes(
  service: string,
  method: string,
): { request: string; response: string } {
  const type = rosServiceType(service, method);
  return { request: `${type}Request`, response: `${type}Response` };
}
