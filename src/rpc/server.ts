/**
 * `RpcServer`: serves registered services on a ROUTER socket.
 *
 * Every REQUEST is checked before a handler sees it — header, frame count,
 * size, codec, method name, call kind, concurrency, metadata, decoding, the
 * method's `validateArgs` — and anything wrong is answered with an ERROR
 * (when the message carries a request id) and logged in one line. Handlers
 * get a {@linkcode CallContext}; streams are paced by the client's credit.
 *
 * @module
 */

import {
  type Context,
  type CurveServerSecurity,
  curveSocketOptions,
  type Frame,
  Router,
} from "../zmq/mod.ts";
import { codecById, codecByName } from "../wire/codec.ts";
import {
  type ServiceDescriptor,
  ValidationError,
  type ValidationIssue,
} from "../wire/descriptors.ts";
import { ProtocolError, RpcError } from "../wire/errors.ts";
import {
  checkFrameCount,
  decodeHeader,
  decodeMetadata,
  decodeMethodName,
  encodeErrorBody,
  encodeErrorHeader,
  encodeHeader,
  FLAGS,
  type Header,
  KIND,
} from "../wire/protocol.ts";
import { STATUS } from "../wire/status.ts";
import type { CallerIdentity, RpcServerLike } from "./context.ts";
import { runServerChain, type ServerInterceptor } from "./interceptors.ts";
import { consoleLogger, type Logger } from "./logger.ts";
import { Deadlines } from "./_deadlines.ts";
import { type Handler, peerKey, ServedCall, toHex } from "./_server_call.ts";
import { checkTimeout } from "./_retry.ts";

/** Options of {@linkcode RpcServer}. */
export interface RpcServerOptions {
  /**
   * Calls served at once (streams included); more are answered with
   * `RESOURCE_EXHAUSTED`.
   * @default {1024}
   */
  maxConcurrency?: number;
  /**
   * Largest request in bytes (all frames after the routing id); larger ones
   * are answered with `RESOURCE_EXHAUSTED`. The socket drops connections
   * that send a single frame over twice this plus 64 KiB.
   * @default {4194304}
   */
  maxMessageSize?: number;
  /** Send a handler's stack in the details of `INTERNAL` errors. @default {false} */
  exposeErrorStack?: boolean;
  /** Check every result and stream item with `validateResult`. @default {true} */
  validateResults?: boolean;
  /** Middleware around every handler, outermost first. @default {[]} */
  interceptors?: readonly ServerInterceptor[];
  /** Where rejected messages and failed handlers are reported. @default {consoleLogger} */
  logger?: Logger;
  /**
   * A reply that cannot be queued within this many ms (the client stopped
   * reading) is dropped and logged.
   * @default {5000}
   */
  sendTimeout?: number;
  /** ZMTP heartbeat interval in ms; `0` disables. @default {1000} */
  heartbeat?: number;
  /** The ZeroMQ context. @default {Context.default} */
  context?: Context;
  /**
   * Serve over CURVE: the server's key pair and who may connect. Handlers
   * then see the caller's key (and node) in `ctx.caller`.
   * @default {none: plain TCP}
   */
  curve?: CurveServerSecurity & {
    /** The node name of a client key, for `ctx.caller.node`. */
    identify?: (publicKey: string) => string | undefined;
  };
  /**
   * Decides whether a call may run, after its header and method are
   * checked and before its arguments are decoded: return a reason to refuse
   * it with `PERMISSION_DENIED` (the reason is the message), or `undefined`
   * to let it run (or a promise of either, for a decision that must look
   * something up).
   * @default {every call runs}
   */
  authorize?: (call: {
    service: string;
    method: string;
    caller: CallerIdentity | undefined;
  }) => string | undefined | Promise<string | undefined>;
}

/** Options of {@linkcode RpcServer.close}. */
export interface CloseOptions {
  /**
   * How long to wait for calls in flight before aborting them (their
   * clients get `UNAVAILABLE`), in ms.
   * @default {5000}
   */
  drainTimeout?: number;
}

const EMPTY_METADATA_FRAMES = 4;

/** How often a stream out of credit checks that its client is still there. */
const PROBE_INTERVAL = 1000;

/** A liveness probe: PONG with request id 0, which clients ignore. */
const PROBE = encodeHeader(KIND.PONG, 0);

