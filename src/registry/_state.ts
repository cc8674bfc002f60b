/**
 * The embedded registry's state, without sockets: live nodes with their
 * leases, the params, and the watchers of both. The RPC handlers of the
 * registry server are thin wrappers around it.
 *
 * Leases are checked with one timer for all nodes, armed for the earliest
 * expiry (heartbeats only push expiries later, so it never fires late).
 *
 * @module
 */

import { isDeepStrictEqual } from "node:util";
import { RpcError } from "../wire/errors.ts";
import type {
  NodeInfo,
  ParamEntry,
  ParamEvent,
  RegistryEvent,
} from "./types.ts";
import { nameTaken, ParamConflictError, wrongToken } from "./errors.ts";
import { newToken, sameToken } from "./_token.ts";
import { Feed } from "./_feed.ts";
import type { RegisterReply } from "./_service.ts";

/** The longest delay a timer can represent, in ms. */
const MAX_TIMER = 2 ** 31 - 1;
/**
 * How late (ms) the expiry timer may fire and still be on time: later than
 * this, the process was busy and heartbeats may wait unread.
 */
const LATE_SLACK = 50;

/** How a {@linkcode RegistryState} is made. */
export interface RegistryStateInit {
  /** Lease time-to-live, in ms. */
  ttl: number;
  /** Initial params with their revisions (loaded from a file). */
  params?: Map<string, ParamEntry>;
  /**
   * The last revision given out before (from the file). Revisions go on
   * from it, or from the clock in µs when that is later, so that a revision
   * read from an earlier life of the registry never matches a new one.
   * @default {0}
   */
  revision?: number;
  /** Called after every change of the params (to persist them). */
  onParamsChanged?: () => void;
  /** How often idle watchers get a keepalive item, in ms. */
  keepalive: number;
  /** Most events queued per watcher before a fresh snapshot replaces them. */
  maxQueue?: number;
}

interface Lease {
  info: NodeInfo;
  /** The registration's secret token. */
  token: string;
  expiresAt: number;
}

/**
 * Whether `key` is under `prefix`: every key is under `""`; a prefix ending
 * with `.` matches keys starting with it; any other prefix matches itself
 * and keys starting with it followed by a `.` (so `robot` matches
 * `robot.speed`, not `robotics.arm`).
 *
 * @param key a param key
 * @param prefix the prefix
 * @returns whether it matches
 */
export function underPrefix(key: string, prefix: string): boolean {
  if (prefix === "") return true;
  if (!key.startsWith(prefix)) return false;
  return prefix.endsWith(".") || key.length === prefix.length ||
    key[prefix.length] === ".";
}

/** Live nodes, params and watchers. */
export class RegistryState {
  /** The lease time-to-live, in ms. */
  readonly ttl: number;
  readonly #leases = new Map<string, Lease>();
  /** `nodes()` until the nodes change. */
  #nodes: readonly NodeInfo[] | undefined;
  /** The snapshot event of the nodes until they change. */
  #snapshot: RegistryEvent | undefined;
  readonly #params: Map<string, ParamEntry>;
  #revision: number;
  readonly #onParamsChanged: () => void;
  readonly #nodeFeeds = new Set<Feed<RegistryEvent>>();
  readonly #paramFeeds = new Map<Feed<ParamEvent>, string>();
  readonly #keepalive: number;
  readonly #maxQueue: number;
  #expiryTimer: ReturnType<typeof setTimeout> | undefined;
  /** When the expiry timer should fire (a `performance.now()` time). */
  #expiryDue = 0;
  #keepaliveTimer: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  /**
   * @param init ttl, initial params, persistence hook, keepalive interval
   */
  constructor(init: RegistryStateInit) {
    this.ttl = init.ttl;
    this.#params = init.params ?? new Map();
    this.#revision = Math.max(init.revision ?? 0, Date.now() * 1000);
    this.#onParamsChanged = init.onParamsChanged ?? (() => {});
    this.#keepalive = init.keepalive;
    this.#maxQueue = init.maxQueue ?? 1024;
  }

