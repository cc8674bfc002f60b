/**
 * `RpcClient`: calls methods of services over ZeroMQ.
 *
 * One DEALER per server endpoint, many calls in flight on each (request
 * ids), round-robin over the endpoints whose connection is up. A call is
 * failed with `UNAVAILABLE` as soon as the connection it went out on is
 * lost, and retried on another endpoint when its method is idempotent.
 * Deadlines share one timer; a call without one costs no timer at all.
 * Endpoints can be added and removed while calls run (`setEndpoints`), so
 * that a client can follow a registry.
 *
 * @module
 */

import type { Context, CurveClientSecurity, CurveKeyPair } from "../zmq/mod.ts";
import { type Codec, codecById, codecByName } from "../wire/codec.ts";
import type {
  MethodDescriptor,
  ServiceDescriptor,
} from "../wire/descriptors.ts";
import {
  ElementLimitError,
  IssueList,
  RpcError,
  validationDetails,
  validationMessage,
} from "../wire/errors.ts";
import { MAX_ELEMENTS } from "../wire/limits.ts";
import {
  decodeErrorBody,
  encodeCreditHeader,
  encodeHeader,
  encodeMetadata,
  encodeMethodName,
  encodeRequestHeader,
  KIND,
  PROTOCOL_VERSION,
  readU32,
} from "../wire/protocol.ts";
import type { CallOptions, RpcClientLike } from "./context.ts";
import {
  chainClient,
  type ClientCall,
  type ClientInterceptor,
} from "./interceptors.ts";
import { consoleLogger, type Logger, LogLimiter } from "./logger.ts";
import { Deadlines } from "./_deadlines.ts";
import { Endpoint } from "./_endpoint.ts";
import { ClientStream } from "./_client_stream.ts";
import { checkTimeout, type RetryOptions, RetryPolicy } from "./_retry.ts";

export type { RetryOptions };

/** Options of {@linkcode RpcClient}. */
export interface RpcClientOptions {
  /** Server endpoints of the service, e.g. `["tcp://10.0.0.2:5555"]`. */
  endpoints: readonly string[];
  /**
   * Default deadline of every call, in ms; a call's own `timeout` wins.
   * @default {none}
   */
  timeout?: number;
  /**
   * How idempotent methods are retried; `false` never retries.
   * @default {3 attempts on UNAVAILABLE, backoff 20 ms doubling to 1 s}
   */
  retry?: RetryOptions | false;
  /** Middleware around every call, outermost first. @default {[]} */
  interceptors?: readonly ClientInterceptor[];
  /**
   * Stream credit: how many items a server may send ahead of the reader.
   * @default {32}
   */
  streamWindow?: number;
  /**
   * How long a call waits for a connection to some endpoint before it fails
   * with `UNAVAILABLE`, in ms.
   * @default {5000}
   */
  connectTimeout?: number;
  /**
   * ZMTP heartbeat interval in ms: a server silent for three intervals is
   * taken for dead and its calls fail over. `0` disables.
   * @default {1000}
   */
  heartbeat?: number;
  /** Check every result with the method's `validateResult`. @default {false} */
  validateResults?: boolean;
  /**
   * The most elements of one reply (a unary result, or one item of a
   * stream) the client decodes, counted as a server counts a request's
   * (`docs/PROTOCOL.md` §9): a reply with more is not decoded, its call
   * fails with `RESOURCE_EXHAUSTED` (details `reason: "REPLY_TOO_LARGE"`),
   * and the client goes on with its other calls. So a server cannot make
   * its client spend seconds decoding 4 MiB of tiny elements. `Infinity`
   * decodes replies of any count.
   * @default {MAX_ELEMENTS: 32,768}
   */
  maxElements?: number;
  /** Where unexpected events are reported. @default {consoleLogger} */
  logger?: Logger;
  /** The ZeroMQ context. @default {Context.default} */
  context?: Context;
  /**
   * Connect over CURVE: this client's key pair, and the public key of the
   * server at each endpoint. An endpoint whose key is unknown is refused
   * (`TypeError`), and a server that does not prove that key gets nothing.
   * @default {none: plain TCP}
   */
  curve?: CurveKeyPair & {
    /** The server's public key at an endpoint, if known. */
    serverKey(endpoint: string): string | undefined;
  };
}

