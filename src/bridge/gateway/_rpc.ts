/**
 * `POST /rpc/<Service>/<method>`: a call through the gateway. The body is
 * a JSON array of arguments or an object keyed by parameter names; it is
 * converted and checked against the method's registered schema before
 * anything is sent. A unary call answers with the result as JSON; a stream
 * method, asked with `Accept: text/event-stream`, answers with one event
 * per item.
 *
 * @module
 */

import { rpcClientOf } from "../../node/service_client.ts";
import type { CallOptions } from "../../rpc/context.ts";
import type {
  MethodDescriptor,
  ServiceDescriptor,
  Validator,
} from "../../wire/descriptors.ts";
import { ValidationError } from "../../wire/descriptors.ts";
import { RpcError } from "../../wire/errors.ts";
import { hasTraceparentSyntax } from "../../observe/trace.ts";
import {
  fromJson,
  stringifyJson,
  validatorFromSchema,
} from "../../wire/json_schema.ts";
import type { GatewayContext } from "./_context.ts";
import { errorBody } from "./errors.ts";
import { failure, HttpError, jsonResponse, readJsonBody } from "./_http.ts";
import { pullStream, SSE_HEADERS, sseEvent } from "./_sse.ts";
import type { MethodView, ServiceView } from "./system.ts";

const MAX_TIMEOUT = 2 ** 31 - 1;
const accept: Validator = () => {};

const descriptors = new WeakMap<ServiceView, ServiceDescriptor>();

/** The runtime descriptor of a service, from what its nodes registered. */
function serviceDescriptor(
  service: ServiceView,
  method: string,
): ServiceDescriptor {
  let sd = descriptors.get(service);
  if (sd === undefined) {
    const methods: Record<string, MethodDescriptor> = {};
    for (const m of service.methods ?? []) {
      methods[m.name] = {
        name: m.name,
        kind: m.kind,
        idempotent: m.idempotent,
        params: m.params,
        requiredParams: m.requiredParams,
        validateArgs: validatorFromSchema(m.args),
        validateResult: validatorFromSchema(m.result),
        argsSchema: m.args,
        resultSchema: m.result,
      };
    }
    // The gateway calls with msgpack, the fast codec; servers take both.
    sd = {
      name: service.name,
      codec: "msgpack",
      methods,
      source: "zmp gateway",
    };
    descriptors.set(service, sd);
  }
  if (sd.methods[method] === undefined) {
    // Registered without schemas: an unchecked unary call.
    sd = {
      ...sd,
      methods: {
        ...sd.methods,
        [method]: {
          name: method,
          kind: "unary",
          idempotent: false,
          params: [],
          requiredParams: 0,
          validateArgs: accept,
          validateResult: accept,
          argsSchema: {},
          resultSchema: {},
        },
      },
    };
  }
  return sd;
}

/**
 * Answers `POST /rpc/<service>/<method>`.
 *
 * @param ctx the gateway
 * @param request the request
 * @param serviceName the service, from the path
 * @param methodName the method, from the path
 * @returns the response; never throws
 */
export async function handleRpc(
  ctx: GatewayContext,
  request: Request,
  serviceName: string,
  methodName: string,
): Promise<Response> {
  try {
    const services = ctx.snapshot().services;
    const service = services.find((s) => s.name === serviceName);
    if (service === undefined) {
      throw new RpcError(
        "NOT_FOUND",
        `no live node provides service "${serviceName}" (${
          services.length === 0
            ? "no services are live"
            : `live services: ${services.map((s) => s.name).join(", ")}`
        })`,
      );
    }
    const method = service.methods?.find((m) => m.name === methodName);
    if (service.methods !== undefined && method === undefined) {
      throw new RpcError(
        "NOT_FOUND",
        `service "${serviceName}" has no method "${methodName}" (methods: ${
          service.methods.map((m) => m.name).join(", ")
        })`,
      );
    }
    const streaming = method?.kind === "stream";
    if (streaming && !acceptsEvents(request)) {
      throw new HttpError(
        406,
        new RpcError(
          "INVALID_ARGUMENT",
          `${serviceName}.${methodName} is a stream method: ask for Server-Sent Events with Accept: text/event-stream`,
        ),
      );
    }
    const body = await readJsonBody(request, ctx.options.maxBodyBytes);
    const args = method === undefined
      ? uncheckedArguments(serviceName, methodName, body)
      : checkedArguments(serviceName, method, body);
    const options = callOptions(request, streaming ? undefined : ctx);
    const sd = serviceDescriptor(service, methodName);
    const md = sd.methods[methodName];
    const rpc = rpcClientOf(
      await ctx.node.client(sd, { timeout: 5000, callTimeout: undefined }),
    );
    if (!streaming) {
      return jsonResponse(await rpc.call(sd, md, args, options));
    }
    const abort = new AbortController();
    return await streamResponse(
      ctx,
      rpc.stream(sd, md, args, { ...options, signal: abort.signal }),
      abort,
    );
  } catch (e) {
    return failure(e);
  }
}

function acceptsEvents(request: Request): boolean {
  return /(^|,)\s*text\/event-stream\s*(;|,|$)/i.test(
    request.headers.get("accept") ?? "",
  );
}