/**
 * A server for one or more services.
 *
 * @example
 * ```ts
 * import { RpcServer } from "zmp";
 * import { type CalculatorHandlers, serveCalculator } from "../../examples/calculator/calculator.api.gen.ts";
 *
 * declare const calculator: CalculatorHandlers; // your implementation
 * await using server = new RpcServer({ maxConcurrency: 64 });
 * serveCalculator(server, calculator);
 * console.log(server.bind("tcp://127.0.0.1:5555"));
 * ```
 */
export class RpcServer implements RpcServerLike, AsyncDisposable {
  readonly #router: Router;
  readonly #handlers = new Map<string, Handler>();
  readonly #services = new Set<string>();
  readonly #calls = new Map<string, ServedCall>();
  readonly #deadlines = new Deadlines<ServedCall>((c) => this.#expire(c));
  readonly #maxConcurrency: number;
  readonly #maxMessageSize: number;
  readonly #exposeStack: boolean;
  readonly #validateResults: boolean;
  readonly #interceptors: readonly ServerInterceptor[];
  readonly #logger: Logger;
  readonly #sendOptions: { timeout: number };
  readonly #endpoints: string[] = [];
  readonly #identify: ((publicKey: string) => string | undefined) | undefined;
  readonly #curve: boolean;
  readonly #authorize: RpcServerOptions["authorize"];
  #active = 0;
  #loop: Promise<void> | undefined;
  #draining = false;
  #drained: (() => void) | undefined;
  #closing: Promise<void> | undefined;

