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
import { knownFields } from "./_node_info.ts";
import { KeptRegistration, type Lease } from "./_kept.ts";
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
  forget(registration: Registration): void;
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

/**
 * Starts keeping a node's registration in etcd.
 *
 * @param host the registry
 * @param init what was registered, its token, its lease and the lease's
 *   ttl in seconds
 * @returns the live registration
 */
export function keepEtcdRegistration(
  host: EtcdRegistrationHost,
  init: { info: NodeInfo; token: string; lease: string; ttl: number },
): KeptRegistration {
  return new KeptRegistration(new EtcdLease(host, init), host, init);
}

/** etcd's side: keep-alive, a compare-on-lease put, a claim, a leave. */
class EtcdLease implements Lease {
  readonly #host: EtcdRegistrationHost;
  readonly #token: string;
  #lease: string;
  #ttl: number;

  constructor(
    host: EtcdRegistrationHost,
    init: { token: string; lease: string; ttl: number },
  ) {
    this.#host = host;
    this.#token = init.token;
    this.#lease = init.lease;
    this.#ttl = init.ttl;
  }

  interval(failures: number): number {
    const interval = Math.max(100, (this.#ttl * 1000) / 3);
    // After a failure, try again soon (another member), then less often.
    return failures === 0
      ? interval
      : Math.min(interval, 100 * 2 ** (failures - 1));
  }

  async renew(
    info: NodeInfo,
    send: boolean,
    signal: AbortSignal,
  ): Promise<boolean> {
    const left = await this.#host.conn.keepAlive(
      this.#lease,
      Math.max(200, (this.#ttl * 1000) / 3),
    );
    if (left <= 0) await this.#register(info, signal);
    else if (send) await this.send(info, signal);
    else return false;
    return true;
  }

  async send(info: NodeInfo, signal: AbortSignal): Promise<void> {
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
    }, { timeout: this.#host.timeout, signal });
    // The lease was lost: claim the name again.
    if (!res.succeeded) await this.#register(info, signal);
  }

  async leave(info: NodeInfo): Promise<void> {
    const { conn } = this.#host;
    const key = conn.key(NODES_DIR + info.name);
    const options = { timeout: Math.min(this.#host.timeout, 1000) };
    try {
      await conn.txn(`unregister node "${info.name}"`, {
        compare: [{
          key,
          target: CompareTarget.Lease,
          result: CompareResult.Equal,
          lease: this.#lease,
        }],
        success: [
          {
            request_put: {
              key: conn.key(LEFT_DIR + info.name),
              value: Buffer.from(info.instanceId),
              lease: this.#lease,
            },
          },
          { request_delete_range: { key } },
          {
            request_delete_range: {
              key: conn.key(TOKENS_DIR + info.name),
            },
          },
        ],
        failure: [],
      }, options);
      await conn.revoke(this.#lease, options);
    } catch {
      // out of reach: the lease will expire
    }
  }

  away(e: unknown): boolean {
    return e instanceof RpcError && e.code === "UNAVAILABLE";
  }

  /** A new lease, and the name claimed again with our token. */
  async #register(info: NodeInfo, signal: AbortSignal): Promise<void> {
    const old = this.#lease;
    const { lease, ttl } = await claimName(this.#host, {
      info,
      token: this.#token,
    }, { timeout: this.#host.timeout, signal });
    this.#lease = lease;
    this.#ttl = ttl;
    this.#host.conn.revoke(old, { timeout: 1000 }).catch(() => {});
  }
}
