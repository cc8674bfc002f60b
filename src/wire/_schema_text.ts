/**
 * Schemas as text: what a check expects (as issues word it) and short
 * TypeScript-like type text for listings. Neither
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

/**
 * The name a `$ref` points at: `#/$defs/Point` → `Point`,
 * `#/$defs/Page%3CItem%3E` → `Page<Item>`.
 */
export function refName(ref: string): string {
  const name = ref.startsWith(DEFS_PREFIX)
    ? ref.slice(DEFS_PREFIX.length)
    : ref.slice(ref.lastIndexOf("/") + 1);
  let decoded = name;
  try {
    decoded = decodeURIComponent(name);
  } catch {
    // Not percent-encoded: keep it as written.
  }
  return decoded.replaceAll("~1", "/").replaceAll("~0", "~");
}

/** The `$ref` to a named type: `Page<Item>` → `#/$defs/Page%3CItem%3E`. */
export function refTo(name: string): string {
  return DEFS_PREFIX +
    encodeURIComponent(name.replaceAll("~", "~0").replaceAll("/", "~1"))
      .replaceAll("%7E", "~");
}

/** A string format: how to test it and how to name it in an issue. */
export interface Format {
  readonly test: (s: string) => boolean;
  /** What a value must be: `an email address`. */
  readonly what: string;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/u;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE_TIME =
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/i;

/** The `format`s the engine checks (JSDoc `@format`). */
export const FORMATS: Readonly<Record<string, Format>> = {
  email: { test: (s) => EMAIL.test(s), what: "an email address" },
  uri: { test: (s) => URL.canParse(s), what: "a URI" },
  uuid: { test: (s) => UUID.test(s), what: "a UUID" },
  "date-time": {
    test: (s) => DATE_TIME.test(s) && !Number.isNaN(Date.parse(s)),
    what: "a date-time",
  },
};

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
  const rest = isRecord(schema.items);
  const min = typeof schema.minItems === "number" ? schema.minItems : count;
  const max = typeof schema.maxItems === "number"
    ? schema.maxItems
    : rest
    ? Infinity
    : count;
  return { min, max };
}

/** The rest element of a tuple (`...T[]`), as `...T[]` text, or nothing. */
function restText(schema: Schema, text: (s: Schema) => string): string[] {
  if (!isRecord(schema.items)) return [];
  const inner = text(schema.items);
  return [isUnion(schema.items) ? `...(${inner})[]` : `...${inner}[]`];
}

/**
 * What a check of `schema` expects, as issues word it: `number`,
 * `Point[]`, `[string, number?]`, `"on" | "off"`, `object`, `Map`.
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
        items.push(...restText(schema, expectedText));
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
  items.push(...restText(schema, (s) => typeText(s, true)));
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
