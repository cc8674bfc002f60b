/**
 * Call taps: how `zmp record` records RPC calls. A recorder asks a node,
 * through the node's `zmp.Observe.calls` stream (found in the registry),
 * for the calls it serves of some services; while that stream is open, the
 * node's server interceptor copies each finished call — arguments, result
 * or error, start time, duration, metadata — into the tap's queue, and the
 * stream sends them out.
 *
 * Why a tap in the server rather than a recording proxy: the calls are
 * seen where they are answered, whoever makes them and over whichever
 * connection (a proxy sees only the callers sent to it, and would have to
 * take the service's place in the registry); the call path and its timing
 * stay as they are; nothing is copied while nobody records (one size
 * check per call). The queue is bounded: a recorder that cannot keep up
 * loses records, and the next record it gets says how many.
 *
 * @module
 */

import type { ServerCall } from "../rpc/interceptors.ts";
import { RpcError } from "../wire/errors.ts";
import { errorCode } from "./interceptors.ts";
import { OBSERVE_SERVICE } from "./service.ts";

/** One finished call, as a tap hands it to a recorder. */
export interface CallRecord {
  /** The node that served it. */
  node: string;
  /** The service name. */
  service: string;
  /** The method name. */
  method: string;
  /** `unary` or `stream`. */
  kind: "unary" | "stream";
  /** When the handler started, ms since the epoch. */
  at: number;
  /** How long it ran, ms. */
  durationMs: number;
  /** The arguments, validated. */
  args: unknown[];
  /** The metadata the caller sent. */
  metadata: Record<string, string>;
  /** The result (unary, when it succeeded). */
  result?: unknown;
  /** The items (stream), up to the error if it failed. */
  items?: unknown[];
  /** How it failed. */
  error?: { code: string; message: string; details?: unknown };
  /** Records lost before this one because the recorder was slow. */
  lost?: number;
}

/** Most records a tap keeps for a slow recorder. */
export const TAP_QUEUE = 10_000;

/** One recorder's tap. */
class Tap {
  readonly #services: ReadonlySet<string> | undefined;
  readonly #queue: CallRecord[] = [];
  #lost = 0;
  #wake: (() => void) | undefined;
  #ended = false;

  constructor(services: readonly string[]) {
    this.#services = services.length === 0 ? undefined : new Set(services);
  }

  wants(service: string): boolean {
    return this.#services === undefined
      ? service !== OBSERVE_SERVICE
      : this.#services.has(service);
  }

  /** Ends the records once the queue is sent. */
  end(): void {
    this.#ended = true;
    this.#wakeUp();
  }

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  push(record: CallRecord): void {
    if (this.#queue.length >= TAP_QUEUE) {
      this.#lost++;
      return;
    }
    if (this.#lost > 0) {
      record = { ...record, lost: this.#lost };
      this.#lost = 0;
    }
    this.#queue.push(record);
    this.#wakeUp();
  }

  async *records(signal: AbortSignal): AsyncIterable<CallRecord> {
    const stop = () => this.#wakeUp();
    signal.addEventListener("abort", stop, { once: true });
    try {
      while (!signal.aborted) {
        if (this.#queue.length === 0) {
          if (this.#ended) return;
          await new Promise<void>((resolve) => this.#wake = resolve);
          continue;
        }
        const batch = this.#queue.splice(0, this.#queue.length);
        for (const record of batch) yield record;
      }
    } finally {
      signal.removeEventListener("abort", stop);
    }
  }
}

/** The taps of one node. */
export class CallTaps {
  readonly #taps = new Set<Tap>();
  readonly #node: string;
  #closed = false;

  /** @param node the node's name, put in every record */
  constructor(node: string) {
    this.#node = node;
  }

  /** How many recorders listen now. */
  get size(): number {
    return this.#taps.size;
  }

  /**
   * Opens a tap for a recorder; it closes when `signal` aborts (the
   * recorder's stream ends).
   *
   * @param services the services to record (empty: all)
   * @param signal ends the tap
   * @returns the records, as calls finish
   */
  open(
    services: readonly string[],
    signal: AbortSignal,
  ): AsyncIterable<CallRecord> {
    const tap = new Tap(services);
    if (this.#closed) tap.end();
    else this.#taps.add(tap);
    const taps = this.#taps;
    return (async function* () {
      try {
        yield* tap.records(signal);
      } finally {
        taps.delete(tap);
      }
    })();
  }

  /**
   * Ends every tap (their streams end once their queues are sent), so that
   * a closing server need not wait for recorders. Idempotent.
   */
  close(): void {
    this.#closed = true;
    for (const tap of this.#taps) tap.end();
  }

  /**
   * A unary call finished.
   *
   * @param call the call
   * @param at when it started, ms since the epoch
   * @param started its `performance.now()` at start
   * @param outcome its value or its error
   */
  unary(
    call: ServerCall,
    at: number,
    started: number,
    outcome: { value?: unknown; error?: unknown },
  ): void {
    this.#push(call, at, started, (r) => {
      if ("error" in outcome) r.error = describeError(outcome.error);
      else r.result = outcome.value;
    });
  }

  /**
   * A stream call ended.
   *
   * @param call the call
   * @param at when it started, ms since the epoch
   * @param started its `performance.now()` at start
   * @param outcome its items, and its error if it failed
   */
  stream(
    call: ServerCall,
    at: number,
    started: number,
    outcome: { items: unknown[]; error?: unknown },
  ): void {
    this.#push(call, at, started, (r) => {
      r.items = outcome.items;
      if (outcome.error !== undefined) r.error = describeError(outcome.error);
    });
  }

  #push(
    call: ServerCall,
    at: number,
    started: number,
    fill: (record: CallRecord) => void,
  ): void {
    const service = call.service.name;
    let record: CallRecord | undefined;
    for (const tap of this.#taps) {
      if (!tap.wants(service)) continue;
      if (record === undefined) {
        record = {
          node: this.#node,
          service,
          method: call.method.name,
          kind: call.method.kind,
          at,
          durationMs: performance.now() - started,
          args: [...call.args],
          metadata: { ...call.context.metadata },
        };
        fill(record);
      }
      tap.push(record);
    }
  }
}

function describeError(
  error: unknown,
): { code: string; message: string; details?: unknown } {
  const message = error instanceof Error ? error.message : String(error);
  const details = error instanceof RpcError ? error.details : undefined;
  return {
    code: errorCode(error),
    message,
    ...(details === undefined ? {} : { details }),
  };
}
