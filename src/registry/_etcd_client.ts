/**
 * The etcd boundary: every call zmp makes to etcd goes through here, on
 * npm `etcd3` (grpc-js underneath).
 *
 * etcd3's own fault handling waits for a dead host: the first put after a
 * leader was killed took about 6 s. Here every attempt has its own short
 * deadline, a host that failed is skipped for a while (a circuit breaker
 * per host, opened by one failure), and attempts go on, on the other
 * hosts, with a short backoff, until the caller's timeout. Streams (watches,
 * lease keepalives) mark their host failed when they break, so that the
 * next one goes elsewhere, and they require a leader: a member cut off
 * from the quorum ends them instead of keeping them silent.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import {
  circuitBreaker,
  ConsecutiveBreaker,
  handleWhen,
  isBrokenCircuitError,
  noop,
} from "cockatiel";
import {
  ClientClosedError,
  Etcd3,
  GRPCDeadlineExceededError,
  type IKeyValue,
  isRecoverableError,
  type ITxnRequest,
  type ITxnResponse,
} from "etcd3";
import { RpcError } from "../wire/errors.ts";
import type { EtcdEndpoint } from "./_endpoint.ts";
import type { ResolvedEtcdTls } from "./_etcd_tls.ts";
import { sleep } from "../_util/sleep.ts";

/** Options of an {@linkcode EtcdConnection}. */
export interface EtcdConnectionOptions {
  /**
   * The deadline of one attempt of a call, in ms; a call makes attempts
   * until its own timeout.
   * @default {1000}
   */
  attemptTimeout?: number;
  /**
   * How long a host that failed is skipped, in ms.
   * @default {1000}
   */
  hostCooldown?: number;
  /** TLS, for an `etcds://` endpoint. */
  tls?: ResolvedEtcdTls;
}

/** The wait options of a call. */
export interface CallOptions {
  /** The whole call's timeout, in ms (attempts included). */
  timeout: number;
  /** Aborts the call (with the signal's reason). */
  signal?: AbortSignal;
}

/** A key with its value and revisions, decoded. */
export interface Kv {
  /** The key, without the system's prefix. */
  key: string;
  /** The value. */
  value: Buffer;
  /** The revision that created the key. */
  createRevision: number;
  /** The revision of its last change. */
  modRevision: number;
  /** Its lease id, `"0"` for none. */
  lease: string;
}

/** A key, or the keys of `[key, end)`. */
export interface KeyRange {
  /** The first key. */
  key: Buffer;
  /** The end of the range (excluded); just `key` when absent. */
  end?: Buffer;
}

/** A change seen by a watch. */
export interface WatchChange {
  /** A put or a delete. */
  type: "put" | "delete";
  /** The key and, for a put, its new value. */
  kv: Kv;
}

/** The duplex stream of an etcd Watch call, as grpc-js gives it. */
export interface RawStream {
  write(message: unknown): boolean;
  end(): void;
  cancel(): void;
  on(event: string, listener: (arg: never) => void): RawStream;
  removeAllListeners(): void;
}

/** What zmp uses of etcd3's connection pool. */
interface Pool {
  withConnection<T>(
    service: string,
    fn: (c: {
      resource: unknown;
      client: Record<string, (md: unknown, opts: unknown) => RawStream>;
      metadata: { clone(): { set(k: string, v: string): void } };
    }) => T | Promise<T>,
  ): Promise<T>;
  markFailed(resource: unknown, error: Error): void;
}

/** etcd3's client, with its connection pool within reach. */
class Client extends Etcd3 {
  get connections(): Pool {
    return this.pool as unknown as Pool;
  }
}

/** gRPC keepalive pings: etcd refuses them more often than every 5 s. */
const GRPC_OPTIONS = {
  "grpc.keepalive_time_ms": 5000,
  "grpc.keepalive_timeout_ms": 2000,
  "grpc.keepalive_permit_without_calls": 1,
  "grpc.initial_reconnect_backoff_ms": 100,
  "grpc.max_reconnect_backoff_ms": 1000,
  "grpc.max_receive_message_length": 64 * 1024 * 1024,
};