  /** The params with their revisions, for persistence. */
  get params(): ReadonlyMap<string, ParamEntry> {
    return this.#params;
  }

  /** The last revision given out. */
  get revision(): number {
    return this.#revision;
  }

  /** How many watch streams (nodes and params) are open. */
  get watchers(): number {
    return this.#nodeFeeds.size + this.#paramFeeds.size;
  }

  /**
   * Registers a node. A name that is registered (live, or crashed and not
   * yet expired) is taken over only with that registration's token: the
   * same instance registering again has its info replaced and its lease
   * renewed; a new instance (a restart) replaces the old one, which ends
   * as expired.
   *
   * @param info the node
   * @param token the registration's token, when it has one already (a
   *   restart, or a token its launcher chose)
   * @returns the lease ttl and the registration's token
   * @throws {RpcError} `ALREADY_EXISTS` when the name is registered and
   *   `token` is not its token
   */
  register(info: NodeInfo, token?: string): RegisterReply {
    let lease = this.#leases.get(info.name);
    if (lease !== undefined && !(token && sameToken(token, lease.token))) {
      throw nameTaken(info.name, lease.info);
    }
    if (lease !== undefined && lease.info.instanceId !== info.instanceId) {
      // A restart whose predecessor did not unregister.
      this.#expire(lease.info);
      lease = undefined;
    }
    const expiresAt = performance.now() + this.ttl;
    if (lease === undefined) {
      lease = { info, token: token || newToken(), expiresAt };
      this.#leases.set(info.name, lease);
      this.#emitNode({ type: "added", node: info });
      this.#armExpiry();
    } else {
      lease.expiresAt = expiresAt;
      if (!isDeepStrictEqual(lease.info, info)) {
        lease.info = info;
        this.#emitNode({ type: "updated", node: info });
      }
    }
    return { ttl: this.ttl, token: lease.token };
  }

  /**
   * Renews a lease.
   *
   * @param name the node name
   * @param instanceId its instance
   * @param token the registration's token
   * @throws {RpcError} `NOT_FOUND` when that instance is not registered,
   *   `PERMISSION_DENIED` when `token` is not its token
   */
  heartbeat(name: string, instanceId: string, token: string): void {
    this.#lease(name, instanceId, token, "heartbeat").expiresAt =
      performance.now() + this.ttl;
  }

  /**
   * Replaces a registered node's info and renews its lease.
   *
   * @param info the new info (same name and instance)
   * @param token the registration's token
   * @throws {RpcError} `NOT_FOUND` when that instance is not registered,
   *   `PERMISSION_DENIED` when `token` is not its token
   */
  update(info: NodeInfo, token: string): void {
    const lease = this.#lease(info.name, info.instanceId, token, "update");
    lease.expiresAt = performance.now() + this.ttl;
    if (!isDeepStrictEqual(lease.info, info)) {
      lease.info = info;
      this.#emitNode({ type: "updated", node: info });
    }
  }

