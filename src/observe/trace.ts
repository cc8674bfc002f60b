/**
 * Tracing: W3C Trace Context (`traceparent`) in RPC metadata, spans through
 * `@opentelemetry/api`.
 *
 * With Deno's built-in OpenTelemetry on (`OTEL_DENO=true`; spans go out as
 * OTLP to `OTEL_EXPORTER_OTLP_ENDPOINT`), each served call is a SERVER span
 * whose parent is the caller's `traceparent`, and each call a node makes is
 * a CLIENT span whose `traceparent` goes along in the call's metadata: a
 * call chain across processes is one trace. The handler runs in its span's
 * context, so the calls it makes are its children.
 *
 * With it off, nothing is recorded, but a `traceparent` that arrives is
 * still passed on to the calls the handler makes (kept in an
 * `AsyncLocalStorage`), so that a node without OpenTelemetry does not cut
 * the trace of the others.
 *
 * @module
 */

import {
  type Context as OtelContext,
  context,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";
import { AsyncLocalStorage } from "node:async_hooks";
import { RpcError } from "../wire/errors.ts";

/** The metadata key of W3C Trace Context. */
export const TRACEPARENT = "traceparent";

const TRACEPARENT_FORMAT =
  /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

/**
 * Whether a value has the syntax of a W3C `traceparent` (version 00 and
 * later: `vv-<32 hex>-<16 hex>-ff`), all-zero ids included; see
 * {@linkcode parseTraceparent} for the ids too.
 *
 * @param value the value
 * @returns true for `traceparent` syntax
 */
export function hasTraceparentSyntax(value: string): boolean {
  return TRACEPARENT_FORMAT.test(value);
}

/** The parts of a `traceparent`. */
export interface TraceParent {
  /** 32 hex digits. */
  traceId: string;
  /** The parent span, 16 hex digits. */
  spanId: string;
}

/**
 * Reads a W3C `traceparent` header value.
 *
 * @param value e.g. `00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01`
 * @returns its trace and span ids, or `undefined` when malformed (or all
 *   zeros, which W3C says to ignore)
 */
export function parseTraceparent(value: string): TraceParent | undefined {
  const m = TRACEPARENT_FORMAT.exec(value);
  if (m === null || /^0+$/.test(m[1]) || /^0+$/.test(m[2])) return undefined;
  return { traceId: m[1], spanId: m[2] };
}

let enabled: boolean | undefined;

/**
 * Whether spans are recorded: an OpenTelemetry propagator and tracer are
 * registered (Deno registers them when `OTEL_DENO=true`).
 *
 * @returns true when tracing is on in this process
 */
export function tracingEnabled(): boolean {
  return enabled ??= propagation.fields().includes(TRACEPARENT);
}

const passed = new AsyncLocalStorage<string>();
/**
 * Whether anything was ever passed on: until then, the storage is not
 * read (a call in a process that no trace reaches pays nothing for it).
 */
let passing = false;

function passOn<T>(traceparent: string, run: () => T): T {
  passing = true;
  return passed.run(traceparent, run);
}

function passedOn(): string | undefined {
  return passing ? passed.getStore() : undefined;
}

const tracer = () => trace.getTracer("zmp");

const getter = {
  keys: (carrier: Record<string, string>) => Object.keys(carrier),
  get: (carrier: Record<string, string>, key: string) => carrier[key],
};

/**
 * Runs a served call's handler inside its trace: a SERVER span child of the
 * caller's `traceparent` (tracing on), or with the `traceparent` kept for
 * the calls it makes (tracing off).
 *
 * @param call the service and method names (the span is
 *   `Service/method`)
 * @param metadata the call's metadata
 * @param run the handler (and the interceptors after this one)
 * @param node the serving node's name (span attribute `zmp.node`)
 * @returns what `run` returns, as it is with tracing off (a handler that
 *   answers at once is not made to wait a turn); a promise with tracing on
 */
export function serverTrace<T>(
  call: TracedCall,
  metadata: Record<string, string>,
  run: () => T | Promise<T>,
  node?: string,
): T | Promise<T> {
  if (!tracingEnabled()) {
    const parent = metadata[TRACEPARENT];
    return parent === undefined ? run() : passOn(parent, run);
  }
  const parent = propagation.extract(context.active(), metadata, getter);
  const { service, method } = call;
  return tracer().startActiveSpan(
    `${service}/${method}`,
    {
      kind: SpanKind.SERVER,
      attributes: {
        "rpc.system": "zmp",
        "rpc.service": service,
        "rpc.method": method,
        ...(node === undefined ? {} : { "zmp.node": node }),
      },
    },
    parent,
    (span) => ended(span, run),
  );
}

/**
 * Runs a call a node makes inside a CLIENT span, and puts the span's
 * `traceparent` in its metadata (tracing on); with tracing off, passes on
 * the `traceparent` of the call being served, if any. A `traceparent`
 * already in the metadata (the HTTP gateway's, say) is the parent.
 *
 * @param call the service and method names (the span is
 *   `Service/method`)
 * @param metadata the call's metadata (`undefined`: none yet)
 * @param run makes the call with the metadata to send
 * @param node the calling node's name (span attribute `zmp.node`)
 * @returns what `run` returns
 */
export function clientTrace<T>(
  call: TracedCall,
  metadata: Record<string, string> | undefined,
  run: (metadata: Record<string, string> | undefined) => Promise<T>,
  node?: string,
): Promise<T> {
  if (!tracingEnabled()) return run(passedMetadata(metadata));
  const given = metadata?.[TRACEPARENT];
  const parent: OtelContext = given === undefined
    ? context.active()
    : propagation.extract(context.active(), metadata!, getter);
  const { service, method } = call;
  return tracer().startActiveSpan(
    `${service}/${method}`,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        "rpc.system": "zmp",
        "rpc.service": service,
        "rpc.method": method,
        ...(node === undefined ? {} : { "zmp.node": node }),
      },
    },
    parent,
    (span) => {
      const carrier: Record<string, string> = { ...metadata };
      propagation.inject(trace.setSpan(parent, span), carrier);
      return ended(span, () => run(carrier));
    },
  );
}

