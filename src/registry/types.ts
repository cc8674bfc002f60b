/**
 * Discovery and liveness: the types every registry backend shares.
 *
 * A backend (the embedded registry, or etcd) implements
 * {@linkcode Registry}. Nodes register what they provide and keep a lease
 * alive with heartbeats; watchers get changes pushed. State is soft: a
 * registry that restarts empty is refilled by the nodes themselves.
 *
 * @module
 */

import type { CodecName, MethodKind } from "../wire/descriptors.ts";
import type { JsonSchema } from "../wire/json_schema.ts";

export type { JsonSchema };

/**
 * A node name, an instance id, an endpoint, a topic, a namespace or a key,
 * as the registry stores it.
 * @minLength 1
 * @maxLength 1024
 */
export type RegistryName = string;

/**
 * Free text the registry stores (a host, a type name, a doc summary).
 * @maxLength 4096
 */
export type RegistryText = string;

/**
 * A CURVE public key in Z85 (secure mode).
 * @minLength 40
 * @maxLength 40
 */
export type RegistryKey = string;

/**
 * A count or a process id.
 * @minimum 0
 * @integer
 */
export type RegistryCount = number;

/** How a node runs. */
export type RunMode = (typeof RUN_MODES)[number];

/** Every run mode, in the order messages list them. */
export const RUN_MODES = ["subprocess", "worker", "inprocess"] as const;

/**
 * One method of a provided service, as tools see it: what `zmp call`
 * validates against and `zmp list services` shows.
 */
export interface MethodEntry {
  /** The method name: at most 126 characters (§16). */
  name: RegistryName;
  /** `unary` or `stream`. */
  kind: MethodKind;
  /** Whether clients may retry it. */
  idempotent: boolean;
  /** Parameter names, in order. */
  params: RegistryName[];
  /** How many leading parameters are required. */
  requiredParams: RegistryCount;
  /** JSON Schema of the argument array. */
  args: JsonSchema;
  /** JSON Schema of the result (unary) or of one item (stream). */
  result: JsonSchema;
  /** The method's JSDoc summary. */
  doc?: RegistryText;
}

/** A service instance a node provides. */
export interface ServiceEntry {
  /**
   * The service's wire name (`ServiceDescriptor.name`): at most 128
   * characters, so that `name.method` fits the method frame (§16).
   */
  name: RegistryName;
  /** Where its `RpcServer` listens, e.g. `tcp://127.0.0.1:40123`. */
  endpoint: RegistryName;
  /** The codec its generated clients use (the server accepts both). */
  codec?: CodecName;
  /** Its methods, in source order (absent when registered without them). */
  methods?: MethodEntry[];
  /**
   * The stable hash of its schemas (`ServiceDescriptor.hash`): a client
   * whose hash differs compares the methods before calling.
   */
  hash?: string;
  /** The service's JSDoc summary. */
  doc?: RegistryText;
}

/** A topic a node publishes. */
export interface PublicationEntry {
  /** The topic name, e.g. `sensors/temperature`. */
  topic: RegistryName;
  /** Where its publisher socket listens. */
  endpoint: RegistryName;
  /** The message type's name in the source (`TopicDescriptor.typeName`). */
  typeName: RegistryText;
  /** Whether late joiners get the last value. */
  latched: boolean;
  /** The codec of its messages. */
  codec?: CodecName;
  /** JSON Schema of one message (what `zmp pub` validates against). */
  schema?: JsonSchema;
  /** The stable hash of the message schema (`TopicDescriptor.hash`). */
  hash?: string;
}

/** A topic a node subscribes to. */
export interface SubscriptionEntry {
  /** The topic name. */
  topic: RegistryName;
  /** The message type's name the subscriber expects. */
  typeName: RegistryText;
  /** JSON Schema of one message. */
  schema?: JsonSchema;
  /** The stable hash of the message schema. */
  hash?: string;
}

/** One key of a params group a node uses. */
export interface ParamKeyEntry {
  /** The key inside the group (the full key is `namespace.name`). */
  name: RegistryName;
  /** Whether the key may be unset. */
  optional: boolean;
  /** JSON Schema of its value (what `zmp param set` validates against). */
  schema: JsonSchema;
  /** The property's JSDoc summary. */
  doc?: RegistryText;
}

/** A typed params group a node uses. */
export interface ParamGroupEntry {
  /** The namespace, e.g. `filter`. */
  namespace: RegistryName;
  /** The group's interface name in the source. */
  typeName: RegistryText;
  /** Its keys, in source order. */
  keys: ParamKeyEntry[];
  /** The stable hash of the group's schema (`ParamsDescriptor.hash`). */
  hash?: string;
}

