/**
 * ROS 1 messages and zmp values, side by side: the JSON Schema of a ROS
 * message (what `zmp ros types` writes as TypeScript), the check that a
 * zmp type lines up with a ROS type field by field, and the conversion of
 * values both ways.
 *
 * How ROS field types meet zmp types:
 *
 * | ROS | zmp (TypeScript) |
 * | --- | --- |
 * | `bool` | `boolean` |
 * | `int8`…`uint32`, `float32`, `float64`, `byte`, `char` | `number` |
 * | `int64`, `uint64` | `bigint` (or `number`, converted) |
 * | `string` | `string` |
 * | `time`, `duration` | `{ sec: number; nsec: number }` |
 * | `uint8[]`, `char[]` | `Uint8Array` (or `number[]`) |
 * | `T[]`, `T[N]` | `T[]` |
 * | `pkg/Msg` | an interface with the same fields |
 *
 * A ROS field must be a property of the zmp type; a required zmp property
 * must be a ROS field; optional zmp properties missing from a message are
 * sent to ROS as the field type's zero value.
 *
 * @module
 */

import type {
  MessageDefinition,
  MessageDefinitionField,
  RosMessageType,
} from "./ros_types.ts";

/** A JSON Schema as codegen emits it. */
export type Schema = Record<string, unknown>;

const INTEGERS = new Set([
  "int8",
  "uint8",
  "int16",
  "uint16",
  "int32",
  "uint32",
  "byte",
  "char",
]);
const BIG = new Set(["int64", "uint64"]);
const FLOATS = new Set(["float32", "float64"]);

/** The TypeScript name `zmp ros types` gives a ROS type: `StdMsgsString`. */
export function tsTypeName(rosType: string): string {
  return rosType.split(/[^A-Za-z0-9]+/).filter((p) => p !== "").map((p) =>
    p[0].toUpperCase() + p.slice(1)
  ).join("");
}

/** One field that does not line up. */
export interface MappingIssue {
  /** Where: `data`, `pose.position.x`. */
  path: string;
  /** What is wrong. */
  problem: string;
}

/**
 * Checks that a zmp schema and a ROS message line up field by field.
 *
 * @param schema the zmp JSON Schema (with its `$defs`)
 * @param type the ROS message type
 * @returns one issue per field that does not line up (empty when they do)
 */
export function checkMapping(
  schema: Schema,
  type: RosMessageType,
): MappingIssue[] {
  const issues: MappingIssue[] = [];
  const defs = (schema.$defs ?? {}) as Record<string, Schema>;
  checkMessage(
    resolve(schema, defs),
    type.definitions[0],
    type.definitions,
    defs,
    "",
    issues,
  );
  return issues;
}

/**
 * Checks one value's schema against one ROS field type.
 *
 * @param schema the zmp schema of the value (e.g. a method's result)
 * @param field the ROS field
 * @param type the ROS message the field belongs to (for nested types)
 * @param path where, in issues
 * @returns the issues
 */
export function checkField(
  schema: Schema,
  field: MessageDefinitionField,
  type: RosMessageType,
  path: string,
): MappingIssue[] {
  const issues: MappingIssue[] = [];
  const defs = (schema.$defs ?? {}) as Record<string, Schema>;
  checkValue(
    resolve(schema, defs),
    field,
    type.definitions,
    defs,
    path,
    issues,
  );
  return issues;
}

function resolve(schema: Schema, defs: Record<string, Schema>): Schema {
  let s = schema;
  for (let i = 0; i < 32 && typeof s.$ref === "string"; i++) {
    s = defs[s.$ref.replace("#/$defs/", "")] ?? {};
  }
  return s;
}

/** The object schema's properties, including those of `allOf` members. */
function properties(
  schema: Schema,
  defs: Record<string, Schema>,
): { props: Record<string, Schema>; required: Set<string> } {
  const props: Record<string, Schema> = {};
  const required = new Set<string>();
  const visit = (s: Schema) => {
    Object.assign(props, (s.properties ?? {}) as Record<string, Schema>);
    for (const r of (s.required ?? []) as string[]) required.add(r);
    for (const part of (s.allOf ?? []) as Schema[]) visit(resolve(part, defs));
  };
  visit(schema);
  return { props, required };
}

function checkMessage(
  schema: Schema,
  def: MessageDefinition,
  all: MessageDefinition[],
  defs: Record<string, Schema>,
  path: string,
  issues: MappingIssue[],
): void {
  if (schema.type !== "object" && schema.properties === undefined) {
    issues.push({
      path: path || "(message)",
      problem: `ROS ${def.name ?? "message"} is a message, zmp has ${
        describeSchema(schema)
      }`,
    });
    return;
  }
  const { props, required } = properties(schema, defs);
  const fields = def.definitions.filter((f) => !f.isConstant);
  for (const field of fields) {
    const at = path ? `${path}.${field.name}` : field.name;
    const prop = props[field.name];
    if (prop === undefined) {
      issues.push({
        path: at,
        problem: `ROS field ${rosFieldText(field)} has no zmp property`,
      });
      continue;
    }
    checkValue(resolve(prop, defs), field, all, defs, at, issues);
  }
  for (const name of required) {
    if (!fields.some((f) => f.name === name)) {
      issues.push({
        path: path ? `${path}.${name}` : name,
        problem: `required zmp property is not a field of ROS ${
          def.name ?? "message"
        }`,
      });
    }
  }
}