/** Options of {@linkcode RpcClient.removeEndpoint}. */
export interface RemoveEndpointOptions {
  /**
   * Let the calls in flight on the endpoint finish before its connection
   * closes, instead of failing them over at once.
   * @default {false}
   */
  drain?: boolean;
}

/** Options of {@linkcode RpcClient.ping}. */
export interface PingOptions {
  /** Ping this endpoint (one of the client's); default: the next one. */
  endpoint?: string;
  /** Give up after this many ms with `DEADLINE_EXCEEDED`. */
  timeout?: number;
  /** Abort the ping. */
  signal?: AbortSignal;
}

const enum State {
  Idle,
  Waiting,
  InFlight,
  Backoff,
  Done,
}

const enum Shape {
  Unary,
  Stream,
  Ping,
}

/** One call across its attempts. */
class Call {
  id = 0;
  ep: Endpoint | undefined;
  state = State.Idle;
  attempts = 0;
  deadlineKey: number | undefined = undefined;
  expiresAt = Infinity;
  waitSince = 0;
  sentAt = 0;
  onAbort: (() => void) | undefined;
  retryTimer: ReturnType<typeof setTimeout> | undefined;
  resolve: (value: unknown) => void = noop;
  reject: (error: unknown) => void = noop;
  stream: ClientStream | undefined;

  constructor(
    readonly shape: Shape,
    readonly service: ServiceDescriptor | undefined,
    readonly method: MethodDescriptor | undefined,
    readonly codec: Codec | undefined,
    readonly frames: Uint8Array[],
    readonly timeout: number | undefined,
    readonly deadlineAt: number,
    readonly signal: AbortSignal | undefined,
    readonly target: Endpoint | undefined,
  ) {}

  get label(): string {
    return this.method === undefined
      ? "ping"
      : `${this.service!.name}.${this.method.name}`;
  }
}

function noop(): void {}

const methodFrames = new WeakMap<
  MethodDescriptor,
  { service: string; frame: Uint8Array }
>();

function methodFrame(
  service: ServiceDescriptor,
  method: MethodDescriptor,
): Uint8Array {
  const cached = methodFrames.get(method);
  if (cached !== undefined && cached.service === service.name) {
    return cached.frame;
  }
  const frame = encodeMethodName(service.name, method.name);
  methodFrames.set(method, { service: service.name, frame });
  return frame;
}

/**
 * A client for the services served at a set of endpoints.
 *
 * Cancelling a call with its `signal` sends a CANCEL (the handler's
 * `ctx.signal` aborts) and rejects the call with `signal.reason`. Every
 * other failure is an {@linkcode RpcError}.
 *
 * @example
 * ```ts
 * import { RpcClient } from "zmp";
 * import { CalculatorClient } from "../../examples/calculator/calculator.api.gen.ts";
 *
 * await using rpc = new RpcClient({ endpoints: ["tcp://127.0.0.1:5555"] });
 * const calc = new CalculatorClient(rpc);
 * console.log(await calc.add(1, 2, { timeout: 500 })); // 3
 * ```
 */
