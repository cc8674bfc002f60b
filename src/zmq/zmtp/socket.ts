/**
 * A socket of the TypeScript engine: endpoints (listeners, connecters with
 * reconnect), pipes to peers, and the routing of each socket type, with
 * libzmq's semantics: atomic multipart messages, per-pipe high-water
 * marks, round-robin, fair queueing, routing ids, prefix subscriptions.
 *
 * Sends park per pipe where the type routes to one peer (ROUTER), so that
 * a full peer never delays sends to the others; a ROUTER told to
 * (`pauseFullPeers`) also stops reading a peer while its pipe is full.
 *
 * @module
 */

import { zmqError } from "../errors.ts";
import type { EngineSocket, MonitorSource } from "../_engine.ts";
import type {
  OptionReading,
  OptionValue,
  ReadableOptionName,
  WritableOptionName,
} from "../options.ts";
import {
  arm,
  checkEndpoint,
  checkFrames,
  checkWait,
  type Frame,
  type Waiter,
  type WaitOptions,
} from "../_wait.ts";
import type { MonitorEvent } from "../monitor.ts";
import { applyOption, defaultOptions, readOption } from "./_options.ts";
import {
  type Address,
  errnoOf,
  parseEndpoint,
  tcpEndpoint,
} from "./_endpoint.ts";
import {
  Connection,
  type ConnectionHost,
  type EndReason,
  type PeerInfo,
} from "./_connection.ts";
import { type Message, Pipe, type PipeOwner, Subscription } from "./_pipe.ts";
import { Queue } from "./_queue.ts";
import { IoTurn } from "./_io_turn.ts";
import { MonitorQueue } from "./_monitor_queue.ts";
import { type Mechanism, NullMechanism } from "./_mechanism.ts";
import { CurveClient, CurveServer } from "./_curve.ts";
import { loadSodium, sodium, sodiumLoaded } from "../_sodium.ts";
import { type CurveAuthenticator, curveKeyText } from "../curve.ts";
import { startsWith, SubscriptionSet } from "./_subscriptions.ts";
import { bytesKey } from "../../_util/bytes_key.ts";
import type { ZmtpEngine } from "./engine.ts";

type Timer = ReturnType<typeof setTimeout>;

const PAIR = 0, PUB = 1, SUB = 2, REQ = 3, REP = 4, DEALER = 5, ROUTER = 6;
const XPUB = 9, XSUB = 10;

const TYPE_NAMES = [
  "PAIR",
  "PUB",
  "SUB",
  "REQ",
  "REP",
  "DEALER",
  "ROUTER",
  "PULL",
  "PUSH",
  "XPUB",
  "XSUB",
];

/** Which peer types each type may talk to (RFC 28, 29, 30, 31). */
const COMPATIBLE: Record<string, string[]> = {
  PAIR: ["PAIR"],
  PUB: ["SUB", "XSUB"],
  SUB: ["PUB", "XPUB"],
  REQ: ["REP", "ROUTER"],
  REP: ["REQ", "DEALER"],
  DEALER: ["REP", "DEALER", "ROUTER"],
  ROUTER: ["REQ", "DEALER", "ROUTER"],
  PULL: ["PUSH"],
  PUSH: ["PULL"],
  XPUB: ["SUB", "XSUB"],
  XSUB: ["PUB", "XPUB"],
};

const encoder = new TextEncoder();
const EMPTY = new Uint8Array(0);
const RESOLVED: Promise<void> = Promise.resolve();
/** libzmq's handshake limit (`ZMQ_HANDSHAKE_IVL`). */
const HANDSHAKE_TIMEOUT = 30_000;
/**
 * How long `receive()` hands out messages without waiting (ms, by
 * `performance.now()`) before it lets the event loop poll sockets
 * (`_io_turn.ts`), while the socket has one peer: a new connection is
 * accepted within this, however much that peer has queued.
 */
const IO_TURN_SLICE = 1;
/**
 * The same while the socket has more than one peer: another peer's
 * message is read within this, however much one peer has queued. A turn
 * costs a busy peer more than its ~20 µs: its messages then come, and its
 * replies go, in smaller batches. Against the 1-2 ms of a slice by
 * `Date.now()`, 0.5 ms cut a good client's p99 beside a flood from 7.4-9.4
 * to 5.1-5.4 ms for 5-7% of a busy peer's calls; 0.25 ms cut it to
 * 3.5-3.7 ms but took 30% (`bench/soak/onset.ts`, issue #14).
 */
const IO_TURN_SLICE_SHARED = 0.5;

interface SendWaiter extends Waiter<void> {
  message: Message;
}

interface Listening {
  endpoint: string;
  given: string;
  listener: Deno.Listener;
  path?: string;
  connections: Set<Connection>;
}

interface Connecting {
  endpoint: string;
  address: Address;
  pipe: Pipe | null;
  connection: Connection | null;
  timer: Timer | undefined;
  abort: AbortController | undefined;
  interval: number;
  stopped: boolean;
  /**
   * The server key when `connect` was called: like libzmq, a connection
   * keeps the CURVE server key it was made with, so one SUB can reach
   * publishers with different keys.
   */
  serverKey: Uint8Array;
}

function closedError(operation: string) {
  return zmqError("ENOTSOCK", { operation }, "the socket is closed");
}

/** One socket of the TypeScript engine. */
export class ZmtpSocket implements EngineSocket, PipeOwner, ConnectionHost {
  readonly type: number;
  readonly #engine: ZmtpEngine;
  readonly #options = defaultOptions();
  #closed = false;
  #lastEndpoint = "";
  #listeners = new Map<string, Listening>();
  #connecting = new Map<string, Connecting>();
  #origin = new Map<Connection, Connecting | Listening>();
  #inprocBound = new Set<string>();
  #tasks = new Set<Promise<unknown>>();
  #monitor: MonitorQueue | null = null;
  #refed = false;
  #authenticator: CurveAuthenticator | undefined;
  #derived: { secret: Uint8Array; key: Uint8Array } | undefined;
  /** The authenticated CURVE key of each pipe's peer. */
  #peerKeys = new WeakMap<Pipe, Uint8Array>();