  /**
   * Creates a server; bind it to serve.
   *
   * @param options limits, interceptors, logger …
   * @throws {RangeError} for a limit that is not a positive integer
   */
  constructor(options: RpcServerOptions = {}) {
    this.#maxConcurrency = positiveInt(
      options.maxConcurrency ?? 1024,
      "maxConcurrency",
    );
    this.#maxMessageSize = positiveInt(
      options.maxMessageSize ?? 4 * 1024 * 1024,
      "maxMessageSize",
    );
    this.#exposeStack = options.exposeErrorStack ?? false;
    this.#validateResults = options.validateResults ?? true;
    this.#interceptors = options.interceptors ?? [];
    this.#logger = options.logger ?? consoleLogger;
    this.#sendOptions = {
      timeout: checkTimeout(options.sendTimeout, "RpcServer", "sendTimeout") ??
        5000,
    };
    const heartbeat =
      checkTimeout(options.heartbeat, "RpcServer", "heartbeat") ?? 1000;
    this.#curve = options.curve !== undefined;
    this.#identify = options.curve?.identify;
    this.#authorize = options.authorize;
    this.#router = new Router({
      context: options.context,
      ...(options.curve === undefined ? {} : curveSocketOptions(options.curve)),
      routerMandatory: true,
      maxMessageSize: this.#maxMessageSize * 2 + 65536,
      ...(heartbeat > 0
        ? {
          heartbeatInterval: heartbeat,
          heartbeatTimeout: heartbeat * 3,
          heartbeatTimeToLive: heartbeat * 3,
        }
        : {}),
    });
  }

  /** The endpoints bound so far (with real ports). */
  get endpoints(): string[] {
    return [...this.#endpoints];
  }

  /** Calls whose handler is still running. */
  get activeCalls(): number {
    return this.#active;
  }

  /**
   * Serves a service. Call before or after `bind`.
   *
   * @param service the descriptor
   * @param impl one method per descriptor method: `(...args, ctx)`
   * @throws {TypeError} when a method is missing from `impl`, the service is
   *   already registered, or the server is closing
   */
  register(service: ServiceDescriptor, impl: object): void {
    if (this.#draining) {
      throw new TypeError(
        `Cannot register ${service.name}: the server is closing`,
      );
    }
    if (this.#services.has(service.name)) {
      throw new TypeError(
        `Cannot register ${service.name}: it is already registered`,
      );
    }
    codecByName(service.codec);
    const handlers: [string, Handler][] = [];
    for (const [name, method] of Object.entries(service.methods)) {
      const fn = (impl as Record<string, unknown>)[method.name ?? name];
      if (typeof fn !== "function") {
        throw new TypeError(
          `Cannot register ${service.name}: the implementation has no method "${method.name}"`,
        );
      }
      handlers.push([`${service.name}.${method.name}`, {
        service,
        method,
        impl,
        fn: fn as Handler["fn"],
      }]);
    }
    this.#services.add(service.name);
    for (const [key, h] of handlers) this.#handlers.set(key, h);
  }

  /**
   * Listens on an endpoint and starts serving.
   *
   * @param endpoint e.g. `tcp://127.0.0.1:*` or `ipc:///tmp/calc`
   * @returns the endpoint bound, with the real port
   * @throws {ZmqError} e.g. `EADDRINUSE`
   * @throws {TypeError} when the server is closing
   */
  bind(endpoint: string): string {
    if (this.#draining) {
      throw new TypeError(`Cannot bind ${endpoint}: the server is closing`);
    }
    const bound = this.#router.bind(endpoint);
    this.#endpoints.push(bound);
    this.#loop ??= this.#receiveLoop();
    return bound;
  }

  async #receiveLoop(): Promise<void> {
    const router = this.#router;
    while (!router.closed) {
      let frames: Uint8Array[];
      try {
        frames = await router.receive();
      } catch (e) {
        if (router.closed) return;
        this.#logger.error(`receive failed: ${(e as Error).message}`);
        continue;
      }
      try {
        this.#onMessage(frames);
      } catch (e) {
        this.#logger.error(
          `failed to handle a message: ${(e as Error).stack ?? e}`,
        );
      }
    }
  }

  #onMessage(frames: Uint8Array[]): void {
    const routingId = frames[0];
    let header: Header;
    try {
      if (frames.length < 2) {
        throw new ProtocolError("Message without a header");
      }
      header = decodeHeader(frames[1]);
      checkFrameCount(header.kind, frames.length - 1, header.requestId);
    } catch (e) {
      this.#reject(routingId, e);
      return;
    }
    switch (header.kind) {
      case "REQUEST":
        this.#onRequest(routingId, header, frames);
        return;
      case "CANCEL": {
        const call = this.#calls.get(peerKey(routingId) + header.requestId);
        if (call !== undefined) {
          this.#finish(call);
          call.abort(
            new RpcError(
              "CANCELLED",
              `Call to ${call.label} cancelled by the client`,
            ),
          );
        }
        return;
      }
      case "CREDIT":
        this.#calls.get(peerKey(routingId) + header.requestId)?.addCredit(
          header.credit,
        );
        return;
      case "PING":
        this.#send([routingId, encodeHeader(KIND.PONG, header.requestId)]);
        return;
      default:
        this.#reject(
          routingId,
          new ProtocolError(`Unexpected ${header.kind} from a client`, {
            requestId: header.requestId,
          }),
        );
    }
  }

  #onRequest(routingId: Uint8Array, header: Header, frames: Uint8Array[]) {
    const id = header.requestId;
    let size = 0;
    for (let i = 1; i < frames.length; i++) size += frames[i].byteLength;
    if (size > this.#maxMessageSize) {
      return this.#reject(
        routingId,
        new ProtocolError(
          `Request of ${size} bytes exceeds the limit of ${this.#maxMessageSize} bytes`,
          { code: "RESOURCE_EXHAUSTED", requestId: id },
        ),
      );
    }
    if (this.#draining) {
      return this.#replyError(
        routingId,
        id,
        new RpcError("UNAVAILABLE", "The server is shutting down"),
      );
    }
    const codec = codecById(header.codec);
    if (codec === undefined) {
      return this.#reject(
        routingId,
        new ProtocolError(`Unknown codec ${header.codec}`, { requestId: id }),
      );
    }
    let name: string;
    try {
      name = decodeMethodName(frames[2], id);
    } catch (e) {
      return this.#reject(routingId, e);
    }
    const handler = this.#handlers.get(name);
    if (handler === undefined) {
      const service = name.slice(0, name.lastIndexOf("."));
      return this.#reject(
        routingId,
        new ProtocolError(
          this.#services.has(service)
            ? `Unknown method ${JSON.stringify(name)}`
            : `Unknown service ${JSON.stringify(service)}`,
          { code: "UNIMPLEMENTED", requestId: id },
        ),
      );
    }
    const method = handler.method;
    const stream = (header.flags & FLAGS.STREAM) !== 0;
    if (stream !== (method.kind === "stream")) {
      return this.#reject(
        routingId,
        new ProtocolError(
          `${name} is a ${method.kind} method, called as ${
            stream ? "a stream" : "unary"
          }`,
          { code: "UNIMPLEMENTED", requestId: id },
        ),
      );
    }
    const caller = this.#caller(routingId);
    const verdict = this.#authorize?.({
      service: handler.service.name,
      method: method.name,
      caller,
    });
    if (verdict === undefined) {
      return this.#admit(routingId, header, handler, frames, caller);
    }
    const decide = (refusal: string | undefined) =>
      refusal === undefined
        ? this.#admit(routingId, header, handler, frames, caller)
        : this.#replyError(
          routingId,
          id,
          new RpcError("PERMISSION_DENIED", refusal),
        );
    if (typeof verdict === "string") return decide(verdict);
    verdict.then(decide, (e) =>
      this.#replyError(
        routingId,
        id,
        new RpcError(
          "PERMISSION_DENIED",
          `Cannot authorize ${name}: ${(e as Error)?.message ?? e}`,
        ),
      ));
  }

  /** Runs a checked, authorized request: unless busy or a duplicate. */
  #admit(
    routingId: Uint8Array,
    header: Header,
    handler: Handler,
    frames: Uint8Array[],
    caller: CallerIdentity | undefined,
  ): void {
    if (this.#draining) {
      return this.#replyError(
        routingId,
        header.requestId,
        new RpcError("UNAVAILABLE", "The server is shutting down"),
      );
    }
    const id = header.requestId;
    const name = `${handler.service.name}.${handler.method.name}`;
    const stream = (header.flags & FLAGS.STREAM) !== 0;
    const codec = codecById(header.codec)!;
    const key = peerKey(routingId) + id;
    if (this.#calls.has(key)) {
      this.#logger.warn(
        `dropped a request from peer ${
          toHex(routingId)
        }: request id ${id} is already in flight`,
      );
      return;
    }
    if (this.#active >= this.#maxConcurrency) {
      return this.#replyError(
        routingId,
        id,
        new RpcError(
          "RESOURCE_EXHAUSTED",
          `The server is busy: ${this.#active} calls in flight (maxConcurrency ${this.#maxConcurrency})`,
        ),
      );
    }
    let metadata: Record<string, string>;
    let args: unknown;
    try {
      metadata = frames.length > EMPTY_METADATA_FRAMES
        ? decodeMetadata(frames[4], id)
        : {};
      try {
        args = codec.decode(frames[3]);
      } catch (e) {
        throw new ProtocolError(
          `Cannot decode the arguments of ${name}: ${(e as Error).message}`,
          { requestId: id },
        );
      }
      if (!Array.isArray(args)) {
        throw new ProtocolError(
          `Invalid arguments for ${name}: expected an array, got ${typeof args}`,
          { requestId: id },
        );
      }
      const issues = this.#validate(handler, args);
      if (issues.length > 0) {
        throw new ProtocolError(
          new ValidationError(`arguments for ${name}`, issues).message,
          { requestId: id, details: { issues } },
        );
      }
    } catch (e) {
      return this.#reject(routingId, e);
    }
    const call = new ServedCall({
      caller,
      key,
      routingId,
      requestId: id,
      codec,
      handler,
      metadata,
      timeout: header.deadline,
      credit: header.credit,
    });
    this.#calls.set(key, call);
    this.#active++;
    if (header.deadline > 0) {
      this.#deadlines.add(call, performance.now() + header.deadline);
    }
    if (stream) this.#runStream(call, args);
    else this.#runUnary(call, args);
  }

  #caller(routingId: Uint8Array): CallerIdentity | undefined {
    if (!this.#curve) return undefined;
    const publicKey = this.#router.peerPublicKey(routingId);
    if (publicKey === undefined) return undefined;
    const node = this.#identify?.(publicKey);
    return node === undefined ? { publicKey } : { publicKey, node };
  }

  #validate(handler: Handler, args: unknown[]): ValidationIssue[] {
    const issues: ValidationIssue[] = [];
    const method = handler.method;
    handler.method.validateArgs(args, "args", issues);
    const n = args.length;
    if (
      issues.length === 0 &&
      (n < method.requiredParams || n > method.params.length)
    ) {
      issues.push({
        path: "args",
        expected: method.requiredParams === method.params.length
          ? arguments_(method.params.length)
          : `${method.requiredParams} to ${method.params.length} arguments`,
        received: arguments_(n),
      });
    }
    return issues;
  }

  #invoke(call: ServedCall, args: unknown[]): unknown {
    const { fn, impl, method } = call.handler;
    const full = args.slice();
    full.length = method.params.length;
    full.push(call);
    return fn.apply(impl, full);
  }

  #runUnary(call: ServedCall, args: unknown[]): void {
    let result: unknown;
    try {
      result = this.#interceptors.length === 0
        ? this.#invoke(call, args)
        : runServerChain(
          this.#interceptors,
          "unary",
          {
            service: call.handler.service,
            method: call.handler.method,
            args,
            context: call,
          },
          async () => await this.#invoke(call, args),
        );
    } catch (e) {
      this.#unaryDone(call, e, undefined, true);
      return;
    }
    if (
      result !== null && typeof result === "object" &&
      typeof (result as PromiseLike<unknown>).then === "function"
    ) {
      (result as PromiseLike<unknown>).then(
        (v) => this.#unaryDone(call, undefined, v, false),
        (e) => this.#unaryDone(call, e, undefined, true),
      );
    } else {
      this.#unaryDone(call, undefined, result, false);
    }
  }

  #unaryDone(
    call: ServedCall,
    error: unknown,
    value: unknown,
    failed: boolean,
  ): void {
    this.#release();
    if (call.done) return;
    this.#finish(call);
    if (failed) {
      this.#replyError(
        call.routingId,
        call.requestId,
        this.#toRpcError(call, error),
      );
      return;
    }
    const payload = this.#encodeResult(call, value);
    if (payload instanceof RpcError) {
      this.#replyError(call.routingId, call.requestId, payload);
      return;
    }
    this.#send([
      call.routingId,
      encodeHeader(KIND.RESPONSE, call.requestId, call.codec.id),
      payload,
    ]);
  }

  async #runStream(call: ServedCall, args: unknown[]): Promise<void> {
    let iterator: AsyncIterator<unknown> | Iterator<unknown> | undefined;
    let ended = false;
    try {
      const items = this.#interceptors.length === 0
        ? this.#invoke(call, args)
        : runServerChain(
          this.#interceptors,
          "stream",
          {
            service: call.handler.service,
            method: call.handler.method,
            args,
            context: call,
          },
          () => this.#invoke(call, args) as AsyncIterable<unknown>,
        );
      iterator = iterate(items, call.label);
      while (!call.done) {
        while (call.credit === 0 && !call.done) {
          // Out of credit: probe now and then whether the client is still
          // there, since a vanished client sends no CANCEL.
          if (
            !(await call.waitForCredit(PROBE_INTERVAL)) && !call.done &&
            !(await this.#send([call.routingId, PROBE], false))
          ) {
            this.#gone(call);
          }
        }
        if (call.done) break;
        const r = await iterator.next();
        if (call.done) break;
        if (r.done) {
          ended = true;
          this.#finish(call);
          this.#send([call.routingId, encodeHeader(KIND.END, call.requestId)]);
          break;
        }
        const payload = this.#encodeResult(call, r.value);
        if (payload instanceof RpcError) throw payload;
        call.credit--;
        const sent = await this.#send([
          call.routingId,
          encodeHeader(KIND.DATA, call.requestId, call.codec.id),
          payload,
        ]);
        if (!sent) this.#gone(call);
      }
    } catch (e) {
      ended = true;
      if (!call.done) {
        this.#finish(call);
        this.#replyError(
          call.routingId,
          call.requestId,
          this.#toRpcError(call, e),
        );
      }
    } finally {
      this.#release();
      if (!ended && iterator?.return !== undefined) {
        Promise.resolve(iterator.return()).catch(() => {});
      }
    }
  }

  #encodeResult(call: ServedCall, value: unknown): Uint8Array | RpcError {
    if (this.#validateResults) {
      const issues: ValidationIssue[] = [];
      call.handler.method.validateResult(value, "result", issues);
      if (issues.length > 0) {
        const error = new ValidationError(`result of ${call.label}`, issues);
        this.#logger.error(
          `${call.label} handler returned an invalid result: ${error.message}`,
        );
        return new RpcError(
          "INTERNAL",
          `${call.label} returned an invalid result`,
          {
            details: { issues },
          },
        );
      }
    }
    try {
      return call.codec.encode(value);
    } catch (e) {
      this.#logger.error(
        `cannot encode the result of ${call.label}: ${(e as Error).message}`,
      );
      return new RpcError(
        "INTERNAL",
        `Cannot encode the result of ${call.label}: ${(e as Error).message}`,
      );
    }
  }

  #toRpcError(call: ServedCall, error: unknown): RpcError {
    if (error instanceof RpcError) return error;
    if (error instanceof ValidationError) {
      return new RpcError("INVALID_ARGUMENT", error.message, {
        details: { issues: error.issues },
      });
    }
    const message = error instanceof Error ? error.message : String(error);
    const stack = error instanceof Error ? error.stack : undefined;
    this.#logger.error(`${call.label} handler failed: ${stack ?? message}`);
    return new RpcError(
      "INTERNAL",
      message,
      this.#exposeStack && stack !== undefined ? { details: { stack } } : {},
    );
  }

  #expire(call: ServedCall): void {
    call.deadlineKey = undefined;
    if (call.done) return;
    const error = new RpcError(
      "DEADLINE_EXCEEDED",
      `Call to ${call.label} exceeded its deadline of ${call.timeout} ms`,
    );
    this.#finish(call);
    call.abort(error);
    this.#replyError(call.routingId, call.requestId, error);
  }

  /** Marks a call answered: out of the table and the wheel. */
  #finish(call: ServedCall): void {
    call.done = true;
    this.#calls.delete(call.key);
    this.#deadlines.remove(call);
  }

  /** The handler is over: free its slot. */
  #release(): void {
    this.#active--;
    if (this.#active === 0) this.#drained?.();
  }

  /** Rejects a bad message: one log line, and an ERROR when possible. */
  #reject(routingId: Uint8Array, error: unknown): void {
    const e = error instanceof ProtocolError
      ? error
      : new ProtocolError(String((error as Error)?.message ?? error));
    this.#logger.warn(
      `rejected a message from peer ${toHex(routingId)}: ${e.message}`,
    );
    this.#send([
      routingId,
      encodeErrorHeader(e.requestId, STATUS[e.code]),
      ...encodeErrorBody(e.message, e.details),
    ]);
  }

  #replyError(routingId: Uint8Array, requestId: number, error: RpcError): void {
    this.#send([
      routingId,
      encodeErrorHeader(requestId, error.status),
      ...encodeErrorBody(error.message, error.details),
    ]);
  }

  /** Sends; resolves `false` (after logging, if `log`) when it failed. */
  #send(frames: Frame[], log = true): Promise<boolean> {
    return this.#router.send(frames, this.#sendOptions).then(
      () => true,
      (e) => {
        if (log && !this.#router.closed) {
          this.#logger.warn(
            `dropped a reply to peer ${toHex(frames[0] as Uint8Array)}: ${
              (e as Error).message
            }`,
          );
        }
        return false;
      },
    );
  }

  /** The client of a stream is unreachable: stop the stream. */
  #gone(call: ServedCall): void {
    if (call.done) return;
    this.#finish(call);
    call.abort(
      new RpcError(
        "CANCELLED",
        `Call to ${call.label} cancelled: the client is gone`,
      ),
    );
  }

  /**
   * Stops the server gracefully: new requests get `UNAVAILABLE`, calls in
   * flight may finish for up to `drainTimeout` ms, the rest are aborted
   * (their clients get `UNAVAILABLE`); then the socket closes. Idempotent.
   *
   * @param options the drain bound
   * @returns once the socket is closed
   */
  close(options: CloseOptions = {}): Promise<void> {
    return this.#closing ??= this.#close(
      checkTimeout(options.drainTimeout, "RpcServer.close", "drainTimeout") ??
        5000,
    );
  }

  async #close(drainTimeout: number): Promise<void> {
    this.#draining = true;
    if (this.#active > 0 && drainTimeout > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#drained = resolve;
        timer = setTimeout(resolve, drainTimeout);
      });
      clearTimeout(timer);
      this.#drained = undefined;
    }
    const stopping = new RpcError("UNAVAILABLE", "The server is shutting down");
    for (const call of [...this.#calls.values()]) {
      this.#finish(call);
      call.abort(stopping);
      this.#replyError(call.routingId, call.requestId, stopping);
    }
    this.#deadlines.clear();
    try {
      this.#router.setOption("linger", 200);
    } catch {
      // already closed
    }
    await this.#router[Symbol.asyncDispose]();
    await this.#loop;
  }

  /** Same as `close()` with the default drain bound. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function positiveInt(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(
      `Cannot create RpcServer: ${name} must be an integer >= 1, got ${value}`,
    );
  }
  return value;
}

function iterate(
  items: unknown,
  label: string,
): AsyncIterator<unknown> | Iterator<unknown> {
  if (items !== null && typeof items === "object") {
    const o = items as Partial<AsyncIterable<unknown> & Iterable<unknown>>;
    if (typeof o[Symbol.asyncIterator] === "function") {
      return o[Symbol.asyncIterator]!();
    }
    if (typeof o[Symbol.iterator] === "function") return o[Symbol.iterator]!();
  }
  throw new TypeError(`${label} handler did not return an AsyncIterable`);
}

/** `1 argument`, `2 arguments`. */
function arguments_(n: number): string {
  return `${n} argument${n === 1 ? "" : "s"}`;
}
