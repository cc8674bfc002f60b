/**
 * `connectRegistry()`: a {@linkcode Registry} for an endpoint. An
 * `etcd://` endpoint gets the etcd backend (loaded only then); any other
 * gets the client of the embedded registry, over one `RpcClient`, whose
 * registrations heartbeat and refill a restarted registry by themselves,
 * and whose watches reconnect and begin again with a fresh snapshot.
 *
 * @module
 */

import { readEnv } from "../_util/env.ts";
import type { Context, CurveClientSecurity } from "../zmq/mod.ts";
import { RpcClient } from "../rpc/client.ts";
import { consoleLogger, type Logger } from "../rpc/logger.ts";
import { assertValid, type MethodDescriptor } from "../wire/descriptors.ts";
import { RpcError } from "../wire/errors.ts";
import { checkName } from "../wire/names.ts";
import {
  DEFAULT_REGISTRY_ENDPOINT,
  type NodeInfo,
  type ParamEntry,
  type ParamEvent,
  type ParamSetOptions,
  type ParamStore,
  type ParamUpdateOptions,
  type RegisterOptions,
  type Registration,
  type Registry,
  type RegistryEvent,
  type RegistryWaitOptions,
} from "./types.ts";
import { ParamConflictError, RegistryUnavailableError } from "./errors.ts";
import { updateParam } from "./_param_update.ts";
import { parseRegistryEndpoint } from "./_endpoint.ts";
import { admitNodeInfo } from "./_node_info.ts";
import { checkToken, type RegisterReply, RegistryService } from "./_service.ts";
import { keepRegistration, type RegistrationHost } from "./_registration.ts";
import { resilientStream } from "./_resilient.ts";
import type { EtcdTlsOptions } from "./_etcd_tls.ts";

const M = RegistryService.methods;

/** Options of {@linkcode connectRegistry}. */
export interface ConnectRegistryOptions {
  /**
   * The registry's endpoint: `tcp://host:port` for an embedded registry,
   * `etcd://host:port,host:port` for etcd (keys under `zmp/`, or under the
   * path given after the hosts: `etcd://host:2379/myapp`), `etcds://…`
   * for etcd over TLS (see `etcdTls`).
   * @default {the `ZMP_REGISTRY` environment variable, else "tcp://127.0.0.1:7350"}
   */
  endpoint?: string;
  /**
   * How long to wait for the registry when connecting, and the default
   * deadline of each call, in ms.
   * @default {3000}
   */
  timeout?: number;
  /** Cancels the connection attempt. */
  signal?: AbortSignal;
  /** Where background failures (e.g. a lost registration) are reported. @default {consoleLogger} */
  logger?: Logger;
  /** The ZeroMQ context. @default {Context.default} */
  context?: Context;
  /**
   * The lease time-to-live of registrations, in ms (etcd only: the
   * embedded registry sets its own). etcd counts in whole seconds, at
   * least 2.
   * @default {3000}
   */
  ttl?: number;
  /**
   * Secure mode: talk to the registry over CURVE with this key pair, and
   * only to a registry that proves `serverKey` (embedded registry only).
   * @default {none: plain TCP}
   */
  curve?: CurveClientSecurity;
  /**
   * TLS to etcd, for an `etcds://` endpoint: the CA, and this client's
   * certificate and key (PEM text).
   * @default {the files named by `ZMP_ETCD_CA`, `ZMP_ETCD_CERT`, `ZMP_ETCD_KEY`}
   */
  etcdTls?: EtcdTlsOptions;
}

/**
 * The registry endpoint to use when none is given: `ZMP_REGISTRY` when set
 * (and readable), else {@linkcode DEFAULT_REGISTRY_ENDPOINT}.
 *
 * @returns the endpoint
 */
export function defaultRegistryEndpoint(): string {
  return readEnv("ZMP_REGISTRY") ?? DEFAULT_REGISTRY_ENDPOINT;
}

/**
 * Connects to a registry and checks that it answers: an embedded registry,
 * or etcd when the endpoint starts with `etcd://`.
 *
 * @example
 * ```ts
 * import { connectRegistry } from "zmp";
 *
 * await using registry = await connectRegistry(); // ZMP_REGISTRY or :7350
 * for await (const event of registry.watch()) console.log(event.type);
 *
 * await using shared = await connectRegistry({
 *   endpoint: "etcd://10.0.0.1:2379,10.0.0.2:2379,10.0.0.3:2379",
 * });
 * ```
 *
 * @param options endpoint, timeout, signal, logger, context, ttl (etcd)
 * @returns the registry
 * @throws {RegistryUnavailableError} when no registry answers within
 *   `timeout`, or the endpoint is not a registry
 * @throws {TypeError} for a malformed endpoint
 * @throws {RangeError} for a timeout that is not a finite number > 0
 * @throws the signal's reason when `signal` aborts
 */
