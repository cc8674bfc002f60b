/**
 * The `zmp.Registry` service, as zmp's own codegen reads it: its methods
 * and the types of what they carry. `registry.api.schema.json` (generated)
 * is what the registry and its clients validate with; `docs/PROTOCOL.md`
 * describes the same service for clients in other languages.
 *
 * It uses the `superjson` codec so that a person (or a Python client) can
 * read the bytes. Stream methods (`watch`, `paramWatch`) are long-lived:
 * they carry no deadline, and the server sends a `{"type": "keepalive"}`
 * item to a reader that has been waiting for a while, so that a vanished
 * client is noticed; clients skip these items.
 *
 * Regenerate with `deno task codegen src/registry/registry.api.ts`.
 *
 * @module
 * @zmpRuntime ./_runtime.ts
 */

import type {
  NodeInfo,
  ParamEntry,
  ParamEvent,
  RegistryCount,
  RegistryEvent,
  RegistryName,
} from "./types.ts";

/**
 * A param key: a registry name other than `__proto__`.
 * @minLength 1
 * @maxLength 1024
 * @pattern ^(?!__proto__$)
 */
export type ParamKey = string;

/**
 * A key prefix (`""` for every key).
 * @maxLength 1024
 */
export type ParamPrefix = string;

/**
 * A registration's secret token: whoever holds it may heartbeat, update,
 * unregister and take over the registration (a node restarting under the
 * same name). The registry never lists it, and no event carries it.
 * @minLength 16
 * @maxLength 256
 * @pattern ^[A-Za-z0-9_-]+$
 */
export type RegistrationToken = string;

/** What `register` answers. */
export interface RegisterReply {
  /** The lease time-to-live, in ms: heartbeat at least every `ttl / 3`. */
  ttl: RegistryCount;
  /**
   * The registration's secret token: the one `register` was given, or a
   * new random one. Keep it; send it with every later call about this
   * registration.
   */
  token: RegistrationToken;
}

/** What `info` answers: facts about the registry itself. */
export interface RegistryFacts {
  /** Wire version of the `zmp.Registry` service. */
  version: RegistryCount;
  /** The lease time-to-live, in ms. */
  ttl: RegistryCount;
  /** The registry's process id. */
  pid: RegistryCount;
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

/**
 * Discovery, liveness and params of a zmp system.
 * @service zmp.Registry
 * @codec superjson
 */
export interface RegistryApi {
  /**
   * Facts about the registry: version, ttl, pid, host, startedAt.
   * @idempotent
   */
  info(): Promise<RegistryFacts>;
  /**
   * Registers a node; answers { ttl, token }. A live name is taken over only with its registration's token (a restart), else ALREADY_EXISTS.
   * @idempotent
   */
  register(
    info: NodeInfo,
    token?: RegistrationToken,
  ): Promise<RegisterReply>;
  /**
   * Renews a lease. NOT_FOUND when unknown: register again. PERMISSION_DENIED without the registration's token.
   * @idempotent
   */
  heartbeat(
    name: RegistryName,
    instanceId: RegistryName,
    token: RegistrationToken,
  ): Promise<void>;
  /**
   * Replaces a registered node's info. NOT_FOUND when unknown. PERMISSION_DENIED without the registration's token.
   * @idempotent
   */
  update(info: NodeInfo, token: RegistrationToken): Promise<void>;
  /**
   * Removes a node; answers whether it was registered. PERMISSION_DENIED without the registration's token.
   * @idempotent
   */
  unregister(
    name: RegistryName,
    instanceId: RegistryName,
    token: RegistrationToken,
  ): Promise<boolean>;
  /**
   * Every live node.
   * @idempotent
   */
  nodes(): Promise<NodeInfo[]>;
  /**
   * A snapshot, then added/updated/removed events (and keepalive items when idle).
   * @idempotent
   */
  watch(): AsyncIterable<WatchItem>;
  /**
   * The value of a key, or undefined.
   * @idempotent
   */
  paramGet(key: ParamKey): Promise<unknown>;
  /**
   * The value of a key with its revision ({value, revision}), or undefined.
   * @idempotent
   */
  paramGetEntry(key: ParamKey): Promise<ParamEntry | undefined>;
  /**
   * Sets a key; answers its revision. With ifRevision, only when the key is at that revision (0: unset), else ABORTED.
   * @idempotent
   */
  paramSet(
    key: ParamKey,
    value: unknown,
    ifRevision?: RegistryCount,
  ): Promise<RegistryCount>;
  /** Deletes a key; answers whether it existed. */
  paramDelete(key: ParamKey): Promise<boolean>;
  /**
   * Every key under a prefix, with its value.
   * @idempotent
   */
  paramList(prefix?: ParamPrefix): Promise<Record<string, unknown>>;
  /**
   * A snapshot of the keys under a prefix, then set/deleted events (and keepalive items when idle).
   * @idempotent
   */
  paramWatch(prefix?: ParamPrefix): AsyncIterable<ParamWatchItem>;
}
