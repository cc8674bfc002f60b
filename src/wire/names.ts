/**
 * The one rule for names and the limits on what a node declares: node
 * names, service and method names, topic names, params namespaces and
 * keys, key-directory names, and the sizes of a `NodeInfo`. Every door
 * checks with this module: `createNode`, the launcher, the registry (both
 * backends), `RpcServer.register`, publishers and subscribers, params and
 * the CLI. `docs/PROTOCOL.md` §16 has the same table for other clients.
 *
 * Names of nodes, services, methods and topics are ASCII, so characters
 * and UTF-8 bytes are the same count. A service name is at most 128 bytes
 * and a method name at most 126, so `Service.method` always fits the
 * 255-byte method frame (§3): a service that is accepted can be called.
 *
 * @example Checking a name
 * ```ts
 * import { checkName, NameError } from "zmp/wire";
 * checkName("topic", "sensors/temperature"); // fine
 * try {
 *   checkName("node", "a b", { action: 'create node "a b"' });
 * } catch (e) {
 *   console.log(e instanceof NameError, (e as NameError).kind); // true "node"
 * }
 * ```
 *
 * @module
 */

import { MAX_METHOD_NAME_BYTES } from "./protocol.ts";

/** Longest node name, in characters (ASCII: also bytes). */
export const MAX_NODE_NAME = 255;
/**
 * Longest service name, in bytes: with a `.` and the longest method name
 * it fills the 255-byte method frame exactly.
 */
export const MAX_SERVICE_NAME = 128;
/** Longest method name, in bytes. */
export const MAX_METHOD_NAME = MAX_METHOD_NAME_BYTES - 1 - MAX_SERVICE_NAME;
/** Longest topic name, in bytes (the topic frame's limit). */
export const MAX_TOPIC_NAME = 255;
/** Longest params namespace, in bytes. */
export const MAX_PARAM_NAMESPACE = 255;
/** Longest param key, in UTF-8 bytes. */
export const MAX_PARAM_KEY = 1024;

/** Most services one node registers. */
export const MAX_SERVICES_PER_NODE = 1024;
/** Most methods one registered service lists. */
export const MAX_METHODS_PER_SERVICE = 256;
/** Most topics one node publishes, and most it subscribes to. */
export const MAX_TOPICS_PER_NODE = 1024;
/** Most params namespaces (and typed groups) one node registers. */
export const MAX_PARAMS_PER_NODE = 256;
/** Most keys one registered params group lists. */
export const MAX_KEYS_PER_PARAM_GROUP = 1024;
/** Most services one node says it uses. */
export const MAX_USES_PER_NODE = 1024;
/** Largest JSON Schema of one entry (args, result, message, key), JSON bytes. */
export const MAX_SCHEMA_BYTES = 64 * 1024;
/**
 * Largest `NodeInfo`, in bytes of its JSON form: 1 MiB, under etcd's
 * default request limit (1.5 MiB), so both backends can store it.
 */
export const MAX_NODE_INFO_BYTES = 1024 * 1024;

/** What kind of name a rule is for. */
export type NameKind =
  | "node"
  | "service"
  | "method"
  | "topic"
  | "paramNamespace"
  | "paramKey"
  | "keyName";

interface Rule {
  readonly label: string;
  readonly test: (value: string) => boolean;
  readonly text: string;
}

const encoder = new TextEncoder();

/** UTF-8 length of a string, without allocating for ASCII. */
export function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

/** `^…$` with a length bound, for ASCII names. */
function ascii(pattern: RegExp, max: number): (value: string) => boolean {
  return (value) =>
    value.length >= 1 && value.length <= max && pattern.test(value);
}

const NODE = /^[A-Za-z0-9_][A-Za-z0-9_./-]*$/;
const SERVICE = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const METHOD = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const NAMESPACE = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const NODE_RULE = `1 to ${MAX_NODE_NAME} characters of A-Z a-z 0-9 _ . / -, ` +
  "the first a letter, a digit or _";

/** The rules, by kind. Exported for tests and tools that list them. */
export const NAME_RULES: Readonly<Record<NameKind, Rule>> = {
  node: {
    label: "node name",
    test: ascii(NODE, MAX_NODE_NAME),
    text: `a node name is ${NODE_RULE}`,
  },
  service: {
    label: "service name",
    test: ascii(SERVICE, MAX_SERVICE_NAME),
    text:
      `a service name is 1 to ${MAX_SERVICE_NAME} characters of A-Z a-z 0-9 _ . -, the first a letter or _`,
  },
  method: {
    label: "method name",
    test: ascii(METHOD, MAX_METHOD_NAME),
    text:
      `a method name is 1 to ${MAX_METHOD_NAME} characters of A-Z a-z 0-9 _ $, the first not a digit`,
  },
  topic: {
    label: "topic name",
    test: ascii(NODE, MAX_TOPIC_NAME),
    text:
      `a topic name is 1 to ${MAX_TOPIC_NAME} characters of A-Z a-z 0-9 _ . / -, the first a letter, a digit or _`,
  },
  paramNamespace: {
    label: "params namespace",
    test: ascii(NAMESPACE, MAX_PARAM_NAMESPACE),
    text:
      `a params namespace is 1 to ${MAX_PARAM_NAMESPACE} characters of A-Z a-z 0-9 _ . -, the first a letter or _`,
  },
  paramKey: {
    label: "param key",
    test: (value) =>
      value !== "" && value !== "__proto__" &&
      (value.length <= MAX_PARAM_KEY && utf8Length(value) <= MAX_PARAM_KEY),
    text:
      `a param key is 1 to ${MAX_PARAM_KEY} bytes of UTF-8 other than "__proto__"`,
  },
  keyName: {
    label: "key name",
    test: (value) =>
      value === "@registry" || value === "@cli" ||
      ascii(NODE, MAX_NODE_NAME)(value),
    text: `a key name is @registry, @cli or a node name (${NODE_RULE})`,
  },
};

