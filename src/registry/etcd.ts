/**
 * The etcd backend of the registry and params: for systems that span
 * machines. etcd (Raft-replicated, what Kubernetes relies on) keeps the
 * state; zmp keeps no server of its own.
 *
 * Key layout, under a prefix (`zmp` unless the endpoint names another:
 * `etcd://host:2379/myapp`):
 *
 * | key                     | value                                | lease                 |
 * | ----------------------- | ------------------------------------ | --------------------- |
 * | `<prefix>/nodes/<name>` | the node's `NodeInfo`, JSON          | the node's own lease  |
 * | `<prefix>/left/<name>`  | the instance id of a node that left  | the same lease        |
 * | `<prefix>/tokens/<name>`| SHA-256 (hex) of the registration's secret token | the same lease |
 * | `<prefix>/params/<key>` | the value, superjson text            | none: params persist  |
 *
 * Only zmp's own clients honour the tokens: a process that can write to
 * etcd directly can change any key. Protect etcd itself (TLS, RBAC) when
 * other processes can reach it.
 *
 * Load this module through `connectRegistry({ endpoint: "etcd://…" })`:
 * it is imported only when an etcd endpoint is used, so that programs on
 * one machine never load gRPC.
 *
 * @module
 */

import { consoleLogger, type Logger } from "../rpc/logger.ts";
import { assertValid } from "../wire/descriptors.ts";
import { RpcError } from "../wire/errors.ts";
import { EtcdConnection } from "./_etcd_client.ts";
import { resolveEtcdTls } from "./_etcd_tls.ts";
import { type EtcdWatchItem, watchRange } from "./_etcd_watch.ts";
import { EtcdParamStore } from "./_etcd_params.ts";
import {
  claimName,
  keepEtcdRegistration,
  LEFT_DIR,
  NODES_DIR,
  parseNodeInfo,
} from "./_etcd_registration.ts";
import type { EtcdEndpoint } from "./_endpoint.ts";
import { RegistryUnavailableError } from "./errors.ts";
import { checkToken } from "./_service.ts";
import { admitNodeInfo } from "./_node_info.ts";
import { newToken } from "./_token.ts";
import { combine, type ConnectRegistryOptions } from "./client.ts";
import {
  DEFAULT_TTL_MS,
  type NodeInfo,
  type ParamStore,
  type RegisterOptions,
  type Registration,
  type Registry,
  type RegistryEvent,
  type RegistryWaitOptions,
} from "./types.ts";
import { isDeepStrictEqual } from "node:util";

/**
 * Connects to etcd and checks that a member answers.
 *
 * @param endpoint the parsed endpoint
 * @param options timeout, signal, logger, ttl
 * @returns the registry
 * @throws {RegistryUnavailableError} when no member answers within `timeout`
 * @throws {RangeError} for a ttl that is not a number of ms >= 1000
 */
export async function connectEtcdRegistry(
  endpoint: EtcdEndpoint,
  options: ConnectRegistryOptions & { timeout: number },
): Promise<Registry> {
  const ttl = options.ttl ?? DEFAULT_TTL_MS;
  if (typeof ttl !== "number" || !Number.isFinite(ttl) || ttl < 1000) {
    throw new RangeError(
      `Cannot connect to the registry: ttl must be a number of ms >= 1000 with etcd, got ${
        String(ttl)
      }`,
    );
  }
  const tls = await resolveEtcdTls(endpoint, options.etcdTls);
  const conn = new EtcdConnection(endpoint, { tls });
  try {
    await conn.range(NODES_DIR, {
      timeout: options.timeout,
      signal: options.signal,
    });
  } catch (e) {
    conn.close();
    if (options.signal?.aborted) throw e;
    const unreachable = e instanceof RpcError && e.code === "UNAVAILABLE";
    const reason = !unreachable
      ? (e as Error)?.message ?? String(e)
      : endpoint.tls && tlsFailure(e)
      ? `no TLS session with etcd: ${
        tls?.clientCert
          ? "does etcd trust this client certificate (ZMP_ETCD_CERT), and ZMP_ETCD_CA the server's?"
          : "it may want a client certificate (ZMP_ETCD_CERT, ZMP_ETCD_KEY), or ZMP_ETCD_CA may not be the CA of its certificate"
      }`
      : undefined;
    throw new RegistryUnavailableError(endpoint.endpoint, options.timeout, {
      cause: e,
      reason,
    });
  }
  return new EtcdRegistry(conn, {
    timeout: options.timeout,
    logger: options.logger ?? consoleLogger,
    ttlSeconds: Math.ceil(ttl / 1000),
  });
}

/** A {@linkcode Registry} on etcd. */
class EtcdRegistry implements Registry {
  readonly backend = "etcd";
  readonly endpoint: string;
  readonly params: ParamStore;
  readonly conn: EtcdConnection;
  readonly timeout: number;
  readonly logger: Logger;
  readonly ttlSeconds: number;
  readonly #registrations = new Set<Registration>();
  readonly #closer = new AbortController();
  #closing: Promise<void> | undefined;

