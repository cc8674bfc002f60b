/**
 * `NodeObserver`: what a node adds to itself to be observed — its metrics,
 * the call taps of recorders, the interceptors that feed them, the
 * `zmp.Observe` service, counted registry and params operations, and its
 * readiness check. `src/node/node.ts` makes one per node.
 *
 * @module
 */

import type { RpcServer } from "../rpc/server.ts";
import type {
  ClientInterceptor,
  ServerInterceptor,
} from "../rpc/interceptors.ts";
import type {
  ParamStore,
  Registry,
  RegistryWaitOptions,
} from "../registry/types.ts";
import { NodeMetrics, type TopicSource } from "./metrics.ts";
import { CallTaps } from "./tap.ts";
import { observeClient, observeServer } from "./interceptors.ts";
import { serveObserve } from "./service.ts";

/**
 * A readiness check: resolves to `true` (or nothing) when the node is
 * ready, to `false` or a reason (a string) when it is not. Throwing counts
 * as not ready, with the error's message as the reason.
 */
export type ReadinessCheck = () =>
  | boolean
  | string
  | void
  | Promise<boolean | string | void>;

/** Options of {@linkcode NodeObserver.watchReadiness}. */
export interface ReadinessOptions {
  /** How often the check runs, in ms. @default {1000} */
  interval?: number;
  /** Stops checking. */
  signal: AbortSignal;
  /** Called when readiness changes (and once after the first check). */
  onChange(ready: boolean, reason: string | undefined): void;
}

/** The observing parts of one node. */
export class NodeObserver {
  /** Its metrics. */
  readonly metrics: NodeMetrics;
  /** Its recorders' call taps. */
  readonly taps: CallTaps;
  /** Put first among the node server's interceptors. */
  readonly serverInterceptor: ServerInterceptor;
  /** Put first among the interceptors of the clients the node makes. */
  readonly clientInterceptor: ClientInterceptor;
  #readiness: Promise<void> | undefined;

  /** @param node the node's name */
  constructor(node: string) {
    this.metrics = new NodeMetrics({ node });
    this.taps = new CallTaps(node);
    this.serverInterceptor = observeServer(this.metrics, this.taps);
    this.clientInterceptor = observeClient(node);
    this.metrics.start();
  }

  /**
   * Serves `zmp.Observe` on the node's server.
   *
   * @param server the server (made with {@linkcode serverInterceptor})
   */
  serve(server: RpcServer): void {
    serveObserve(server, this);
  }

  /**
   * Follows a publisher or subscription's counters.
   *
   * @param role which end
   * @param source the topic end
   * @returns stops following it
   */
  trackTopic(
    role: "publisher" | "subscriber",
    source: TopicSource,
  ): () => void {
    return this.metrics.addTopic(role, source);
  }

  /**
   * The registry, with every operation the node makes counted.
   *
   * @param registry the connection
   * @returns the same connection, counted
   */
  countRegistry(registry: Registry): Registry {
    const metrics = this.metrics;
    const params = countParams(registry.params, metrics);
    return overlay(registry, {
      params,
      register: (info, options) => {
        metrics.countRegistry("register");
        return registry.register(info, options).then((registration) =>
          overlay(registration, {
            update: (info) => {
              metrics.countRegistry("update");
              return registration.update(info);
            },
          })
        );
      },
      nodes: (options?: RegistryWaitOptions) => {
        metrics.countRegistry("nodes");
        return registry.nodes(options);
      },
      watch: (options) => {
        metrics.countRegistry("watch");
        return counted(
          registry.watch(options),
          () => metrics.countRegistry("watchEvent"),
        );
      },
    });
  }

  /**
   * Runs a readiness check now and every `interval` ms until `signal`
   * aborts, reporting changes.
   *
   * @param check the check
   * @param options interval, stop signal, what to call on a change
   * @returns once the first check has run
   */
  watchReadiness(
    check: ReadinessCheck,
    options: ReadinessOptions,
  ): Promise<void> {
    const interval = options.interval ?? 1000;
    if (!Number.isInteger(interval) || interval < 1) {
      return Promise.reject(
        new RangeError(
          `Cannot watch readiness: interval must be an integer >= 1 ms, got ${interval}`,
        ),
      );
    }
    let last: string | undefined | null = null; // null: never checked
    const run = async () => {
      let reason: string | undefined;
      try {
        const r = await check();
        reason = r === false
          ? "its readiness check returned false"
          : typeof r === "string"
          ? r
          : undefined;
      } catch (e) {
        reason = `its readiness check failed: ${(e as Error)?.message ?? e}`;
      }
      if (options.signal.aborted || reason === last) return;
      last = reason;
      this.metrics.setReady(reason === undefined, reason);
      options.onChange(reason === undefined, reason);
    };
    const first = run();
    this.#readiness = (async () => {
      await first;
      while (!options.signal.aborted) {
        await sleep(interval, options.signal);
        if (!options.signal.aborted) await run();
      }
    })();
    return first;
  }

  /** Ends the taps and the timers; waits for the readiness loop. */
  async close(): Promise<void> {
    this.taps.close();
    this.metrics.close();
    await this.#readiness;
  }
}

/**
 * `target` with some members replaced; every other member (methods bound
 * to `target`) is `target`'s, so an interface that grows keeps working.
 */
function overlay<T extends object>(target: T, overrides: Partial<T>): T {
  return new Proxy(target, {
    get(t, key) {
      if (Object.hasOwn(overrides, key)) {
        return (overrides as Record<PropertyKey, unknown>)[key];
      }
      const value = Reflect.get(t, key, t);
      return typeof value === "function" ? value.bind(t) : value;
    },
  });
}

function countParams(store: ParamStore, metrics: NodeMetrics): ParamStore {
  const op = <A extends unknown[], R>(
    name: string,
    run: (...args: A) => Promise<R>,
  ) =>
  (...args: A): Promise<R> => {
    metrics.countParams(name);
    return run.apply(store, args).catch((e) => {
      metrics.countParams("error");
      throw e;
    });
  };
  return overlay(store, {
    get: op("get", store.get),
    set: op("set", store.set),
    delete: op("delete", store.delete),
    list: op("list", store.list),
    watch: (prefix, options) => {
      metrics.countParams("watch");
      return counted(
        store.watch(prefix, options),
        () => metrics.countParams("watchEvent"),
      );
    },
  });
}

function counted<T>(
  items: AsyncIterable<T>,
  count: () => void,
): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]() {
      const it = items[Symbol.asyncIterator]();
      return {
        next: () =>
          it.next().then((r) => {
            if (!r.done) count();
            return r;
          }),
        return: (value?: unknown) =>
          it.return?.(value) ??
            Promise.resolve({ value: undefined, done: true }),
        throw: (e?: unknown) => it.throw?.(e) ?? Promise.reject(e),
      };
    },
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