/** Options of {@linkcode checkName}. */
export interface CheckNameOptions {
  /**
   * What was being done, for the message: `create node "a b"` gives
   * `Cannot create node "a b": a node name is …`.
   * @default {none: `Invalid node name "a b": …`}
   */
  action?: string;
  /**
   * Where the name was, for the message and {@linkcode NameError.field}:
   * `info.services[0].name`.
   * @default {the kind's label, e.g. "node name"}
   */
  field?: string;
}

/**
 * A name or an input that breaks the rule of this module: which kind of
 * name, where it was (`field`), and the value.
 */
export class NameError extends TypeError {
  /** Always `"NameError"`. */
  override readonly name = "NameError";
  /** What kind of name (`"limit"` for a count or a size). */
  readonly kind: NameKind | "limit";
  /** Where it was: `node name`, `info.services[2].methods[0].name`, … */
  readonly field: string;

  /**
   * Makes the error; {@linkcode checkName} and the other checks of this
   * module throw it.
   *
   * @param kind the kind of name, or `"limit"`
   * @param field where it was
   * @param message the whole message
   */
  constructor(kind: NameKind | "limit", field: string, message: string) {
    super(message);
    this.kind = kind;
    this.field = field;
  }
}

function quote(value: unknown): string {
  if (typeof value !== "string") return value === null ? "null" : typeof value;
  const s = value.length > 40 ? `${value.slice(0, 40)}…` : value;
  return `${JSON.stringify(s)}${
    value.length > 40 ? ` (${utf8Length(value)} bytes)` : ""
  }`;
}

/**
 * Whether a value is a valid name of a kind.
 *
 * @param kind the kind of name
 * @param value anything
 * @returns `true` when `value` is a string that follows the kind's rule
 */
export function isValidName(kind: NameKind, value: unknown): value is string {
  return typeof value === "string" && NAME_RULES[kind].test(value);
}

/**
 * Checks a name against its kind's rule.
 *
 * @param kind the kind of name
 * @param value the name
 * @param options what was being done and where the name was, for the
 *   message
 * @throws {NameError} naming the field and the rule
 */
export function checkName(
  kind: NameKind,
  value: unknown,
  options: CheckNameOptions = {},
): asserts value is string {
  if (isValidName(kind, value)) return;
  const rule = NAME_RULES[kind];
  const field = options.field ?? rule.label;
  const head = options.action !== undefined
    ? `Cannot ${options.action}`
    : `Invalid ${field} ${quote(value)}`;
  const got = options.action !== undefined && options.field !== undefined
    ? `, got ${field} ${quote(value)}`
    : "";
  throw new NameError(kind, field, `${head}: ${rule.text}${got}`);
}

/**
 * Checks that `Service.method` fits the method frame, and both names.
 *
 * @param service the service name
 * @param method the method name
 * @param options what was being done, for the message
 * @returns the UTF-8 length of `Service.method`
 * @throws {NameError} for a bad service or method name
 */
export function checkMethodFrame(
  service: string,
  method: string,
  options: Pick<CheckNameOptions, "action"> = {},
): number {
  checkName("service", service, { ...options, field: "service name" });
  checkName("method", method, {
    ...options,
    field: `method name of ${service}`,
  });
  // Both are ASCII and within their bounds: 128 + 1 + 126 = 255.
  return encoder.encode(`${service}.${method}`).length;
}

/**
 * Checks a count against a limit.
 *
 * @param field where the list is, e.g. `info.services`
 * @param count how many items it has
 * @param max the most allowed
 * @throws {NameError} (kind `"limit"`) naming the field
 */
export function checkCount(field: string, count: number, max: number): void {
  if (count > max) {
    throw new NameError(
      "limit",
      field,
      `Invalid ${field}: ${count} items, at most ${max}`,
    );
  }
}

/**
 * Checks the size of a value's JSON form against a limit.
 *
 * @param field where the value is, e.g. `info.services[0].methods[1].args`
 * @param value a JSON value
 * @param max the most bytes allowed
 * @returns its size in bytes
 * @throws {NameError} (kind `"limit"`) naming the field
 */
export function checkJsonSize(
  field: string,
  value: unknown,
  max: number,
): number {
  const text = JSON.stringify(value) ?? "";
  const size = utf8Length(text);
  if (size > max) {
    throw new NameError(
      "limit",
      field,
      `Invalid ${field}: ${size} bytes of JSON, at most ${max}`,
    );
  }
  return size;
}