/**
 * Everything the registry knows about one live node. Names and sizes
 * follow `wire/names.ts`; fields not declared here are dropped by the
 * registry, never stored nor sent to watchers (`docs/PROTOCOL.md` §14).
 */
export interface NodeInfo {
  /**
   * Unique among live nodes; a second node with the same name is refused.
   * A node name by the rule of `wire/names.ts` (`docs/PROTOCOL.md` §16).
   */
  name: RegistryName;
  /** Random per process start; tells a restarted node from its ghost. */
  instanceId: RegistryName;
  /** OS process id. */
  pid: RegistryCount;
  /** Host name (`Deno.hostname()`). */
  host: RegistryText;
  /** How it runs. */
  mode: RunMode;
  /** Services it provides. */
  services: ServiceEntry[];
  /** Topics it publishes. */
  publishes: PublicationEntry[];
  /** Topics it subscribes to. */
  subscribes: SubscriptionEntry[];
  /** Params namespaces it uses. */
  params: RegistryName[];
  /** The typed params groups behind `params`, with their schemas. */
  paramGroups?: ParamGroupEntry[];
  /** Services it has clients of (their wire names): what it calls. */
  uses?: RegistryName[];
  /**
   * In secure mode, its CURVE public key: its services and topics prove
   * it, and the registry accepts this name only from this key.
   */
  publicKey?: RegistryKey;
  /** When it registered (ms since the epoch, the node's clock). */
  startedAt: number;
  /**
   * Where it answers `zmp.Observe` (metrics, call taps for recorders), e.g.
   * `tcp://127.0.0.1:40123`; absent for a node that serves none.
   */
  observe?: RegistryName;
  /**
   * `false` while its readiness check fails: service clients and the
   * launcher's `after` conditions pass it over. Absent means ready.
   */
  ready?: boolean;
  /** Why it is not ready, when `ready` is `false`. */
  notReady?: RegistryText;
}

/** A change pushed to watchers. */
export type RegistryEvent =
  /** The full state, sent first on every (re)connection of a watch. */
  | { type: "snapshot"; nodes: NodeInfo[] }
  /** A node registered. */
  | { type: "added"; node: NodeInfo }
  /** A node changed what it provides. */
  | { type: "updated"; node: NodeInfo }
  /** A node left: it unregistered, or its lease expired. */
  | {
    type: "removed";
    name: string;
    instanceId: string;
    reason: "unregistered" | "expired";
  };

/** A change of a param. */
export type ParamEvent =
  /** The full state under the watched prefix, sent first. */
  | { type: "snapshot"; values: Record<string, unknown> }
  /** A key was set. */
  | { type: "set"; key: string; value: unknown }
  /** A key was deleted. */
  | { type: "deleted"; key: string };

/** Options for anything that waits. */
export interface RegistryWaitOptions {
  /** Abort the wait. */
  signal?: AbortSignal;
  /** Give up after this many ms. */
  timeout?: number;
}

/** Options of {@linkcode Registry.register}. */
export interface RegisterOptions extends RegistryWaitOptions {
  /**
   * The registration's secret token, 16 to 256 characters of
   * `[A-Za-z0-9_-]`. A name that is registered (live, or crashed less than
   * a ttl ago) is taken over only with the token of its registration: that
   * is how a restarted node gets its name back, while another process
   * asking for the name is refused. The launcher gives every node it
   * starts a token of its own, the same for every restart.
   * @default {none: the registry makes a new one}
   */
  token?: string;
}

/** A param's value with the revision of its last change. */
export interface ParamEntry {
  /** The value. */
  value: unknown;
  /**
   * The revision of the key's last change: a number > 0 that grows with
   * every change of any key of the store, and never repeats (not even
   * across restarts of the embedded registry). What
   * {@linkcode ParamSetOptions.ifRevision} compares against.
   */
  revision: number;
}

/** Options of {@linkcode ParamStore.set}. */
export interface ParamSetOptions extends RegistryWaitOptions {
  /**
   * Compare-and-set: store the value only when the key's revision is still
   * this one (`0`: only when the key is unset). Otherwise nothing is stored
   * and `set` rejects with `ParamConflictError`.
   * @default {none: set whatever the key holds}
   */
  ifRevision?: number;
}

/** Options of {@linkcode ParamStore.update}. */
export interface ParamUpdateOptions extends RegistryWaitOptions {
  /**
   * How many times `fn` may run (once per conflicting change by someone
   * else) before `update` gives up with `ParamConflictError`.
   * @default {20}
   */
  attempts?: number;
}