/** A connection to an etcd cluster, with zmp's key prefix. */
export class EtcdConnection {
  /** The endpoint, normalised. */
  readonly endpoint: string;
  /** The members' client addresses. */
  readonly hosts: readonly string[];
  readonly #prefix: string;
  readonly #client: Client;
  readonly #attemptTimeout: number;
  /** Whether it speaks TLS. */
  readonly tls: boolean;
  #closed = false;

  /**
   * @param endpoint the parsed `etcd://` or `etcds://` endpoint
   * @param options attempt deadline, host cooldown, TLS
   */
  constructor(endpoint: EtcdEndpoint, options: EtcdConnectionOptions = {}) {
    this.endpoint = endpoint.endpoint;
    this.hosts = endpoint.hosts;
    this.#prefix = `${endpoint.prefix}/`;
    this.#attemptTimeout = options.attemptTimeout ?? 1000;
    const cooldown = options.hostCooldown ?? 1000;
    const tls = options.tls;
    this.tls = endpoint.tls;
    this.#client = new Client({
      hosts: endpoint.hosts.map((h) =>
        `${endpoint.tls ? "https" : "http"}://${h}`
      ),
      ...(tls?.credentials === undefined
        ? {}
        : { credentials: tls.credentials }),
      grpcOptions: tls?.serverName === undefined ? GRPC_OPTIONS : {
        ...GRPC_OPTIONS,
        "grpc.ssl_target_name_override": tls.serverName,
      },
      faultHandling: {
        // zmp retries itself (see call()); a failed host sits out a while.
        global: noop,
        host: () =>
          circuitBreaker(handleWhen(isRecoverableError), {
            halfOpenAfter: cooldown,
            breaker: new ConsecutiveBreaker(1),
          }),
      },
    });
  }

  /**
   * The full key of `path` under the system's prefix.
   *
   * @param path e.g. `nodes/camera`
   * @returns the key bytes
   */
  key(path: string): Buffer {
    return Buffer.from(this.#prefix + path);
  }

  /**
   * The end of the range of keys starting with `path`.
   *
   * @param path a key prefix under the system's prefix
   * @returns the range end (the prefix with its last byte plus one)
   */
  rangeEnd(path: string): Buffer {
    const start = this.key(path);
    const end = Buffer.from(start);
    for (let i = end.length - 1; i >= 0; i--) {
      if (end[i] < 0xff) {
        end[i]++;
        return end.subarray(0, i + 1);
      }
    }
    return Buffer.from([0]);
  }

  /**
   * Decodes a key-value of etcd3's raw form.
   *
   * @param kv the raw key-value
   * @returns it, with its key less the system's prefix
   */
  decode(kv: IKeyValue): Kv {
    const key = Buffer.from(kv.key).toString("utf8");
    return {
      key: key.startsWith(this.#prefix) ? key.slice(this.#prefix.length) : key,
      value: Buffer.from(kv.value ?? []),
      createRevision: Number(kv.create_revision),
      modRevision: Number(kv.mod_revision),
      lease: String(kv.lease ?? "0"),
    };
  }

  /**
   * Reads one key, or every key of a range.
   *
   * @param path the key (under the prefix)
   * @param options the whole call's timeout and signal
   * @param prefix read every key starting with `path`
   * @returns the key-values and the store's revision
   */
  range(
    path: string,
    options: CallOptions,
    prefix = false,
  ): Promise<{ kvs: Kv[]; revision: number }> {
    return this.rangeOf(
      { key: this.key(path), end: prefix ? this.rangeEnd(path) : undefined },
      options,
      `read ${path}`,
    );
  }

  /**
   * Reads the keys in `[key, end)` (just `key` without an end).
   *
   * @param range the key, and the end of the range
   * @param options the whole call's timeout and signal
   * @param what what it does, for messages
   * @returns the key-values and the store's revision
   */
  async rangeOf(
    range: KeyRange,
    options: CallOptions,
    what: string,
  ): Promise<{ kvs: Kv[]; revision: number }> {
    const req = range.end === undefined
      ? { key: range.key }
      : { key: range.key, range_end: range.end };
    const res = await this.call(
      what,
      (deadline) => this.#client.kv.range(req, { deadline }),
      options,
    );
    return {
      kvs: res.kvs.map((kv) => this.decode(kv)),
      revision: Number(res.header.revision),
    };
  }

  /**
   * Runs a transaction.
   *
   * @param what what it does, for messages
   * @param req the raw request
   * @param options the whole call's timeout and signal
   * @returns the raw response
   */
  txn(
    what: string,
    req: ITxnRequest,
    options: CallOptions,
  ): Promise<ITxnResponse> {
    return this.call(
      what,
      (deadline) => this.#client.kv.txn(req, { deadline }),
      options,
    );
  }

  /**
   * Deletes one key.
   *
   * @param path the key
   * @param options the whole call's timeout and signal
   * @returns how many keys were deleted, and the store's revision
   */
  async delete(
    path: string,
    options: CallOptions,
  ): Promise<{ deleted: number; revision: number }> {
    const res = await this.call(
      `delete ${path}`,
      (deadline) =>
        this.#client.kv.deleteRange({ key: this.key(path) }, { deadline }),
      options,
    );
    return {
      deleted: Number(res.deleted),
      revision: Number(res.header.revision),
    };
  }

  /**
   * Grants a lease.
   *
   * @param ttl its time-to-live in whole seconds
   * @param options the whole call's timeout and signal
   * @returns its id and the ttl etcd granted (it may raise it)
   */
  async grant(
    ttl: number,
    options: CallOptions,
  ): Promise<{ id: string; ttl: number }> {
    const res = await this.call(
      "grant a lease",
      (deadline) =>
        this.#client.leaseClient.leaseGrant({ TTL: ttl }, { deadline }),
      options,
    );
    return { id: String(res.ID), ttl: Number(res.TTL) };
  }

  /**
   * Revokes a lease: the keys attached to it are deleted.
   *
   * @param id the lease
   * @param options the whole call's timeout and signal
   */
  async revoke(id: string, options: CallOptions): Promise<void> {
    try {
      await this.call(
        "revoke a lease",
        (deadline) =>
          this.#client.leaseClient.leaseRevoke({ ID: id }, { deadline }),
        options,
      );
    } catch (e) {
      // Not found: it expired already, which is what was wanted.
      if (!/lease not found/i.test((e as Error)?.message ?? "")) throw e;
    }
  }

  /**
   * Renews a lease once, on one stream opened for it.
   *
   * @param id the lease
   * @param timeout the deadline, in ms
   * @returns the remaining ttl in seconds; 0 when the lease is gone
   * @throws {RpcError} `UNAVAILABLE` when no member answered in time
   */
  async keepAlive(id: string, timeout: number): Promise<number> {
    this.#checkOpen("renew a lease");
    let resource: unknown;
    let stream: RawStream | undefined;
    const deadline = new Date(Date.now() + timeout);
    try {
      stream = await this.#client.connections.withConnection(
        "Lease",
        (c) => {
          resource = c.resource;
          return c.client.leaseKeepAlive(c.metadata, { deadline });
        },
      );
      const s = stream;
      return await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no answer within ${timeout} ms`)),
          timeout,
        );
        s.on("data", (res: { TTL: string }) => {
          clearTimeout(timer);
          resolve(Number(res.TTL));
        });
        s.on("error", (e: Error) => {
          clearTimeout(timer);
          reject(e);
        });
        s.on("end", () => {
          clearTimeout(timer);
          reject(new Error("the keepalive stream ended"));
        });
        s.write({ ID: id });
      });
    } catch (e) {
      if (resource !== undefined && !this.#closed) {
        this.#client.connections.markFailed(resource, asError(e));
      }
      throw this.#unavailable("renew a lease", e);
    } finally {
      if (stream !== undefined) {
        stream.removeAllListeners();
        stream.on("error", () => {});
        stream.cancel();
      }
    }
  }

  /**
   * Opens a raw watch stream on a member that has a leader.
   *
   * @returns the stream and a function that marks its member failed
   */
  async openWatch(): Promise<{ stream: RawStream; fail(e: Error): void }> {
    this.#checkOpen("watch");
    let resource: unknown;
    const stream = await this.#client.connections.withConnection(
      "Watch",
      (c) => {
        resource = c.resource;
        const md = c.metadata.clone();
        // etcd ends the streams of a member without a leader.
        md.set("hasleader", "true");
        return c.client.watch(md, {});
      },
    );
    return {
      stream,
      fail: (e) => {
        if (!this.#closed) this.#client.connections.markFailed(resource, e);
      },
    };
  }

  /**
   * Runs `op` until it succeeds, a failure is not worth retrying, or the
   * timeout is up; each attempt with its own deadline.
   *
   * @param what what it does, for messages
   * @param op one attempt, given its deadline
   * @param options the whole call's timeout and signal
   * @returns what `op` answered
   * @throws {RpcError} `UNAVAILABLE` when no member answered in time,
   *   `PERMISSION_DENIED` (etcd RBAC)/`INVALID_ARGUMENT`/`RESOURCE_EXHAUSTED`/
   *   `FAILED_PRECONDITION` for what etcd refused
   * @throws the signal's reason when aborted
   */
  async call<T>(
    what: string,
    op: (deadline: Date) => Promise<T>,
    options: CallOptions,
  ): Promise<T> {
    this.#checkOpen(what);
    const end = performance.now() + options.timeout;
    let backoff = 20;
    let last: unknown;
    for (;;) {
      options.signal?.throwIfAborted();
      const left = end - performance.now();
      if (left <= 0) throw this.#unavailable(what, last, options.timeout);
      const attempt = Math.max(1, Math.min(this.#attemptTimeout, left));
      try {
        return await bounded(
          op(new Date(Date.now() + attempt)),
          attempt,
          options.signal,
        );
      } catch (e) {
        if (options.signal?.aborted) throw options.signal.reason;
        if (e instanceof ClientClosedError || this.#closed) {
          throw new TypeError(`Cannot ${what}: the etcd client is closed`);
        }
        if (!isRecoverableError(e as Error) && !isBrokenCircuitError(e)) {
          throw refused(what, e);
        }
        last = e;
      }
      await sleep(
        Math.min(backoff, Math.max(0, end - performance.now())),
        options.signal,
      );
      backoff = Math.min(backoff * 2, 200);
    }
  }

  /** Closes every connection. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#client.close();
  }

  #checkOpen(what: string): void {
    if (this.#closed) {
      throw new TypeError(`Cannot ${what}: the etcd client is closed`);
    }
  }

  #unavailable(what: string, cause: unknown, waited?: number): RpcError {
    const why = cause === undefined
      ? ""
      : `: ${oneLine(asError(cause).message)}`;
    return new RpcError(
      "UNAVAILABLE",
      `Cannot ${what}: no etcd member of ${this.hosts.join(",")} answered${
        waited === undefined ? "" : ` within ${waited} ms`
      }${why}`,
      { cause },
    );
  }
}

/** What etcd refused, as an `RpcError`. */
function refused(what: string, e: unknown): RpcError {
  const message = oneLine(asError(e).message);
  const code = /permission denied/i.test(message)
    ? "PERMISSION_DENIED"
    : /too large|exceeds/i.test(message)
    ? "RESOURCE_EXHAUSTED"
    : /invalid|bad/i.test(message)
    ? "INVALID_ARGUMENT"
    : "FAILED_PRECONDITION";
  return new RpcError(code, `Cannot ${what}: etcd refused: ${message}`, {
    cause: e,
  });
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ");
}

/**
 * `promise`; or, when it takes longer than `ms`, a recoverable deadline
 * error (gRPC's own deadline can fire late on a busy event loop); or the
 * signal's reason as soon as it aborts.
 */
function bounded<T>(
  promise: Promise<T>,
  ms: number,
  signal?: AbortSignal,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal!.reason);
    if (signal?.aborted) return onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
    const timer = setTimeout(
      () => reject(new GRPCDeadlineExceededError(`no answer within ${ms} ms`)),
      ms + 50,
    );
    promise.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    });
  });
}
