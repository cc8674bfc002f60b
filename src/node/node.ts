/**
 * `createNode`: a named participant of a zmp system. It registers in the
 * registry, serves services on one `RpcServer`, makes service clients that
 * follow the registry, publishes and subscribes to topics, reads params,
 * logs, and closes everything in order.
 *
 * @module
 */

import { RpcClient } from "../rpc/client.ts";
import { RpcServer } from "../rpc/server.ts";
import { RpcError } from "../wire/errors.ts";
import { checkName } from "../wire/names.ts";
import type {
  MethodDescriptor,
  ParamsDescriptor,
  ServiceDescriptor,
  TopicDescriptor,
} from "../wire/descriptors.ts";
import { methodChanges } from "../wire/schema_diff.ts";
import type {
  NodeInfo,
  ParamStore,
  Registration,
  Registry,
  RunMode,
} from "../registry/types.ts";
import { RegistryView, type ViewChange } from "../registry/view.ts";
import { advertiseHost } from "../registry/network.ts";
import { RUN_MODES } from "../registry/types.ts";
import { readEnv } from "../_util/env.ts";
import { connectRegistry } from "../registry/client.ts";
import { paramsGroup } from "../params/params_group.ts";
import { createPublisher } from "../topics/publisher.ts";
import { createSubscription } from "../topics/subscription.ts";
import type {
  Node,
  NodeClientOptions,
  NodeLogger,
  ParamsGroup,
  PublisherOptions,
  ReadinessResult,
  ServiceClient,
  ServiceHandlers,
  SubscribeOptions,
  TopicPublisher,
  TopicSubscription,
} from "./types.ts";
import { createNodeLogger } from "./logger.ts";
import { serviceClient } from "./service_client.ts";
import { NodePublisher, NodeSubscription } from "./_node_topics.ts";
import { NodeGuard, type NodeSecurity } from "./_security.ts";
import { NodeObserver, type ReadinessCheck } from "../observe/node_observer.ts";
import {
  paramGroupEntry,
  publicationEntry,
  serviceEntry,
  subscriptionEntry,
} from "./_entries.ts";

/** Options of {@linkcode createNode}. */
export interface CreateNodeOptions {
  /**
   * The registry: a connected {@linkcode Registry} (left open on close), or
   * its endpoint (connected here, closed on close).
   * @default {the `ZMP_REGISTRY` environment variable, else "tcp://127.0.0.1:7350"}
   */
  registry?: Registry | string;
  /**
   * How the node runs, as reported to the registry.
   * @default {the `ZMP_RUN_MODE` environment variable, else "inprocess"}
   */
  mode?: RunMode;
  /** The logger. @default {createNodeLogger(name)} */
  logger?: NodeLogger;
  /** A stop request: when it aborts, so does `node.signal`. */
  signal?: AbortSignal;
  /**
   * How long `close()` lets calls in flight finish, in ms.
   * @default {5000}
   */
  drainTimeout?: number;
  /**
   * How long connecting to the registry (when given an endpoint) and
   * registering may take, in ms.
   * @default {3000}
   */
  registryTimeout?: number;
  /**
   * Secure mode: the node's CURVE key pair and the registry's key. Every
   * socket of the node then uses CURVE: it serves and publishes only to
   * keys the registry lists, and connects only to servers that prove the
   * key the registry lists for them. The launcher sets it in secure mode.
   * @default {none: plain TCP}
   */
  security?: NodeSecurity;
  /**
   * The secret token of the node's registration (see
   * `RegisterOptions.token`): with it, a restarted node takes its
   * name back from its crashed predecessor at once, and no other process
   * can take the name meanwhile. The launcher passes one to every node it
   * starts.
   * @default {none: the registry makes one}
   */
  registryToken?: string;
  /**
   * When the node is ready: run at start and every `readinessInterval` ms.
   * Until it passes, the node registers as not ready (`NodeInfo.ready`
   * false), and service clients and the launcher's `after` conditions
   * pass it over. A string or `false` says it is not ready (the string
   * says why).
   * @default {none: ready once registered}
   */
  readiness?: (node: Node) => ReadinessResult | Promise<ReadinessResult>;
  /** How often `readiness` runs, in ms. @default {1000} */
  readinessInterval?: number;
  /**
   * The most elements of one request the node's services decode (the
   * `RpcServer` option of the same name): a call with more is refused with
   * `RESOURCE_EXHAUSTED` before decoding. Raise it for services that take
   * large plain arrays, or send typed arrays, which count as one value.
   * It is also the limit of the replies its clients decode (the
   * `RpcClient` option; `NodeClientOptions.maxElements` overrides it for
   * one client): a reply with more fails its call with
   * `RESOURCE_EXHAUSTED`. A subscription's own limit is
   * `SubscribeOptions.maxElements`.
   * @default {MAX_ELEMENTS: 32,768}
   */
  maxElements?: number;
}