/** Raw, untyped params storage: keys are `namespace.key`. */
export interface ParamStore {
  /** The value of `key`, or `undefined` when unset. */
  get(key: string, options?: RegistryWaitOptions): Promise<unknown>;
  /** The value of `key` with its revision, or `undefined` when unset. */
  getEntry(
    key: string,
    options?: RegistryWaitOptions,
  ): Promise<ParamEntry | undefined>;
  /**
   * Sets `key` (values travel as superjson: Date, Map, Set, bigint survive)
   * and answers the key's revision. Setting the value a key already has
   * changes nothing (no new revision, no event).
   *
   * @throws {ParamConflictError} when `ifRevision` is given and the key has
   *   moved on (nothing is stored)
   */
  set(
    key: string,
    value: unknown,
    options?: ParamSetOptions,
  ): Promise<number>;
  /**
   * Read-modify-write without lost updates: reads `key`, calls `fn` with its
   * value (`undefined` when unset), and stores what `fn` returns with a
   * compare-and-set; when someone else changed the key meanwhile, does it
   * all again with the new value. `fn` returning `undefined` stores nothing.
   *
   * @returns the value stored (or left) in the key
   * @throws {ParamConflictError} after `attempts` conflicts in a row
   */
  update(
    key: string,
    fn: (current: unknown) => unknown,
    options?: ParamUpdateOptions,
  ): Promise<unknown>;
  /** Deletes `key`; `true` if it existed. */
  delete(key: string, options?: RegistryWaitOptions): Promise<boolean>;
  /** Every key under `prefix` (all when omitted) with its value. */
  list(
    prefix?: string,
    options?: RegistryWaitOptions,
  ): Promise<Record<string, unknown>>;
  /** A snapshot then every change under `prefix`, until aborted or closed. */
  watch(
    prefix?: string,
    options?: { signal?: AbortSignal },
  ): AsyncIterable<ParamEvent>;
}

/** A live registration: heartbeats run until `close()`. */
export interface Registration extends AsyncDisposable {
  /** What is registered now. */
  readonly info: NodeInfo;
  /**
   * The registration's secret token: what heartbeats, updates and
   * unregistering carry, and what a restart of this node passes to
   * {@linkcode Registry.register} to get its name back. Never listed by
   * the registry; do not log it.
   */
  readonly token: string;
  /** Replaces the registered info (e.g. a new service was provided). */
  update(info: NodeInfo): Promise<void>;
  /** Unregisters and stops heartbeating. Idempotent. */
  close(): Promise<void>;
}

/**
 * A connection to a registry backend: the embedded registry, or etcd.
 * `connectRegistry` picks the backend from the endpoint.
 */
export interface Registry extends AsyncDisposable {
  /**
   * Where the registry is, e.g. `tcp://127.0.0.1:7350` (embedded) or
   * `etcd://10.0.0.1:2379,10.0.0.2:2379` (etcd).
   */
  readonly endpoint: string;
  /** Which backend it is. */
  readonly backend: "embedded" | "etcd";
  /**
   * Registers a node and keeps it alive: heartbeats (embedded) or lease
   * keepalives (etcd) every `ttl / 3`, and registers again by itself when
   * its lease was lost (the registry restarted empty, or the node was cut
   * off for longer than the ttl).
   *
   * @throws {RpcError} `ALREADY_EXISTS` when the name is registered (live,
   *   or crashed less than a ttl ago) and `options.token` is not the token
   *   of that registration
   * @throws {NameError} for a name or size that breaks the rule of
   *   `wire/names.ts` (`docs/PROTOCOL.md` §16), naming the field; fields
   *   `NodeInfo` does not declare are dropped, not refused
   */
  register(
    info: NodeInfo,
    options?: RegisterOptions,
  ): Promise<Registration>;
  /** Every live node. */
  nodes(options?: RegistryWaitOptions): Promise<NodeInfo[]>;
  /**
   * A snapshot then every change, pushed; survives registry restarts (a new
   * snapshot follows a reconnection). Ends when aborted or closed.
   */
  watch(options?: { signal?: AbortSignal }): AsyncIterable<RegistryEvent>;
  /** Param storage. */
  readonly params: ParamStore;
  /** Closes the connection (not the registrations' nodes). Idempotent. */
  close(): Promise<void>;
}

/** The registry address used when neither an option nor `ZMP_REGISTRY` says. */
export const DEFAULT_REGISTRY_ENDPOINT = "tcp://127.0.0.1:7350";

/** The lease time-to-live: a silent node is removed after this many ms. */
export const DEFAULT_TTL_MS = 3000;
