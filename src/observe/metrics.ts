/**
 * `NodeMetrics`: what one process knows about itself, kept cheaply enough
 * to stay on. Per service method it serves: calls, calls in flight, errors
 * by status code and a latency histogram, updated by the server
 * interceptor of `interceptors.ts`. Per topic: the counters the topic
 * sockets keep anyway, read only when a snapshot is taken. Registry and
 * params operations by name. Process figures: RSS, heap, event-loop lag,
 * open ZeroMQ sockets.
 *
 * One timer a quarter second (unreferenced: it never keeps a process
 * alive) measures the event-loop lag and, each second, the topic rates.
 *
 * @module
 */

import type {
  MethodDescriptor,
  ServiceDescriptor,
} from "../wire/descriptors.ts";
import { Context } from "../zmq/context.ts";
import type { TopicCounters } from "../topics/types.ts";
import { type HistogramSnapshot, LatencyHistogram } from "./histogram.ts";

/** Served calls of one method. */
export interface MethodMetrics {
  /** The service name. */
  service: string;
  /** The method name. */
  method: string;
  /** `unary` or `stream`. */
  kind: "unary" | "stream";
  /** Calls that reached the handler. */
  calls: number;
  /** Calls whose handler runs now. */
  inFlight: number;
  /** Failed calls by status code, e.g. `{ "INVALID_ARGUMENT": 2 }`. */
  errors: Record<string, number>;
  /**
   * Handler durations (a stream's: until its last item), ok or not: every
   * call's up to the 1024th, then one call's in four (its `count` is the
   * calls timed).
   */
  latency: HistogramSnapshot;
}

/** One publisher or subscription of the process. */
export interface TopicMetrics {
  /** The topic name. */
  topic: string;
  /** Which end this process is. */
  role: "publisher" | "subscriber";
  /** Messages published (publisher) or delivered to the reader (subscriber). */
  messages: number;
  /** Messages lost: ZeroMQ drops seen as sequence gaps, or a full queue. */
  dropped: number;
  /** Messages that failed validation. */
  invalid: number;
  /** Messages waiting for the reader now (subscriber). */
  queued: number;
  /** Connected subscribers (publisher). */
  subscribers: number;
  /** `messages` per second over the last second. */
  rate: number;
}

/** The process as a whole. */
export interface ProcessMetrics {
  /** Resident set size, bytes. */
  rssBytes: number;
  /** V8 heap in use, bytes. */
  heapUsedBytes: number;
  /** Longest event-loop delay over the last second, ms. */
  eventLoopLagMs: number;
  /** Open ZeroMQ sockets of the default context. */
  openSockets: number;
  /** Seconds since the metrics started. */
  uptimeSeconds: number;
}

/** Everything a node reports: what `zmp.Observe.metrics()` answers. */
export interface MetricsSnapshot {
  /** The node (or `registry`). */
  node: string;
  /** Its process id. */
  pid: number;
  /** When the snapshot was taken, ms since the epoch. */
  at: number;
  /** Whether its readiness check passes (true without one). */
  ready: boolean;
  /** Why it is not ready, when it is not. */
  notReady?: string;
  /** Served methods, sorted. */
  methods: MethodMetrics[];
  /** Publishers and subscriptions, sorted. */
  topics: TopicMetrics[];
  /** Registry operations by name (`register`, `update`, `watchEvent` …). */
  registry: Record<string, number>;
  /** Params operations by name (`get`, `set`, `delete`, `list`, `watch`, `error`). */
  params: Record<string, number>;
  /** The process. */
  process: ProcessMetrics;
}

/**
 * Calls of a method whose durations are all timed; after them, one in
 * {@linkcode LATENCY_SAMPLE_EVERY}.
 */
export const LATENCY_EXACT_CALLS = 1024;
/**
 * One call in this many is timed once a method has served
 * {@linkcode LATENCY_EXACT_CALLS}: a clock read costs ~0.1 µs here, two per
 * call were two thirds of what metrics cost a call (`bench:observe`).
 */
export const LATENCY_SAMPLE_EVERY = 4;

/** The per-call figures of one served method; updated by the interceptor. */
export class MethodStats {
  /** Calls that reached the handler. */
  calls = 0;
  /** Calls whose handler runs now. */
  inFlight = 0;
  /** Failures by code. */
  readonly errors = new Map<string, number>();
  /** Durations. */
  readonly latency = new LatencyHistogram();

  /**
   * @param service the service name
   * @param method the method name
   * @param kind its kind
   */
  constructor(
    readonly service: string,
    readonly method: string,
    readonly kind: "unary" | "stream",
  ) {}

  /**
   * A call reached the handler.
   *
   * @param timed time it whatever the sample says (a recorder wants it)
   * @returns its `performance.now()` when it is timed, else `-1`
   */
  start(timed = false): number {
    const n = ++this.calls;
    this.inFlight++;
    return timed || n <= LATENCY_EXACT_CALLS ||
        n % LATENCY_SAMPLE_EVERY === 0
      ? performance.now()
      : -1;
  }

  /**
   * A call ended.
   *
   * @param started what `start()` returned
   * @param code its status code when it failed
   */
  end(started: number, code?: string): void {
    this.inFlight--;
    if (started >= 0) this.latency.record(performance.now() - started);
    if (code !== undefined) {
      this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
    }
  }

  /** @returns the figures as they travel */
  snapshot(): MethodMetrics {
    return {
      service: this.service,
      method: this.method,
      kind: this.kind,
      calls: this.calls,
      inFlight: this.inFlight,
      errors: Object.fromEntries(this.errors),
      latency: this.latency.snapshot(),
    };
  }
}

