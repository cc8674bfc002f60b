/**
 * Schemas as text: what a check expects (in the words of generated
 * validators) and short TypeScript-like type text for listings. Neither
 * follows a `$ref` (a reference is shown by its name), so neither can loop.
 *
 * @module
 */

/** A JSON Schema object, as codegen emits it. */
export type Schema = Record<string, unknown>;

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** Whether `value` is a non-array object (a schema, `properties`, `$defs`). */
export function isRecord(value: unknown): value is Schema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The sub-schemas of an array keyword (`anyOf`, `prefixItems`), or `[]`. */
export function schemaList(value: unknown): Schema[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

/** The prefix of every `$ref` codegen writes. */
export const DEFS_PREFIX = "#/$defs/";

/** The name a `$ref` points at: `#/$defs/Point` → `Point`. */
export function refName(ref: string): string {
  const name = ref.startsWith(DEFS_PREFIX)
    ? ref.slice(DEFS_PREFIX.length)
    : ref.slice(ref.lastIndexOf("/") + 1);
  return name.replaceAll("~1", "/").replaceAll("~0", "~");
}

/** A literal value as TypeScript writes it: `"on"`, `3`, `true`. */
export function literal(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

/** `path.name`, or `path["odd-name"]` when the name is no identifier. */
export function propertyPath(path: string, name: string): string {
  return IDENTIFIER.test(name)
    ? `${path}.${name}`
    : `${path}[${JSON.stringify(name)}]`;
}

/** Whether a schema is a union (`anyOf` or `enum`). */
function isUnion(schema: Schema): boolean {
  return Array.isArray(schema.anyOf) || Array.isArray(schema.enum);
}

/** `[key, value]` schemas of a Map schema (`items.prefixItems`). */
export function mapEntrySchemas(schema: Schema): [Schema, Schema] {
  const entry = isRecord(schema.items) ? schema.items : {};
  const [key = {}, value = {}] = schemaList(entry.prefixItems);
  return [key, value];
}

/** The element schema of an array or Set schema (`items`), or `{}`. */
export function itemSchema(schema: Schema): Schema {
  return isRecord(schema.items) ? schema.items : {};
}

/** How many items a tuple schema needs at least and allows at most. */
export function tupleBounds(schema: Schema): { min: number; max: number } {
  const count = schemaList(schema.prefixItems).length;
  const min = typeof schema.minItems === "number" ? schema.minItems : count;
  const max = typeof schema.maxItems === "number" ? schema.maxItems : count;
  return { min, max };
}

/**
 * What a check of `schema` expects, worded as generated validators word
 * it (`codegen/emit_validators.ts` `expectedOf`): `number`, `Point[]`,
 * `[string, number?]`, `"on" | "off"`, `object`, `Map`.
 *
 * @param schema the schema
 * @returns the expected text
 */
export function expectedText(schema: Schema): string {
  if (typeof schema.$ref === "string") return refName(schema.$ref);
  if ("const" in schema) return literal(schema.const);
  if (Array.isArray(schema.enum)) return schema.enum.map(literal).join(" | ");
  if (Array.isArray(schema.anyOf)) {
    return schemaList(schema.anyOf).map(expectedText).join(" | ");
  }
  switch (schema["x-type"]) {
    case "Map":
    case "Set":
    case "Date":
    case "Uint8Array":
    case "bigint":
    case "undefined":
      return schema["x-type"];
  }
  switch (schema.type) {
    case "object":
      return "object";
    case "array": {
      if (Array.isArray(schema.prefixItems)) {
        const { min } = tupleBounds(schema);
        const items = schemaList(schema.prefixItems).map((s, i) =>
          expectedText(s) + (i >= min ? "?" : "")
        );
        return `[${items.join(", ")}]`;
      }
      const item = itemSchema(schema);
      const inner = expectedText(item);
      return isUnion(item) ? `(${inner})[]` : `${inner}[]`;
    }
    case undefined:
      return "void";
    default:
      return String(schema.type);
  }
}

/** Longest object type text before its members are cut short with `…`. */
const MAX_OBJECT_TEXT = 80;
/** Longest nested object type text shown in full (else `{ … }`). */
const MAX_NESTED_OBJECT_TEXT = 40;

/**
 * A short TypeScript-like rendering of `schema` (see `schemaToTypeText`).
 *
 * @param schema the schema
 * @param nested whether `schema` sits inside another type
 * @returns the type text
 */
export function typeText(schema: Schema, nested = false): string {
  if (typeof schema.$ref === "string") return refName(schema.$ref);
  if ("const" in schema) return literal(schema.const);
  if (Array.isArray(schema.enum)) return schema.enum.map(literal).join(" | ");
  if (Array.isArray(schema.anyOf)) {
    return schemaList(schema.anyOf).map((s) => typeText(s, true)).join(" | ");
  }
  switch (schema["x-type"]) {
    case "Map": {
      const [key, value] = mapEntrySchemas(schema);
      return `Map<${typeText(key, true)}, ${typeText(value, true)}>`;
    }
    case "Set":
      return `Set<${typeText(itemSchema(schema), true)}>`;
    case "Date":
    case "Uint8Array":
    case "bigint":
    case "undefined":
      return schema["x-type"];
  }
  switch (schema.type) {
    case "object":
      return objectText(schema, nested);
    case "array":
      return arrayText(schema);
    case "integer":
      return "number";
    case undefined:
      return "void";
    default:
      return String(schema.type);
  }
}

function arrayText(schema: Schema): string {
  if (!Array.isArray(schema.prefixItems)) {
    const item = itemSchema(schema);
    const inner = typeText(item, true);
    return isUnion(item) ? `(${inner})[]` : `${inner}[]`;
  }
  const { min } = tupleBounds(schema);
  const items = schemaList(schema.prefixItems).map((s, i) => {
    const optional = i >= min ? "?" : "";
    return typeof s.title === "string"
      ? `${s.title}${optional}: ${typeText(s, true)}`
      : `${typeText(s, true)}${optional}`;
  });
  return `[${items.join(", ")}]`;
}

function objectText(schema: Schema, nested: boolean): string {
  const properties = isRecord(schema.properties) ? schema.properties : {};
  const required = Array.isArray(schema.required) ? schema.required : [];
  const members = Object.entries(properties).map(([name, s]) =>
    `${IDENTIFIER.test(name) ? name : JSON.stringify(name)}${
      required.includes(name) ? "" : "?"
    }: ${isRecord(s) ? typeText(s, true) : "unknown"}`
  );
  if (isRecord(schema.additionalProperties)) {
    members.push(
      `[key: string]: ${typeText(schema.additionalProperties, true)}`,
    );
  }
  if (members.length === 0) return "{}";
  const full = `{ ${members.join("; ")} }`;
  if (nested && full.length > MAX_NESTED_OBJECT_TEXT) return "{ … }";
  if (full.length <= MAX_OBJECT_TEXT) return full;
  const shown: string[] = [];
  for (const m of members) {
    if (`{ ${[...shown, m].join("; ")}; … }`.length > MAX_OBJECT_TEXT) break;
    shown.push(m);
  }
  return `{ ${[...shown, "…"].join("; ")} }`;
}