/**
 * With tracing off, the metadata of a call a node makes: as given, or with
 * the `traceparent` of the call or message being handled added (unless it
 * has one).
 *
 * @param metadata the call's metadata (`undefined`: none)
 * @returns `metadata` itself when there is nothing to add
 */
export function passedMetadata(
  metadata: Record<string, string> | undefined,
): Record<string, string> | undefined {
  const parent = passedOn();
  return parent === undefined || metadata?.[TRACEPARENT] !== undefined
    ? metadata
    : { ...metadata, [TRACEPARENT]: parent };
}

/**
 * The `traceparent` to send along with something a node does outside a
 * call (a topic message, say): the active span's, or the one being passed
 * on.
 *
 * @returns the value, or `undefined` outside any trace
 */
export function currentTraceparent(): string | undefined {
  if (!tracingEnabled()) return passedOn();
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier[TRACEPARENT];
}

/**
 * The `traceparent` a traced topic message carries: that of a PRODUCER
 * span `publish <topic>` (tracing on), child of `parent` or of the active
 * context, ended at once; with tracing off, `parent` or the `traceparent`
 * being passed on.
 *
 * @param topic the topic name
 * @param parent a `traceparent` given by the caller, if any
 * @param node the publishing node's name (span attribute `zmp.node`)
 * @returns the value to send, or `undefined` (tracing off, outside any
 *   trace): the message goes without one
 */
export function producerTraceparent(
  topic: string,
  parent?: string,
  node?: string,
): string | undefined {
  if (!tracingEnabled()) return parent ?? passedOn();
  const from = parent === undefined
    ? context.active()
    : propagation.extract(context.active(), { [TRACEPARENT]: parent }, getter);
  const span = tracer().startSpan(`publish ${topic}`, {
    kind: SpanKind.PRODUCER,
    attributes: messaging(topic, "publish", "send", node),
  }, from);
  const carrier: Record<string, string> = {};
  propagation.inject(trace.setSpan(from, span), carrier);
  span.end();
  return carrier[TRACEPARENT];
}

/**
 * Runs the handler of a received topic message inside its trace: a
 * CONSUMER span `process <topic>` child of the message's `traceparent`
 * (tracing on), or with the `traceparent` kept for the calls it makes
 * (tracing off). A message without one runs as it is, with no span.
 *
 * @param topic the topic name
 * @param traceparent the message's, if it carried one
 * @param run the handler
 * @param node the subscribing node's name (span attribute `zmp.node`)
 * @returns what `run` returns
 */
export function consumerTrace<T>(
  topic: string,
  traceparent: string | undefined,
  run: () => T | Promise<T>,
  node?: string,
): Promise<T> {
  if (traceparent === undefined) return Promise.resolve().then(run);
  if (!tracingEnabled()) {
    return passOn(traceparent, async () => await run());
  }
  const parent = propagation.extract(
    context.active(),
    { [TRACEPARENT]: traceparent },
    getter,
  );
  return tracer().startActiveSpan(
    `process ${topic}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: messaging(topic, "process", "process", node),
    },
    parent,
    (span) => ended(span, run),
  );
}

function messaging(
  topic: string,
  operation: string,
  type: string,
  node: string | undefined,
): Record<string, string> {
  return {
    "messaging.system": "zmp",
    "messaging.destination.name": topic,
    "messaging.operation.name": operation,
    "messaging.operation.type": type,
    ...(node === undefined ? {} : { "zmp.node": node }),
  };
}

/** What a call span is named after. */
export interface TracedCall {
  /** The service name. */
  readonly service: string;
  /** The method name. */
  readonly method: string;
}

/** Runs `run` and ends the span when it settles, thrown or rejected. */
async function ended<T>(
  span: Span,
  run: () => T | Promise<T>,
): Promise<T> {
  try {
    return await run();
  } catch (e) {
    span.setStatus({
      code: SpanStatusCode.ERROR,
      message: e instanceof Error ? e.message : String(e),
    });
    if (e instanceof RpcError) span.setAttribute("rpc.zmp.code", e.code);
    throw e;
  } finally {
    span.end();
  }
}
