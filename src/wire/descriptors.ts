/**
 * Descriptors: what generated code (`*.gen.ts`) hands to the runtime.
 *
 * A descriptor is plain data plus generated validator functions. The runtime
 * (`src/rpc`, `src/topics`, `src/params`) is generic over descriptors; the
 * generated layer is thin and typed.
 *
 * @module
 */

/** One problem found by a validator. */
export interface ValidationIssue {
  /** Where, as a JSON-pointer-like path: `args[0].items[2].name`. */
  path: string;
  /** What was expected there, e.g. `number`, `"on" | "off"`. */
  expected: string;
  /** A short description of what was found instead, e.g. `string "x"`. */
  received: string;
  /**
   * Set when a type was right but a constraint was broken: the JSON Schema
   * keyword (`minimum`, `pattern`…). `expected` then says what the value
   * must be (`must be >= 0`) and `received` what it was (`-1`).
   */
  rule?: string;
}

/**
 * One issue as a line: `args[0].x: expected number, got string "a"`, or
 * for a broken rule `args[0].priceCents: must be >= 0, got -1`.
 *
 * @param issue the issue
 * @returns the text
 */
export function issueText(issue: ValidationIssue): string {
  return issue.rule === undefined
    ? `${issue.path}: expected ${issue.expected}, got ${issue.received}`
    : `${issue.path}: ${issue.expected}, got ${issue.received}`;
}

/**
 * A generated validator: checks `value`, appends an issue per problem found
 * to `issues` (prefixing paths with `path`), and returns nothing. A value is
 * valid when no issue was added.
 */
export type Validator = (
  value: unknown,
  path: string,
  issues: ValidationIssue[],
) => void;

/** The codec a service or topic uses on the wire. */
export type CodecName = "msgpack" | "superjson";

/** How a method returns: one value, or a server stream of values. */
export type MethodKind = "unary" | "stream";

/** One RPC method. */
export interface MethodDescriptor {
  /** The method name as written in the interface. */
  readonly name: string;
  /** `unary` for `Promise<T>`, `stream` for `AsyncIterable<T>`. */
  readonly kind: MethodKind;
  /** `true` when tagged `@idempotent`: clients may retry it. */
  readonly idempotent: boolean;
  /** Parameter names, in order. */
  readonly params: readonly string[];
  /** How many leading parameters are required (the rest are optional). */
  readonly requiredParams: number;
  /** Validates the argument array (arity included), paths `args[i]…`. */
  readonly validateArgs: Validator;
  /** Validates one result (unary) or one streamed item (stream). */
  readonly validateResult: Validator;
  /** JSON Schema of the argument array (`type: "array"`, `prefixItems`). */
  readonly argsSchema: Record<string, unknown>;
  /** JSON Schema of the result or streamed item. */
  readonly resultSchema: Record<string, unknown>;
  /** The method's JSDoc summary, if any. */
  readonly doc?: string;
}

/** One service: the `@service` interface. `T` is the user's interface. */
export interface ServiceDescriptor<T = unknown> {
  /** Phantom: carries the user's type; never set at run time. */
  readonly __type?: T;
  /** The service name on the wire (the interface name, or `@service X`). */
  readonly name: string;
  /** The default codec of its calls. */
  readonly codec: CodecName;
  /** Its methods, by name, in source order. */
  readonly methods: Readonly<Record<string, MethodDescriptor>>;
  /** The source file it was generated from (relative to the project). */
  readonly source: string;
  /**
   * A stable hash of its schemas (codegen's `hash`): equal hashes mean
   * the same wire contract; unequal ones are compared method by method.
   */
  readonly hash?: string;
  /** The interface's JSDoc summary, if any. */
  readonly doc?: string;
}

