/**
 * A node's registration in etcd: its `NodeInfo` (JSON) at
 * `<prefix>/nodes/<name>`, attached to a lease of its own.
 *
 * - The name is claimed by a transaction: put only if the key does not
 *   exist. Beside it, `<prefix>/tokens/<name>` holds the SHA-256 of the
 *   registration's secret token, on the same lease. A key that exists is
 *   taken over (compared on its mod revision) only by a claim carrying
 *   that token: the same node registering again, or its restart.
 * - Every `ttl / 3` the lease is renewed. When etcd answers that the lease
 *   is gone (the node was cut off for longer than the ttl), a new lease is
 *   granted and the name claimed again: a node that comes back needs no
 *   help.
 * - Leaving: one transaction puts `<prefix>/left/<name>` (the instance id,
 *   on the same lease) and deletes the node's key, so watchers tell a node
 *   that left from one whose lease expired; then the lease is revoked.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { CompareResult, CompareTarget } from "etcd3";
import type { Logger } from "../rpc/logger.ts";
import { RpcError } from "../wire/errors.ts";
import type { EtcdConnection } from "./_etcd_client.ts";
import { nameTaken } from "./errors.ts";
import { admitNodeInfo, knownFields } from "./_node_info.ts";
import { sameToken, tokenDigest } from "./_token.ts";
import type { NodeInfo, Registration } from "./types.ts";

/** Where node infos live under the system's prefix. */
export const NODES_DIR = "nodes/";
/** Where the marks of nodes that left (rather than expired) live. */
export const LEFT_DIR = "left/";
/** Where the digests of registration tokens live (outside the watch). */
export const TOKENS_DIR = "tokens/";

/** What a registration needs from its registry. */
export interface EtcdRegistrationHost {
  /** The connection. */
  readonly conn: EtcdConnection;
  /** Where problems are reported. */
  readonly logger: Logger;
  /** Default timeout of a call, in ms. */
  readonly timeout: number;
  /** The lease ttl asked for, in whole seconds. */
  readonly ttlSeconds: number;
  /** Forgets a closed registration. */
  forget(registration: EtcdRegistration): void;
}

/**
 * Parses a stored node info.
 *
 * @param bytes the stored JSON
 * @returns the info, or `undefined` when it is not one
 */
