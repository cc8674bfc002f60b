/**
 * The codegen model: a plain, serialisable description of what a definition
 * file (`*.api.ts`) declares. The parser builds it; every emitter reads it
 * and nothing else, so emitters never touch ts-morph.
 *
 * Order is part of the model: services, methods, topics and params keep
 * source order; named types are sorted by name.
 *
 * @module
 */

/** A type, as far as zmp understands types. */
export type TypeNode =
  | { readonly kind: "string" }
  | { readonly kind: "number" }
  | { readonly kind: "boolean" }
  | { readonly kind: "bigint" }
  | { readonly kind: "null" }
  | { readonly kind: "undefined" }
  /** Only as a method result (`Promise<void>`): accepts anything. */
  | { readonly kind: "void" }
  /** `unknown`: any value, checked by whoever reads it. */
  | { readonly kind: "unknown" }
  | { readonly kind: "date" }
  | { readonly kind: "bytes" }
  | LiteralNode
  | TemplateNode
  | {
    readonly kind: "array";
    readonly element: TypeNode;
    readonly readonly: boolean;
  }
  | TupleNode
  | ObjectNode
  | { readonly kind: "map"; readonly key: TypeNode; readonly value: TypeNode }
  | { readonly kind: "set"; readonly element: TypeNode }
  | UnionNode
  | RefNode;

/** A string, number or boolean literal type, or an enum member. */
export interface LiteralNode {
  readonly kind: "literal";
  readonly value: string | number | boolean;
  /** Set when the literal is an enum member: `Color.Red`. */
  readonly enumMember?: { readonly enum: string; readonly member: string };
}

/** A template literal type (`` `prod_${number}` ``): a string pattern. */
export interface TemplateNode {
  readonly kind: "template";
  /** The regular expression strings of the type match (anchored). */
  readonly pattern: string;
  /** The type as TypeScript prints it. */
  readonly text: string;
}

/** A tuple: `[number, string?, ...boolean[]]`. */
export interface TupleNode {
  readonly kind: "tuple";
  readonly elements: readonly TupleElement[];
  /** The type of the rest element (`...T[]`), if any. */
  readonly rest?: TypeNode;
  readonly readonly: boolean;
}

/**
 * Constraints from JSDoc tags, as JSON Schema keywords: `minimum`,
 * `maxLength`, `pattern`, `format`, `uniqueItems`, `default`…, and
 * `integer: true` for `@integer`.
 */
export type Constraints = Readonly<Record<string, unknown>>;

/** One element of a tuple. */
export interface TupleElement {
  readonly type: TypeNode;
  readonly optional: boolean;
}

/** An object type: properties, and maybe a string index signature. */
export interface ObjectNode {
  readonly kind: "object";
  readonly properties: readonly Property[];
  /** The value type of `[key: string]: T` or `Record<string, T>`. */
  readonly index?: TypeNode;
}

/** One property of an object type. */
export interface Property {
  readonly name: string;
  readonly type: TypeNode;
  readonly optional: boolean;
  readonly readonly: boolean;
  readonly doc?: string;
  /** Constraints from the property's JSDoc tags. */
  readonly constraints?: Constraints;
}

/** A union. */
export interface UnionNode {
  readonly kind: "union";
  readonly members: readonly TypeNode[];
}

/** A reference to a named type of the model, by name. */
export interface RefNode {
  readonly kind: "ref";
  readonly name: string;
}

/** A named type: an interface, a type alias or an enum. */
export interface NamedType {
  /**
   * The name as declared, with its type arguments where it is generic
   * (`Page<Item>`); unique within one model.
   */
  readonly name: string;
  readonly declaration: "interface" | "alias" | "enum" | "class";
  /** The file that declares it, relative to the project root. */
  readonly file: string;
  /** The type itself (for an enum: a union of its member literals). */
  readonly type: TypeNode;
  readonly doc?: string;
  /** Constraints from the declaration's JSDoc tags (`@minimum` on an alias). */
  readonly constraints?: Constraints;
}

/** The codec of a service or topic. */
export type Codec = "msgpack" | "superjson";

/** One parameter of a method. */
export interface Param {
  readonly name: string;
  readonly type: TypeNode;
  readonly optional: boolean;
  /** Constraints from the parameter's JSDoc tags. */
  readonly constraints?: Constraints;
}

/** One RPC method. */
export interface Method {
  readonly name: string;
  readonly kind: "unary" | "stream";
  readonly idempotent: boolean;
  readonly params: readonly Param[];
  /** The resolved value type (`T` of `Promise<T>` or `AsyncIterable<T>`). */
  readonly result: TypeNode;
  readonly doc?: string;
}

/** One `@service` interface. */
export interface Service {
  /** The interface name (generated names derive from it). */
  readonly typeName: string;
  /** The name on the wire (`@service X`, else the interface name). */
  readonly wireName: string;
  readonly codec: Codec;
  readonly methods: readonly Method[];
  readonly doc?: string;
}

/** One `@topic name` type. */
export interface Topic {
  readonly typeName: string;
  readonly topic: string;
  readonly codec: Codec;
  readonly doc?: string;
}

/** One `@params namespace` interface. */
export interface ParamsGroup {
  readonly typeName: string;
  readonly namespace: string;
  /** The keys, from the interface's properties (bases included). */
  readonly keys: readonly Property[];
  readonly doc?: string;
}

/** Everything one definition file declares. */
export interface FileModel {
  /** The definition file, relative to the project root. */
  readonly source: string;
  /**
   * The runtime the generated module imports, when the file's module doc
   * names one (`@zmpRuntime ./_runtime.ts`, as zmp's own definitions do).
   */
  readonly runtime?: string;
  readonly services: readonly Service[];
  readonly topics: readonly Topic[];
  readonly params: readonly ParamsGroup[];
  /** Every named type the file declares or reaches, sorted by name. */
  readonly types: readonly NamedType[];
}
