/**
 * The interceptors a node runs its calls through: on the server, one that
 * counts and times every call (`NodeMetrics`), traces it (`trace.ts`) and
 * hands it to the call taps of recorders (`tap.ts`); on the client, one
 * that traces the calls the node makes.
 *
 * One interceptor does the three jobs, and a tap costs one size check
 * while nobody records. On the server it watches unary calls instead of
 * wrapping them (`UnaryWatch`): no promise and no turn of the microtask
 * queue per call, so that metrics can stay on.
 *
 * @module
 */

import type {
  ClientCall,
  ClientInterceptor,
  ServerCall,
  ServerInterceptor,
  UnaryWatch,
} from "../rpc/interceptors.ts";
import { RpcError } from "../wire/errors.ts";
import { ValidationError } from "../wire/descriptors.ts";
import type { NodeMetrics } from "./metrics.ts";
import {
  clientTrace,
  passedMetadata,
  serverTrace,
  TRACEPARENT,
  tracingEnabled,
} from "./trace.ts";
import type { CallTaps } from "./tap.ts";

/**
 * The status code a handler's failure is answered with, as `RpcServer`
 * picks it.
 *
 * @param error what the handler threw
 * @returns e.g. `NOT_FOUND`; `INTERNAL` for anything but an `RpcError`
 */
export function errorCode(error: unknown): string {
  if (error instanceof RpcError) return error.code;
  if (error instanceof ValidationError) return "INVALID_ARGUMENT";
  return "INTERNAL";
}

/**
 * The server interceptor of a node: metrics, tracing and call taps.
 *
 * Unary calls are watched ({@linkcode UnaryWatch}), not wrapped: the
 * server tells the metrics of a call's start and end from the path that
 * answers it, so that metrics add no promise and no turn of the microtask
 * queue to a call — a handler that answers at once is answered in the
 * turn its request came in, as without metrics.
 *
 * @param metrics where calls are counted
 * @param taps the recorders' taps
 * @returns the interceptor; its watch sees every call from outside the
 *   other interceptors, wherever it is put; put it first (outermost) for
 *   streams
 */
export function observeServer(
  metrics: NodeMetrics,
  taps: CallTaps,
): ServerInterceptor {
  const node = metrics.node;
  // Per call: two map lookups (one at each end), two counters, and for
  // the calls timed (all at first, then one in four) two clock reads and
  // one bucket; the tap check is a size; nothing else unless a
  // `traceparent` came along, tracing is on or a recorder listens. The
  // token is the start time, or while a recorder listens (a call started
  // then is recorded, timed whatever the sample says) a `Tapped`.
  const watch: UnaryWatch<number | Tapped> = {
    start(call) {
      const stats = metrics.method(call.service, call.method);
      if (taps.size === 0) return stats.start();
      return { at: Date.now(), started: stats.start(true) };
    },
    run(call, invoke) {
      const metadata = call.context.metadata;
      if (!tracingEnabled() && metadata[TRACEPARENT] === undefined) {
        return invoke(call);
      }
      return serverTrace(
        metrics.method(call.service, call.method),
        metadata,
        () => invoke(call),
        node,
      );
    },
    end(call, token) {
      const stats = metrics.method(call.service, call.method);
      const tapped = typeof token !== "number";
      const started = tapped ? token.started : token;
      stats.end(started, call.failed ? errorCode(call.outcome) : undefined);
      if (tapped) {
        taps.unary(
          call,
          token.at,
          started,
          call.failed ? { error: call.outcome } : { value: call.outcome },
        );
      }
    },
  };
  return {
    watch: watch as UnaryWatch,
    stream(
      call: ServerCall,
      next: () => AsyncIterable<unknown>,
    ): AsyncIterable<unknown> {
      return observedStream(metrics, taps, call, next);
    },
  };
}

/** The token of a call started while a recorder listens. */
interface Tapped {
  /** When it started, ms since the epoch. */
  at: number;
  /** Its `performance.now()` then. */
  started: number;
}

async function* observedStream(
  metrics: NodeMetrics,
  taps: CallTaps,
  call: ServerCall,
  next: () => AsyncIterable<unknown>,
): AsyncIterable<unknown> {
  const stats = metrics.method(call.service, call.method);
  const started = stats.start(true); // a stream is long: always timed
  const at = taps.size > 0 ? Date.now() : 0;
  const items: unknown[] | undefined = at !== 0 ? [] : undefined;
  let code: string | undefined;
  let error: unknown;
  let iterator: AsyncIterator<unknown> | undefined;
  try {
    // The span covers the handler's start only: items are pulled later,
    // outside any span's context.
    await serverTrace(
      stats,
      call.context.metadata,
      () => {
        iterator = next()[Symbol.asyncIterator]();
        return Promise.resolve();
      },
      metrics.node,
    );
    while (true) {
      const r = await iterator!.next();
      if (r.done) break;
      items?.push(r.value);
      yield r.value;
    }
  } catch (e) {
    code = errorCode(e);
    error = e;
    throw e;
  } finally {
    stats.end(started, code);
    if (items !== undefined) {
      taps.stream(call, at, started, { items, error });
    }
  }
}

/**
 * The client interceptor of a node: each call it makes is a CLIENT span
 * whose `traceparent` goes along in the metadata (or the `traceparent` of
 * the call being served is passed on).
 *
 * @param node the calling node's name, put on its spans
 * @returns the interceptor
 */
export function observeClient(node?: string): ClientInterceptor {
  return {
    unary(call: ClientCall, next: (call: ClientCall) => Promise<unknown>) {
      const given = call.options.metadata;
      if (!tracingEnabled()) {
        // No span, no closure: at most the `traceparent` being passed on.
        const metadata = passedMetadata(given);
        if (metadata !== given) call.options = { ...call.options, metadata };
        return next(call);
      }
      return clientTrace(
        { service: call.service.name, method: call.method.name },
        given,
        (metadata) => {
          if (metadata !== given) call.options = { ...call.options, metadata };
          return next(call);
        },
        node,
      );
    },
  };
}