export async function connectRegistry(
  options: ConnectRegistryOptions = {},
): Promise<Registry> {
  const endpoint = options.endpoint ?? defaultRegistryEndpoint();
  const timeout = options.timeout ?? 3000;
  if (
    typeof timeout !== "number" || !Number.isFinite(timeout) || timeout <= 0
  ) {
    throw new RangeError(
      `Cannot connect to the registry: timeout must be a finite number > 0, got ${
        String(timeout)
      }`,
    );
  }
  const parsed = parseRegistryEndpoint(endpoint, "connect to the registry");
  if (parsed.backend === "etcd" && options.curve !== undefined) {
    throw new TypeError(
      "Cannot connect to the registry: curve is for the embedded registry; etcd is secured by TLS (etcds://, etcdTls) and each node checks the keys it reads",
    );
  }
  if (parsed.backend === "etcd") {
    const { connectEtcdRegistry } = await import("./etcd.ts");
    return await connectEtcdRegistry(parsed, { ...options, timeout });
  }
  const logger = options.logger ?? consoleLogger;
  let rpc: RpcClient;
  try {
    rpc = new RpcClient({
      endpoints: [endpoint],
      connectTimeout: timeout,
      // The registry's answers list every node: each info may hold up to
      // REGISTRY_MAX_ELEMENTS, so no fixed count fits them all. The
      // registry is the system's trusted centre (in secure mode, proven
      // by its key), not one peer among many.
      maxElements: Infinity,
      logger,
      context: options.context,
      ...(options.curve === undefined ? {} : {
        curve: { ...options.curve, serverKey: () => options.curve!.serverKey },
      }),
    });
  } catch (e) {
    throw new TypeError(
      `Cannot connect to the registry: ${
        JSON.stringify(endpoint)
      } is not a valid endpoint (${(e as Error).message})`,
      { cause: e },
    );
  }
  try {
    await rpc.call(RegistryService, M.info, [], {
      timeout,
      signal: options.signal,
    });
  } catch (e) {
    await rpc.close();
    if (options.signal?.aborted) throw e;
    if (
      e instanceof RpcError &&
      (e.code === "UNAVAILABLE" || e.code === "DEADLINE_EXCEEDED")
    ) {
      throw new RegistryUnavailableError(
        endpoint,
        timeout,
        options.curve === undefined ? { cause: e } : {
          cause: e,
          reason:
            "no CURVE handshake succeeded: is this key on the registry's allow-list, and the registry's key the right one?",
        },
      );
    }
    throw new RegistryUnavailableError(endpoint, timeout, {
      cause: e,
      reason: `it answered: ${(e as Error).message}`,
    });
  }
  return new RegistryClient(rpc, endpoint, timeout, logger);
}

/** A {@linkcode Registry} over an `RpcClient`. */
class RegistryClient implements Registry, RegistrationHost {
  readonly backend = "embedded";
  readonly endpoint: string;
  readonly params: ParamStore;
  readonly timeout: number;
  readonly logger: Logger;
  readonly #rpc: RpcClient;
  readonly #registrations = new Set<Registration>();
  readonly #closer = new AbortController();
  #closing: Promise<void> | undefined;

  constructor(
    rpc: RpcClient,
    endpoint: string,
    timeout: number,
    logger: Logger,
  ) {
    this.#rpc = rpc;
    this.endpoint = endpoint;
    this.timeout = timeout;
    this.logger = logger;
    this.params = new ParamStoreClient(this, this.#closer.signal);
  }

  call(
    method: MethodDescriptor,
    args: unknown[],
    options: RegistryWaitOptions = {},
  ): Promise<unknown> {
    return this.#rpc.call(RegistryService, method, args, {
      timeout: options.timeout ?? this.timeout,
      signal: options.signal,
    });
  }

  stream(
    method: MethodDescriptor,
    args: unknown[],
    signal: AbortSignal,
  ): AsyncIterable<unknown> {
    return this.#rpc.stream(RegistryService, method, args, { signal });
  }

  connected(): boolean {
    return this.#rpc.connectedEndpoints.length > 0;
  }

  forget(registration: Registration): void {
    this.#registrations.delete(registration);
  }

  /**
   * Registers a node; see {@linkcode Registry.register}.
   *
   * @param info the node
   * @param options timeout and signal of the first registration
   * @returns the live registration
   * @throws {ValidationError} for a malformed info (nothing is sent)
   * @throws {NameError} for a name or size that breaks the rule of
   *   `wire/names.ts`, naming the field (nothing is sent)
   * @throws {RpcError} `ALREADY_EXISTS` when the name is registered and
   *   `options.token` is not its token
   * @throws {TypeError} when the client is closed
   */
  async register(
    info: NodeInfo,
    options?: RegisterOptions,
  ): Promise<Registration> {
    this.#checkOpen("register");
    const admitted = admitNodeInfo(info); // the server strips them too
    if (options?.token !== undefined) {
      assertValid(checkToken, options.token, "RegistrationToken", "token");
    }
    const args = options?.token ? [info, options.token] : [info];
    const reply = await this.call(M.register, args, options) as RegisterReply;
    const registration = keepRegistration(this, {
      info: admitted,
      ttl: reply.ttl,
      token: reply.token,
    });
    if (this.#closing !== undefined) {
      await registration.close();
      this.#checkOpen("register");
    }
    this.#registrations.add(registration);
    return registration;
  }

  async nodes(options?: RegistryWaitOptions): Promise<NodeInfo[]> {
    return await this.call(M.nodes, [], options) as NodeInfo[];
  }

  watch(options: { signal?: AbortSignal } = {}): AsyncIterable<RegistryEvent> {
    return resilientStream<RegistryEvent>(
      (signal) => this.stream(M.watch, [], signal),
      combine(options.signal, this.#closer.signal),
    );
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
    // The watches just sent their CANCELs: one round trip makes sure the
    // registry has read them before the connection goes, so it does not try
    // to write to a vanished peer later.
    if (this.#rpc.connectedEndpoints.length > 0) {
      await this.#rpc.ping({ timeout: 250 }).catch(() => {});
    }
    await this.#rpc.close();
  }

  #checkOpen(what: string): void {
    if (this.#closing !== undefined) {
      throw new TypeError(`Cannot ${what}: the registry client is closed`);
    }
  }
}

