/**
 * The `zmp.Registry` service: a hand-written descriptor (the registry is
 * part of the runtime, so it does not go through codegen) with small
 * validators, and the wire types of its replies.
 *
 * It uses the `superjson` codec so that a person (or a Python client) can
 * read the bytes. Stream methods (`watch`, `paramWatch`) are long-lived:
 * they carry no deadline, and the server sends a `{"type": "keepalive"}`
 * item to a reader that has been waiting for a while, so that a vanished
 * client is noticed; clients skip these items.
 *
 * @module
 */

import {
  describe,
  type MethodDescriptor,
  type ServiceDescriptor,
  type Validator,
} from "../wire/descriptors.ts";
import type { ParamEvent, RegistryEvent } from "./types.ts";
import { RUN_MODES } from "./types.ts";
import {
  anything,
  args,
  array,
  boolean,
  type Check,
  count,
  number,
  object,
  oneOf,
  optional,
  plainObject,
  string,
} from "./_validate.ts";

/** The longest node name, instance id or param key, in characters. */
export const MAX_NAME_LENGTH = 1024;

const name = string(1, MAX_NAME_LENGTH);
const text = string(0, 4096);

const codec = optional(oneOf("msgpack", "superjson"));
const doc = optional(text);

const checkMethodEntry: Check = object({
  name,
  kind: oneOf("unary", "stream"),
  idempotent: boolean,
  params: array(name),
  requiredParams: count,
  args: plainObject,
  result: plainObject,
  doc,
});

const checkParamGroupEntry: Check = object({
  namespace: name,
  typeName: text,
  keys: array(
    object({ name, optional: boolean, schema: plainObject, doc }),
  ),
});

/**
 * Checks a `NodeInfo`. The schemas that describe services, topics and
 * params (for tools such as `zmp call`) are optional, so that a node
 * written without codegen, or in another language, can register.
 */
export const checkNodeInfo: Check = object({
  name,
  instanceId: name,
  pid: count,
  host: text,
  mode: oneOf(...RUN_MODES),
  services: array(object({
    name,
    endpoint: name,
    codec,
    methods: optional(array(checkMethodEntry)),
    doc,
  })),
  publishes: array(
    object({
      topic: name,
      endpoint: name,
      typeName: text,
      latched: boolean,
      codec,
      schema: optional(plainObject),
    }),
  ),
  subscribes: array(
    object({ topic: name, typeName: text, schema: optional(plainObject) }),
  ),
  params: array(name),
  paramGroups: optional(array(checkParamGroupEntry)),
  startedAt: number,
  observe: optional(name),
  ready: optional(boolean),
  notReady: optional(text),
});

/**
 * Checks a param key: a non-empty string of at most 1024 characters, not
 * `__proto__`.
 */
export const checkKey: Check = (v, path, issues) => {
  if (v === "__proto__") {
    issues.push({
      path,
      expected: "a key other than __proto__",
      received: describe(v),
    });
    return;
  }
  name(v, path, issues);
};

/** Checks an optional prefix. */
const prefix: Check = string(0, MAX_NAME_LENGTH);

/** What `register` answers. */
export interface RegisterReply {
  /** The lease time-to-live, in ms: heartbeat at least every `ttl / 3`. */
  ttl: number;
}

/** What `info` answers: facts about the registry itself. */
export interface RegistryFacts {
  /** Wire version of the `zmp.Registry` service. */
  version: number;
  /** The lease time-to-live, in ms. */
  ttl: number;
  /** The registry's process id. */
  pid: number;
  /** The registry's host name. */
  host: string;
  /** When it started (ms since the epoch, its clock). */
  startedAt: number;
}

/** The item a server sends to an idle long-lived stream; clients skip it. */
export interface Keepalive {
  type: "keepalive";
}

/** An item of the `watch` stream. */
export type WatchItem = RegistryEvent | Keepalive;

/** An item of the `paramWatch` stream. */
export type ParamWatchItem = ParamEvent | Keepalive;