function checkValue(
  schema: Schema,
  field: MessageDefinitionField,
  all: MessageDefinition[],
  defs: Record<string, Schema>,
  path: string,
  issues: MappingIssue[],
): void {
  const mismatch = () =>
    issues.push({
      path,
      problem: `ROS ${rosFieldText(field)}, zmp ${describeSchema(schema)}`,
    });
  if (field.isArray) {
    if (field.type === "uint8" && schema["x-type"] === "Uint8Array") return;
    if (schema.type !== "array") return void mismatch();
    const items = resolve((schema.items ?? {}) as Schema, defs);
    checkValue(
      items,
      { ...field, isArray: false },
      all,
      defs,
      `${path}[]`,
      issues,
    );
    return;
  }
  if (field.isComplex) {
    const nested = all.find((d) => d.name === field.type);
    if (nested === undefined) return void mismatch();
    checkMessage(schema, nested, all, defs, path, issues);
    return;
  }
  const t = field.type;
  const ok = t === "bool"
    ? schema.type === "boolean"
    : t === "string"
    ? schema.type === "string" && schema["x-type"] === undefined
    : INTEGERS.has(t) || FLOATS.has(t)
    ? (schema.type === "number" || schema.type === "integer") &&
      schema["x-type"] === undefined
    : BIG.has(t)
    ? schema.type === "number" || schema["x-type"] === "bigint"
    : t === "time" || t === "duration"
    ? timeLike(schema, defs)
    : false;
  if (!ok) mismatch();
}

function timeLike(schema: Schema, defs: Record<string, Schema>): boolean {
  const { props } = properties(schema, defs);
  return resolve(props.sec ?? {}, defs).type === "number" &&
    resolve(props.nsec ?? {}, defs).type === "number";
}

function rosFieldText(field: MessageDefinitionField): string {
  const array = field.isArray ? `[${field.arrayLength ?? ""}]` : "";
  return `${field.type}${array} ${field.name}`;
}

function describeSchema(schema: Schema): string {
  if (typeof schema["x-type"] === "string") return schema["x-type"];
  if (schema.type === "array") return "an array";
  if (schema.type === "object" || schema.properties) return "an object";
  if (typeof schema.type === "string") return schema.type;
  if (schema.anyOf) return "a union";
  if ("const" in schema) return `the literal ${JSON.stringify(schema.const)}`;
  return "an unconstrained type";
}

/**
 * The JSON Schema of a ROS message: one `$defs` entry per message type,
 * named by {@linkcode tsTypeName}.
 *
 * @param type the ROS message type
 * @returns `{ $ref, $defs }`
 */
export function rosSchema(type: RosMessageType): Schema {
  const defs: Record<string, Schema> = {};
  for (const def of type.definitions) {
    const name = def.name ?? type.name;
    defs[tsTypeName(name)] = messageSchema(def);
  }
  return { $ref: `#/$defs/${tsTypeName(type.name)}`, $defs: defs };
}

function messageSchema(def: MessageDefinition): Schema {
  const properties: Record<string, Schema> = {};
  const fields = def.definitions.filter((f) => !f.isConstant);
  for (const f of fields) properties[f.name] = fieldSchema(f);
  return {
    title: tsTypeName(def.name ?? ""),
    type: "object",
    properties,
    required: fields.map((f) => f.name),
  };
}

function fieldSchema(f: MessageDefinitionField): Schema {
  if (f.isArray) {
    if (f.type === "uint8") {
      return {
        type: "string",
        contentEncoding: "base64",
        "x-type": "Uint8Array",
      };
    }
    const items = fieldSchema({ ...f, isArray: false });
    return f.arrayLength === undefined ? { type: "array", items } : {
      type: "array",
      items,
      minItems: f.arrayLength,
      maxItems: f.arrayLength,
    };
  }
  if (f.isComplex) return { $ref: `#/$defs/${tsTypeName(f.type)}` };
  if (f.type === "bool") return { type: "boolean" };
  if (f.type === "string") return { type: "string" };
  if (BIG.has(f.type)) return { type: "integer", "x-type": "bigint" };
  if (f.type === "time" || f.type === "duration") {
    return {
      type: "object",
      properties: { sec: { type: "number" }, nsec: { type: "number" } },
      required: ["sec", "nsec"],
    };
  }
  return { type: "number" };
}

/**
 * A message read from ROS as the zmp value `schema` describes: plain
 * objects, arrays instead of typed arrays (but `Uint8Array` where zmp
 * wants one), `bigint` or `number` for 64-bit integers as zmp wants.
 *
 * @param type the ROS message type
 * @param message what `@foxglove/rosmsg-serialization` read
 * @param schema the zmp schema
 * @returns the zmp value
 */