/** The {@linkcode ParamStore} of a registry client. */
class ParamStoreClient implements ParamStore {
  readonly #client: RegistryClient;
  readonly #closed: AbortSignal;

  constructor(client: RegistryClient, closed: AbortSignal) {
    this.#client = client;
    this.#closed = closed;
  }

  async get(key: string, options?: RegistryWaitOptions): Promise<unknown> {
    checkParamKey(key, "get");
    return await this.#client.call(M.paramGet, [key], options);
  }

  async getEntry(
    key: string,
    options?: RegistryWaitOptions,
  ): Promise<ParamEntry | undefined> {
    checkParamKey(key, "get");
    return await this.#client.call(M.paramGetEntry, [key], options) as
      | ParamEntry
      | undefined;
  }

  async set(
    key: string,
    value: unknown,
    options: ParamSetOptions = {},
  ): Promise<number> {
    checkParamSet(key, value, options.ifRevision);
    const args = options.ifRevision === undefined
      ? [key, value]
      : [key, value, options.ifRevision];
    try {
      return await this.#client.call(M.paramSet, args, options) as number;
    } catch (e) {
      throw ParamConflictError.from(e);
    }
  }

  update(
    key: string,
    fn: (current: unknown) => unknown,
    options?: ParamUpdateOptions,
  ): Promise<unknown> {
    checkParamKey(key, "update");
    return updateParam(this, key, fn, options);
  }

  async delete(key: string, options?: RegistryWaitOptions): Promise<boolean> {
    checkParamKey(key, "delete");
    return await this.#client.call(M.paramDelete, [key], options) as boolean;
  }

  async list(
    prefix = "",
    options?: RegistryWaitOptions,
  ): Promise<Record<string, unknown>> {
    checkPrefix(prefix);
    return await this.#client.call(M.paramList, [prefix], options) as Record<
      string,
      unknown
    >;
  }

  watch(
    prefix = "",
    options: { signal?: AbortSignal } = {},
  ): AsyncIterable<ParamEvent> {
    checkPrefix(prefix);
    return resilientStream<ParamEvent>(
      (signal) => this.#client.stream(M.paramWatch, [prefix], signal),
      combine(options.signal, this.#closed),
    );
  }
}

/**
 * Checks the arguments of `ParamStore.set()`, for every backend.
 *
 * @param key the key
 * @param value the value
 * @param ifRevision the compare-and-set revision, if any
 * @throws {TypeError} for a bad key, an undefined value or a bad revision
 */
export function checkParamSet(
  key: unknown,
  value: unknown,
  ifRevision: unknown,
): void {
  checkParamKey(key, "set");
  if (value === undefined) {
    throw new TypeError(
      `Cannot set param "${key}": the value is undefined (use delete())`,
    );
  }
  if (
    ifRevision !== undefined &&
    !(Number.isSafeInteger(ifRevision) && (ifRevision as number) >= 0)
  ) {
    throw new TypeError(
      `Cannot set param "${key}": ifRevision must be a whole number >= 0, got ${
        String(ifRevision)
      }`,
    );
  }
}

/**
 * Checks a param key, for every backend: the rule of `wire/names.ts`.
 *
 * @param key the key
 * @param what the operation, for the message
 * @throws {NameError} (a `TypeError`) unless 1 to 1024 bytes of UTF-8
 *   other than `__proto__`
 */
export function checkParamKey(key: unknown, what: string): void {
  checkName("paramKey", key, { action: `${what} param`, field: "key" });
}

/**
 * Checks a params prefix, for every backend.
 *
 * @param prefix the prefix
 * @throws {TypeError} unless a string
 */
export function checkPrefix(prefix: unknown): void {
  if (typeof prefix !== "string") {
    throw new TypeError(
      `Cannot use params: prefix must be a string, got ${typeof prefix}`,
    );
  }
}

/**
 * One signal for two: `b` alone when `a` is absent.
 *
 * @param a an optional signal
 * @param b a signal
 * @returns a signal that aborts when either does
 */
export function combine(
  a: AbortSignal | undefined,
  b: AbortSignal,
): AbortSignal {
  return a === undefined ? b : AbortSignal.any([a, b]);
}