/**
 * Checks a node name: the rule of `wire/names.ts`, the same everywhere.
 *
 * @param name the name
 * @throws {NameError} (a `TypeError`) unless 1 to 255 characters of
 *   `A-Z a-z 0-9 _ . / -`, the first a letter, a digit or `_`
 */
export function checkNodeName(name: string): void {
  checkName("node", name, { action: `create node ${JSON.stringify(name)}` });
}

function hostname(): string {
  try {
    return Deno.hostname();
  } catch {
    return "localhost";
  }
}

/**
 * Creates a node and registers it.
 *
 * @param name unique among live nodes: `A-Z a-z 0-9 _ . / -`
 * @param options registry, run mode, logger, stop signal, drain timeout
 * @returns the registered node; close it (or `await using`) when done
 * @throws {TypeError} for a bad name or run mode
 * @throws {RangeError} for a `maxElements` that is not an integer >= 1
 * @throws {RpcError} `ALREADY_EXISTS` when a live node has the name
 * @throws {RegistryUnavailableError} when no registry answers
 * @example
 * ```ts
 * import { createNode } from "zmp";
 * import { CalculatorService } from "../../examples/calculator/calculator.api.gen.ts";
 * import { calculator } from "../../examples/calculator/calculator.ts"; // your implementation
 *
 * await using node = await createNode("calculator");
 * await node.provide(CalculatorService, calculator);
 * const calc = await node.client(CalculatorService);
 * console.log(await calc.add(1, 2)); // 3
 * ```
 */