export function toZmp(
  type: RosMessageType,
  message: unknown,
  schema: Schema,
): unknown {
  const defs = (schema.$defs ?? {}) as Record<string, Schema>;
  return messageToZmp(
    type.definitions[0],
    type.definitions,
    message,
    resolve(schema, defs),
    defs,
  );
}

/**
 * One field's value read from ROS as the zmp value `schema` describes.
 *
 * @param field the ROS field
 * @param type the ROS message the field belongs to
 * @param value the value read
 * @param schema the zmp schema of the value
 * @returns the zmp value
 */
export function fieldToZmp(
  field: MessageDefinitionField,
  type: RosMessageType,
  value: unknown,
  schema: Schema,
): unknown {
  const defs = (schema.$defs ?? {}) as Record<string, Schema>;
  return valueToZmp(
    field,
    type.definitions,
    value,
    resolve(schema, defs),
    defs,
  );
}

function messageToZmp(
  def: MessageDefinition,
  all: MessageDefinition[],
  message: unknown,
  schema: Schema,
  defs: Record<string, Schema>,
): Record<string, unknown> {
  const { props } = properties(schema, defs);
  const source = (message ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const f of def.definitions) {
    if (f.isConstant) continue;
    const prop = resolve(props[f.name] ?? {}, defs);
    out[f.name] = valueToZmp(f, all, source[f.name], prop, defs);
  }
  return out;
}

function valueToZmp(
  f: MessageDefinitionField,
  all: MessageDefinition[],
  value: unknown,
  schema: Schema,
  defs: Record<string, Schema>,
): unknown {
  if (f.isArray) {
    if (f.type === "uint8" && schema["x-type"] === "Uint8Array") {
      return value instanceof Uint8Array
        ? value
        : Uint8Array.from(value as number[]);
    }
    const items = resolve((schema.items ?? {}) as Schema, defs);
    const single = { ...f, isArray: false };
    return Array.from(
      value as ArrayLike<unknown>,
      (v) => valueToZmp(single, all, v, items, defs),
    );
  }
  if (f.isComplex) {
    const nested = all.find((d) => d.name === f.type);
    return nested === undefined
      ? value
      : messageToZmp(nested, all, value, schema, defs);
  }
  if (BIG.has(f.type)) {
    return schema["x-type"] === "bigint"
      ? BigInt(value as bigint)
      : Number(value);
  }
  if (f.type === "time" || f.type === "duration") {
    const t = value as { sec: number; nsec: number };
    return { sec: t.sec, nsec: t.nsec };
  }
  return value;
}

/**
 * A zmp value as the message `@foxglove/rosmsg-serialization` writes:
 * missing (optional) fields become zero values, numbers become `bigint`
 * for 64-bit integers.
 *
 * @param type the ROS message type
 * @param value the zmp value (already validated against its schema)
 * @returns the message to write
 */
export function toRos(
  type: RosMessageType,
  value: unknown,
): Record<string, unknown> {
  return messageToRos(type.definitions[0], type.definitions, value);
}

/**
 * One zmp value as the ROS field `field` holds it.
 *
 * @param field the ROS field
 * @param type the ROS message the field belongs to
 * @param value the zmp value
 * @returns the value to write
 */
export function fieldToRos(
  field: MessageDefinitionField,
  type: RosMessageType,
  value: unknown,
): unknown {
  return valueToRos(field, type.definitions, value);
}

function messageToRos(
  def: MessageDefinition,
  all: MessageDefinition[],
  value: unknown,
): Record<string, unknown> {
  const source = (value ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const f of def.definitions) {
    if (f.isConstant) continue;
    out[f.name] = valueToRos(f, all, source[f.name]);
  }
  return out;
}

function valueToRos(
  f: MessageDefinitionField,
  all: MessageDefinition[],
  value: unknown,
): unknown {
  if (f.isArray) {
    const list = value === undefined ? [] : value;
    if (f.type === "uint8") {
      return list instanceof Uint8Array
        ? list
        : Uint8Array.from(list as number[]);
    }
    const single = { ...f, isArray: false };
    const items = Array.from(
      list as ArrayLike<unknown>,
      (v) => valueToRos(single, all, v),
    );
    while (f.arrayLength !== undefined && items.length < f.arrayLength) {
      items.push(valueToRos(single, all, undefined));
    }
    return items;
  }
  if (f.isComplex) {
    const nested = all.find((d) => d.name === f.type);
    return nested === undefined ? value : messageToRos(nested, all, value);
  }
  if (value === undefined) return zero(f.type);
  if (BIG.has(f.type)) return BigInt(value as number | bigint);
  if (f.type === "time" || f.type === "duration") {
    const t = value as { sec: number; nsec: number };
    return { sec: t.sec, nsec: t.nsec };
  }
  return value;
}

function zero(type: string): unknown {
  if (type === "bool") return false;
  if (type === "string") return "";
  if (BIG.has(type)) return 0n;
  if (type === "time" || type === "duration") return { sec: 0, nsec: 0 };
  return 0;
}
