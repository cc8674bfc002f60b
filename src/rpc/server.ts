/**
 * `RpcServer`: serves registered services on a ROUTER socket.
 *
 * Every REQUEST is checked before a handler sees it — header, frame count,
 * size, codec, method name, call kind, deadline, concurrency (of the server
 * and of the peer), metadata, decoding, the method's `validateArgs` — and
 * anything wrong is answered with an ERROR (when the message carries a
 * request id) and logged: one line per kind of problem per peer per
 * interval, then a count. Handlers get a {@linkcode CallContext}; streams
 * are paced by the client's credit.
 *
 * One peer cannot starve the others: each has its own budget of calls and
 * streams, a unary call holds its slot until its reply is queued (so a
 * client that never reads runs out of its own budget, not the server's),
 * and the answers to a peer with too many replies waiting (rejections,
 * PONGs) are dropped. On the zmtp engine a peer whose replies fill its
 * connection is not read until it reads them (`Router.pauseFullPeers`):
 * it blocks in its own sends instead of being read and dropped at full
 * speed. A peer that keeps calling while refused for lack of room (64
 * refusals in a row) is flooding: it is not read for 250 ms, then twice
 * as long each time it floods again, up to 2 s (`Router.pausePeer`, zmtp
 * engine), rather than answered at the rate it sends. Methods registered with `priority` (the registry's heartbeats)
 * are never refused for lack of room.
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
  type MethodDescriptor,
  type ServiceDescriptor,
  ValidationError,
} from "../wire/descriptors.ts";
import {
  ElementLimitError,
  IssueList,
  ProtocolError,
  RpcError,
  validationDetails,
  validationMessage,
} from "../wire/errors.ts";
import { MAX_DEADLINE_MS, MAX_ELEMENTS } from "../wire/limits.ts";
import { checkMethodFrame, checkName } from "../wire/names.ts";
import {
  decodeMetadata,
  decodeMethodName,
  encodeErrorBody,
  encodeErrorHeader,
  encodeHeader,
  FLAGS,
  frameCountProblem,
  type Header,
  KIND,
  type ProtocolProblem,
  protocolProblem,
  readHeader,
} from "../wire/protocol.ts";
import { STATUS } from "../wire/status.ts";
import type { CallerIdentity, RpcServerLike } from "./context.ts";
import {
  composeWatches,
  runServerChain,
  type ServerCall,
  type ServerInterceptor,
  type UnaryWatch,
  type WatchedCall,
} from "./interceptors.ts";
import { consoleLogger, type Logger, LogLimiter } from "./logger.ts";
import { Deadlines } from "./_deadlines.ts";
import {
  type Handler,
  idle,
  type PeerBudget,
  PeerTable,
  ServedCall,
  toHex,
} from "./_server_call.ts";
import { checkTimeout } from "./_retry.ts";
import { bytesKey } from "../_util/bytes_key.ts";

/** Options of {@linkcode RpcServer}. */
export interface RpcServerOptions {
  /**
   * Calls served at once (streams included); more are answered with
   * `RESOURCE_EXHAUSTED`.
   * @default {1024}
   */
  maxConcurrency?: number;
  /**
   * Calls one peer (one connection, or one routing id) may have in flight:
   * handlers running, unary replies not yet queued because the peer does
   * not read, streams. More are answered with `RESOURCE_EXHAUSTED`.
   * @default {256, or maxConcurrency when smaller}
   */
  maxConcurrencyPerPeer?: number;
  /**
   * Streams open at once, of all peers: the rest of `maxConcurrency` stays
   * for unary calls.
   * @default {half of maxConcurrency, at least 1}
   */
  maxStreams?: number;
  /**
   * Streams one peer may have open (watches included).
   * @default {64, or maxStreams when smaller}
   */
  maxStreamsPerPeer?: number;
  /**
   * The interval of the log limit, in ms: a peer's problems of one kind
   * cost one line per interval, then a line with their count.
   * @default {10000}
   */
  logInterval?: number;
  /**
   * Largest request in bytes (all frames after the routing id); larger ones
   * are answered with `RESOURCE_EXHAUSTED`, details
   * `{reason: "REQUEST_TOO_LARGE", limit: "maxMessageSize", max, size}`
   * (a refusal for lack of room has no `reason`). The socket drops connections
   * that send a single frame over twice this plus 64 KiB.
   * @default {4194304}
   */
  maxMessageSize?: number;
  /**
   * Most elements in one request's arguments (every value, array, map key
   * and value; see `MAX_ELEMENTS`), counted by a scan of the bytes before
   * they are decoded; more are answered with `RESOURCE_EXHAUSTED`, details
   * `{reason: "REQUEST_TOO_LARGE", limit: "maxElements", max, counted}`. It
   * bounds the CPU one request costs, as `maxMessageSize` bounds its bytes.
   * @default {32768}
   */
  maxElements?: number;
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

/** Options of {@linkcode RpcServer.register}. */
export interface ServiceRegisterOptions {
  /**
   * Methods (by name) that are never refused for lack of room: not counted
   * against `maxConcurrency`, `maxConcurrencyPerPeer` or the streams
   * bounds. For short, vital calls such as the registry's heartbeats.
   * @default {[]}
   */
  priority?: readonly string[];
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

/** Messages handled between two turns given to the event loop. */
const RECEIVE_BURST = 32;

/**
 * Time since the last turn, in ms, after which the event loop gets a turn
 * even within a burst: timers fire (deadlines, heartbeats, log flushes)
 * within this (1-2 ms: the clock is `Date.now()`), not after a whole burst
 * of 32 requests (~8 ms of registry `nodes()` calls before their reply was
 * cached), nor a few large requests (a 4 MB one takes ~0.1 s to decode).
 * Costs one turn per ms at most. Such a turn does not read sockets (Deno
 * polls them only when it has nothing else to run): the zmtp engine's
 * `receive()` forces a turn that does, after 0.5 ms of messages handed out
 * without a wait while it has more than one peer (1 ms with one), and a
 * good client's request is then taken by fair queueing after at most one
 * more message of a flooding peer (`src/zmq/zmtp/_io_turn.ts`).
 */
const RECEIVE_SLICE = 1;

/**
 * Calls of one peer refused in a row for lack of room (no call of its own
 * admitted in between) after which it counts as flooding: it is not read
 * for {@linkcode FLOOD_PAUSE} ms.
 */
const FLOOD_REFUSALS = 64;

/**
 * How long a flooding peer is not read, in ms (zmtp engine): what it sent
 * waits, in order, and is answered once read; it blocks in its own sends
 * meanwhile instead of costing the server an answer per call. A peer that
 * floods again after its pause, with no call admitted in between, is
 * paused twice as long each time, up to {@linkcode FLOOD_PAUSE_MAX} ms.
 */
const FLOOD_PAUSE = 250;

/** The longest pause of a flooding peer, in ms. */
const FLOOD_PAUSE_MAX = 2000;

/** Refusal messages kept encoded (see `#refuse`). */
const MAX_REFUSALS = 32;

/** Peers whose log names (`peer 0a1b…`) are kept made (see `#label`). */
const MAX_LABELS = 1024;

/** A message of a routing id alone (none reaches a ROUTER, but still). */
const NO_HEADER = Object.freeze(protocolProblem("Message without a header"));

/** A liveness probe: PONG with request id 0, which clients ignore. */
const PROBE = encodeHeader(KIND.PONG, 0);

/** How a send is treated: a call's reply, an extra answer, a probe. */
const REPLY = 0;
/** An answer no admitted call waits for (rejection, PONG): dropped when the peer has too many sends waiting. */
const EXTRA = 1;
/** A liveness probe: never logged when it fails. */
const PROBING = 2;
type SendKind = typeof REPLY | typeof EXTRA | typeof PROBING;

/**
 * A server for one or more services.
 *
 * @example
 * ```ts
 * import { RpcServer } from "zmp";
 * import { serveCalculator } from "../../examples/calculator/calculator.api.gen.ts";
 * import { calculator } from "../../examples/calculator/calculator.ts"; // your implementation
 *
 * await using server = new RpcServer({ maxConcurrency: 64 });
 * serveCalculator(server, calculator);
 * console.log(server.bind("tcp://127.0.0.1:5555"));
 * ```
 */
export class RpcServer implements RpcServerLike, AsyncDisposable {
  readonly #router: Router;
  readonly #handlers = new Map<string, Handler>();
  readonly #services = new Set<string>();
  readonly #deadlines = new Deadlines<ServedCall>((c) => this.#expire(c));
  readonly #maxConcurrency: number;
  readonly #maxPerPeer: number;
  readonly #maxStreams: number;
  readonly #maxStreamsPerPeer: number;
  readonly #peers = new PeerTable();
  readonly #encoded = new WeakMap<object, {
    codec: number;
    method: MethodDescriptor;
    payload: Uint8Array | RpcError;
  }>();
  /** The encoded body of each refusal message (`#refuse`). */
  /** The issues of the next validation (see `#validate`). */
  #issues = new IssueList();
  /** ERROR bodies without details, by message (see `#errorBody`). */
  readonly #refusals = new Map<string, Uint8Array[]>();
  /** Peers' names in log lines, by peer key (see `#label`). */
  readonly #labels = new Map<string, string>();
  /** The routing id of the last `#peerKey()`, and its key. */
  #lastRoutingId: Uint8Array | undefined = undefined;
  #lastPeerKey = "";
  readonly #maxMessageSize: number;
  readonly #decodeOptions: { maxElements: number };
  readonly #exposeStack: boolean;
  readonly #validateResults: boolean;
  readonly #interceptors: readonly ServerInterceptor[];
  /** The interceptors with a `unary` hook. */
  readonly #unaryHooks: readonly ServerInterceptor[];
  /** Their watches as one (a node's metrics), if any. */
  readonly #watch: UnaryWatch | undefined;
  readonly #log: LogLimiter;
  readonly #sendOptions: { timeout: number };
  readonly #endpoints: string[] = [];
  readonly #identify: ((publicKey: string) => string | undefined) | undefined;
  readonly #curve: boolean;
  readonly #authorize: RpcServerOptions["authorize"];
  #active = 0;
  #streams = 0;
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
    this.#maxPerPeer = positiveInt(
      options.maxConcurrencyPerPeer ?? Math.min(256, this.#maxConcurrency),
      "maxConcurrencyPerPeer",
    );
    this.#maxStreams = positiveInt(
      options.maxStreams ?? Math.max(1, Math.floor(this.#maxConcurrency / 2)),
      "maxStreams",
    );
    this.#maxStreamsPerPeer = positiveInt(
      options.maxStreamsPerPeer ?? Math.min(64, this.#maxStreams),
      "maxStreamsPerPeer",
    );
    this.#maxMessageSize = positiveInt(
      options.maxMessageSize ?? 4 * 1024 * 1024,
      "maxMessageSize",
    );
    this.#decodeOptions = {
      maxElements: positiveInt(
        options.maxElements ?? MAX_ELEMENTS,
        "maxElements",
      ),
    };
    this.#exposeStack = options.exposeErrorStack ?? false;
    this.#validateResults = options.validateResults ?? true;
    this.#interceptors = options.interceptors ?? [];
    this.#unaryHooks = this.#interceptors.filter((i) => i.unary);
    this.#watch = composeWatches(this.#interceptors);
    this.#log = new LogLimiter(options.logger ?? consoleLogger, {
      interval: positiveInt(options.logInterval ?? 10000, "logInterval"),
    });
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
      // Requests queued per connection before it is not read (libzmq's
      // default is 1,000): the receive loop takes them at once, so this
      // costs no throughput, but a paused flooder (#refuse) has 128 parsed
      // and held, not 1,000 — 16 flooding connections cost ~16k frames less
      // of parsing and garbage at once.
      receiveHighWaterMark: 128,
      maxMessageSize: this.#maxMessageSize * 2 + 65536,
      ...(heartbeat > 0
        ? {
          heartbeatInterval: heartbeat,
          heartbeatTimeout: heartbeat * 3,
          heartbeatTimeToLive: heartbeat * 3,
        }
        : {}),
    });
    // A peer whose replies fill its pipe is not read until it reads them
    // (zmtp engine): it blocks in its own sends, at no cost to the others.
    // The libzmq engine cannot, and keeps reading it: its requests beyond
    // its budget are dropped, cheaply (see #onRequest).
    this.#router.pauseFullPeers(true);
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
   * @param options methods served with priority
   * @throws {NameError} (a `TypeError`) when the service's or a method's
   *   name breaks the rule of `wire/names.ts`: `Service.method` must fit
   *   the 255-byte method frame, or the method could never be called
   * @throws {TypeError} when a method is missing from `impl`, the service is
   *   already registered, or the server is closing
   */
  register(
    service: ServiceDescriptor,
    impl: object,
    options: ServiceRegisterOptions = {},
  ): void {
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
    checkName("service", service.name, {
      action: "register a service",
      field: "service name",
    });
    for (const [key, method] of Object.entries(service.methods)) {
      checkMethodFrame(service.name, method.name ?? key, {
        action: `register ${service.name}`,
      });
    }
    codecByName(service.codec);
    const priority = new Set(options.priority ?? []);
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
        priority: priority.has(method.name),
        name: `${service.name}.${method.name}`,
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
    let burst = 0;
    /** When the current slice began (the last turn given), `Date.now()`. */
    let slice = Date.now();
    while (!router.closed) {
      // A peer that floods keeps messages queued, and taking them never
      // leaves the microtask queue: now and then (every RECEIVE_BURST
      // messages, or RECEIVE_SLICE ms after the last turn) give the event
      // loop a turn, so that timers fire (other connections are read in
      // the turns the zmtp engine's receive() forces).
      // setImmediate, not setTimeout: a timer set from a timer's
      // continuation is nested, and nested timers wait 4 ms (8k messages/s
      // at most). The clock is Date.now(): performance.now() is an op,
      // ~1 µs a message in a flood; a wall clock that jumps costs one turn
      // too many or too few. The slice counts waits for a message too, so
      // a loop that was idle gives a turn it did not need, a few µs when
      // there is time to spare.
      const elapsed = Date.now() - slice;
      if (
        ++burst === RECEIVE_BURST || elapsed > RECEIVE_SLICE || elapsed < 0
      ) {
        burst = 0;
        await new Promise((r) => setImmediate(r));
        slice = Date.now();
        if (router.closed) return;
      }
      let frames: Uint8Array[];
      try {
        frames = await router.receive();
      } catch (e) {
        if (router.closed) return;
        this.#log.error(
          "failed receives",
          "the socket",
          `receive failed: ${(e as Error).message}`,
        );
        continue;
      }
      try {
        this.#onMessage(frames);
      } catch (e) {
        this.#log.error(
          "failures to handle a message",
          "peers",
          `failed to handle a message: ${(e as Error)?.message ?? e}`,
          (e as Error)?.stack,
        );
      }
    }
  }

  #onMessage(frames: Uint8Array[]): void {
    const routingId = frames[0];
    // A malformed message is answered from a problem, not an error: a flood
    // of them would cost an error object, and its stack, each.
    if (frames.length < 2) return this.#reject(routingId, NO_HEADER);
    const header = readHeader(frames[1]);
    if (header.kind === undefined) return this.#reject(routingId, header);
    const count = frameCountProblem(
      header.kind,
      frames.length - 1,
      header.requestId,
    );
    if (count !== undefined) return this.#reject(routingId, count);
    switch (header.kind) {
      case "REQUEST":
        this.#onRequest(routingId, header, frames);
        return;
      case "CANCEL": {
        const call = this.#call(routingId, header.requestId);
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
        this.#call(routingId, header.requestId)?.addCredit(header.credit);
        return;
      case "PING":
        this.#send(
          [routingId, encodeHeader(KIND.PONG, header.requestId)],
          EXTRA,
        );
        return;
      default:
        this.#reject(
          routingId,
          protocolProblem(
            `Unexpected ${header.kind} from a client`,
            header.requestId,
          ),
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
        protocolProblem(
          `Request of ${size} bytes exceeds the limit of ${this.#maxMessageSize} bytes`,
          id,
          "RESOURCE_EXHAUSTED",
          {
            reason: "REQUEST_TOO_LARGE",
            limit: "maxMessageSize",
            max: this.#maxMessageSize,
            size,
          },
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
        protocolProblem(`Unknown codec ${header.codec}`, id),
      );
    }
    let name: string;
    try {
      name = decodeMethodName(frames[2], id);
    } catch (e) {
      return this.#rejectCaught(routingId, e);
    }
    const handler = this.#handlers.get(name);
    if (handler === undefined) {
      const service = name.slice(0, name.lastIndexOf("."));
      return this.#reject(
        routingId,
        protocolProblem(
          this.#services.has(service)
            ? `Unknown method ${JSON.stringify(name)}`
            : `Unknown service ${JSON.stringify(service)}`,
          id,
          "UNIMPLEMENTED",
        ),
      );
    }
    const method = handler.method;
    const stream = (header.flags & FLAGS.STREAM) !== 0;
    if (stream !== (method.kind === "stream")) {
      return this.#reject(
        routingId,
        protocolProblem(
          `${name} is a ${method.kind} method, called as ${
            stream ? "a stream" : "unary"
          }`,
          id,
          "UNIMPLEMENTED",
        ),
      );
    }
    if (header.deadline > MAX_DEADLINE_MS) {
      return this.#reject(
        routingId,
        protocolProblem(
          `Deadline of ${header.deadline} ms exceeds the limit of ${MAX_DEADLINE_MS} ms (24.8 days; 0 means none)`,
          id,
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
    const decide = (refusal: string | undefined): void => {
      if (refusal === undefined) {
        this.#admit(routingId, header, handler, frames, caller);
      } else {
        void this.#replyError(
          routingId,
          id,
          new RpcError("PERMISSION_DENIED", refusal),
        );
      }
    };
    if (typeof verdict === "string") return decide(verdict);
    verdict.then(decide, (e) =>
      void this.#replyError(
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
      void this.#replyError(
        routingId,
        header.requestId,
        new RpcError("UNAVAILABLE", "The server is shutting down"),
      );
      return;
    }
    const id = header.requestId;
    const name = handler.name;
    const stream = (header.flags & FLAGS.STREAM) !== 0;
    const codec = codecById(header.codec)!;
    const pk = this.#peerKey(routingId);
    const known = this.#peers.get(pk);
    // A kept budget with nothing in flight counts as none: its peer is
    // not limited, nor counted as flooding, for what it did before.
    const peer = known !== undefined && idle(known) ? undefined : known;
    if (peer !== undefined && this.#peers.hasCall(peer, id)) {
      const hex = toHex(routingId);
      this.#log.warn(
        "duplicate request ids",
        `peer ${hex}`,
        `dropped a request from peer ${hex}: request id ${id} is already in flight`,
      );
      return;
    }
    const busy = handler.priority ? undefined : this.#busy(peer, stream);
    if (busy !== undefined) {
      // A peer with that many replies unread gets no more: not even an
      // error object is made for it.
      if (peer !== undefined && peer.sends >= this.#maxPerPeer) {
        return this.#dropped(
          routingId,
          "too many replies are waiting for it to read",
        );
      }
      return this.#refuse(routingId, id, busy, peer);
    }
    let metadata: Record<string, string>;
    let args: unknown;
    try {
      metadata = frames.length > EMPTY_METADATA_FRAMES
        ? decodeMetadata(frames[4], id)
        : {};
      try {
        args = codec.decode(frames[3], this.#decodeOptions);
      } catch (e) {
        if (e instanceof ElementLimitError) {
          throw new ProtocolError(
            `Arguments of ${name} hold more than ${e.limit} elements, the server's limit (maxElements): ${e.count} counted before it stopped`,
            {
              code: "RESOURCE_EXHAUSTED",
              requestId: id,
              details: {
                reason: "REQUEST_TOO_LARGE",
                limit: "maxElements",
                max: e.limit,
                counted: e.count,
              },
            },
          );
        }
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
          validationMessage(`arguments for ${name}`, issues),
          { requestId: id, details: validationDetails(issues) },
        );
      }
    } catch (e) {
      return this.#rejectCaught(routingId, e);
    }
    const budget = known ?? this.#peers.take(pk);
    budget.calls++;
    budget.refused = 0;
    budget.pauses = 0;
    if (stream) {
      budget.streams++;
      this.#streams++;
    }
    const call = new ServedCall({
      caller,
      budget,
      routingId,
      requestId: id,
      codec,
      handler,
      metadata,
      timeout: header.deadline,
      credit: header.credit,
    });
    this.#peers.addCall(call);
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

  /** Why a new call from this peer cannot be taken now, if it cannot. */
  #busy(peer: PeerBudget | undefined, stream: boolean): string | undefined {
    if (this.#active >= this.#maxConcurrency) {
      return `The server is busy: ${this.#active} calls in flight (maxConcurrency ${this.#maxConcurrency})`;
    }
    if (stream && this.#streams >= this.#maxStreams) {
      return `The server is busy: ${this.#streams} streams open (maxStreams ${this.#maxStreams})`;
    }
    if (peer === undefined) return undefined;
    if (peer.calls >= this.#maxPerPeer) {
      return `Too many calls from this client: ${peer.calls} in flight (maxConcurrencyPerPeer ${this.#maxPerPeer})`;
    }
    if (stream && peer.streams >= this.#maxStreamsPerPeer) {
      return `Too many streams from this client: ${peer.streams} open (maxStreamsPerPeer ${this.#maxStreamsPerPeer})`;
    }
    return undefined;
  }

  #validate(handler: Handler, args: unknown[]): IssueList {
    // One list while it stays empty: a list with issues goes to the error
    // (at once), and the next call gets a new one.
    const issues = this.#issues.length === 0
      ? this.#issues
      : (this.#issues = new IssueList());
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

  #invoke(call: ServedCall, args: readonly unknown[]): unknown {
    const { fn, impl, method } = call.handler;
    // Exactly as long as the parameters and the context: slice() then
    // push() would leave room for 16 more.
    const n = method.params.length;
    const full = new Array(n + 1);
    for (let i = 0; i < n; i++) full[i] = args[i];
    full[n] = call;
    return fn.apply(impl, full);
  }

  /**
   * Runs a unary call through the `unary` hooks: the handler's value or
   * promise as it is when there are none (made once: a watch's `run` gets
   * it without a closure per call).
   */
  readonly #chain = (served: ServerCall): unknown => {
    const call = served.context as ServedCall;
    if (this.#unaryHooks.length === 0) return this.#invoke(call, served.args);
    return runServerChain(
      this.#unaryHooks,
      "unary",
      served,
      // Not an async function: its own promise and await would add turns
      // of the microtask queue to every intercepted call.
      () => {
        try {
          return Promise.resolve(this.#invoke(call, served.args));
        } catch (e) {
          return Promise.reject(e);
        }
      },
    );
  };

  #runUnary(call: ServedCall, args: unknown[]): void {
    const watch = this.#watch;
    if (watch !== undefined) return this.#runWatched(call, args, watch);
    let result: unknown;
    try {
      result = this.#unaryHooks.length === 0
        ? this.#invoke(call, args)
        : this.#chain({
          service: call.handler.service,
          method: call.handler.method,
          args,
          context: call,
        });
    } catch (e) {
      this.#unaryDone(call, e, undefined, true);
      return;
    }
    if (isThenable(result)) {
      result.then(
        (v) => this.#unaryDone(call, undefined, v, false),
        (e) => this.#unaryDone(call, e, undefined, true),
      );
    } else {
      this.#unaryDone(call, undefined, result, false);
    }
  }

  /**
   * A unary call under a watch (a node's metrics): told of the outcome on
   * the path that answers the call, so the watch adds no promise and no
   * turn; a handler that answers at once is answered in the same turn, as
   * without a watch.
   */
  #runWatched(call: ServedCall, args: unknown[], watch: UnaryWatch): void {
    const watched: WatchedCall = {
      service: call.handler.service,
      method: call.handler.method,
      args,
      context: call,
      failed: false,
      outcome: undefined,
    };
    const token = watch.start(watched);
    let result: unknown;
    try {
      result = watch.run === undefined
        ? this.#chain(watched)
        : watch.run(watched, this.#chain);
    } catch (e) {
      watched.failed = true;
      watched.outcome = e;
      this.#watchedDone(watched, token);
      return;
    }
    if (isThenable(result)) {
      result.then(
        (v) => {
          watched.outcome = v;
          this.#watchedDone(watched, token);
        },
        (e) => {
          watched.failed = true;
          watched.outcome = e;
          this.#watchedDone(watched, token);
        },
      );
    } else {
      watched.outcome = result;
      this.#watchedDone(watched, token);
    }
  }

  #watchedDone(watched: WatchedCall, token: unknown): void {
    this.#watch!.end(watched, token);
    const { failed, outcome } = watched;
    this.#unaryDone(
      watched.context as ServedCall,
      failed ? outcome : undefined,
      failed ? undefined : outcome,
      failed,
    );
  }

  #unaryDone(
    call: ServedCall,
    error: unknown,
    value: unknown,
    failed: boolean,
  ): void {
    this.#release();
    if (call.done) {
      this.#leave(call);
      return;
    }
    this.#finish(call);
    // The slot is the peer's until its reply is queued (#send leaves it
    // then, without a promise of its own): a client that does not read
    // runs out of its own budget.
    if (failed) {
      this.#replyError(
        call.routingId,
        call.requestId,
        this.#toRpcError(call, error),
        call,
      );
      return;
    }
    const payload = this.#encodeResult(call, value);
    if (payload instanceof RpcError) {
      this.#replyError(call.routingId, call.requestId, payload, call);
    } else {
      this.#send(
        [
          call.routingId,
          encodeHeader(KIND.RESPONSE, call.requestId, call.codec.id),
          payload,
        ],
        REPLY,
        undefined,
        call,
      );
    }
  }

  /** The call no longer counts against its peer's budget. */
  #leave(call: ServedCall): void {
    const budget = call.budget;
    budget.calls--;
    if (call.handler.method.kind === "stream") {
      budget.streams--;
      this.#streams--;
    }
    this.#peers.settle(budget);
  }

  /** A call not yet answered, by its caller and request id. */
  #call(routingId: Uint8Array, requestId: number): ServedCall | undefined {
    return this.#peers.findCall(this.#peerKey(routingId), requestId);
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
            !(await this.#send([call.routingId, PROBE], PROBING))
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
      this.#leave(call);
      if (!ended && iterator?.return !== undefined) {
        Promise.resolve(iterator.return()).catch(() => {});
      }
    }
  }

  /**
   * The payload of a result or stream item. A frozen object is encoded
   * (and validated) once however many streams send it: a registry event
   * fanned out to every watcher costs one encoding.
   */
  #encodeResult(call: ServedCall, value: unknown): Uint8Array | RpcError {
    if (
      typeof value !== "object" || value === null || !Object.isFrozen(value)
    ) {
      return this.#encodeNow(call, value);
    }
    const cached = this.#encoded.get(value);
    if (
      cached !== undefined && cached.codec === call.codec.id &&
      cached.method === call.handler.method
    ) {
      return cached.payload;
    }
    const payload = this.#encodeNow(call, value);
    this.#encoded.set(value, {
      codec: call.codec.id,
      method: call.handler.method,
      payload,
    });
    return payload;
  }

  #encodeNow(call: ServedCall, value: unknown): Uint8Array | RpcError {
    if (this.#validateResults) {
      const issues = new IssueList();
      call.handler.method.validateResult(value, "result", issues);
      if (issues.length > 0) {
        this.#log.error(
          "invalid results",
          call.label,
          `${call.label} handler returned an invalid result: ${
            validationMessage(`result of ${call.label}`, issues)
          }`,
        );
        return new RpcError(
          "INTERNAL",
          `${call.label} returned an invalid result`,
          { details: validationDetails(issues) },
        );
      }
    }
    try {
      return call.codec.encode(value);
    } catch (e) {
      this.#log.error(
        "results that cannot be encoded",
        call.label,
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
        details: validationDetails(error.issues),
      });
    }
    const message = error instanceof Error ? error.message : String(error);
    const stack = error instanceof Error ? error.stack : undefined;
    this.#log.error(
      `${call.label} handler failures`,
      `peer ${call.peer}`,
      `${call.label} handler failed: ${message}`,
      stack,
    );
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
    this.#peers.removeCall(call);
    this.#deadlines.remove(call);
  }

  /** The handler is over: free its slot. */
  #release(): void {
    this.#active--;
    if (this.#active === 0) this.#drained?.();
  }

  /** Rejects a bad message that threw (see `#reject`). */
  #rejectCaught(routingId: Uint8Array, error: unknown): void {
    this.#reject(
      routingId,
      error instanceof ProtocolError
        ? error
        : protocolProblem(String((error as Error)?.message ?? error)),
    );
  }

  /**
   * Rejects a bad message: an ERROR when possible, and a log line (one per
   * kind per peer per interval, made only then). Made cheaply, since a
   * flood is made of them: the peer's name made once, the body encoded
   * once per message when it has no details.
   */
  #reject(routingId: Uint8Array, problem: ProtocolProblem): void {
    const pk = this.#peerKey(routingId);
    const label = this.#label(pk, routingId);
    this.#log.warn(
      "rejected messages",
      label,
      () => `rejected a message from ${label}: ${problem.message}`,
    );
    const header = encodeErrorHeader(problem.requestId, STATUS[problem.code]);
    if (problem.details === undefined) {
      const body = this.#errorBody(problem.message);
      this.#send([routingId, header, body[0]], EXTRA, pk);
    } else {
      this.#send(
        [
          routingId,
          header,
          ...encodeErrorBody(problem.message, problem.details),
        ],
        EXTRA,
        pk,
      );
    }
  }

  /** The body of an ERROR without details, kept encoded for a while. */
  #errorBody(message: string): Uint8Array[] {
    let body = this.#refusals.get(message);
    if (body === undefined) {
      // Messages with a count or a name in them vary: keep a few.
      if (this.#refusals.size >= MAX_REFUSALS) this.#refusals.clear();
      body = encodeErrorBody(message, undefined);
      this.#refusals.set(message, body);
    }
    return body;
  }

  /**
   * `bytesKey()`, made again only for another routing id than last time: the
   * zmtp engine hands out each peer's routing id as one array, and a flood
   * comes from few peers. The server never writes into a routing id.
   */
  #peerKey(routingId: Uint8Array): string {
    if (routingId === this.#lastRoutingId) return this.#lastPeerKey;
    const pk = bytesKey(routingId);
    this.#lastRoutingId = routingId;
    this.#lastPeerKey = pk;
    return pk;
  }

  /** A peer's name in log lines, `peer 0a1b…`, made once per peer. */
  #label(pk: string, routingId: Uint8Array): string {
    let label = this.#labels.get(pk);
    if (label === undefined) {
      if (this.#labels.size >= MAX_LABELS) this.#labels.clear();
      label = `peer ${toHex(routingId)}`;
      this.#labels.set(pk, label);
    }
    return label;
  }

  /**
   * Refuses a call for lack of room: `RESOURCE_EXHAUSTED`, unlogged (the
   * peer's own business), made cheaply since a flood is made of them — no
   * error object, the body encoded once per message. A peer refused
   * `FLOOD_REFUSALS` times in a row is flooding: it is not read for
   * `FLOOD_PAUSE` ms, doubled each time it floods again (zmtp engine), and
   * that is logged (one line per interval for all peers, then a count).
   */
  #refuse(
    routingId: Uint8Array,
    requestId: number,
    message: string,
    peer: PeerBudget | undefined,
  ): void {
    const body = this.#errorBody(message);
    this.#send([
      routingId,
      encodeErrorHeader(requestId, STATUS.RESOURCE_EXHAUSTED),
      ...body,
    ], EXTRA);
    if (peer === undefined || ++peer.refused < FLOOD_REFUSALS) return;
    peer.refused = 0;
    const ms = Math.min(FLOOD_PAUSE * 2 ** peer.pauses, FLOOD_PAUSE_MAX);
    if (this.#router.pausePeer(routingId, ms)) {
      peer.pauses++;
      // One line per interval for all flooders, not one each: a flood of
      // 16 connections cost 16 lines (~20 ms of console writes) at once.
      this.#log.warn(
        "flooding pauses",
        "peers",
        () =>
          `paused reading peer ${
            toHex(routingId)
          } for ${ms} ms: ${FLOOD_REFUSALS} calls in a row refused (${message})`,
      );
    }
  }

  #replyError(
    routingId: Uint8Array,
    requestId: number,
    error: RpcError,
    leave?: ServedCall,
  ): Promise<boolean> {
    return this.#send(
      [
        routingId,
        encodeErrorHeader(requestId, error.status),
        ...encodeErrorBody(error.message, error.details),
      ],
      REPLY,
      undefined,
      leave,
    );
  }

  /**
   * Sends; resolves `false` (after logging, unless a probe) when it failed.
   * An extra answer to a peer with `maxConcurrencyPerPeer` sends already
   * waiting is dropped at once: a peer that does not read gets no queue of
   * rejections and PONGs.
   */
  #send(
    frames: Frame[],
    kind: SendKind = REPLY,
    pk: string = this.#peerKey(frames[0] as Uint8Array),
    leave?: ServedCall,
  ): Promise<boolean> {
    const routingId = frames[0] as Uint8Array;
    const budget = this.#peers.get(pk);
    if (
      kind === EXTRA && budget !== undefined && budget.sends >= this.#maxPerPeer
    ) {
      this.#dropped(routingId, "too many replies are waiting for it to read");
      if (leave !== undefined) this.#leave(leave);
      return Promise.resolve(false);
    }
    const b = budget ?? this.#peers.take(pk);
    b.sends++;
    return this.#router.send(frames, this.#sendOptions).then(
      () => {
        b.sends--;
        this.#peers.settle(b);
        if (leave !== undefined) this.#leave(leave);
        return true;
      },
      (e) => {
        b.sends--;
        this.#peers.settle(b);
        if (leave !== undefined) this.#leave(leave);
        if (kind !== PROBING && !this.#router.closed) {
          this.#dropped(routingId, (e as Error).message);
        }
        return false;
      },
    );
  }

  #dropped(routingId: Uint8Array, why: string): void {
    const label = this.#label(this.#peerKey(routingId), routingId);
    this.#log.warn(
      "dropped replies",
      label,
      () => `dropped a reply to ${label}: ${why}`,
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
    for (const call of this.#peers.unanswered()) {
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
    this.#log.close();
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

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === "object" &&
    typeof (value as PromiseLike<unknown>).then === "function";
}