/** A topic end whose counters the metrics read when asked. */
export interface TopicSource {
  /** The topic name. */
  readonly topic: string;
  /** Its counters. */
  readonly counters: Readonly<TopicCounters>;
  /** Connected subscribers (publishers only). */
  readonly subscribers?: number;
  /** Messages waiting for the reader (subscriptions only). */
  readonly queued?: number;
}

interface TrackedTopic {
  source: TopicSource;
  role: "publisher" | "subscriber";
  last: number;
  rate: number;
}

/** How often the loop-lag timer fires, ms. */
const TICK_MS = 250;
/** Ticks per rate window (one second). */
const TICKS_PER_WINDOW = 4;

/** Options of {@linkcode NodeMetrics}. */
export interface NodeMetricsOptions {
  /** The node's name, as snapshots report it. */
  node: string;
}

/** What one process knows about itself; see the module doc. */
export class NodeMetrics {
  readonly #node: string;
  readonly #methods = new Map<MethodDescriptor, MethodStats>();
  readonly #byName = new Map<string, MethodStats>();
  readonly #topics = new Set<TrackedTopic>();
  readonly #registry = new Map<string, number>();
  readonly #params = new Map<string, number>();
  readonly #started = performance.now();
  #timer: ReturnType<typeof setInterval> | undefined;
  #expected = 0;
  #ticks = 0;
  #lagMax = 0;
  #lagWindowMax = 0;
  #ready = true;
  #notReady: string | undefined;

  /** @param options the node's name */
  constructor(options: NodeMetricsOptions) {
    this.#node = options.node;
  }

  /** The node's name. */
  get node(): string {
    return this.#node;
  }

  /**
   * Starts the loop-lag timer (unreferenced). Idempotent.
   */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#expected = performance.now() + TICK_MS;
    const timer = setInterval(() => this.#tick(), TICK_MS);
    Deno.unrefTimer(timer);
    this.#timer = timer;
  }

  /** Stops the timer. Idempotent. */
  close(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #tick(): void {
    const now = performance.now();
    const lag = Math.max(0, now - this.#expected);
    this.#expected = now + TICK_MS;
    if (lag > this.#lagWindowMax) this.#lagWindowMax = lag;
    if (++this.#ticks % TICKS_PER_WINDOW !== 0) return;
    this.#lagMax = this.#lagWindowMax;
    this.#lagWindowMax = 0;
    for (const t of this.#topics) {
      const n =
        t.source.counters[t.role === "publisher" ? "published" : "delivered"];
      t.rate = (n - t.last) * 1000 / (TICK_MS * TICKS_PER_WINDOW);
      t.last = n;
    }
  }

  /**
   * The stats of a served method, made on first use.
   *
   * @param service its service
   * @param method the method
   * @returns its stats
   */
  method(service: ServiceDescriptor, method: MethodDescriptor): MethodStats {
    let stats = this.#methods.get(method);
    if (stats !== undefined) return stats;
    const key = `${service.name}.${method.name}`;
    stats = this.#byName.get(key);
    if (stats === undefined) {
      stats = new MethodStats(service.name, method.name, method.kind);
      this.#byName.set(key, stats);
    }
    this.#methods.set(method, stats);
    return stats;
  }

  /**
   * Follows a publisher or subscription until the returned function is
   * called.
   *
   * @param role which end
   * @param source the topic end
   * @returns stops following it
   */
  addTopic(role: "publisher" | "subscriber", source: TopicSource): () => void {
    const tracked: TrackedTopic = {
      source,
      role,
      last: source.counters[role === "publisher" ? "published" : "delivered"],
      rate: 0,
    };
    this.#topics.add(tracked);
    return () => this.#topics.delete(tracked);
  }

  /**
   * Counts a registry operation.
   *
   * @param op its name, e.g. `register`
   */
  countRegistry(op: string): void {
    this.#registry.set(op, (this.#registry.get(op) ?? 0) + 1);
  }

  /**
   * Counts a params operation.
   *
   * @param op its name, e.g. `set`, or `error`
   */
  countParams(op: string): void {
    this.#params.set(op, (this.#params.get(op) ?? 0) + 1);
  }

  /**
   * Sets what the snapshots say about readiness.
   *
   * @param ready whether the node is ready
   * @param why why not, when not
   */
  setReady(ready: boolean, why?: string): void {
    this.#ready = ready;
    this.#notReady = ready ? undefined : why;
  }

  /** @returns everything, as `zmp.Observe.metrics()` answers it */
  snapshot(): MetricsSnapshot {
    const memory = Deno.memoryUsage();
    const methods = [...this.#byName.values()].map((s) => s.snapshot())
      .sort((a, b) =>
        `${a.service}.${a.method}`.localeCompare(`${b.service}.${b.method}`)
      );
    const topics = [...this.#topics].map(({ source, role, rate }) => {
      const c = source.counters;
      return {
        topic: source.topic,
        role,
        messages: role === "publisher" ? c.published : c.delivered,
        dropped: c.dropped,
        invalid: c.invalid,
        queued: source.queued ?? 0,
        subscribers: source.subscribers ?? 0,
        rate,
      };
    }).sort((a, b) =>
      a.topic.localeCompare(b.topic) || a.role.localeCompare(b.role)
    );
    return {
      node: this.#node,
      pid: Deno.pid,
      at: Date.now(),
      ready: this.#ready,
      ...(this.#notReady === undefined ? {} : { notReady: this.#notReady }),
      methods,
      topics,
      registry: Object.fromEntries(this.#registry),
      params: Object.fromEntries(this.#params),
      process: {
        rssBytes: memory.rss,
        heapUsedBytes: memory.heapUsed,
        eventLoopLagMs: Math.max(this.#lagMax, this.#lagWindowMax),
        openSockets: Context.default.sockets,
        uptimeSeconds: (performance.now() - this.#started) / 1000,
      },
    };
  }
}