export function parseNodeInfo(bytes: Uint8Array): NodeInfo | undefined {
  try {
    const info = JSON.parse(new TextDecoder().decode(bytes));
    return typeof info === "object" && info !== null &&
        typeof info.name === "string" && typeof info.instanceId === "string"
      ? knownFields(info as NodeInfo)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Grants a lease and claims the node's name with it.
 *
 * @param host the registry
 * @param claim the node and its registration's token
 * @param options timeout and signal
 * @returns the lease id and its ttl in seconds
 * @throws {RpcError} `ALREADY_EXISTS` when the name is registered with
 *   another token
 */
export async function claimName(
  host: EtcdRegistrationHost,
  claim: { info: NodeInfo; token: string },
  options: { timeout: number; signal?: AbortSignal },
): Promise<{ lease: string; ttl: number }> {
  const { conn } = host;
  const { id: lease, ttl } = await conn.grant(host.ttlSeconds, options);
  try {
    await claimWith(conn, { ...claim, lease }, options);
  } catch (e) {
    await conn.revoke(lease, { timeout: 1000 }).catch(() => {});
    throw e;
  }
  return { lease, ttl };
}

async function claimWith(
  conn: EtcdConnection,
  claim: { info: NodeInfo; token: string; lease: string },
  options: { timeout: number; signal?: AbortSignal },
): Promise<void> {
  const { info, lease } = claim;
  const key = conn.key(NODES_DIR + info.name);
  const tokenKey = conn.key(TOKENS_DIR + info.name);
  const digest = await tokenDigest(claim.token);
  const put = [
    {
      request_put: { key, value: Buffer.from(JSON.stringify(info)), lease },
    },
    { request_put: { key: tokenKey, value: Buffer.from(digest), lease } },
  ];
  const what = `register node "${info.name}"`;
  for (let i = 0; i < 5; i++) {
    const res = await conn.txn(what, {
      compare: [{
        key,
        target: CompareTarget.Create,
        result: CompareResult.Equal,
        create_revision: 0,
      }],
      success: put,
      failure: [{ request_range: { key } }, {
        request_range: { key: tokenKey },
      }],
    }, options);
    if (res.succeeded) return;
    const kv = res.responses[0].response_range.kvs[0];
    if (kv === undefined) continue; // gone meanwhile
    const other = parseNodeInfo(kv.value);
    const held = res.responses[1].response_range.kvs[0];
    if (
      held === undefined ||
      !sameToken(new TextDecoder().decode(held.value), digest)
    ) {
      throw nameTaken(
        info.name,
        other ?? {
          ...info,
          pid: 0,
          host: "?",
          instanceId: "(unreadable)",
        },
      );
    }
    const taken = await conn.txn(what, {
      compare: [{
        key,
        target: CompareTarget.Mod,
        result: CompareResult.Equal,
        mod_revision: kv.mod_revision,
      }],
      success: put,
      failure: [],
    }, options);
    if (taken.succeeded) return;
  }
  throw new RpcError(
    "ABORTED",
    `Cannot register node "${info.name}": its key kept changing`,
  );
}

/** A live registration that keeps its lease until closed. */
export class EtcdRegistration implements Registration {
  readonly #host: EtcdRegistrationHost;
  #info: NodeInfo;
  readonly #token: string;
  #lease: string;
  #ttl: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #dirty = false;
  #failures = 0;
  #closing: Promise<void> | undefined;
  readonly #stop = new AbortController();
  #problem: string | undefined;

  /**
   * @param host the registry
   * @param init what was registered, its token, its lease and the lease's
   *   ttl in seconds
   */
  constructor(
    host: EtcdRegistrationHost,
    init: { info: NodeInfo; token: string; lease: string; ttl: number },
  ) {
    this.#host = host;
    this.#info = init.info;
    this.#token = init.token;
    this.#lease = init.lease;
    this.#ttl = init.ttl;
    this.#schedule();
  }

  /** What is registered now. */
  get info(): NodeInfo {
    return this.#info;
  }

  /** The registration's secret token. */
  get token(): string {
    return this.#token;
  }

  /**
   * Replaces the registered info; kept and sent again when etcd cannot be
   * reached.
   *
   * @param info the new info, same name and instance
   * @returns once etcd has it
   * @throws {TypeError} when the name or instance differ, or closed
   * @throws {ValidationError} for a malformed info
   * @throws {NameError} for a name or size that breaks the rule of
   *   `wire/names.ts`, naming the field (nothing is sent)
   * @throws {RpcError} `UNAVAILABLE` when etcd cannot be reached (retried
   *   in the background), `ALREADY_EXISTS` when the registration was lost
   *   and the name taken
   */
  update(given: NodeInfo): Promise<void> {
    if (this.#closing !== undefined) {
      return Promise.reject(
        new TypeError(
          `Cannot update node "${this.#info.name}": its registration is closed`,
        ),
      );
    }
    let info: NodeInfo;
    try {
      info = admitNodeInfo(given); // etcd stores what it is given
    } catch (e) {
      return Promise.reject(e);
    }
    if (
      info.name !== this.#info.name || info.instanceId !== this.#info.instanceId
    ) {
      return Promise.reject(
        new TypeError(
          `Cannot update node "${this.#info.name}": the new info has name "${info.name}" and instance ${info.instanceId}, expected "${this.#info.name}" and ${this.#info.instanceId}`,
        ),
      );
    }
    this.#info = info;
    this.#dirty = true;
    return this.#serial(async () => {
      if (this.#dirty) await this.#sendUpdate();
    });
  }

  /** Leaves (best effort: otherwise the lease expires). Idempotent. */
  close(): Promise<void> {
    return this.#closing ??= this.#close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #close(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#stop.abort();
    await this.#queue;
    const { conn } = this.#host;
    const key = conn.key(NODES_DIR + this.#info.name);
    const options = { timeout: Math.min(this.#host.timeout, 1000) };
    try {
      await conn.txn(`unregister node "${this.#info.name}"`, {
        compare: [{
          key,
          target: CompareTarget.Lease,
          result: CompareResult.Equal,
          lease: this.#lease,
        }],
        success: [
          {
            request_put: {
              key: conn.key(LEFT_DIR + this.#info.name),
              value: Buffer.from(this.#info.instanceId),
              lease: this.#lease,
            },
          },
          { request_delete_range: { key } },
          {
            request_delete_range: {
              key: conn.key(TOKENS_DIR + this.#info.name),
            },
          },
        ],
        failure: [],
      }, options);
      await conn.revoke(this.#lease, options);
    } catch {
      // out of reach: the lease will expire
    }
    this.#host.forget(this);
  }

  #serial(fn: () => Promise<void>): Promise<void> {
    const p = this.#queue.then(fn);
    this.#queue = p.catch(() => {});
    return p;
  }

  #schedule(): void {
    if (this.#closing !== undefined) return;
    const interval = Math.max(100, (this.#ttl * 1000) / 3);
    // After a failure, try again soon (another member), then less often.
    const wait = this.#failures === 0
      ? interval
      : Math.min(interval, 100 * 2 ** (this.#failures - 1));
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#serial(() => this.#beat()).finally(() => this.#schedule());
    }, wait);
  }

  async #beat(): Promise<void> {
    if (this.#stop.signal.aborted) return;
    try {
      const left = await this.#host.conn.keepAlive(
        this.#lease,
        Math.max(200, (this.#ttl * 1000) / 3),
      );
      if (left <= 0) await this.#register();
      else if (this.#dirty) await this.#sendUpdate();
      this.#failures = 0;
      this.#problem = undefined;
    } catch (e) {
      this.#failures++;
      this.#report(e);
    }
  }

  async #sendUpdate(): Promise<void> {
    const info = this.#info;
    const { conn } = this.#host;
    const key = conn.key(NODES_DIR + info.name);
    const res = await conn.txn(`update node "${info.name}"`, {
      compare: [{
        key,
        target: CompareTarget.Lease,
        result: CompareResult.Equal,
        lease: this.#lease,
      }],
      success: [{
        request_put: {
          key,
          value: Buffer.from(JSON.stringify(info)),
          lease: this.#lease,
        },
      }],
      failure: [],
    }, { timeout: this.#host.timeout, signal: this.#stop.signal });
    if (!res.succeeded) {
      await this.#register(); // the lease was lost: claim the name again
      return;
    }
    if (this.#info === info) this.#dirty = false;
  }

  async #register(): Promise<void> {
    const info = this.#info;
    const old = this.#lease;
    const { lease, ttl } = await claimName(this.#host, {
      info,
      token: this.#token,
    }, {
      timeout: this.#host.timeout,
      signal: this.#stop.signal,
    });
    this.#lease = lease;
    this.#ttl = ttl;
    if (this.#info === info) this.#dirty = false;
    this.#host.conn.revoke(old, { timeout: 1000 }).catch(() => {});
  }

  /** Logs a background failure once, until things work again. */
  #report(e: unknown): void {
    if (this.#stop.signal.aborted) return;
    if (e instanceof RpcError && e.code === "UNAVAILABLE") return;
    const message = (e as Error)?.message ?? String(e);
    if (message === this.#problem) return;
    this.#problem = message;
    this.#host.logger.error(
      `registration of node "${this.#info.name}": ${message}`,
    );
  }
}