export async function createNode(
  name: string,
  options: CreateNodeOptions = {},
): Promise<Node> {
  checkNodeName(name);
  const mode = options.mode ??
    (readEnv("ZMP_RUN_MODE") ?? "inprocess") as RunMode;
  if (!(RUN_MODES as readonly string[]).includes(mode)) {
    throw new TypeError(
      `Cannot create node "${name}": run mode ${
        JSON.stringify(mode)
      } is not one of ${RUN_MODES.join(", ")}`,
    );
  }
  const { maxElements } = options;
  if (
    maxElements !== undefined &&
    (!Number.isInteger(maxElements) || maxElements < 1)
  ) {
    throw new RangeError(
      `Cannot create node "${name}": maxElements must be an integer >= 1, got ${maxElements}`,
    );
  }
  const log = options.logger ?? createNodeLogger(name);
  const timeout = options.registryTimeout ?? 3000;
  const owned = typeof options.registry !== "object";
  const registry = typeof options.registry === "object"
    ? options.registry
    : await connectRegistry({
      endpoint: options.registry,
      timeout,
      logger: log,
      signal: options.signal,
      ...(options.security?.registryKey === undefined ? {} : {
        curve: {
          publicKey: options.security.publicKey,
          secretKey: options.security.secretKey,
          serverKey: options.security.registryKey,
        },
      }),
    });
  // Every node serves zmp.Observe (metrics, call taps) on its server,
  // made now rather than at the first provide().
  const observer = new NodeObserver(name);
  const view = new RegistryView(registry, {
    logger: { error: (m) => log.error(m) },
  });
  // Secure mode: the server lets in and serves what the registry lists.
  const guard = options.security === undefined
    ? undefined
    : new NodeGuard(options.security, view, log, () => registry.nodes());
  const server = new RpcServer({
    logger: log,
    ...(maxElements === undefined ? {} : { maxElements }),
    interceptors: [observer.serverInterceptor],
    ...(guard === undefined ? {} : {
      curve: {
        publicKey: guard.security.publicKey,
        secretKey: guard.security.secretKey,
        authenticate: guard.authenticate,
        identify: guard.identify,
      },
      authorize: guard.authorize,
    }),
  });
  const bindHost = advertiseHost(registry.endpoint);
  let endpoint: string;
  try {
    endpoint = server.bind(`tcp://${bindHost}:*`);
    observer.serve(server);
  } catch (e) {
    guard?.close();
    await server.close();
    await observer.close();
    await view.close();
    if (owned) await registry.close();
    throw e;
  }
  const info: NodeInfo = {
    name,
    instanceId: crypto.randomUUID(),
    pid: Deno.pid,
    host: readEnv("ZMP_HOST") ?? hostname(),
    mode,
    services: [],
    publishes: [],
    subscribes: [],
    params: [],
    ...(options.security === undefined
      ? {}
      : { uses: [], publicKey: options.security.publicKey }),
    startedAt: Date.now(),
    observe: endpoint,
    ...(options.readiness === undefined
      ? {}
      : { ready: false, notReady: "its readiness check has not run yet" }),
  };
  const counted = observer.countRegistry(registry);
  let registration: Registration;
  try {
    guard?.checkOwn(info);
    registration = await counted.register(info, {
      timeout,
      signal: options.signal,
      token: options.registryToken,
    });
  } catch (e) {
    guard?.close();
    await server.close();
    await observer.close();
    await view.close();
    if (owned) await registry.close();
    throw e;
  }
  const node = new NodeImpl({
    info,
    registry: counted,
    owned,
    registration,
    bindHost,
    log,
    signal: options.signal,
    drainTimeout: options.drainTimeout ?? 5000,
    view,
    guard,
    server,
    observer,
    maxElements,
  });
  if (options.readiness !== undefined) {
    const check = options.readiness;
    await node.watchReadiness(() => check(node), options.readinessInterval);
  }
  return node;
}

interface NodeInit {
  info: NodeInfo;
  registry: Registry;
  owned: boolean;
  registration: Registration;
  /** Where its sockets listen: the address its peers reach it at. */
  bindHost: string;
  log: NodeLogger;
  signal: AbortSignal | undefined;
  drainTimeout: number;
  view: RegistryView;
  guard: NodeGuard | undefined;
  server: RpcServer;
  observer: NodeObserver;
  /** The node's `maxElements`, for its clients too. */
  maxElements: number | undefined;
}

/** Something the node closes when it closes. */
interface Part {
  close(): Promise<void>;
}

class NodeImpl implements Node {
  readonly name: string;
  readonly mode: RunMode;
  readonly log: NodeLogger;
  readonly ready: Promise<void> = Promise.resolve();
  readonly #info: NodeInfo;
  readonly #registry: Registry;
  readonly #ownsRegistry: boolean;
  readonly #registration: Registration;
  readonly #abort = new AbortController();
  readonly #drainTimeout: number;
  readonly #bindHost: string;
  readonly #view: RegistryView;
  readonly #guard: NodeGuard | undefined;
  readonly #parts = new Set<Part>();
  readonly #clients = new Map<string, Promise<ServiceClient<unknown>>>();
  readonly #server: RpcServer;
  readonly #serverEndpoint: string;
  readonly #observer: NodeObserver;
  readonly #maxElements: number | undefined;
  /** Breaking changes per (service, both hashes, method), computed once. */
  readonly #compatibility = new Map<string, string[]>();
  #updating: Promise<void> = Promise.resolve();
  #closing: Promise<void> | undefined;
  #unlink: (() => void) | undefined;

