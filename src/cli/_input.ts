/**
 * JSON typed on the command line, turned into checked values with the
 * schemas the nodes registered, and the runtime descriptors the CLI calls,
 * publishes and subscribes with.
 *
 * @module
 */

import type { JsonSchema, MethodEntry } from "../registry/types.ts";
import type {
  MethodDescriptor,
  ServiceDescriptor,
  TopicDescriptor,
  ValidationIssue,
  Validator,
} from "../wire/descriptors.ts";
import {
  fromJson,
  parseJson,
  validatorFromSchema,
} from "../wire/json_schema.ts";
import { UsageError } from "./_common.ts";
import type { TopicView } from "./_system.ts";

/**
 * Reads one command-line argument as JSON. Text that is not JSON, and does
 * not look like an attempt at it (it does not start with `{`, `[` or `"`),
 * is taken as a string when a string fits there (the schema accepts one,
 * or there is no schema), so that `zmp call Greeter.greet Ada` works as
 * well as `'"Ada"'`.
 *
 * @param text the argument
 * @param what names it in the error, e.g. `argument 2 (b)`
 * @param schema the schema at that place, when known
 * @returns the parsed JSON (not yet converted)
 * @throws {UsageError} when it is not JSON and a string does not fit
 */
export function readJsonArgument(
  text: string,
  what: string,
  schema: JsonSchema | undefined,
): unknown {
  try {
    return parseJson(text);
  } catch (e) {
    const structured = /^\s*[[{"]/.test(text);
    if (
      !structured &&
      (schema === undefined || fromJson(schema, text).issues.length === 0)
    ) {
      return text;
    }
    throw new UsageError(
      `${what} is not valid JSON: ${
        JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text)
      } (${(e as Error).message})`,
    );
  }
}

/**
 * Converts parsed JSON to the value a schema describes, and checks it.
 *
 * @param schema the schema, or `undefined` for no check
 * @param value the parsed JSON
 * @param path the root path in issues
 * @returns the value and the problems found
 */
export function convert(
  schema: JsonSchema | undefined,
  value: unknown,
  path: string,
): { value: unknown; issues: ValidationIssue[] } {
  return schema === undefined
    ? { value, issues: [] }
    : fromJson(schema, value, path);
}

const anything: Validator = () => {};

/**
 * A runtime descriptor to call one method of a service with, from what a
 * node registered. The CLI calls with the readable `superjson` codec;
 * servers accept both codecs.
 *
 * @param service the service's wire name
 * @param method the registered method, or a bare name when the service
 *   registered no schemas (a unary call, unchecked)
 * @returns the service and method descriptors
 */
export function callDescriptor(
  service: string,
  method: MethodEntry | string,
): { service: ServiceDescriptor; method: MethodDescriptor } {
  const m: MethodDescriptor = typeof method === "string"
    ? {
      name: method,
      kind: "unary",
      idempotent: false,
      params: [],
      requiredParams: 0,
      validateArgs: anything,
      validateResult: anything,
      argsSchema: {},
      resultSchema: {},
    }
    : {
      name: method.name,
      kind: method.kind,
      idempotent: method.idempotent,
      params: method.params,
      requiredParams: method.requiredParams,
      validateArgs: validatorFromSchema(method.args),
      validateResult: validatorFromSchema(method.result),
      argsSchema: method.args,
      resultSchema: method.result,
    };
  return {
    service: {
      name: service,
      codec: "superjson",
      methods: { [m.name]: m },
      source: "zmp call",
    },
    method: m,
  };
}

/**
 * A runtime topic descriptor from what the registry knows of the topic.
 *
 * @param view the topic: name, type name, codec (what `zmp pub` encodes
 *   with; msgpack when unregistered) and message schema (no check when
 *   unregistered)
 * @returns the descriptor
 */
export function topicDescriptor(view: TopicView): TopicDescriptor {
  const { schema } = view;
  return {
    name: view.topic,
    typeName: view.typeName,
    codec: view.codec ?? "msgpack",
    validate: schema === undefined ? anything : validatorFromSchema(schema),
    schema: schema ?? {},
    source: "zmp",
  };
}