  /** Pipes that can be routed to, in attach order. */
  #pipes: Pipe[] = [];
  /** Pipes paused by `pausePeer`, with the timer that ends the pause. */
  readonly #mutes = new Map<Pipe, ReturnType<typeof setTimeout>>();
  /** Pipes with messages waiting, for fair queueing. */
  #active: Pipe[] = [];
  #activeSet = new Set<Pipe>();
  #fq = 0;
  /** The pipe of the message `#fairQueue()` returned last. */
  #fqPipe: Pipe | null = null;
  /** The pipe of the last ROUTER send (see `#routerSend`). */
  #lastPipe: Pipe | undefined = undefined;
  #lb = 0;
  #recvWaiters = new Queue<Waiter<Message>>();
  #sendWaiters = new Queue<SendWaiter>();
  #receiving = false;
  #sending = false;
  /** Forces event loop turns that poll sockets (see `receive()`). */
  #ioTurn: IoTurn | undefined;
  /**
   * Since when `receive()` has found messages without waiting, by
   * `performance.now()`; 0 when it last had to wait.
   */
  #busySince = 0;

  // ROUTER
  #byId = new Map<string, Pipe>();
  #pauseFull = false;
  #pipeWaiters = new Map<Pipe, Queue<SendWaiter>>();
  #nextId = (Math.random() * 0xffffffff) >>> 0;
  // SUB, XSUB
  #subscriptions = new SubscriptionSet();
  // XPUB, PUB
  #topicPipes = new Map<string, Set<Pipe>>();
  #xpubInbox = new Queue<Message>();
  // REQ
  #replyPipe: Pipe | null = null;
  #awaitingReply = false;
  // REP
  #envelope: Message | null = null;
  #envelopePipe: Pipe | null = null;

  /**
   * @param engine the engine (context) it belongs to
   * @param type a `SOCKET_TYPES` number
   */
  constructor(engine: ZmtpEngine, type: number) {
    if (!Number.isInteger(type) || type < 0 || type >= TYPE_NAMES.length) {
      throw zmqError("EINVAL", { operation: "socket" });
    }
    this.#engine = engine;
    this.type = type;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The socket type's name, as in the READY metadata. */
  get typeName(): string {
    return TYPE_NAMES[this.type];
  }

  /** The identity an inproc ROUTER peer sees. */
  get routingId(): Uint8Array {
    return this.#options.routingId;
  }

  #check(operation: string): void {
    if (this.#closed) throw closedError(operation);
  }

  // ---- options -----------------------------------------------------------

  setOption<N extends WritableOptionName>(
    name: N,
    value: OptionValue<N>,
  ): void {
    this.#check(`setOption("${name}")`);
    const topic = applyOption(this.#options, this.type, name, value);
    if (topic === undefined) return;
    if (name === "subscribe") this.#subscribe(topic, true);
    else this.#subscribe(topic, false);
  }

  getOption<N extends ReadableOptionName>(name: N): OptionReading<N> {
    this.#check(`getOption("${name}")`);
    return readOption(this.#options, name, {
      type: this.type,
      lastEndpoint: this.#lastEndpoint,
    }) as OptionReading<N>;
  }

  setAuthenticator(hook: CurveAuthenticator | undefined): void {
    this.#check("setAuthenticator");
    this.#authenticator = hook;
  }

  peerPublicKey(routingId: Uint8Array): string | undefined {
    const pipe = this.#byId.get(bytesKey(routingId));
    const key = pipe === undefined ? undefined : this.#peerKeys.get(pipe);
    return key === undefined ? undefined : curveKeyText(key);
  }

  pausePeer(routingId: Uint8Array, ms: number): boolean {
    this.#check("pausePeer");
    if (this.type !== ROUTER) return false;
    const pipe = this.#byId.get(bytesKey(routingId));
    if (pipe === undefined) return false;
    clearTimeout(this.#mutes.get(pipe));
    pipe.mute(true);
    if (this.#activeSet.delete(pipe)) {
      this.#active.splice(this.#active.indexOf(pipe), 1);
    }
    const timer = setTimeout(() => {
      this.#mutes.delete(pipe);
      pipe.mute(false);
      if (!pipe.terminated && pipe.inbox.length > 0) this.pipeReadable(pipe);
    }, ms);
    Deno.unrefTimer(timer);
    this.#mutes.set(pipe, timer);
    return true;
  }

  pauseFullPeers(on: boolean): boolean {
    this.#check("pauseFullPeers");
    if (this.type !== ROUTER) return false;
    this.#pauseFull = on;
    for (const pipe of this.#pipes) {
      pipe.holdWhenFull = on;
      if (!on) pipe.release();
    }
    return true;
  }

  /** The public key of our CURVE secret key, derived once per key. */
  #serverPublicKey(secret: Uint8Array): Uint8Array {
    const cached = this.#derived;
    if (cached !== undefined && cached.secret === secret) return cached.key;
    const key = sodium().crypto_scalarmult_base(secret);
    this.#derived = { secret, key };
    return key;
  }

  /** Starts loading libsodium as soon as CURVE is asked for. */
  #curve(): void {
    if (this.#options.curve && !sodiumLoaded()) {
      loadSodium().catch(() => {/* reported when a connection needs it */});
    }
  }

  /** Waits for libsodium when this socket speaks CURVE. */
  async #cryptoReady(): Promise<void> {
    if (this.#options.curve && !sodiumLoaded()) await loadSodium();
  }

  // ---- endpoints -----------------------------------------------------------