export class RpcClient implements RpcClientLike, AsyncDisposable {
  readonly #endpoints: Endpoint[];
  readonly #events: {
    message: (ep: Endpoint, frames: Uint8Array[]) => void;
    ready: () => void;
    lost: (ep: Endpoint) => void;
  };
  readonly #context: Context | undefined;
  readonly #curve: RpcClientOptions["curve"];
  readonly #heartbeat: number;
  readonly #pending = new Map<number, Call>();
  readonly #waiting = new Set<Call>();
  readonly #backoff = new Set<Call>();
  readonly #deadlines = new Deadlines<Call>((c) => this.#expire(c));
  readonly #timeout: number | undefined;
  readonly #retry: RetryPolicy | undefined;
  readonly #interceptors: readonly ClientInterceptor[];
  #unaryChain: ((call: ClientCall) => Promise<unknown>) | undefined;
  readonly #window: number;
  readonly #connectTimeout: number;
  readonly #validateResults: boolean;
  readonly #decodeOptions: { maxElements: number };
  readonly #logger: Logger;
  readonly #log: LogLimiter;
  readonly #removing = new Set<Promise<void>>();
  readonly #draining = new Map<Endpoint, { left: number; close(): void }>();
  #rr = 0;
  #nextId = 0;
  #closed = false;
  #closing: Promise<void> | undefined;

  /**
   * Creates a client; it connects to its endpoints at once.
   *
   * @param options endpoints, default timeout, retry policy, interceptors …
   * @throws {TypeError} for no endpoints or a malformed one
   * @throws {RangeError} for a negative or non-finite number option
   */
  constructor(options: RpcClientOptions) {
    const { endpoints } = options ?? {};
    if (
      !Array.isArray(endpoints) || endpoints.length === 0 ||
      !endpoints.every((e) => typeof e === "string" && e.length > 0)
    ) {
      throw new TypeError(
        "Cannot create RpcClient: endpoints must be a non-empty array of endpoint strings",
      );
    }
    this.#timeout = checkTimeout(options.timeout, "RpcClient", "timeout");
    this.#connectTimeout =
      checkTimeout(options.connectTimeout, "RpcClient", "connectTimeout") ??
        5000;
    const heartbeat =
      checkTimeout(options.heartbeat, "RpcClient", "heartbeat") ?? 1000;
    const window = options.streamWindow ?? 32;
    if (!Number.isInteger(window) || window < 1 || window > 0x7fffffff) {
      throw new RangeError(
        `Cannot create RpcClient: streamWindow must be an integer >= 1, got ${window}`,
      );
    }
    this.#window = window;
    this.#retry = options.retry === false
      ? undefined
      : new RetryPolicy(options.retry ?? {});
    this.#interceptors = options.interceptors ?? [];
    this.#validateResults = options.validateResults ?? false;
    const maxElements = options.maxElements ?? MAX_ELEMENTS;
    if (
      maxElements !== Infinity &&
      (!Number.isInteger(maxElements) || maxElements < 1)
    ) {
      throw new RangeError(
        `Cannot create RpcClient: maxElements must be an integer >= 1 or Infinity, got ${maxElements}`,
      );
    }
    this.#decodeOptions = { maxElements };
    this.#logger = options.logger ?? consoleLogger;
    this.#log = new LogLimiter(this.#logger);
    this.#events = {
      message: (ep: Endpoint, frames: Uint8Array[]) =>
        this.#onMessage(ep, frames),
      ready: () => this.#onReady(),
      lost: (ep: Endpoint) => this.#onLost(ep),
    };
    this.#context = options.context;
    this.#curve = options.curve;
    this.#heartbeat = heartbeat;
    this.#endpoints = [];
    try {
      for (const address of new Set(endpoints)) {
        this.#endpoints.push(this.#open(address));
      }
    } catch (e) {
      for (const ep of this.#endpoints) ep.close();
      throw e;
    }
  }

  #open(address: string): Endpoint {
    let curve: CurveClientSecurity | undefined;
    if (this.#curve !== undefined) {
      const serverKey = this.#curve.serverKey(address);
      if (serverKey === undefined) {
        throw new TypeError(
          `Cannot connect to ${address}: its server key is unknown, and this client uses CURVE`,
        );
      }
      const { publicKey, secretKey } = this.#curve;
      curve = { publicKey, secretKey, serverKey };
    }
    return new Endpoint(address, {
      curve,
      context: this.#context,
      heartbeat: this.#heartbeat,
      events: this.#events,
      logger: this.#logger,
    });
  }

  /** The endpoints the client uses now (given, then added or removed). */
  get endpoints(): string[] {
    return this.#endpoints.map((e) => e.address);
  }

  /**
   * Adds a server endpoint: it connects in the background and takes calls
   * (waiting ones first) once its connection is up. Adding an endpoint the
   * client already has does nothing.
   *
   * @param endpoint the endpoint, e.g. `tcp://127.0.0.1:5555`
   * @returns `true` if it was added
   * @throws {TypeError} for an empty endpoint or a closed client
   * @throws {ZmqError} for a malformed endpoint
   */
  addEndpoint(endpoint: string): boolean {
    this.#checkOpen("add an endpoint");
    if (typeof endpoint !== "string" || endpoint.length === 0) {
      throw new TypeError(
        `Cannot add endpoint ${
          JSON.stringify(endpoint)
        }: expected a non-empty string`,
      );
    }
    if (this.#endpoints.some((e) => e.address === endpoint)) return false;
    this.#endpoints.push(this.#open(endpoint));
    return true;
  }

  /**
   * Removes a server endpoint: it takes no new call. By default its
   * connection closes at once and the calls in flight on it fail with
   * `UNAVAILABLE`, so idempotent ones are retried on another endpoint (as
   * when a connection is lost); pings aimed at it fail. With `drain`, the
   * calls in flight finish first (a server shutting down gracefully), unless
   * the connection is lost meanwhile.
   *
   * @param endpoint one of the client's endpoints
   * @param options `drain`: let calls in flight finish before closing
   * @returns once its connection is closed: `true`, or `false` if the
   *   client did not have it
   * @throws {TypeError} for a closed client
   */
  removeEndpoint(
    endpoint: string,
    options: RemoveEndpointOptions = {},
  ): Promise<boolean> {
    try {
      this.#checkOpen("remove an endpoint");
    } catch (e) {
      return Promise.reject(e);
    }
    const i = this.#endpoints.findIndex((e) => e.address === endpoint);
    if (i < 0) return Promise.resolve(false);
    const [ep] = this.#endpoints.splice(i, 1);
    if (this.#rr >= this.#endpoints.length) this.#rr = 0;
    for (const call of [...this.#waiting]) {
      if (call.target === ep) {
        this.#fail(
          call,
          new RpcError(
            "UNAVAILABLE",
            `Cannot call ${call.label}: ${ep.address} was removed from the client`,
          ),
        );
      }
    }
    let left = 0;
    for (const call of this.#pending.values()) if (call.ep === ep) left++;
    const finish = () => {
      this.#draining.delete(ep);
      this.#onLost(ep, `${ep.address} was removed from the client`);
      return ep.close();
    };
    const closed = options.drain === true && left > 0
      ? new Promise<void>((resolve) => {
        this.#draining.set(ep, { left, close: resolve });
      }).then(finish)
      : finish();
    this.#removing.add(closed);
    return closed.then(() => {
      this.#removing.delete(closed);
      return true;
    });
  }

  /**
   * Makes the client's endpoints exactly `endpoints`: new ones are added,
   * missing ones removed (see {@linkcode RpcClient.removeEndpoint}). An empty
   * list is allowed: calls then wait up to `connectTimeout` for an endpoint.
   *
   * @param endpoints the endpoints to use from now on
   * @param options `drain` for the removed endpoints
   * @returns once the removed endpoints are closed
   * @throws {TypeError} for a closed client or an empty endpoint string
   * @throws {ZmqError} for a malformed endpoint
   */
  async setEndpoints(
    endpoints: readonly string[],
    options: RemoveEndpointOptions = {},
  ): Promise<void> {
    this.#checkOpen("set endpoints");
    if (
      !Array.isArray(endpoints) ||
      !endpoints.every((e) => typeof e === "string" && e.length > 0)
    ) {
      throw new TypeError(
        "Cannot set endpoints: expected an array of endpoint strings",
      );
    }
    const wanted = new Set(endpoints);
    const removed = this.#endpoints.filter((e) => !wanted.has(e.address));
    for (const address of wanted) this.addEndpoint(address);
    await Promise.all(
      removed.map((e) => this.removeEndpoint(e.address, options)),
    );
  }

  #checkOpen(what: string): void {
    if (this.#closed) {
      throw new TypeError(`Cannot ${what}: the client is closed`);
    }
  }

  /** The endpoints whose connection is up right now. */
  get connectedEndpoints(): string[] {
    return this.#endpoints.filter((e) => e.ready).map((e) => e.address);
  }

  /** How many calls are in flight or waiting. */
  get pending(): number {
    return this.#pending.size + this.#waiting.size + this.#backoff.size;
  }

  /**
   * Calls a unary method.
   *
   * @param service the service descriptor
   * @param method one of its unary methods
   * @param args the arguments
   * @param options timeout, signal, metadata
   * @returns the result
   * @throws {RpcError} with the server's status, or `DEADLINE_EXCEEDED`,
   *   `UNAVAILABLE` (no connection, or it was lost), `CANCELLED` (the client
   *   was closed), `INTERNAL` (an undecodable or invalid result)
   * @throws {TypeError} for a stream method, arguments the codec cannot
   *   encode, or metadata values that are not strings
   * @throws the signal's reason when `options.signal` aborts
   */
  call(
    service: ServiceDescriptor,
    method: MethodDescriptor,
    args: unknown[],
    options?: CallOptions,
  ): Promise<unknown> {
    if (this.#interceptors.length === 0) {
      return this.#unary(service, method, args, options);
    }
    // The chain is made once: a call allocates its `ClientCall` only.
    const chain = this.#unaryChain ??= chainClient(
      this.#interceptors,
      "unary",
      (c) => this.#unary(c.service, c.method, c.args, c.options),
    );
    return chain({ service, method, args, options: { ...options } });
  }

  /**
   * Calls a server-streaming method. The REQUEST goes out on the first
   * `next()`; leaving a `for await` early cancels the call.
   *
   * @param service the service descriptor
   * @param method one of its stream methods
   * @param args the arguments
   * @param options timeout (for the whole stream), signal, metadata
   * @returns the items
   * @throws {RpcError} from the iterator, as for `call`
   */
  stream(
    service: ServiceDescriptor,
    method: MethodDescriptor,
    args: unknown[],
    options?: CallOptions,
  ): AsyncIterable<unknown> {
    if (this.#interceptors.length === 0) {
      return this.#stream(service, method, args, options);
    }
    return chainClient(
      this.#interceptors,
      "stream",
      (c) => this.#stream(c.service, c.method, c.args, c.options),
    )({ service, method, args, options: { ...options } });
  }

  /**
   * Round-trips a PING to a server.
   *
   * @param options which endpoint, timeout, signal
   * @returns the round-trip time in ms
   * @throws {RpcError} `UNAVAILABLE` or `DEADLINE_EXCEEDED`
   * @throws {TypeError} for an endpoint that is not one of the client's
   */
  ping(options: PingOptions = {}): Promise<number> {
    let target: Endpoint | undefined;
    if (options.endpoint !== undefined) {
      target = this.#endpoints.find((e) => e.address === options.endpoint);
      if (target === undefined) {
        return Promise.reject(
          new TypeError(
            `Cannot ping ${
              JSON.stringify(options.endpoint)
            }: not an endpoint of this client`,
          ),
        );
      }
    }
    const timeout = options.timeout;
    const call = new Call(
      Shape.Ping,
      undefined,
      undefined,
      undefined,
      [],
      timeout,
      timeout === undefined ? Infinity : performance.now() + timeout,
      options.signal,
      target,
    );
    return this.#begin(call) as Promise<number>;
  }

  #unary(
    service: ServiceDescriptor,
    method: MethodDescriptor,
    args: unknown[],
    options: CallOptions | undefined,
  ): Promise<unknown> {
    try {
      const call = this.#prepare(Shape.Unary, service, method, args, options);
      return this.#begin(call);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  #stream(
    service: ServiceDescriptor,
    method: MethodDescriptor,
    args: unknown[],
    options: CallOptions | undefined,
  ): ClientStream {
    let call: Call | undefined;
    const stream = new ClientStream({
      start: (s) => {
        call = this.#prepare(Shape.Stream, service, method, args, options);
        call.stream = s;
        this.#begin(call).catch(noop);
      },
      grant: (n) => {
        if (call?.state === State.InFlight) {
          call.ep!.send([encodeCreditHeader(call.id, n)]).catch(noop);
        }
      },
      cancel: () => {
        if (call !== undefined) this.#stop(call, undefined);
      },
    }, this.#window);
    return stream;
  }

  #prepare(
    shape: Shape,
    service: ServiceDescriptor,
    method: MethodDescriptor,
    args: unknown[],
    options: CallOptions | undefined,
  ): Call {
    const want = shape === Shape.Stream ? "stream" : "unary";
    if (method.kind !== want) {
      throw new TypeError(
        `Cannot ${
          shape === Shape.Stream ? "stream" : "call"
        } ${service.name}.${method.name}: it is a ${method.kind} method`,
      );
    }
    const timeout = options?.timeout === undefined
      ? this.#timeout
      : checkTimeout(
        options.timeout,
        `${service.name}.${method.name}`,
        "timeout",
      );
    const codec = codecByName(service.codec);
    const frames = [
      methodFrame(service, method),
      codec.encode(args),
    ];
    const metadata = options?.metadata;
    if (metadata !== undefined) frames.push(encodeMetadata(metadata));
    return new Call(
      shape,
      service,
      method,
      codec,
      frames,
      timeout,
      timeout === undefined ? Infinity : performance.now() + timeout,
      options?.signal,
      undefined,
    );
  }

  /** Starts a prepared call; settles through `call.resolve`/`reject`. */
  #begin(call: Call): Promise<unknown> {
    const promise = new Promise<unknown>((resolve, reject) => {
      call.resolve = resolve;
      call.reject = reject;
    });
    if (this.#closed) {
      this.#settle(call, this.#closedError(call));
      return promise;
    }
    const signal = call.signal;
    if (signal !== undefined) {
      if (signal.aborted) {
        this.#settle(call, signal.reason);
        return promise;
      }
      call.onAbort = () => this.#stop(call, signal.reason);
      signal.addEventListener("abort", call.onAbort, { once: true });
    }
    call.attempts = 1;
    this.#dispatch(call);
    return promise;
  }

  #pick(target: Endpoint | undefined): Endpoint | undefined {
    if (target !== undefined) return target.ready ? target : undefined;
    const eps = this.#endpoints;
    const n = eps.length;
    for (let i = 0; i < n; i++) {
      const ep = eps[this.#rr];
      this.#rr = this.#rr + 1 === n ? 0 : this.#rr + 1;
      if (ep.ready) return ep;
    }
    return undefined;
  }

  #dispatch(call: Call): void {
    const ep = this.#pick(call.target);
    // The clock is read only when something needs it (not on the hot path
    // of a unary call without deadline).
    const timed = call.deadlineAt !== Infinity || call.shape === Shape.Ping ||
      (this.#retry?.attemptTimeout !== undefined &&
        call.method?.idempotent === true);
    const now = timed || ep === undefined ? performance.now() : 0;
    if (ep === undefined) {
      call.state = State.Waiting;
      call.waitSince = now;
      this.#waiting.add(call);
      this.#arm(call, Math.min(call.deadlineAt, now + this.#connectTimeout));
      return;
    }
    let id = this.#nextId;
    do {
      id = id === 0xffffffff ? 1 : id + 1;
    } while (this.#pending.has(id));
    this.#nextId = id;
    call.id = id;
    call.ep = ep;
    call.state = State.InFlight;
    call.sentAt = now;
    this.#pending.set(id, call);
    if (timed) {
      let expires = call.deadlineAt;
      const attemptTimeout = this.#retry?.attemptTimeout;
      if (attemptTimeout !== undefined && call.method?.idempotent) {
        expires = Math.min(expires, now + attemptTimeout);
      }
      this.#arm(call, expires);
    }
    let header: Uint8Array;
    if (call.shape === Shape.Ping) {
      header = encodeHeader(KIND.PING, id);
    } else {
      header = encodeRequestHeader({
        requestId: id,
        codec: call.codec!.id,
        stream: call.shape === Shape.Stream,
        deadline: call.deadlineAt === Infinity
          ? 0
          : Math.max(1, Math.ceil(call.deadlineAt - now)),
        credit: call.shape === Shape.Stream ? this.#window : 0,
      });
    }
    ep.send([header, ...call.frames]).then(undefined, (e) => {
      if (this.#pending.get(id) === call) {
        this.#fail(
          call,
          new RpcError(
            "UNAVAILABLE",
            `Cannot send ${call.label} to ${ep.address}: ${
              (e as Error).message
            }`,
            { cause: e },
          ),
        );
      }
    });
  }

  #arm(call: Call, at: number): void {
    this.#deadlines.remove(call);
    call.expiresAt = at;
    if (at !== Infinity) this.#deadlines.add(call, at);
  }

  #onReady(): void {
    if (this.#waiting.size === 0) return;
    const calls = [...this.#waiting];
    this.#waiting.clear();
    for (const call of calls) {
      this.#deadlines.remove(call);
      this.#dispatch(call);
    }
  }

  #onLost(
    ep: Endpoint,
    reason = `the connection to ${ep.address} was lost`,
  ): void {
    const lost: Call[] = [];
    for (const call of this.#pending.values()) {
      if (call.ep === ep) lost.push(call);
    }
    for (const call of lost) {
      this.#fail(
        call,
        new RpcError("UNAVAILABLE", `Call to ${call.label} failed: ${reason}`),
      );
    }
  }

  #onMessage(ep: Endpoint, frames: Uint8Array[]): void {
    const h = frames[0];
    if (h.byteLength < 8 || h[0] !== PROTOCOL_VERSION) {
      this.#log.warn(
        "unreadable messages",
        ep.address,
        `dropped a message from ${ep.address}: ${
          h.byteLength < 8
            ? `a ${h.byteLength}-byte header`
            : `protocol version ${h[0]}`
        }`,
      );
      return;
    }
    const id = readU32(h, 4);
    const call = this.#pending.get(id);
    if (call === undefined || call.ep !== ep) {
      if (id === 0 && h[1] === KIND.ERROR) {
        const body = decodeErrorBody(frames[1] ?? new Uint8Array(), frames[2]);
        this.#log.warn(
          "errors without a call",
          ep.address,
          `${ep.address} reported: ${body.message}`,
        );
      }
      return; // a late answer to a call that is over
    }
    switch (h[1]) {
      case KIND.RESPONSE:
        if (call.shape !== Shape.Unary || frames.length < 2) break;
        this.#resolveUnary(call, h[2], frames[1]);
        return;
      case KIND.ERROR: {
        const status = h.byteLength >= 12 ? readU32(h, 8) : 2;
        const body = decodeErrorBody(frames[1] ?? new Uint8Array(), frames[2]);
        this.#fail(call, RpcError.fromWire(status, body.message, body.details));
        return;
      }
      case KIND.DATA: {
        if (call.shape !== Shape.Stream || frames.length < 2) break;
        const value = this.#decode(call, h[2], frames[1]);
        if (value instanceof DecodeFailure) {
          this.#stop(call, value.error);
        } else {
          call.stream!.push(value.value);
        }
        return;
      }
      case KIND.END:
        if (call.shape !== Shape.Stream) break;
        this.#settle(call, undefined);
        return;
      case KIND.PONG:
        if (call.shape !== Shape.Ping) break;
        this.#settle(call, undefined, performance.now() - call.sentAt);
        return;
    }
    this.#stop(
      call,
      new RpcError(
        "INTERNAL",
        `Call to ${call.label} failed: ${ep.address} answered with a malformed message (kind ${
          h[1]
        }, ${frames.length} frames)`,
      ),
    );
  }

  #resolveUnary(call: Call, codecId: number, payload: Uint8Array): void {
    const decoded = this.#decode(call, codecId, payload);
    if (decoded instanceof DecodeFailure) {
      this.#settle(call, decoded.error);
    } else {
      this.#settle(call, undefined, decoded.value);
    }
  }

  #decode(
    call: Call,
    codecId: number,
    payload: Uint8Array,
  ): DecodeFailure | { value: unknown } {
    const codec = codecById(codecId);
    let value: unknown;
    try {
      if (codec === undefined) {
        throw new SyntaxError(`unknown codec ${codecId}`);
      }
      value = codec.decode(payload, this.#decodeOptions);
    } catch (e) {
      if (e instanceof ElementLimitError) {
        return new DecodeFailure(
          new RpcError(
            "RESOURCE_EXHAUSTED",
            `The ${
              call.shape === Shape.Stream ? "stream item" : "result"
            } of ${call.label} holds more than ${e.limit} elements, the client's limit (maxElements): ${e.count} counted before it stopped`,
            {
              cause: e,
              details: {
                reason: "REPLY_TOO_LARGE",
                limit: "maxElements",
                max: e.limit,
                counted: e.count,
              },
            },
          ),
        );
      }
      return new DecodeFailure(
        new RpcError(
          "INTERNAL",
          `Cannot decode the result of ${call.label}: ${(e as Error).message}`,
          { cause: e },
        ),
      );
    }
    if (this.#validateResults) {
      const issues = new IssueList();
      call.method!.validateResult(value, "result", issues);
      if (issues.length > 0) {
        const text = validationMessage("result", issues).replace(
          /^Invalid result: /,
          "",
        );
        return new DecodeFailure(
          new RpcError(
            "INTERNAL",
            `${call.label} returned an invalid result: ${text}`,
            { details: validationDetails(issues) },
          ),
        );
      }
    }
    return { value };
  }

  #expire(call: Call): void {
    call.deadlineKey = undefined;
    const now = performance.now();
    let error: RpcError;
    if (now >= call.deadlineAt) {
      error = new RpcError(
        "DEADLINE_EXCEEDED",
        `Call to ${call.label} exceeded its deadline of ${call.timeout} ms`,
      );
    } else if (call.state === State.Waiting) {
      const where = call.target?.address ??
        this.#endpoints.map((e) => e.address).join(", ");
      error = new RpcError(
        "UNAVAILABLE",
        where === ""
          ? `Cannot call ${call.label}: the client has had no endpoint for ${this.#connectTimeout} ms`
          : `Cannot call ${call.label}: no server reachable at ${where} within ${this.#connectTimeout} ms`,
      );
    } else if (call.state === State.InFlight) {
      call.ep!.send([encodeHeader(KIND.CANCEL, call.id)]).catch(noop);
      error = new RpcError(
        "UNAVAILABLE",
        `Call to ${call.label}: no answer from ${
          call.ep!.address
        } within ${this.#retry?.attemptTimeout} ms`,
      );
    } else {
      return;
    }
    this.#fail(call, error);
  }

  /** Takes a call out of every table (not its signal listener). */
  #forget(call: Call): void {
    if (call.state === State.InFlight) {
      this.#pending.delete(call.id);
      if (this.#draining.size > 0) {
        const drain = this.#draining.get(call.ep!);
        if (drain !== undefined && --drain.left === 0) drain.close();
      }
    } else if (call.state === State.Waiting) this.#waiting.delete(call);
    else if (call.state === State.Backoff) {
      this.#backoff.delete(call);
      clearTimeout(call.retryTimer);
    }
    this.#deadlines.remove(call);
    call.state = State.Idle;
  }

  /** A failed attempt: retry when allowed, else settle with the error. */
  #fail(call: Call, error: RpcError): void {
    this.#forget(call);
    const delay = this.#closed ? undefined : this.#retry?.delay(call, error);
    if (delay === undefined) {
      this.#settle(call, error);
      return;
    }
    call.state = State.Backoff;
    this.#backoff.add(call);
    call.retryTimer = setTimeout(() => {
      this.#backoff.delete(call);
      call.state = State.Idle;
      call.attempts++;
      this.#dispatch(call);
    }, delay);
  }

  /** Stops a call on this side: CANCEL if in flight, then settle. */
  #stop(call: Call, error: unknown): void {
    if (call.state === State.Done) return;
    if (call.state === State.InFlight) {
      call.ep!.send([encodeHeader(KIND.CANCEL, call.id)]).catch(noop);
    }
    this.#settle(call, error);
  }

  /** Ends a call: an error, or success with `value`. */
  #settle(call: Call, error: unknown, value?: unknown): void {
    if (call.state === State.Done) return;
    this.#forget(call);
    call.state = State.Done;
    if (call.onAbort !== undefined) {
      call.signal!.removeEventListener("abort", call.onAbort);
      call.onAbort = undefined;
    }
    const stream = call.stream;
    if (stream !== undefined) {
      if (error === undefined) stream.end();
      else stream.fail(error);
    }
    if (error === undefined) call.resolve(value);
    else call.reject(error);
  }

  #closedError(call: Call): RpcError {
    return new RpcError(
      "CANCELLED",
      `Call to ${call.label} cancelled: the client is closed`,
    );
  }

  /**
   * Closes the client: every pending call rejects with `RpcError`
   * `CANCELLED`, then the sockets close. Idempotent.
   *
   * @returns once the sockets are closed
   */
  close(): Promise<void> {
    return this.#closing ??= this.#close();
  }

  async #close(): Promise<void> {
    this.#closed = true;
    const calls = [
      ...this.#pending.values(),
      ...this.#waiting,
      ...this.#backoff,
    ];
    for (const call of calls) this.#stop(call, this.#closedError(call));
    this.#deadlines.clear();
    for (const drain of this.#draining.values()) drain.close();
    await Promise.all([
      ...this.#endpoints.map((e) => e.close()),
      ...this.#removing,
    ]);
    this.#log.close();
  }

  /** Same as {@linkcode RpcClient.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

class DecodeFailure {
  constructor(readonly error: RpcError) {}
}