  /**
   * Removes a node.
   *
   * @param name the node name
   * @param instanceId its instance
   * @param token the registration's token
   * @returns whether that instance was registered
   * @throws {RpcError} `PERMISSION_DENIED` when `token` is not its token
   */
  unregister(name: string, instanceId: string, token: string): boolean {
    const lease = this.#leases.get(name);
    if (lease === undefined || lease.info.instanceId !== instanceId) {
      return false;
    }
    if (!sameToken(token, lease.token)) throw wrongToken(name, "unregister");
    this.#leases.delete(name);
    this.#emitNode({
      type: "removed",
      name,
      instanceId,
      reason: "unregistered",
    });
    return true;
  }

  /**
   * Every live node, sorted by name: one frozen array until the nodes
   * change, so that the RPC server encodes (and checks) the reply once for
   * all the `nodes()` calls in between, however many a client floods.
   *
   * @returns the nodes
   */
  nodes(): readonly NodeInfo[] {
    return this.#nodes ??= Object.freeze(
      [...this.#leases.values()].map((l) => l.info).sort((a, b) =>
        a.name < b.name ? -1 : a.name > b.name ? 1 : 0
      ),
    );
  }

  /**
   * A watch of the nodes: a snapshot, then every change.
   *
   * @param signal ends the watch
   * @returns the feed the RPC server streams from
   */
  watchNodes(signal: AbortSignal): Feed<RegistryEvent> {
    const feed = new Feed<RegistryEvent>({
      // One frozen snapshot until the nodes change: the RPC server encodes
      // it once for all the watchers that start meanwhile.
      snapshot: () =>
        this.#snapshot ??= Object.freeze({
          type: "snapshot",
          nodes: this.nodes() as NodeInfo[],
        }),
      maxQueue: this.#maxQueue,
      signal,
      onClose: (f) => {
        this.#nodeFeeds.delete(f);
        this.#feedsChanged();
      },
    });
    if (this.#closed) feed.close();
    if (!feed.closed) {
      this.#nodeFeeds.add(feed);
      this.#feedsChanged();
    }
    return feed;
  }

  /**
   * The value of a param.
   *
   * @param key the key
   * @returns the value, or `undefined` when unset
   */
  paramGet(key: string): unknown {
    return this.#params.get(key)?.value;
  }

  /**
   * The value of a param with its revision.
   *
   * @param key the key
   * @returns the entry, or `undefined` when unset
   */
  paramGetEntry(key: string): ParamEntry | undefined {
    const entry = this.#params.get(key);
    return entry === undefined ? undefined : { ...entry };
  }

  /**
   * Sets a param; setting the value it already has changes nothing.
   *
   * @param key the key
   * @param value the value
   * @param ifRevision compare-and-set: the revision the key must have (`0`:
   *   unset)
   * @returns the key's revision
   * @throws {RpcError} `INVALID_ARGUMENT` for `undefined`
   * @throws {ParamConflictError} (`ABORTED`) when `ifRevision` is not the
   *   key's revision
   */
  paramSet(key: string, value: unknown, ifRevision?: number): number {
    if (value === undefined) {
      throw new RpcError(
        "INVALID_ARGUMENT",
        `Cannot set param "${key}": the value is undefined (delete the key instead)`,
      );
    }
    const old = this.#params.get(key);
    if (ifRevision !== undefined && ifRevision !== (old?.revision ?? 0)) {
      throw new ParamConflictError(key, ifRevision, old?.revision ?? 0);
    }
    if (old !== undefined && isDeepStrictEqual(old.value, value)) {
      return old.revision;
    }
    const revision = ++this.#revision;
    this.#params.set(key, { value, revision });
    this.#emitParam(key, { type: "set", key, value });
    this.#onParamsChanged();
    return revision;
  }

  /**
   * Deletes a param.
   *
   * @param key the key
   * @returns whether it existed
   */
  paramDelete(key: string): boolean {
    if (!this.#params.delete(key)) return false;
    this.#revision++;
    this.#emitParam(key, { type: "deleted", key });
    this.#onParamsChanged();
    return true;
  }

  /**
   * The params under a prefix, sorted by key.
   *
   * @param prefix see {@linkcode underPrefix}
   * @returns key → value
   */
  paramList(prefix = ""): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const keys = [...this.#params.keys()].filter((k) => underPrefix(k, prefix))
      .sort();
    for (const k of keys) out[k] = this.#params.get(k)!.value;
    return out;
  }

  /**
   * A watch of the params under a prefix: a snapshot, then every change.
   *
   * @param prefix see {@linkcode underPrefix}
   * @param signal ends the watch
   * @returns the feed the RPC server streams from
   */
  watchParams(prefix: string, signal: AbortSignal): Feed<ParamEvent> {
    const feed = new Feed<ParamEvent>({
      snapshot: () => ({ type: "snapshot", values: this.paramList(prefix) }),
      maxQueue: this.#maxQueue,
      signal,
      onClose: (f) => {
        this.#paramFeeds.delete(f);
        this.#feedsChanged();
      },
    });
    if (this.#closed) feed.close();
    if (!feed.closed) {
      this.#paramFeeds.set(feed, prefix);
      this.#feedsChanged();
    }
    return feed;
  }

  /** Stops the timers and ends every watch. Idempotent. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#expiryTimer);
    this.#expiryTimer = undefined;
    for (const f of [...this.#nodeFeeds]) f.close();
    for (const f of [...this.#paramFeeds.keys()]) f.close();
    clearInterval(this.#keepaliveTimer);
    this.#keepaliveTimer = undefined;
  }

  #lease(
    name: string,
    instanceId: string,
    token: string,
    what: string,
  ): Lease {
    const lease = this.#leases.get(name);
    if (lease === undefined || lease.info.instanceId !== instanceId) {
      throw new RpcError(
        "NOT_FOUND",
        `Cannot ${what} node "${name}": instance ${instanceId} is not registered`,
      );
    }
    if (!sameToken(token, lease.token)) throw wrongToken(name, what);
    return lease;
  }

  // Events are frozen: the RPC server encodes a frozen item once for all
  // the watchers it goes to.
  #emitNode(event: RegistryEvent): void {
    this.#nodes = undefined;
    this.#snapshot = undefined;
    Object.freeze(event);
    for (const f of this.#nodeFeeds) f.push(event);
  }

  #emitParam(key: string, event: ParamEvent): void {
    Object.freeze(event);
    for (const [f, prefix] of this.#paramFeeds) {
      if (underPrefix(key, prefix)) f.push(event);
    }
  }

  /**
   * Arms the expiry timer for the earliest lease (at least `minWait` ms
   * away), unless armed already.
   */
  #armExpiry(minWait = 0): void {
    if (
      this.#expiryTimer !== undefined || this.#leases.size === 0 ||
      this.#closed
    ) {
      return;
    }
    let earliest = Infinity;
    for (const l of this.#leases.values()) {
      if (l.expiresAt < earliest) earliest = l.expiresAt;
    }
    const now = performance.now();
    const wait = Math.min(
      MAX_TIMER,
      Math.max(minWait, Math.ceil(earliest - now)),
    );
    this.#expiryDue = now + wait;
    this.#expiryTimer = setTimeout(() => {
      this.#expiryTimer = undefined;
      this.#sweep();
    }, wait);
  }

  /**
   * Ends the leases that expired. When this timer fires late, this process
   * was too busy to run it (a flood of calls, a long fan-out, one huge
   * request to decode): heartbeats that came meanwhile may still wait
   * unread in the socket, however long ago their lease ran out. So when
   * the timer is late, no lease ends: the sweep comes again after as long
   * as it was late, once those heartbeats have been read, and only an
   * on-time sweep ends leases. A busy registry never expires a node that
   * kept heartbeating.
   */
  #sweep(): void {
    const now = performance.now();
    const late = Math.max(0, now - this.#expiryDue);
    const onTime = late <= LATE_SLACK;
    const expired: NodeInfo[] = [];
    let spared = false;
    for (const l of this.#leases.values()) {
      if (l.expiresAt > now) continue;
      if (onTime) expired.push(l.info);
      else spared = true;
    }
    for (const info of expired) this.#expire(info);
    this.#armExpiry(spared ? Math.ceil(late) : 0);
  }

  #expire(info: NodeInfo): void {
    this.#leases.delete(info.name);
    this.#emitNode({
      type: "removed",
      name: info.name,
      instanceId: info.instanceId,
      reason: "expired",
    });
  }

  #feedsChanged(): void {
    const any = this.#nodeFeeds.size + this.#paramFeeds.size > 0;
    if (any && this.#keepaliveTimer === undefined && !this.#closed) {
      this.#keepaliveTimer = setInterval(() => {
        for (const f of this.#nodeFeeds) if (f.idle) f.keepalive();
        for (const f of this.#paramFeeds.keys()) if (f.idle) f.keepalive();
      }, this.#keepalive);
    } else if (!any && this.#keepaliveTimer !== undefined) {
      clearInterval(this.#keepaliveTimer);
      this.#keepaliveTimer = undefined;
    }
  }
}