  constructor(
    conn: EtcdConnection,
    init: { timeout: number; logger: Logger; ttlSeconds: number },
  ) {
    this.conn = conn;
    this.endpoint = conn.endpoint;
    this.timeout = init.timeout;
    this.logger = init.logger;
    this.ttlSeconds = init.ttlSeconds;
    this.params = new EtcdParamStore({
      conn,
      timeout: init.timeout,
      closed: this.#closer.signal,
      warn: (m) => this.logger.warn(m),
    });
  }

  forget(registration: Registration): void {
    this.#registrations.delete(registration);
  }

  async register(
    given: NodeInfo,
    options?: RegisterOptions,
  ): Promise<Registration> {
    this.#checkOpen("register");
    // etcd stores what it is given: this is the registry's door.
    const info = admitNodeInfo(given);
    if (options?.token !== undefined) {
      assertValid(checkToken, options.token, "RegistrationToken", "token");
    }
    const token = options?.token || newToken();
    const { lease, ttl } = await claimName(this, { info, token }, {
      timeout: options?.timeout ?? this.timeout,
      signal: options?.signal,
    });
    const registration = keepEtcdRegistration(this, {
      info,
      token,
      lease,
      ttl,
    });
    if (this.#closing !== undefined) {
      await registration.close();
      this.#checkOpen("register");
    }
    this.#registrations.add(registration);
    return registration;
  }

  async nodes(options?: RegistryWaitOptions): Promise<NodeInfo[]> {
    const { kvs } = await this.conn.range(NODES_DIR, {
      timeout: options?.timeout ?? this.timeout,
      signal: options?.signal,
    }, true);
    return sortByName(
      kvs.map((kv) => parseNodeInfo(kv.value)).filter((n) => n !== undefined),
    );
  }

  async *watch(
    options: { signal?: AbortSignal } = {},
  ): AsyncGenerator<RegistryEvent, void, undefined> {
    const signal = combine(options.signal, this.#closer.signal);
    // One range holds both folders: left/ sorts before nodes/.
    const range = {
      key: this.conn.key(LEFT_DIR),
      end: this.conn.rangeEnd(NODES_DIR),
    };
    const live = new Map<string, NodeInfo>();
    for await (const item of watchRange(this.conn, range, { signal })) {
      yield* translate(item, live);
    }
  }

  close(): Promise<void> {
    return this.#closing ??= this.#close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #close(): Promise<void> {
    await Promise.all([...this.#registrations].map((r) => r.close()));
    this.#closer.abort();
    this.conn.close();
  }

  #checkOpen(what: string): void {
    if (this.#closing !== undefined) {
      throw new TypeError(`Cannot ${what}: the registry client is closed`);
    }
  }
}

/**
 * Turns watch items into registry events, keeping `live` current.
 *
 * @param item a snapshot or changes
 * @param live the nodes known so far, by name (updated)
 * @returns the events
 */
function* translate(
  item: EtcdWatchItem,
  live: Map<string, NodeInfo>,
): Generator<RegistryEvent> {
  if (item.type === "snapshot") {
    live.clear();
    for (const kv of item.kvs) {
      if (!kv.key.startsWith(NODES_DIR)) continue;
      const info = parseNodeInfo(kv.value);
      if (info !== undefined) live.set(info.name, info);
    }
    yield { type: "snapshot", nodes: sortByName([...live.values()]) };
    return;
  }
  // A node that leaves writes its left/ mark in the revision that deletes
  // it: the mark comes first in the same batch.
  const left = new Map<string, { instanceId: string; revision: number }>();
  for (const { type, kv } of item.changes) {
    if (kv.key.startsWith(LEFT_DIR)) {
      if (type === "put") {
        left.set(kv.key.slice(LEFT_DIR.length), {
          instanceId: new TextDecoder().decode(kv.value),
          revision: kv.modRevision,
        });
      }
      continue;
    }
    if (!kv.key.startsWith(NODES_DIR)) continue;
    const name = kv.key.slice(NODES_DIR.length);
    const old = live.get(name);
    if (type === "delete") {
      if (old === undefined) continue;
      live.delete(name);
      const mark = left.get(name);
      const unregistered = mark !== undefined &&
        mark.instanceId === old.instanceId && mark.revision === kv.modRevision;
      yield {
        type: "removed",
        name,
        instanceId: old.instanceId,
        reason: unregistered ? "unregistered" : "expired",
      };
      continue;
    }
    const info = parseNodeInfo(kv.value);
    if (info === undefined) continue;
    live.set(name, info);
    if (old === undefined) yield { type: "added", node: info };
    else if (old.instanceId !== info.instanceId) {
      // A new instance took the name of a dead one.
      yield {
        type: "removed",
        name,
        instanceId: old.instanceId,
        reason: "expired",
      };
      yield { type: "added", node: info };
    } else if (!isDeepStrictEqual(old, info)) {
      yield { type: "updated", node: info };
    }
  }
}

/**
 * Whether a failure to reach etcd over TLS was more than no etcd at all:
 * something answered at the address but no TLS session came of it (etcd
 * ended the handshake, or the certificates did not check out).
 */
function tlsFailure(e: unknown): boolean {
  return !/ECONNREFUSED|EHOSTUNREACH|ENETUNREACH/.test(
    (e as Error)?.message ?? "",
  );
}

function sortByName(nodes: NodeInfo[]): NodeInfo[] {
  return nodes.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}