  constructor(init: NodeInit) {
    this.#info = init.info;
    this.name = init.info.name;
    this.mode = init.info.mode;
    this.log = init.log;
    this.#registry = init.registry;
    this.#ownsRegistry = init.owned;
    this.#registration = init.registration;
    this.#drainTimeout = init.drainTimeout;
    this.#server = init.server;
    this.#serverEndpoint = init.info.observe!;
    this.#observer = init.observer;
    this.#maxElements = init.maxElements;
    this.#bindHost = init.bindHost;
    this.#view = init.view;
    this.#guard = init.guard;
    const external = init.signal;
    if (external !== undefined) {
      const stop = () => this.#abort.abort(external.reason);
      if (external.aborted) stop();
      else {
        external.addEventListener("abort", stop, { once: true });
        this.#unlink = () => external.removeEventListener("abort", stop);
      }
    }
  }

  get registry(): Registry {
    return this.#registry;
  }

  get info(): NodeInfo {
    return structuredClone(this.#info);
  }

  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  #checkOpen(what: string): void {
    if (this.#closing !== undefined) {
      throw new TypeError(`Cannot ${what}: node "${this.name}" is closed`);
    }
  }

  /** Sends the current info to the registry, one update at a time. */
  #publishInfo(): Promise<void> {
    const next = this.#updating.then(() => {
      if (this.#closing !== undefined) return undefined;
      const info = structuredClone(this.#info);
      // With etcd, which checks nothing, the node checks its own policy.
      this.#guard?.checkOwn(info);
      return this.#registration.update(info);
    });
    this.#updating = next.catch(() => {});
    return next;
  }

  /** Like `#publishInfo`, for changes nobody waits on: failures are logged. */
  #publishInfoLater(): void {
    this.#publishInfo().catch((e) =>
      this.log.warn("cannot update the registration", {
        error: (e as Error).message,
      })
    );
  }

  /** Runs the readiness check, and keeps the registration up to date. */
  watchReadiness(check: ReadinessCheck, interval?: number): Promise<void> {
    return this.#observer.watchReadiness(check, {
      interval,
      signal: this.signal,
      onChange: (ready, reason) => {
        if (ready) {
          delete this.#info.ready;
          delete this.#info.notReady;
        } else {
          this.#info.ready = false;
          this.#info.notReady = reason;
        }
        this.log.info(ready ? "ready" : `not ready: ${reason}`);
        if (this.#closing === undefined) this.#publishInfoLater();
      },
    });
  }

  async provide<T>(
    service: ServiceDescriptor<T>,
    impl: ServiceHandlers<T>,
  ): Promise<void> {
    this.#checkOpen(`provide ${service.name}`);
    this.#server.register(service as ServiceDescriptor, impl as object);
    const entry = serviceEntry(
      service as ServiceDescriptor,
      this.#serverEndpoint,
    );
    this.#info.services.push(entry);
    try {
      await this.#publishInfo();
    } catch (e) {
      // Refused (secure mode's policy) or failed: not listed, not kept.
      remove(this.#info.services, entry);
      throw e;
    }
    this.log.debug(`provides ${service.name}`, {
      endpoint: this.#serverEndpoint,
    });
  }

  client<T>(
    service: ServiceDescriptor<T>,
    options: NodeClientOptions = {},
  ): Promise<ServiceClient<T>> {
    const maxElements = options.maxElements ?? this.#maxElements;
    try {
      this.#checkOpen(`make a client of ${service.name}`);
      if (
        maxElements !== undefined && maxElements !== Infinity &&
        (!Number.isInteger(maxElements) || maxElements < 1)
      ) {
        throw new RangeError(
          `Cannot make a client of ${service.name}: maxElements must be an integer >= 1 or Infinity, got ${maxElements}`,
        );
      }
    } catch (e) {
      return Promise.reject(e);
    }
    const key = `${service.name}\0${service.hash ?? ""}\0${
      options.callTimeout ?? ""
    }\0${JSON.stringify(options.retry ?? null)}\0${maxElements ?? ""}`;
    let client = this.#clients.get(key);
    if (client === undefined) {
      client = this.#makeClient(service as ServiceDescriptor, {
        ...options,
        maxElements,
      });
      this.#clients.set(key, client);
      client.catch(() => this.#clients.delete(key));
    }
    return client as Promise<ServiceClient<T>>;
  }

  #instances(service: string): string[] {
    const endpoints: string[] = [];
    for (const node of this.#view.nodes) {
      if (node.ready === false) continue;
      for (const s of node.services) {
        if (s.name === service) endpoints.push(s.endpoint);
      }
    }
    return endpoints;
  }

  async #makeClient(
    service: ServiceDescriptor,
    options: NodeClientOptions,
  ): Promise<ServiceClient<unknown>> {
    const timeout = options.timeout ?? 10000;
    try {
      await this.#view.until(() => this.#instances(service.name).length > 0, {
        signal: this.signal,
        timeout,
      });
    } catch (e) {
      if ((e as Error)?.name !== "TimeoutError") throw e;
      throw new RpcError(
        "UNAVAILABLE",
        `Cannot make a client of ${service.name}: no live instance appeared in the registry within ${timeout} ms`,
      );
    }
    this.#checkOpen(`make a client of ${service.name}`);
    if (
      this.#info.uses !== undefined && !this.#info.uses.includes(service.name)
    ) {
      // Secure mode: what a node calls is declared, and checked.
      this.#info.uses.push(service.name);
      await this.#publishInfo();
    }
    const guard = this.#guard;
    const rpc = new RpcClient({
      endpoints: this.#instances(service.name),
      timeout: options.callTimeout,
      retry: options.retry,
      maxElements: options.maxElements,
      logger: this.log,
      interceptors: [this.#observer.clientInterceptor],
      ...(guard === undefined ? {} : {
        curve: {
          publicKey: guard.security.publicKey,
          secretKey: guard.security.secretKey,
          serverKey: guard.serverKey,
        },
      }),
    });
    const follow = (change: ViewChange) => {
      const wanted = new Set(this.#instances(service.name));
      // A node that left gracefully drains its calls in flight; one whose
      // lease expired is dead: its calls fail over at once.
      const drain = !(change.type === "removed" &&
        change.reason === "expired");
      for (const endpoint of rpc.endpoints) {
        if (!wanted.has(endpoint)) {
          rpc.removeEndpoint(endpoint, { drain }).catch(() => {});
        }
      }
      for (const endpoint of wanted) {
        try {
          rpc.addEndpoint(endpoint);
        } catch (e) {
          this.log.warn(`cannot use ${service.name} at ${endpoint}`, {
            error: (e as Error).message,
          });
        }
      }
    };
    const unlisten = this.#view.listen(follow);
    this.#parts.add({
      close: () => {
        unlisten();
        return rpc.close();
      },
    });
    return serviceClient(
      rpc,
      service,
      (method) => this.#refuse(service, method),
    );
  }

  /**
   * Why a call of `method` must not go out: some live instance of the
   * service registered a definition that differs from the client's in a
   * breaking way for that method (`FAILED_PRECONDITION`, naming the
   * method and what changed); `undefined` when every instance agrees or
   * differs compatibly.
   */
  #refuse(
    service: ServiceDescriptor,
    method: MethodDescriptor,
  ): RpcError | undefined {
    if (service.hash === undefined) return undefined;
    for (const node of this.#view.nodes) {
      for (const entry of node.services) {
        if (
          entry.name !== service.name || entry.hash === undefined ||
          entry.hash === service.hash || entry.methods === undefined
        ) continue;
        const key =
          `${service.name}\0${service.hash}\0${entry.hash}\0${method.name}`;
        let breaking = this.#compatibility.get(key);
        if (breaking === undefined) {
          const theirs = entry.methods.find((m) => m.name === method.name);
          breaking = methodChanges(
            `${service.name}.${method.name}`,
            {
              kind: method.kind,
              args: method.argsSchema,
              result: method.resultSchema,
            },
            theirs,
          ).filter((c) => c.breaking).map((c) => c.message);
          this.#compatibility.set(key, breaking);
        }
        if (breaking.length > 0) {
          return new RpcError(
            "FAILED_PRECONDITION",
            `${service.name}.${method.name}: ${breaking.join("; ")}`,
            { details: { changes: breaking, node: node.name } },
          );
        }
      }
    }
    return undefined;
  }

  async publisher<T>(
    topic: TopicDescriptor<T>,
    options: PublisherOptions = {},
  ): Promise<TopicPublisher<T>> {
    this.#checkOpen(`publish on ${topic.name}`);
    const guard = this.#guard;
    if (guard !== undefined) await this.#view.start();
    const inner = createPublisher(topic, {
      latched: options.latched,
      trace: options.trace,
      node: this.name,
      logger: this.log,
      endpoint: `tcp://${this.#bindHost}:*`,
      ...(guard === undefined ? {} : {
        curve: {
          publicKey: guard.security.publicKey,
          secretKey: guard.security.secretKey,
          authenticate: guard.subscribers(topic.name),
        },
      }),
    });
    const entry = publicationEntry(
      topic as TopicDescriptor,
      inner.endpoint,
      inner.latched,
    );
    this.#info.publishes.push(entry);
    const untrack = this.#observer.trackTopic("publisher", inner);
    const publisher = new NodePublisher(inner, () => {
      untrack();
      this.#parts.delete(publisher);
      remove(this.#info.publishes, entry);
      if (this.#closing === undefined) this.#publishInfoLater();
    });
    this.#parts.add(publisher);
    try {
      await this.#publishInfo();
    } catch (e) {
      // Refused (secure mode's policy) or failed: not listed, not kept.
      this.#parts.delete(publisher);
      remove(this.#info.publishes, entry);
      await inner.close();
      throw e;
    }
    return publisher;
  }

  #publishers(
    topic: TopicDescriptor,
    exclude: readonly string[] = [],
  ): string[] {
    const endpoints: string[] = [];
    for (const node of this.#view.nodes) {
      for (const p of node.publishes) {
        if (p.topic !== topic.name || exclude.includes(p.endpoint)) continue;
        endpoints.push(p.endpoint);
      }
    }
    return endpoints;
  }

  async subscribe<T>(
    topic: TopicDescriptor<T>,
    options: SubscribeOptions = {},
  ): Promise<TopicSubscription<T>> {
    this.#checkOpen(`subscribe to ${topic.name}`);
    await this.#view.start();
    this.#checkOpen(`subscribe to ${topic.name}`);
    const guard = this.#guard;
    const entry = subscriptionEntry(topic as TopicDescriptor);
    // Made first, connected to no publisher yet: it checks the options
    // (queue, maxElements), so that bad ones throw before the node records
    // the subscription in its info (and, in secure mode, the registry).
    const inner = createSubscription(topic, {
      queue: options.queue,
      maxElements: options.maxElements,
      node: this.name,
      logger: this.log,
      ...(guard === undefined ? {} : {
        curve: {
          publicKey: guard.security.publicKey,
          secretKey: guard.security.secretKey,
          serverKey: guard.serverKey,
        },
      }),
    });
    if (guard !== undefined) {
      // Secure mode: publishers let in the subscribers the registry lists,
      // so it is listed before it connects (follow(), below).
      this.#info.subscribes.push(entry);
      try {
        await this.#publishInfo();
      } catch (e) {
        remove(this.#info.subscribes, entry);
        await inner.close();
        throw e;
      }
    }
    const warned = new Set<string>();
    const follow = () => {
      for (const node of this.#view.nodes) {
        for (const p of node.publishes) {
          if (
            p.topic === topic.name && p.typeName !== topic.typeName &&
            !warned.has(p.endpoint)
          ) {
            warned.add(p.endpoint);
            this.log.warn(
              `node "${node.name}" publishes ${topic.name} as ${p.typeName}, this node expects ${topic.typeName}`,
            );
          }
        }
      }
      inner.setEndpoints(
        this.#publishers(topic as TopicDescriptor, options.exclude),
      );
    };
    follow();
    const unlisten = this.#view.listen(follow);
    if (guard === undefined) this.#info.subscribes.push(entry);
    const untrack = this.#observer.trackTopic("subscriber", inner);
    const subscription = new NodeSubscription(inner, () => {
      untrack();
      unlisten();
      this.#parts.delete(subscription);
      remove(this.#info.subscribes, entry);
      if (this.#closing === undefined) this.#publishInfoLater();
    });
    this.#parts.add(subscription);
    try {
      await this.#publishInfo();
    } catch (e) {
      // Refused (the rules of a NodeInfo) or failed: not listed, not kept,
      // so that it does not spoil the node's next updates.
      await subscription.close();
      throw e;
    }
    return subscription;
  }

  params<T>(group: ParamsDescriptor<T>): ParamsGroup<T> {
    this.#checkOpen(`use params ${group.namespace}`);
    checkName("paramNamespace", group.namespace, {
      action: `use params ${JSON.stringify(group.namespace)}`,
    });
    if (!this.#info.params.includes(group.namespace)) {
      this.#info.params.push(group.namespace);
      (this.#info.paramGroups ??= []).push(
        paramGroupEntry(group as ParamsDescriptor),
      );
      this.#publishInfoLater();
    }
    const store = this.#guard === undefined
      ? this.#registry.params
      : this.#afterUpdates(this.#registry.params);
    return paramsGroup(store, group, {
      logger: this.log,
      signal: this.signal,
    });
  }

  /**
   * Secure mode: the registry lets a node set the params it lists, so a
   * write waits for the registration updates queued before it.
   */
  #afterUpdates(store: ParamStore): ParamStore {
    const writes = new Set(["set", "update", "delete"]);
    return new Proxy(store, {
      get: (target, key, receiver) => {
        const value = Reflect.get(target, key, receiver);
        if (typeof value !== "function") return value;
        if (!writes.has(String(key))) return value.bind(target);
        return async (...args: unknown[]) => {
          await this.#updating;
          return value.apply(target, args);
        };
      },
    });
  }

  close(): Promise<void> {
    return this.#closing ??= this.#close();
  }

  async #close(): Promise<void> {
    this.#unlink?.();
    if (!this.#abort.signal.aborted) {
      this.#abort.abort(
        new DOMException(`node "${this.name}" closed`, "AbortError"),
      );
    }
    const step = async (what: string, fn: () => Promise<unknown>) => {
      try {
        await fn();
      } catch (e) {
        this.log.warn(`close: cannot ${what}`, {
          error: (e as Error).message,
        });
      }
    };
    // Leave the registry first: clients stop sending new calls here and
    // subscribers disconnect, while calls in flight finish below.
    await step("wait for registry updates", () => this.#updating);
    await step("unregister", () => this.#registration.close());
    // Recorders' streams end first: the drain need not wait for them.
    await step("stop observing", () => this.#observer.close());
    await step(
      "drain the server",
      () => this.#server.close({ drainTimeout: this.#drainTimeout }),
    );
    await Promise.all(
      [...this.#parts].map((part) =>
        step("close a publisher, subscription or client", () => part.close())
      ),
    );
    this.#parts.clear();
    this.#guard?.close();
    await step("stop watching the registry", () => this.#view.close());
    if (this.#ownsRegistry) {
      await step("close the registry connection", () => this.#registry.close());
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function remove<T>(list: T[], item: T): void {
  const i = list.indexOf(item);
  if (i >= 0) list.splice(i, 1);
}
