/**
 * The node API as users see it. Implemented by `src/node/node.ts`.
 *
 * @module
 */

import type { CallContext, CallOptions } from "../rpc/context.ts";
import type { Logger } from "../_util/log.ts";
import type { RetryOptions } from "../rpc/client.ts";
import type {
  ParamsDescriptor,
  ServiceDescriptor,
  TopicDescriptor,
} from "../wire/descriptors.ts";
import type { NodeInfo, Registry, RunMode } from "../registry/types.ts";
import type { ParamsGroup } from "../params/types.ts";

export type { ParamsGroup };
import type {
  PublisherOptions,
  SubscribeOptions,
  TopicPublisher,
  TopicSubscription,
} from "../topics/types.ts";

export type {
  PublisherOptions,
  PublishOptions,
  SubscribeOptions,
  TopicCounters,
  TopicHandler,
  TopicMessage,
  TopicPublisher,
  TopicSubscription,
} from "../topics/types.ts";

/**
 * The typed client of a service `T` (the user's `@service` interface): each
 * method takes the interface's parameters plus an optional trailing
 * `CallOptions`.
 */
export type ServiceClient<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R
    ? (...args: [...A, options?: CallOptions]) => R
    : never;
};

/**
 * What implements a service `T` (the user's `@service` interface): each
 * method takes the interface's parameters plus the call's `CallContext`
 * (deadline, signal, metadata), and returns the result or a promise of it;
 * a stream method returns an async iterable. The generated `XHandlers`
 * interface is the same type, spelled out.
 */
export type ServiceHandlers<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (
      ...args: [...A, ctx: CallContext]
    ) => R extends Promise<infer U> ? U | Promise<U>
      : R
    : never;
};

/**
 * Structured logging: one line per call, prefixed with the node name. The
 * one {@linkcode Logger} plus `debug` and `info`.
 */
export interface NodeLogger extends Logger {
  /** Logs a line at level `debug`, with structured fields. */
  debug(message: string, fields?: Record<string, unknown>): void;
  /** Logs a line at level `info`, with structured fields. */
  info(message: string, fields?: Record<string, unknown>): void;
}

/** Options of {@linkcode Node.client}. */
export interface NodeClientOptions {
  /**
   * How long to wait for a live instance before failing with `UNAVAILABLE`.
   * @default {10000}
   */
  timeout?: number;
  /** Default deadline of each call, in ms. */
  callTimeout?: number;
  /**
   * How `@idempotent` methods are retried on another instance; `false`
   * never retries (see `RpcClientOptions.retry`).
   * @default {3 attempts on UNAVAILABLE, backoff 20 ms doubling to 1 s}
   */
  retry?: RetryOptions | false;
  /**
   * The most elements of one reply (a result, a stream item) the client
   * decodes (see `RpcClientOptions.maxElements`); more fail the call with
   * `RESOURCE_EXHAUSTED`. `Infinity` for no limit.
   * @default {the node's `maxElements`, else MAX_ELEMENTS: 32,768}
   */
  maxElements?: number;
}

/** A running node. */
export interface Node extends AsyncDisposable {
  /** Its unique name. */
  readonly name: string;
  /** How it runs. */
  readonly mode: RunMode;
  /** What the registry knows about it. */
  readonly info: NodeInfo;
  /** Structured logger. */
  readonly log: NodeLogger;
  /**
   * The registry connection the node uses (in secure mode, made with the
   * node's key, so what goes through it is the node's to do). Closed with
   * the node when the node opened it.
   */
  readonly registry: Registry;
  /** Aborted when the node is asked to stop (signal, launcher, `close()`). */
  readonly signal: AbortSignal;
  /** Resolves once the node is registered. */
  readonly ready: Promise<void>;
  /**
   * Serves a service and registers it. Requests are validated before
   * `impl` sees them.
   */
  provide<T>(
    service: ServiceDescriptor<T>,
    impl: ServiceHandlers<T>,
  ): Promise<void>;
  /**
   * Waits until an instance of `service` is live, then returns a typed
   * client load-balanced over every live instance, following the registry.
   */
  client<T>(
    service: ServiceDescriptor<T>,
    options?: NodeClientOptions,
  ): Promise<ServiceClient<T>>;
  /** A typed publisher on `topic`. */
  publisher<T>(
    topic: TopicDescriptor<T>,
    options?: PublisherOptions,
  ): Promise<TopicPublisher<T>>;
  /** A typed subscription to `topic`; publishers are found for you. */
  subscribe<T>(
    topic: TopicDescriptor<T>,
    options?: SubscribeOptions,
  ): Promise<TopicSubscription<T>>;
  /** The typed params group. */
  params<T>(group: ParamsDescriptor<T>): ParamsGroup<T>;
  /** Drains in-flight calls, closes everything, unregisters. Idempotent. */
  close(): Promise<void>;
}

/**
 * What a node module's default export is: `export default defineNode(...)`.
 * The same module runs unchanged as a subprocess, a Worker or in-process.
 */
export interface NodeModule {
  /** Marks the object as a zmp node definition. */
  readonly kind: "zmp.node";
  /**
   * The node's body. It runs after the node is created; when it returns,
   * the node stays up until asked to stop (`node.signal`), then closes.
   */
  run(node: Node, args: string[]): Promise<void> | void;
  /**
   * When the node is ready (see `CreateNodeOptions.readiness`): until it
   * passes, the registry shows the node as not ready.
   */
  readonly readiness?: (
    node: Node,
  ) => ReadinessResult | Promise<ReadinessResult>;
  /** How often `readiness` runs, in ms. @default {1000} */
  readonly readinessInterval?: number;
}

/** What a readiness check says: `true` or nothing when ready, else `false` or why not. */
export type ReadinessResult = boolean | string | void;