  bind(endpoint: string): string {
    checkEndpoint(endpoint, "bind");
    this.#check("bind");
    const address = parseEndpoint(endpoint, "bind");
    this.#curve();
    if (address.transport === "inproc") {
      this.#engine.bindInproc(this, address.name, endpoint);
      this.#inprocBound.add(endpoint);
      this.#lastEndpoint = endpoint;
      return endpoint;
    }
    let listener: Deno.Listener;
    let bound: string;
    let path: string | undefined;
    try {
      if (address.transport === "tcp") {
        listener = Deno.listen({ hostname: address.host, port: address.port });
        const { hostname, port } = listener.addr as Deno.NetAddr;
        bound = tcpEndpoint(hostname, port);
      } else {
        path = address.path;
        if (path === "*") {
          path = `${Deno.makeTempDirSync({ prefix: "zmp-ipc-" })}/socket`;
        } else {
          // libzmq replaces a socket file left behind by an earlier run.
          try {
            if (Deno.lstatSync(path).isSocket) Deno.removeSync(path);
          } catch {
            // nothing there
          }
        }
        listener = Deno.listen({ transport: "unix", path });
        bound = `ipc://${path}`;
      }
    } catch (e) {
      this.#emit("bindFailed", 0, endpoint);
      throw zmqError(errnoOf(e), { operation: "bind", endpoint, cause: e });
    }
    const entry: Listening = {
      endpoint: bound,
      given: endpoint,
      listener,
      path,
      connections: new Set(),
    };
    if (!this.#refed) listener.unref();
    this.#listeners.set(bound, entry);
    this.#lastEndpoint = bound;
    this.#emit("listening", this.#engine.nextId(), bound);
    this.#track(this.#accept(entry));
    return bound;
  }

  async #accept(entry: Listening): Promise<void> {
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await entry.listener.accept();
      } catch (e) {
        if (this.#closed || !this.#listeners.has(entry.endpoint)) return;
        if (e instanceof Deno.errors.BadResource) return;
        this.#emit("acceptFailed", 0, entry.endpoint);
        continue;
      }
      if (this.#closed || !this.#listeners.has(entry.endpoint)) {
        conn.close();
        return;
      }
      try {
        await this.#cryptoReady();
      } catch {
        conn.close();
        this.#emit("acceptFailed", 0, entry.endpoint);
        continue;
      }
      if (this.#closed || !this.#listeners.has(entry.endpoint)) {
        conn.close();
        return;
      }
      const id = this.#engine.nextId();
      this.#emit("accepted", id, entry.endpoint);
      const c = this.#open(conn, entry.endpoint, id, true);
      entry.connections.add(c);
      this.#origin.set(c, entry);
    }
  }

  #open(
    conn: Deno.Conn,
    endpoint: string,
    id: number,
    asServer: boolean,
    serverKey?: Uint8Array,
  ): Connection {
    const o = this.#options;
    const metadata: Record<string, Uint8Array> = {
      "Socket-Type": encoder.encode(this.typeName),
    };
    if (this.type === REQ || this.type === DEALER || this.type === ROUTER) {
      metadata["Identity"] = o.routingId;
    }
    const c = new Connection(conn, this, {
      endpoint,
      id,
      mechanism: this.#mechanism(metadata, asServer, serverKey),
      address: conn.remoteAddr.transport === "tcp"
        ? (conn.remoteAddr as Deno.NetAddr).hostname
        : "",
      maxMessageSize: o.maxMessageSize,
      heartbeatInterval: o.heartbeatInterval,
      heartbeatTimeout: o.heartbeatTimeout >= 0
        ? o.heartbeatTimeout
        : o.heartbeatInterval,
      heartbeatTimeToLive: o.heartbeatTimeToLive,
      handshakeTimeout: HANDSHAKE_TIMEOUT,
    });
    if (this.#refed) c.ref(true);
    this.#track(c.done);
    return c;
  }

  /** The mechanism the options ask for (libzmq: by the last CURVE option). */
  #mechanism(
    metadata: Record<string, Uint8Array>,
    asServer: boolean,
    serverKey = this.#options.curveServerKey,
  ): Mechanism {
    const o = this.#options;
    if (!o.curve) return new NullMechanism({ metadata, asServer });
    if (o.curveServer) {
      return new CurveServer({
        metadata,
        asServer: true,
        secretKey: o.curveSecretKey,
        publicKey: this.#serverPublicKey(o.curveSecretKey),
      });
    }
    return new CurveClient({
      metadata,
      asServer: false,
      serverKey,
      publicKey: o.curvePublicKey,
      secretKey: o.curveSecretKey,
    });
  }

  connect(endpoint: string): void {
    checkEndpoint(endpoint, "connect");
    this.#check("connect");
    const address = parseEndpoint(endpoint, "connect");
    this.#curve();
    if (address.transport === "inproc") {
      this.#engine.connectInproc(this, address.name, endpoint);
      return;
    }
    const entry: Connecting = {
      endpoint,
      address,
      pipe: null,
      connection: null,
      timer: undefined,
      abort: undefined,
      interval: this.#options.reconnectInterval,
      stopped: false,
      serverKey: this.#options.curveServerKey.slice(),
    };
    if (!this.#options.immediate) {
      entry.pipe = this.#newPipe(endpoint);
      this.#attach(entry.pipe);
    }
    this.#connecting.set(endpoint, entry);
    this.#dial(entry);
  }

  #dial(entry: Connecting): void {
    const { address, endpoint } = entry;
    const abort = new AbortController();
    entry.abort = abort;
    const ms = this.#options.connectTimeout;
    let timer: Timer | undefined;
    if (ms > 0) timer = setTimeout(() => abort.abort(), ms);
    const dialing = address.transport === "tcp"
      ? Deno.connect({
        hostname: address.host,
        port: address.port,
        signal: abort.signal,
      })
      : Deno.connect({
        transport: "unix",
        path: (address as { path: string }).path,
      });
    this.#emit("connectDelayed", 0, endpoint);
    this.#track((async () => {
      let conn: Deno.Conn;
      try {
        conn = await dialing;
      } catch {
        clearTimeout(timer);
        entry.abort = undefined;
        if (!entry.stopped && !this.#closed) this.#retry(entry);
        return;
      }
      clearTimeout(timer);
      entry.abort = undefined;
      try {
        await this.#cryptoReady();
      } catch {
        conn.close();
        if (!entry.stopped && !this.#closed) this.#retry(entry);
        return;
      }
      if (entry.stopped || this.#closed) {
        conn.close();
        return;
      }
      const id = this.#engine.nextId();
      this.#emit("connected", id, endpoint);
      const c = this.#open(conn, endpoint, id, false, entry.serverKey);
      entry.connection = c;
      this.#origin.set(c, entry);
    })());
  }

  #retry(entry: Connecting): void {
    const o = this.#options;
    if (o.reconnectInterval < 0) return;
    const base = entry.interval;
    const jitter = o.reconnectInterval > 0
      ? Math.floor(Math.random() * o.reconnectInterval)
      : 0;
    const wait = base + jitter;
    this.#emit("connectRetried", wait, entry.endpoint);
    if (o.reconnectIntervalMax > 0) {
      entry.interval = Math.min(base * 2, o.reconnectIntervalMax);
    }
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      if (!entry.stopped && !this.#closed) this.#dial(entry);
    }, wait);
    if (!this.#refed) Deno.unrefTimer(entry.timer!);
  }

  unbind(endpoint: string): void {
    checkEndpoint(endpoint, "unbind");
    this.#check("unbind");
    if (this.#inprocBound.delete(endpoint)) {
      this.#engine.unbindInproc(this, endpoint.slice("inproc://".length));
      return;
    }
    const entry = this.#listeners.get(endpoint) ??
      [...this.#listeners.values()].find((l) =>
        l.given === endpoint && !endpoint.endsWith(":*")
      );
    if (entry === undefined) {
      throw zmqError("ENOENT", { operation: "unbind", endpoint });
    }
    this.#stopListening(entry);
    for (const c of entry.connections) c.close();
  }

  #stopListening(entry: Listening): void {
    this.#listeners.delete(entry.endpoint);
    try {
      entry.listener.ref();
      entry.listener.close();
    } catch {
      // already closed
    }
    if (entry.path !== undefined) {
      try {
        Deno.removeSync(entry.path);
      } catch {
        // gone already
      }
    }
    this.#emit("closed", 0, entry.endpoint);
  }

  disconnect(endpoint: string): void {
    checkEndpoint(endpoint, "disconnect");
    this.#check("disconnect");
    if (endpoint.startsWith("inproc://")) {
      if (this.#engine.disconnectInproc(this, endpoint)) return;
      throw zmqError("ENOENT", { operation: "disconnect", endpoint });
    }
    const entry = this.#connecting.get(endpoint);
    if (entry === undefined) {
      throw zmqError("ENOENT", { operation: "disconnect", endpoint });
    }
    this.#connecting.delete(endpoint);
    this.#stopConnecting(entry);
  }

  #stopConnecting(entry: Connecting): void {
    entry.stopped = true;
    clearTimeout(entry.timer);
    entry.abort?.abort();
    entry.connection?.close();
    if (entry.pipe !== null) this.#terminate(entry.pipe);
  }

  // ---- pipes -----------------------------------------------------------------

  #newPipe(endpoint: string): Pipe {
    const o = this.#options;
    const pipe = new Pipe(this, endpoint, {
      send: o.sendHighWaterMark,
      receive: o.receiveHighWaterMark,
    });
    pipe.holdWhenFull = this.#pauseFull;
    return pipe;
  }

  /** Makes the pipe routable. */
  #attach(pipe: Pipe): void {
    this.#pipes.push(pipe);
    if (this.type === SUB || this.type === XSUB) {
      for (const topic of this.#subscriptions.topics()) {
        pipe.write(new Subscription(true, topic));
      }
    }
    if (this.#sendWaiters.length > 0) this.#serveSenders();
  }

  /** The pipe is gone: drop it from routing and everything else. */
  #terminate(pipe: Pipe): void {
    if (pipe.terminated) return;
    pipe.terminated = true;
    clearTimeout(this.#mutes.get(pipe));
    this.#mutes.delete(pipe);
    const i = this.#pipes.indexOf(pipe);
    if (i >= 0) this.#pipes.splice(i, 1);
    if (this.#activeSet.delete(pipe)) {
      this.#active.splice(this.#active.indexOf(pipe), 1);
    }
    if (pipe.routingId.byteLength > 0) {
      const key = bytesKey(pipe.routingId);
      if (this.#byId.get(key) === pipe) this.#byId.delete(key);
    }
    const parked = this.#pipeWaiters.get(pipe);
    if (parked !== undefined) {
      this.#pipeWaiters.delete(pipe);
      for (const w of parked.drain()) {
        w.reject(zmqError("EHOSTUNREACH", { operation: "send" }));
      }
    }
    if (this.type === XPUB || this.type === PUB) this.#dropTopics(pipe);
    if (this.#envelopePipe === pipe) this.#envelopePipe = null;
    if (this.#fqPipe === pipe) this.#fqPipe = null;
    if (this.#lastPipe === pipe) this.#lastPipe = undefined;
    const peer = pipe.peer;
    if (peer !== null && !peer.terminated) {
      (peer.owner as ZmtpSocket).#terminate(peer);
    }
  }

  /** An inproc peer: both pipes attach at once. */
  attachInproc(pipe: Pipe, peer: ZmtpSocket): boolean {
    if (this.#closed) return false;
    pipe.identity = peer.routingId;
    if (this.type === ROUTER && !this.#identify(pipe)) return false;
    if (this.type === PAIR && this.#pipes.length > 0) return false;
    this.#attach(pipe);
    return true;
  }

  /** An inproc pipe that will not be (or is no longer) linked. */
  dropInproc(pipe: Pipe): void {
    this.#terminate(pipe);
  }

  /** Options an inproc peer needs to size the pipe. */
  get limits(): { send: number; receive: number } {
    return {
      send: this.#options.sendHighWaterMark,
      receive: this.#options.receiveHighWaterMark,
    };
  }

  /** Makes a pipe for an inproc peer. */
  inprocPipe(endpoint: string): Pipe {
    return this.#newPipe(endpoint);
  }

  /** A ROUTER gives the peer its identity or a fresh id; false to refuse. */
  #identify(pipe: Pipe): boolean {
    let id = pipe.identity;
    if (id.byteLength > 0) {
      const key = bytesKey(id);
      const old = this.#byId.get(key);
      if (old !== undefined && old !== pipe) {
        if (!this.#options.routerHandover) return false;
        this.#byId.delete(key);
        old.routingId = EMPTY;
        this.#terminate(old);
      }
    } else {
      id = new Uint8Array(5);
      new DataView(id.buffer).setUint32(1, this.#nextId++ >>> 0);
    }
    if (pipe.routingId.byteLength > 0) {
      this.#byId.delete(bytesKey(pipe.routingId));
    }
    pipe.routingId = id;
    this.#byId.set(bytesKey(id), pipe);
    return true;
  }

  // ---- connection callbacks ---------------------------------------------------

  authenticate(
    conn: Connection,
    publicKey: Uint8Array,
  ): boolean | Promise<boolean> {
    const hook = this.#authenticator;
    if (hook === undefined) return true;
    if (this.#closed) return false;
    return hook({
      publicKey: curveKeyText(publicKey),
      address: conn.settings.address,
    });
  }

  handshakeDone(conn: Connection, peer: PeerInfo): Pipe | string {
    const origin = this.#origin.get(conn);
    if (this.#closed || origin === undefined) return "closed";
    if (!COMPATIBLE[this.typeName].includes(peer.socketType)) {
      return "Invalid socket type";
    }
    let pipe: Pipe;
    let fresh = false;
    if ("connections" in origin) {
      pipe = this.#newPipe(origin.endpoint);
      fresh = true;
    } else if (origin.pipe !== null) {
      pipe = origin.pipe;
    } else {
      pipe = origin.pipe = this.#newPipe(origin.endpoint);
      fresh = true;
    }
    pipe.identity = peer.identity;
    if (peer.publicKey !== undefined) this.#peerKeys.set(pipe, peer.publicKey);
    if (this.type === ROUTER && !this.#identify(pipe)) {
      return "Duplicate routing id";
    }
    if (this.type === PAIR && fresh && this.#pipes.length > 0) {
      return "PAIR already has a peer";
    }
    if (fresh) this.#attach(pipe);
    if ("connections" in origin) {
      // reset the backoff of nothing: accepted connections do not redial
    } else {
      origin.interval = this.#options.reconnectInterval;
    }
    this.#emit("handshakeSucceeded", conn.settings.id, conn.settings.endpoint);
    return pipe;
  }

  connectionEnded(conn: Connection, reason: EndReason): void {
    const origin = this.#origin.get(conn);
    this.#origin.delete(conn);
    const { endpoint, id } = conn.settings;
    if (reason.kind === "handshake") {
      const type = reason.failure === "protocol"
        ? "handshakeFailedProtocol"
        : reason.failure === "auth"
        ? "handshakeFailedAuth"
        : "handshakeFailedNoDetail";
      this.#emit(type, reason.code ?? 0, endpoint);
    }
    if (!this.#closed) this.#emit("disconnected", id, endpoint);
    const pipe = conn.pipe;
    if (origin === undefined) {
      if (pipe !== null) this.#terminate(pipe);
      return;
    }
    if ("connections" in origin) {
      origin.connections.delete(conn);
      if (pipe !== null) this.#terminate(pipe);
      return;
    }
    origin.connection = null;
    if (pipe !== null) {
      if (this.#options.immediate) {
        this.#terminate(pipe);
        origin.pipe = null;
      } else {
        pipe.detach();
        if (this.type === SUB || this.type === XSUB) {
          // The subscriptions went with the old connection: the next one
          // carries them first.
          for (const topic of this.#subscriptions.topics()) {
            pipe.outbox.push(new Subscription(true, topic));
          }
        }
      }
    }
    if (!origin.stopped && !this.#closed) this.#retry(origin);
  }

  // ---- monitor ---------------------------------------------------------------

  monitor(mask: number): MonitorSource {
    this.#check("monitor");
    const old = this.#monitor;
    if (old !== null) {
      old.emit("monitorStopped", 0, "");
      old.close();
    }
    this.#monitor = new MonitorQueue(mask);
    return this.#monitor;
  }

  #emit(type: MonitorEvent["type"], value: number, endpoint: string): void {
    this.#monitor?.emit(type, value, endpoint);
  }

  // ---- receiving -------------------------------------------------------------

  pipeReadable(pipe: Pipe): void {
    if (this.type === PUB || this.type === XPUB) {
      this.#readSubscriptions(pipe);
      return;
    }
    if (this.type === REQ && pipe !== this.#replyPipe) {
      // Only the reply to the last request is wanted.
      while (pipe.read() !== undefined) { /* drop */ }
      return;
    }
    if (pipe.muted) return; // taken again when its pause ends
    if (!this.#activeSet.has(pipe)) {
      this.#activeSet.add(pipe);
      this.#active.push(pipe);
    }
    if (this.#recvWaiters.length > 0 && !this.#receiving) {
      this.#serveReceivers();
    }
  }

  receive(options?: WaitOptions): Promise<Uint8Array[]> {
    if (this.#closed) return Promise.reject(closedError("receive"));
    if (options !== undefined) {
      const bad = checkWait(options, "receive");
      if (bad !== undefined) return Promise.reject(bad);
    }
    if (this.#recvWaiters.length === 0) {
      const turn = this.#turnDue();
      if (turn === undefined) {
        let m: Message | undefined;
        try {
          m = this.#tryReceive();
        } catch (e) {
          return Promise.reject(e);
        }
        if (m !== undefined) {
          if (this.#busySince === 0) this.#busySince = performance.now();
          return Promise.resolve(m);
        }
        this.#busySince = 0;
      } else {
        // This caller waits, and those after it, until sockets were
        // polled: then the fair queue sees every peer's messages.
        turn.then(() => {
          if (!this.#closed && !this.#receiving) this.#serveReceivers();
        });
      }
    }
    return new Promise<Message>((resolve, reject) => {
      const w: Waiter<Message> = { resolve, reject };
      if (options !== undefined) {
        arm(w, options, "receive", () => {
          this.#recvWaiters.remove(w);
          this.#updateRef();
        });
      }
      this.#recvWaiters.push(w);
      this.#updateRef();
    });
  }

  /**
   * A turn of the event loop that polls sockets, when messages have been
   * handed out without a wait for more than {@linkcode IO_TURN_SLICE}:
   * Deno polls sockets only when it has nothing else to run, so while one
   * peer's messages are queued, the others' would not even be read
   * (`_io_turn.ts`). `undefined` when none is due, or none can be forced.
   */
  #turnDue(): Promise<void> | undefined {
    const since = this.#busySince;
    if (since === 0) return undefined;
    const now = performance.now();
    const slice = this.#pipes.length > 1 ? IO_TURN_SLICE_SHARED : IO_TURN_SLICE;
    if (now - since <= slice) return undefined;
    this.#busySince = now;
    this.#ioTurn ??= new IoTurn((p) => this.#track(p));
    return this.#ioTurn.run();
  }

  #serveReceivers(): void {
    this.#receiving = true;
    try {
      while (this.#recvWaiters.length > 0) {
        let m: Message | undefined;
        try {
          m = this.#tryReceive();
        } catch (e) {
          this.#recvWaiters.shift()!.reject(e);
          continue;
        }
        if (m === undefined) break;
        this.#recvWaiters.shift()!.resolve(m);
      }
    } finally {
      this.#receiving = false;
    }
    this.#updateRef();
  }

  /**
   * One message by fair queueing over the pipes with input; the pipe it
   * came from in `#fqPipe` (not in an object made per message).
   */
  #fairQueue(): Message | undefined {
    const active = this.#active;
    while (active.length > 0) {
      if (this.#fq >= active.length) this.#fq = 0;
      const pipe = active[this.#fq];
      const message = pipe.read();
      if (pipe.inbox.length === 0) {
        active.splice(this.#fq, 1);
        this.#activeSet.delete(pipe);
      } else {
        this.#fq++;
      }
      if (message !== undefined) {
        this.#fqPipe = pipe;
        return message;
      }
    }
    return undefined;
  }

  #tryReceive(): Message | undefined {
    switch (this.type) {
      case XPUB:
        return this.#xpubInbox.shift();
      case SUB:
      case XSUB:
        for (;;) {
          const m = this.#fairQueue();
          if (m === undefined) return undefined;
          if (this.#subscriptions.matches(m[0])) return m;
        }
      case ROUTER: {
        const m = this.#fairQueue();
        if (m === undefined) return undefined;
        // A copy one frame longer, not unshift(): the message's array is
        // exactly as long as its frames, and unshift() would grow it with
        // room for 16 more.
        const n = m.length;
        const out: Message = new Array(n + 1);
        out[0] = this.#fqPipe!.routingId;
        for (let i = 0; i < n; i++) out[i + 1] = m[i];
        return out;
      }
      case REQ: {
        if (!this.#awaitingReply) {
          throw zmqError("EFSM", { operation: "receive" });
        }
        const pipe = this.#replyPipe;
        if (pipe === null) return undefined;
        for (;;) {
          const m = pipe.read();
          if (m === undefined) return undefined;
          if (m.length < 2 || m[0].byteLength !== 0) continue;
          this.#awaitingReply = false;
          this.#replyPipe = null;
          return m.slice(1);
        }
      }
      case REP: {
        if (this.#envelope !== null) {
          throw zmqError("EFSM", { operation: "receive" });
        }
        for (;;) {
          const m = this.#fairQueue();
          if (m === undefined) return undefined;
          const bottom = m.findIndex((f) => f.byteLength === 0);
          if (bottom < 0) continue; // malformed: no delimiter
          this.#envelope = m.slice(0, bottom + 1);
          this.#envelopePipe = this.#fqPipe;
          return m.slice(bottom + 1);
        }
      }
      default:
        return this.#fairQueue();
    }
  }

  /** PUB and XPUB: take subscriptions (and, for XPUB, messages) at once. */
  #readSubscriptions(pipe: Pipe): void {
    const o = this.#options;
    for (let m = pipe.read(); m !== undefined; m = pipe.read()) {
      const f = m[0];
      if (m.length === 1 && f.byteLength > 0 && (f[0] === 0 || f[0] === 1)) {
        const topic = f.subarray(1);
        const key = bytesKey(topic);
        let pipes = this.#topicPipes.get(key);
        let notify: boolean;
        if (f[0] === 1) {
          const first = pipes === undefined || pipes.size === 0;
          if (pipes === undefined) {
            pipes = new Set();
            this.#topicPipes.set(key, pipes);
          }
          pipes.add(pipe);
          pipe.topics.set(key, topic.slice());
          notify = first || o.xpubVerbose || o.xpubVerboser;
        } else {
          const had = pipes?.delete(pipe) ?? false;
          pipe.topics.delete(key);
          const last = had && pipes!.size === 0;
          if (last) this.#topicPipes.delete(key);
          notify = last || (had && o.xpubVerboser);
        }
        if (notify && this.type === XPUB) this.#xpubInbox.push([f.slice()]);
      } else if (this.type === XPUB) {
        this.#xpubInbox.push(m);
      }
    }
    if (this.type === XPUB && this.#xpubInbox.length > 0) {
      if (this.#recvWaiters.length > 0 && !this.#receiving) {
        this.#serveReceivers();
      }
    }
  }

  #dropTopics(pipe: Pipe): void {
    const verboser = this.#options.xpubVerboser;
    for (const [key, topic] of pipe.topics) {
      const pipes = this.#topicPipes.get(key);
      if (pipes === undefined) continue;
      pipes.delete(pipe);
      const last = pipes.size === 0;
      if (last) this.#topicPipes.delete(key);
      if (this.type === XPUB && (last || verboser)) {
        const f = new Uint8Array(topic.byteLength + 1);
        f.set(topic, 1);
        this.#xpubInbox.push([f]);
      }
    }
    pipe.topics.clear();
    if (this.#xpubInbox.length > 0 && this.#recvWaiters.length > 0) {
      queueMicrotask(() => {
        if (!this.#receiving && !this.#closed) this.#serveReceivers();
      });
    }
  }

  #subscribe(topic: Uint8Array, subscribe: boolean): void {
    const changed = subscribe
      ? (this.#subscriptions.add(topic), true)
      : this.#subscriptions.remove(topic);
    if (!changed) return;
    const sub = new Subscription(subscribe, topic.slice());
    for (const pipe of this.#pipes) pipe.write(sub);
  }

  // ---- sending ---------------------------------------------------------------

  pipeWritable(pipe: Pipe): void {
    const parked = this.#pipeWaiters.get(pipe);
    if (parked !== undefined && !this.#sending) {
      this.#sending = true;
      try {
        while (parked.length > 0 && pipe.canWrite()) {
          const w = parked.shift()!;
          pipe.write(w.message);
          w.resolve();
        }
      } finally {
        this.#sending = false;
      }
      if (parked.length === 0) this.#pipeWaiters.delete(pipe);
      this.#updateRef();
    }
    if (this.#sendWaiters.length > 0) this.#serveSenders();
  }

  send(frames: readonly Frame[], options?: WaitOptions): Promise<void> {
    if (this.#closed) return Promise.reject(closedError("send"));
    if (options !== undefined) {
      const bad = checkWait(options, "send");
      if (bad !== undefined) return Promise.reject(bad);
    }
    const badFrames = checkFrames(frames);
    if (badFrames !== undefined) return Promise.reject(badFrames);
    if (this.type === ROUTER) return this.#routerSend(frames, options);
    const message: Message = new Array(frames.length);
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i];
      message[i] = typeof f === "string" ? encoder.encode(f) : f;
    }
    if (this.#sendWaiters.length === 0) {
      let sent: boolean;
      try {
        sent = this.#trySend(message);
      } catch (e) {
        return Promise.reject(e);
      }
      if (sent) return RESOLVED;
    }
    return new Promise<void>((resolve, reject) => {
      const w: SendWaiter = { message: copy(message), resolve, reject };
      if (options !== undefined) {
        arm(w, options, "send", () => {
          this.#sendWaiters.remove(w);
          this.#updateRef();
        });
      }
      this.#sendWaiters.push(w);
      this.#updateRef();
    });
  }

  #serveSenders(): void {
    if (this.#sending) return;
    this.#sending = true;
    try {
      while (this.#sendWaiters.length > 0) {
        const w = this.#sendWaiters.peek()!;
        let sent: boolean;
        try {
          sent = this.#trySend(w.message);
        } catch (e) {
          this.#sendWaiters.shift();
          w.reject(e);
          continue;
        }
        if (!sent) break;
        this.#sendWaiters.shift();
        w.resolve();
      }
    } finally {
      this.#sending = false;
    }
    this.#updateRef();
  }

  /** Sends now or says it cannot yet (`false`); drops where libzmq drops. */
  #trySend(message: Message): boolean {
    switch (this.type) {
      case PUB:
      case XPUB:
        return this.#publish(message);
      case XSUB: {
        const f = message[0];
        if (message.length === 1 && f.byteLength > 0 && f[0] <= 1) {
          this.#subscribe(f.subarray(1), f[0] === 1);
          return true;
        }
        for (const pipe of this.#pipes) {
          if (pipe.canWrite()) pipe.write(message);
        }
        return true;
      }
      case REQ: {
        if (this.#awaitingReply) throw zmqError("EFSM", { operation: "send" });
        const pipe = this.#loadBalance();
        if (pipe === undefined) return false;
        pipe.write([EMPTY, ...message]);
        this.#replyPipe = pipe;
        this.#awaitingReply = true;
        // Anything that came earlier on that pipe is stale.
        while (pipe.read() !== undefined) { /* drop */ }
        return true;
      }
      case REP: {
        const envelope = this.#envelope;
        if (envelope === null) throw zmqError("EFSM", { operation: "send" });
        const pipe = this.#envelopePipe;
        this.#envelope = null;
        this.#envelopePipe = null;
        if (pipe !== null && !pipe.terminated && pipe.canWrite()) {
          pipe.write([...envelope, ...message]);
        }
        return true;
      }
      case PAIR: {
        const pipe = this.#pipes[0];
        if (pipe === undefined || !pipe.canWrite()) return false;
        pipe.write(message);
        return true;
      }
      default: {
        // DEALER, PUSH: round-robin over the pipes with room.
        const pipe = this.#loadBalance();
        if (pipe === undefined) return false;
        pipe.write(message);
        return true;
      }
    }
  }

  #loadBalance(): Pipe | undefined {
    const pipes = this.#pipes;
    for (let n = 0; n < pipes.length; n++) {
      if (this.#lb >= pipes.length) this.#lb = 0;
      const pipe = pipes[this.#lb++];
      if (pipe.canWrite()) return pipe;
    }
    return undefined;
  }

  #publish(message: Message): boolean {
    const first = message[0];
    const matched: Pipe[] = [];
    for (const pipe of this.#pipes) {
      for (const topic of pipe.topics.values()) {
        if (startsWith(first, topic)) {
          matched.push(pipe);
          break;
        }
      }
    }
    if (this.#options.xpubNoDrop) {
      for (const pipe of matched) if (!pipe.canWrite()) return false;
    }
    for (const pipe of matched) if (pipe.canWrite()) pipe.write(message);
    return true;
  }

  /**
   * ROUTER: frame 0 names the peer. The body is made in one array, and the
   * peer of the last send is found again without a key: a server answers
   * with the routing id `receive()` gave it, the pipe's own array.
   */
  #routerSend(
    frames: readonly Frame[],
    options?: WaitOptions,
  ): Promise<void> {
    const mandatory = this.#options.routerMandatory;
    const first = frames[0];
    let pipe: Pipe | undefined = this.#lastPipe;
    if (
      pipe === undefined || first !== pipe.routingId || pipe.terminated
    ) {
      pipe = this.#byId.get(
        bytesKey(typeof first === "string" ? encoder.encode(first) : first),
      );
      this.#lastPipe = pipe;
    }
    if (pipe === undefined) {
      return mandatory
        ? Promise.reject(zmqError("EHOSTUNREACH", { operation: "send" }))
        : RESOLVED;
    }
    const n = frames.length - 1;
    if (n === 0) return RESOLVED;
    const body: Message = new Array(n);
    for (let i = 0; i < n; i++) {
      const f = frames[i + 1];
      body[i] = typeof f === "string" ? encoder.encode(f) : f;
    }
    let parked = this.#pipeWaiters.get(pipe);
    if (parked === undefined) {
      if (pipe.canWrite()) {
        pipe.write(body);
        return RESOLVED;
      }
      if (!mandatory) return RESOLVED; // full: dropped
      parked = new Queue();
      this.#pipeWaiters.set(pipe, parked);
    }
    const queue = parked;
    return new Promise<void>((resolve, reject) => {
      const w: SendWaiter = { message: copy(body), resolve, reject };
      if (options !== undefined) {
        arm(w, options, "send", () => {
          queue.remove(w);
          if (queue.length === 0 && this.#pipeWaiters.get(pipe) === queue) {
            this.#pipeWaiters.delete(pipe);
          }
          this.#updateRef();
        });
      }
      queue.push(w);
      this.#updateRef();
    });
  }

  // ---- liveness and the end ------------------------------------------------------

  #waiting(): boolean {
    return this.#recvWaiters.length > 0 || this.#sendWaiters.length > 0 ||
      this.#pipeWaiters.size > 0;
  }

  /**
   * Keeps the process alive while someone waits on this socket, and only
   * then, like the libzmq engine's reactor.
   */
  #updateRef(): void {
    const on = !this.#closed && this.#waiting();
    if (on === this.#refed) return;
    this.#refed = on;
    for (const l of this.#listeners.values()) {
      if (on) l.listener.ref();
      else l.listener.unref();
    }
    for (const c of this.#origin.keys()) c.ref(on);
    for (const entry of this.#connecting.values()) {
      if (entry.timer === undefined) continue;
      if (on) Deno.refTimer(entry.timer!);
      else Deno.unrefTimer(entry.timer);
    }
  }

  #track(p: Promise<unknown>): void {
    this.#tasks.add(p);
    p.finally(() => this.#tasks.delete(p));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const w of this.#recvWaiters.drain()) w.reject(closedError("receive"));
    for (const w of this.#sendWaiters.drain()) w.reject(closedError("send"));
    for (const q of this.#pipeWaiters.values()) {
      for (const w of q.drain()) w.reject(closedError("send"));
    }
    this.#pipeWaiters.clear();
    this.#monitor?.discard();
    this.#monitor = null;
    for (const endpoint of this.#inprocBound) {
      this.#engine.unbindInproc(this, endpoint.slice("inproc://".length));
    }
    this.#engine.forget(this);
    for (const entry of this.#listeners.values()) {
      try {
        entry.listener.ref();
        entry.listener.close();
      } catch {
        // closed
      }
      if (entry.path !== undefined) {
        try {
          Deno.removeSync(entry.path);
        } catch {
          // gone
        }
      }
    }
    this.#listeners.clear();
    const linger = this.#options.linger;
    for (const entry of this.#connecting.values()) {
      entry.stopped = true;
      clearTimeout(entry.timer);
      if (linger === 0 || entry.connection === null) entry.abort?.abort();
    }
    for (const c of [...this.#origin.keys()]) {
      if (linger === 0 || !c.ready) c.close();
      else this.#track(c.closeAfterFlush(linger));
    }
    for (const pipe of [...this.#pipes]) {
      if (pipe.peer !== null) this.#terminate(pipe);
    }
    for (const timer of this.#mutes.values()) clearTimeout(timer);
    this.#mutes.clear();
    this.#ioTurn?.close();
    this.#refed = false;
  }

  async settled(): Promise<void> {
    while (this.#tasks.size > 0) {
      await Promise.allSettled([...this.#tasks]);
    }
  }
}

function copy(message: Message): Message {
  return message.map((f) => f.slice());
}