function uncheckedArguments(
  service: string,
  method: string,
  body: { value: unknown } | undefined,
): unknown[] {
  const value = body?.value ?? [];
  if (!Array.isArray(value)) {
    throw new RpcError(
      "INVALID_ARGUMENT",
      `${service} registered no schemas: the body must be a JSON array of arguments for ${method}, got ${
        kindOf(value)
      }`,
    );
  }
  return value;
}

/** The arguments in order, converted from JSON and checked. */
function checkedArguments(
  service: string,
  method: MethodView,
  body: { value: unknown } | undefined,
): unknown[] {
  let list: unknown[];
  const value = body?.value ?? [];
  if (Array.isArray(value)) list = value;
  else if (isPlainObject(value)) {
    const unknown = Object.keys(value).filter((k) =>
      !method.params.includes(k)
    );
    if (unknown.length > 0) {
      throw new RpcError(
        "INVALID_ARGUMENT",
        `${service}.${method.signature} has no parameter ${
          unknown.map((k) => JSON.stringify(k)).join(", ")
        }`,
        { details: { unknownParameters: unknown } },
      );
    }
    list = method.params.map((p) => value[p]);
    while (list.length > 0 && list.at(-1) === undefined) list.pop();
  } else {
    throw new RpcError(
      "INVALID_ARGUMENT",
      `the body must be a JSON array of arguments or an object keyed by parameter names for ${service}.${method.signature}, got ${
        kindOf(value)
      }`,
    );
  }
  const { value: args, issues } = fromJson(method.args, list, "args");
  if (issues.length > 0) {
    const error = new ValidationError(
      `arguments for ${service}.${method.name}`,
      issues,
    );
    throw new RpcError("INVALID_ARGUMENT", error.message, {
      details: { issues },
    });
  }
  return args as unknown[];
}

/**
 * Deadline and metadata of a call, from its request. (Not the request's
 * signal: reading it makes Deno warn about its legacy abort on every
 * successful response. A unary call runs to its deadline when its client
 * leaves; a stream stops when its body is cancelled.)
 */
function callOptions(
  request: Request,
  unary: GatewayContext | undefined,
): CallOptions {
  const options: CallOptions = {};
  const header = request.headers.get("x-zmp-timeout");
  if (header !== null) {
    const ms = Number(header.trim());
    if (!/^\s*\d+\s*$/.test(header) || ms <= 0 || ms > MAX_TIMEOUT) {
      throw new RpcError(
        "INVALID_ARGUMENT",
        `X-Zmp-Timeout must be a whole number of milliseconds from 1 to ${MAX_TIMEOUT}, got ${
          JSON.stringify(header)
        }`,
      );
    }
    options.timeout = ms;
  } else if (unary !== undefined) {
    options.timeout = unary.options.callTimeout;
  }
  const traceparent = request.headers.get("traceparent")?.trim();
  if (traceparent !== undefined && hasTraceparentSyntax(traceparent)) {
    const metadata: Record<string, string> = { traceparent };
    const tracestate = request.headers.get("tracestate");
    if (tracestate !== null) metadata.tracestate = tracestate;
    options.metadata = metadata;
  }
  return options;
}

/** How long a stream's first item is awaited before the answer starts. */
const FIRST_ITEM_MS = 1000;

/**
 * The events of a server stream. The first item (or the error that comes
 * instead) is awaited for up to a second before answering, so that a call
 * that fails at once gets its HTTP status; later errors are an `error`
 * event. When the client leaves, its body is cancelled, which cancels the
 * call on the server.
 */
async function streamResponse(
  ctx: GatewayContext,
  items: AsyncIterable<unknown>,
  abort: AbortController,
): Promise<Response> {
  const closeStream = ctx.openStream();
  const iterator = items[Symbol.asyncIterator]();
  const stop = () => abort.abort();
  ctx.signal.addEventListener("abort", stop, { once: true });
  const release = () => {
    ctx.signal.removeEventListener("abort", stop);
    closeStream();
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const first = iterator.next();
  first.catch(() => {});
  let head: IteratorResult<unknown> | undefined;
  try {
    head = await Promise.race([
      first,
      new Promise<undefined>((r) =>
        timer = setTimeout(() => r(undefined), FIRST_ITEM_MS)
      ),
    ]);
  } catch (e) {
    release();
    throw e;
  } finally {
    clearTimeout(timer);
  }
  async function* events(): AsyncGenerator<string> {
    let n = 0;
    try {
      let next = head ?? await first;
      while (!next.done) {
        yield sseEvent(stringifyJson(next.value), { id: n++ });
        if (abort.signal.aborted) return;
        next = await iterator.next();
      }
      yield sseEvent(stringifyJson({ items: n }), { event: "end" });
    } catch (e) {
      if (!abort.signal.aborted) {
        yield sseEvent(stringifyJson(errorBody(e)), { event: "error" });
      }
    } finally {
      release();
      await iterator.return?.();
    }
  }
  return new Response(pullStream(events(), () => abort.abort()), {
    headers: SSE_HEADERS,
  });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}