/** One topic: the `@topic name` type. `T` is the message type. */
export interface TopicDescriptor<T = unknown> {
  /** Phantom: carries the user's type; never set at run time. */
  readonly __type?: T;
  /** The topic name, e.g. `sensors/temperature`. */
  readonly name: string;
  /** The name of the message type in the source. */
  readonly typeName: string;
  /** The codec of its messages. */
  readonly codec: CodecName;
  /** Validates one message, path `message…`. */
  readonly validate: Validator;
  /** JSON Schema of one message. */
  readonly schema: Record<string, unknown>;
  /** The source file it was generated from. */
  readonly source: string;
  /** A stable hash of its message schema. */
  readonly hash?: string;
  /** The type's JSDoc summary, if any. */
  readonly doc?: string;
}

/** One key of a params group. */
export interface ParamDescriptor {
  /** The key inside the group. */
  readonly name: string;
  /** Whether the property was optional. */
  readonly optional: boolean;
  /** Validates a value for this key, path `<namespace>.<name>…`. */
  readonly validate: Validator;
  /** JSON Schema of the value. */
  readonly schema: Record<string, unknown>;
  /** The value of a key that is not set (JSDoc `@default`), if any. */
  readonly default?: unknown;
  /** The property's JSDoc summary, if any. */
  readonly doc?: string;
}

/** One params group: the `@params namespace` interface. `T` is its type. */
export interface ParamsDescriptor<T = unknown> {
  /** Phantom: carries the user's type; never set at run time. */
  readonly __type?: T;
  /** The namespace, e.g. `robot`. */
  readonly namespace: string;
  /** The name of the interface in the source. */
  readonly typeName: string;
  /** Its keys, in source order. */
  readonly keys: Readonly<Record<string, ParamDescriptor>>;
  /** Validates a whole group object. */
  readonly validate: Validator;
  /** JSON Schema of the whole group. */
  readonly schema: Record<string, unknown>;
  /** The source file it was generated from. */
  readonly source: string;
  /** A stable hash of its schema. */
  readonly hash?: string;
}

/** Thrown by {@linkcode assertValid} with every issue found. */
export class ValidationError extends TypeError {
  /** Every problem found. */
  readonly issues: ValidationIssue[];
  /**
   * Creates the error from the problems found.
   *
   * @param what what was being validated, e.g. `Calculator.add arguments`
   * @param issues the problems
   */
  constructor(what: string, issues: ValidationIssue[]) {
    const first = issues.slice(0, 3).map(issueText).join("; ");
    const more = issues.length > 3 ? ` (+${issues.length - 3} more)` : "";
    super(`Invalid ${what}: ${first}${more}`);
    this.name = "ValidationError";
    this.issues = issues;
  }
}

/**
 * Runs a validator and throws when it finds anything.
 *
 * @param validator the generated validator
 * @param value the value to check
 * @param what names the value in the error message
 * @param path the root path
 * @throws {ValidationError} listing the issues
 */
export function assertValid(
  validator: Validator,
  value: unknown,
  what: string,
  path = "value",
): void {
  const issues: ValidationIssue[] = [];
  validator(value, path, issues);
  if (issues.length > 0) throw new ValidationError(what, issues);
}

/**
 * Describes a value briefly for a validation issue: `string "abc"`,
 * `number 3`, `array(2)`, `object`, `null`.
 *
 * @param value anything
 * @returns a short description
 */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return `array(${value.length})`;
  switch (typeof value) {
    case "string": {
      const s = value.length > 20 ? `${value.slice(0, 20)}…` : value;
      return `string ${JSON.stringify(s)}`;
    }
    case "number":
    case "boolean":
    case "bigint":
      return `${typeof value} ${String(value)}`;
    case "undefined":
      return "undefined";
    case "object":
      if (value instanceof Date) return "Date";
      if (value instanceof Uint8Array) return `Uint8Array(${value.length})`;
      if (value instanceof Map) return `Map(${value.size})`;
      if (value instanceof Set) return `Set(${value.size})`;
      return "object";
    default:
      return typeof value;
  }
}