const NODE_INFO_SCHEMA = {
  type: "object",
  required: [
    "name",
    "instanceId",
    "pid",
    "host",
    "mode",
    "services",
    "publishes",
    "subscribes",
    "params",
    "startedAt",
  ],
  properties: {
    name: { type: "string", minLength: 1 },
    instanceId: { type: "string", minLength: 1 },
    pid: { type: "integer", minimum: 0 },
    host: { type: "string" },
    mode: { enum: RUN_MODES },
    services: { type: "array" },
    publishes: { type: "array" },
    subscribes: { type: "array" },
    params: { type: "array", items: { type: "string" } },
    startedAt: { type: "number" },
  },
} as const;

const STRING = { type: "string" } as const;

function method(
  name: string,
  params: [string, Check, Record<string, unknown>][],
  more: {
    kind?: "unary" | "stream";
    idempotent?: boolean;
    required?: number;
    doc: string;
  },
): MethodDescriptor {
  const required = more.required ?? params.length;
  const validateArgs: Validator = args(params.map(([, c]) => c), required);
  return {
    name,
    kind: more.kind ?? "unary",
    idempotent: more.idempotent ?? false,
    params: params.map(([n]) => n),
    requiredParams: required,
    validateArgs,
    validateResult: anything,
    argsSchema: {
      type: "array",
      prefixItems: params.map(([, , s]) => s),
      minItems: required,
      maxItems: params.length,
    },
    resultSchema: {},
    doc: more.doc,
  };
}

const methods = {
  info: method("info", [], {
    idempotent: true,
    doc: "Facts about the registry: version, ttl, pid, host, startedAt.",
  }),
  register: method("register", [["info", checkNodeInfo, NODE_INFO_SCHEMA]], {
    idempotent: true,
    doc:
      "Registers a node (or re-registers the same instanceId); answers { ttl }. ALREADY_EXISTS when a live node has the name.",
  }),
  heartbeat: method("heartbeat", [
    ["name", name, STRING],
    ["instanceId", name, STRING],
  ], {
    idempotent: true,
    doc: "Renews a lease. NOT_FOUND when unknown: register again.",
  }),
  update: method("update", [["info", checkNodeInfo, NODE_INFO_SCHEMA]], {
    idempotent: true,
    doc: "Replaces a registered node's info. NOT_FOUND when unknown.",
  }),
  unregister: method("unregister", [
    ["name", name, STRING],
    ["instanceId", name, STRING],
  ], {
    idempotent: true,
    doc: "Removes a node; answers whether it was registered.",
  }),
  nodes: method("nodes", [], {
    idempotent: true,
    doc: "Every live node.",
  }),
  watch: method("watch", [], {
    kind: "stream",
    idempotent: true,
    doc:
      "A snapshot, then added/updated/removed events (and keepalive items when idle).",
  }),
  paramGet: method("paramGet", [["key", checkKey, STRING]], {
    idempotent: true,
    doc: "The value of a key, or undefined.",
  }),
  paramGetEntry: method("paramGetEntry", [["key", checkKey, STRING]], {
    idempotent: true,
    doc:
      "The value of a key with its revision ({value, revision}), or undefined.",
  }),
  paramSet: method("paramSet", [
    ["key", checkKey, STRING],
    ["value", anything, {}],
    ["ifRevision", count, { type: "integer", minimum: 0 }],
  ], {
    idempotent: true,
    required: 2,
    doc:
      "Sets a key; answers its revision. With ifRevision, only when the key is at that revision (0: unset), else ABORTED.",
  }),
  paramDelete: method("paramDelete", [["key", checkKey, STRING]], {
    doc: "Deletes a key; answers whether it existed.",
  }),
  paramList: method("paramList", [["prefix", prefix, STRING]], {
    idempotent: true,
    required: 0,
    doc: "Every key under a prefix, with its value.",
  }),
  paramWatch: method("paramWatch", [["prefix", prefix, STRING]], {
    kind: "stream",
    idempotent: true,
    required: 0,
    doc:
      "A snapshot of the keys under a prefix, then set/deleted events (and keepalive items when idle).",
  }),
} as const;

/** The `zmp.Registry` service descriptor. */
export const RegistryService: ServiceDescriptor & {
  readonly methods: typeof methods;
} = {
  name: "zmp.Registry",
  codec: "superjson",
  methods,
  source: "src/registry/_service.ts",
  doc: "Discovery, liveness and params of a zmp system.",
};

/** The wire version of the service, answered by `info`. */
export const REGISTRY_SERVICE_VERSION = 1;
