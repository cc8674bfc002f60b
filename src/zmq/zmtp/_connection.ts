/**
 * One ZMTP session over a `Deno.Conn`: greeting, mechanism handshake, then
 * frames both ways, heartbeats, and the end.
 *
 * Reading: one `read()` into a reused buffer, then every complete frame in
 * it is parsed and every complete message handed to the pipe, with no
 * promise per frame. When the pipe's inbox is full, reading stops until the
 * socket takes messages out (the high-water mark reaches TCP). It also
 * stops while the pipe holds it (`hold`: the pipe's outbound side is full
 * and the socket pauses full peers); the peer's silence then is ours, and
 * heartbeat timeouts do not count it.
 *
 * Writing: messages are encoded into a buffer at once; one `write()` at a
 * time carries everything encoded meanwhile, so a burst of sends goes out in
 * a few writes.
 *
 * @module
 */

import {
  COMMAND,
  encodeCommand,
  encodeGreeting,
  FrameReader,
  FrameWriter,
  type Greeting,
  MORE,
  parseCommand,
  parseGreeting,
  ZmtpProtocolError,
} from "./_codec.ts";
import {
  HandshakeError,
  type Mechanism,
  type MechanismStep,
} from "./_mechanism.ts";
import {
  type Outgoing,
  type Pipe,
  type PipeSink,
  Subscription,
} from "./_pipe.ts";

type Timer = ReturnType<typeof setTimeout>;

/** What the peer said about itself in the handshake. */
export interface PeerInfo {
  /** Its socket type name, e.g. `DEALER`. */
  socketType: string;
  /** Its `Identity` property (empty when none). */
  identity: Uint8Array;
  /** ZMTP minor version: 0 or 1. */
  minor: number;
  /** Its authenticated long-term public key (a CURVE client, on a server). */
  publicKey?: Uint8Array;
}

/** Why a connection ended, for monitor events. */
export type EndReason =
  | { kind: "closed" }
  | { kind: "eof" }
  | { kind: "error"; error: unknown }
  | {
    kind: "handshake";
    failure: "protocol" | "auth" | "nodetail";
    /** The monitor event's value (a ZAP status or ZMTP error code). */
    code?: number;
  };

/** The socket side of a connection. */
export interface ConnectionHost {
  /**
   * The handshake is done: returns the pipe to serve, or a reason to refuse
   * the peer (incompatible type, duplicate identity, a second PAIR peer).
   */
  handshakeDone(conn: Connection, peer: PeerInfo): Pipe | string;
  /**
   * A server mechanism authenticated the peer's long-term key: accept it
   * (`true`) or refuse it. Absent: every key is accepted.
   */
  authenticate?(
    conn: Connection,
    publicKey: Uint8Array,
  ): boolean | Promise<boolean>;
  /** The connection ended (after `close()` too). */
  connectionEnded(conn: Connection, reason: EndReason): void;
}

/** Per-connection settings, from the socket's options when it started. */
export interface ConnectionSettings {
  /** The endpoint (connected, or the listener's) for monitor events. */
  endpoint: string;
  /** A number for monitor events, in place of an fd. */
  id: number;
  /** The peer's address (an IP for tcp, `""` for ipc), for authentication. */
  address: string;
  /** The mechanism for this connection. */
  mechanism: Mechanism;
  /** Largest frame accepted, -1 for none. */
  maxMessageSize: number;
  /** ms between PINGs, 0 for none. */
  heartbeatInterval: number;
  /** ms to wait for traffic after a PING. */
  heartbeatTimeout: number;
  /** The TTL we ask the peer to apply, in ms. */
  heartbeatTimeToLive: number;
  /** ms allowed for greeting and handshake; 0 for no limit. */
  handshakeTimeout: number;
}

const PING = encodeCommand("PING");
/** `ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH`, for the monitor. */
const MECHANISM_MISMATCH = 0x11000002;
/** What a refused peer is told (ZAP's status code, as libzmq sends it). */
/** What `#parts` holds where no frame is (none kept alive). */
const NO_PART = new Uint8Array(0);
const REFUSED = encodeCommand("ERROR", new Uint8Array([3, 0x34, 0x30, 0x30]));
const SUBSCRIBE = new TextEncoder().encode("\x09SUBSCRIBE");
const CANCEL = new TextEncoder().encode("\x06CANCEL");

/** One ZMTP session. */
export class Connection implements PipeSink {
  readonly settings: ConnectionSettings;
  readonly encodes = true;
  #conn: Deno.Conn;
  #host: ConnectionHost;
  #reader = new FrameReader();
  #writer = new FrameWriter();
  #state: "greeting" | "handshake" | "ready" | "closed" = "greeting";
  #peer: Greeting | undefined;
  #pipe: Pipe | null = null;
  /** The frames of a message being read: the first `#partCount`. */
  #parts: Uint8Array[] = [];
  #partCount = 0;
  #backlog = 0;
  #writing = false;
  /** A first write went out this turn; the rest waits for its end. */
  #turn = false;
  /** Messages given to `deliver()` since the current turn began. */
  #turnMessages = 0;
  /**
   * The last turn that sent messages sent more than one: the first message
   * of a turn then waits for the turn's end too (see `#kick()`).
   */
  #bursting = false;
  #paused = false;
  /** Reading stopped by the pipe: its outbound side is full. */
  #held = false;
  #resume: (() => void) | undefined;
  #flushed: (() => void) | undefined;
  #lastReceived = performance.now();
  #pingSentAt = 0;
  /**
   * The timers to clear at the end: the live ones only. A one-shot timer
   * leaves once it has fired; the heartbeat's checks come every few PINGs
   * for as long as the connection lives.
   */
  readonly #timers = new Set<Timer>();
  #ttlTimer: Timer | undefined;
  #ended = false;
  #refed = false;
  /** Why the mechanism could not start, thrown once the peer's greeting is in. */
  #startFailure: unknown;
  /** The read loop; resolves once the connection is over. */
  readonly done: Promise<void>;

  /**
   * Starts the session: sends the greeting and the mechanism's first
   * commands, and reads.
   */
  constructor(
    conn: Deno.Conn,
    host: ConnectionHost,
    settings: ConnectionSettings,
  ) {
    this.#conn = conn;
    this.#host = host;
    this.settings = settings;
    if (settings.maxMessageSize >= 0) {
      this.#reader.maxFrame = settings.maxMessageSize;
    }
    try {
      (conn as Deno.TcpConn).setNoDelay?.(true);
    } catch {
      // not a tcp connection
    }
    conn.unref();
    const { mechanism } = settings;
    this.#writer.raw(encodeGreeting(mechanism.name, mechanism.asServer));
    try {
      for (const body of mechanism.start()) this.#writer.frame(body, COMMAND);
    } catch (e) {
      this.#startFailure = e;
    }
    this.#kick();
    if (settings.handshakeTimeout > 0) {
      this.#timer(() => {
        if (this.#state !== "ready") {
          this.#end({ kind: "handshake", failure: "nodetail" });
        }
      }, settings.handshakeTimeout);
    }
    this.done = this.#readLoop();
  }

  /** The pipe this connection serves, once the handshake is done. */
  get pipe(): Pipe | null {
    return this.#pipe;
  }

  /** Whether the handshake is done and the connection is open. */
  get ready(): boolean {
    return this.#state === "ready";
  }

  get backlog(): number {
    return this.#backlog;
  }

  /** Whether everything handed over has been written. */
  get idle(): boolean {
    return !this.#writing && this.#writer.size === 0;
  }

  /** Makes the connection keep the process alive (or not). */
  ref(on: boolean): void {
    if (on === this.#refed || this.#ended) return;
    this.#refed = on;
    if (on) this.#conn.ref();
    else this.#conn.unref();
  }

  #timer(fn: () => void, ms: number, repeat = false): Timer {
    const id = repeat ? setInterval(fn, ms) : setTimeout(() => {
      this.#timers.delete(id);
      fn();
    }, ms);
    Deno.unrefTimer(id);
    this.#timers.add(id);
    return id;
  }

  // ---- writing ---------------------------------------------------------

  deliver(out: Outgoing): void {
    if (this.#ended) return;
    const w = this.#writer;
    if (out instanceof Subscription) {
      if ((this.#peer?.minor ?? 0) >= 1) {
        const head = out.subscribe ? SUBSCRIBE : CANCEL;
        const body = new Uint8Array(head.byteLength + out.topic.byteLength);
        body.set(head);
        body.set(out.topic, head.byteLength);
        this.#protected(body, COMMAND);
      } else {
        this.#protected(out.asMessage()[0], 0);
      }
    } else {
      const encode = this.settings.mechanism.encodeFrame;
      const last = out.length - 1;
      for (let i = 0; i <= last; i++) {
        const flags = i < last ? MORE : 0;
        if (encode === undefined) w.frame(out[i], flags);
        else w.frame(encode.call(this.settings.mechanism, out[i], flags), 0);
      }
    }
    this.#backlog++;
    this.#turnMessages++;
    this.#kick();
  }

  #command(body: Uint8Array): void {
    if (this.#ended) return;
    if (this.#state === "ready") this.#protected(body, COMMAND);
    else this.#writer.frame(body, COMMAND);
    this.#kick();
  }

  /** Encodes a frame after the handshake, boxed if the mechanism boxes. */
  #protected(body: Uint8Array, flags: number): void {
    const m = this.settings.mechanism;
    if (m.encodeFrame === undefined) this.#writer.frame(body, flags);
    else this.#writer.frame(m.encodeFrame(body, flags), 0);
  }

  /**
   * Something was encoded: the first write of a turn of the event loop goes
   * at once (latency); what is encoded during the rest of the turn goes in
   * one write when the turn ends (throughput). A write to a socket with
   * room completes within the call, so without waiting for the end of the
   * turn every message of a burst would pay its own system call.
   *
   * While the connection sends bursts (the last turn that sent anything
   * sent more than one message), the first message waits for the turn's
   * end as well: a lone first write would wake the peer for one message,
   * and an RPC peer answering it at once turns each burst of requests and
   * replies into a single and the rest, two writes and two wake-ups each
   * way. A turn that sends one message ends the bursting.
   */
  #kick(): void {
    if (this.#writing || this.#turn) return;
    this.#beginTurn();
    if (!this.#bursting) this.#pump();
  }

  #beginTurn(): void {
    this.#turn = true;
    setImmediate(this.#turnEnded);
  }

  readonly #turnEnded = (): void => {
    this.#turn = false;
    const sent = this.#turnMessages;
    this.#turnMessages = 0;
    if (sent > 0) this.#bursting = sent > 1;
    if (this.#ended || this.#writing || this.#writer.size === 0) return;
    this.#beginTurn();
    this.#pump();
  };

  /** Writes everything encoded so far, then what came meanwhile. */
  async #pump(): Promise<void> {
    this.#writing = true;
    const conn = this.#conn;
    try {
      const chunks = this.#writer.take();
      this.#backlog = 0;
      this.#pipe?.drained();
      for (const chunk of chunks) {
        let off = await conn.write(chunk);
        while (off < chunk.byteLength) {
          off += await conn.write(chunk.subarray(off));
        }
      }
      this.#writer.recycle(chunks);
    } catch (e) {
      this.#end({ kind: "error", error: e });
    } finally {
      this.#writing = false;
    }
    if (this.#ended) return;
    if (this.#writer.size === 0) this.#flushed?.();
    // A write that had to wait outlived its turn: go on at once.
    else if (!this.#turn) {
      this.#beginTurn();
      this.#pump();
    }
  }

  // ---- reading ---------------------------------------------------------

  async #readLoop(): Promise<void> {
    const conn = this.#conn;
    const reader = this.#reader;
    try {
      for (;;) {
        if (this.#paused || this.#held) {
          await new Promise<void>((r) => this.#resume = r);
          this.#resume = undefined;
          if (this.#ended) return;
          this.#parse();
          continue;
        }
        const n = await conn.read(reader.target());
        if (this.#ended) return;
        if (n === null) {
          this.#end(
            this.#state === "ready"
              ? { kind: "eof" }
              : { kind: "handshake", failure: "nodetail" },
          );
          return;
        }
        reader.advance(n);
        this.#lastReceived = performance.now();
        this.#parse();
        if (this.#ended) return;
      }
    } catch (e) {
      this.#end(
        e instanceof ZmtpProtocolError
          ? {
            kind: "handshake",
            failure: "protocol",
            code: (e as { code?: number }).code ?? 0,
          }
          : e instanceof HandshakeError
          ? { kind: "handshake", failure: e.kind, code: e.code }
          : { kind: "error", error: e },
      );
    }
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    if (!this.#held) this.#resume?.();
  }

  hold(on: boolean): void {
    if (on === this.#held || this.#ended) return;
    this.#held = on;
    if (on) return;
    // Silence while held was ours: the peer's clock starts again now.
    this.#lastReceived = performance.now();
    if (!this.#paused) this.#resume?.();
  }

  /** Parses everything buffered; throws on a protocol error. */
  #parse(): void {
    const reader = this.#reader;
    if (this.#state === "greeting") {
      const g = reader.greeting();
      if (g === null) return;
      const peer = parseGreeting(g);
      if (peer.mechanism !== this.settings.mechanism.name) {
        throw new HandshakeError(
          `Cannot handshake: the peer uses ${peer.mechanism}, not ${this.settings.mechanism.name}`,
          "protocol",
          MECHANISM_MISMATCH,
        );
      }
      this.#peer = peer;
      this.#state = "handshake";
      if (this.#startFailure !== undefined) throw this.#startFailure;
    }
    const decode = this.settings.mechanism.decodeFrame;
    for (;;) {
      if (this.#paused || this.#held) return;
      let body = reader.frame();
      if (body === null) return;
      let flags = reader.flags;
      if (this.#state === "handshake") {
        if (!(flags & COMMAND)) {
          throw new ZmtpProtocolError(
            "Cannot handshake: a message before the handshake ended",
          );
        }
        this.#handshake(body);
        if (this.#ended) return;
        continue;
      }
      if (decode !== undefined) {
        // A protected frame (CURVE: a MESSAGE, whatever its flags): open
        // it, then treat what it holds.
        const opened = decode.call(this.settings.mechanism, body);
        body = opened.body;
        flags = opened.flags;
      }
      if (flags & COMMAND) {
        this.#onCommand(body);
        if (this.#ended) return;
        continue;
      }
      // Messages are arrays exactly as long as their frames, and the parts
      // of one go to a reused array: an array of its own, grown by push(),
      // would have room for 16 more frames (~150 bytes a message).
      const parts = this.#parts;
      if (flags & MORE) {
        parts[this.#partCount++] = body;
        continue;
      }
      let message: Uint8Array[];
      const n = this.#partCount;
      if (n === 0) message = [body];
      else {
        message = new Array(n + 1);
        for (let i = 0; i < n; i++) {
          message[i] = parts[i];
          parts[i] = NO_PART;
        }
        message[n] = body;
        this.#partCount = 0;
      }
      const pipe = this.#pipe!;
      if (!pipe.push(message)) this.#paused = true;
      if (this.#ended) return;
    }
  }

  #handshake(body: Uint8Array): void {
    const step = this.settings.mechanism.onCommand(body);
    const authenticate = this.#host.authenticate;
    if (step.peerKey !== undefined && authenticate !== undefined) {
      let verdict: boolean | Promise<boolean>;
      try {
        verdict = authenticate.call(this.#host, this, step.peerKey);
      } catch {
        verdict = false;
      }
      if (typeof verdict === "boolean") {
        this.#authenticated(step, verdict);
        return;
      }
      // Wait for the verdict; what the peer sends meanwhile stays buffered.
      this.#paused = true;
      verdict.then((ok) => ok === true, () => false).then((ok) => {
        if (this.#ended) return;
        this.#paused = false;
        this.#authenticated(step, ok);
        if (!this.#ended) this.#resume?.();
      });
      return;
    }
    this.#authenticated(step, true);
  }

  /** Goes on with a handshake step once its peer key is judged. */
  #authenticated(step: MechanismStep, ok: boolean): void {
    if (!ok) {
      // Read no more from a refused peer; tell it why, then hang up once
      // that is written (or after a second).
      this.#paused = true;
      this.#command(REFUSED);
      const end = () =>
        this.#end({ kind: "handshake", failure: "auth", code: 400 });
      if (this.idle) end();
      else {
        this.#flushed = end;
        this.#timer(end, 1000);
      }
      return;
    }
    for (const out of step.send) this.#command(out);
    if (step.done === undefined) return;
    const props = step.done;
    const socketType = new TextDecoder().decode(
      props.get("socket-type") ?? new Uint8Array(),
    );
    const peer: PeerInfo = {
      socketType,
      identity: props.get("identity")?.slice() ?? new Uint8Array(),
      minor: this.#peer!.minor,
      publicKey: step.peerKey,
    };
    const accepted = this.#host.handshakeDone(this, peer);
    if (typeof accepted === "string") {
      this.#command(
        encodeCommand(
          "ERROR",
          new Uint8Array([
            accepted.length,
            ...new TextEncoder().encode(accepted),
          ]),
        ),
      );
      this.#end({ kind: "handshake", failure: "protocol" });
      return;
    }
    this.#state = "ready";
    this.#pipe = accepted;
    accepted.attach(this);
    this.#startHeartbeats();
  }

  #onCommand(body: Uint8Array): void {
    const { name, data } = parseCommand(body);
    switch (name) {
      case "PING": {
        // TTL (2 bytes, deciseconds), then up to 16 bytes of context.
        const ttl = data.byteLength >= 2 ? (data[0] << 8 | data[1]) * 100 : 0;
        const context = data.subarray(2, 18);
        this.#command(encodeCommand("PONG", context));
        if (ttl > 0 && this.#ttlTimer === undefined) this.#watchTtl(ttl);
        return;
      }
      case "PONG":
        return;
      case "SUBSCRIBE":
      case "CANCEL": {
        const frame = new Uint8Array(data.byteLength + 1);
        frame[0] = name === "SUBSCRIBE" ? 1 : 0;
        frame.set(data, 1);
        if (!this.#pipe!.push([frame])) this.#paused = true;
        return;
      }
      case "ERROR":
        this.#end({ kind: "eof" });
        return;
      case "READY":
        throw new ZmtpProtocolError("Cannot read: READY after the handshake");
      default:
        return; // unknown commands are ignored
    }
  }

  // ---- heartbeats --------------------------------------------------------

  #startHeartbeats(): void {
    const { heartbeatInterval: ivl, heartbeatTimeToLive } = this.settings;
    if (ivl <= 0) return;
    const timeout = this.settings.heartbeatTimeout;
    const ttl = Math.min(0xffff, Math.floor(heartbeatTimeToLive / 100));
    const ping = new Uint8Array(PING.byteLength + 2);
    ping.set(PING);
    ping[PING.byteLength] = ttl >> 8;
    ping[PING.byteLength + 1] = ttl & 0xff;
    this.#timer(
      () => {
        if (this.#ended) return;
        this.#command(ping);
        const sentAt = performance.now();
        if (this.#pingSentAt !== 0) return; // a timeout check is pending
        this.#pingSentAt = sentAt;
        this.#timer(() => {
          const silent = this.#lastReceived < this.#pingSentAt &&
            !this.#held;
          this.#pingSentAt = 0;
          if (silent) this.#end({ kind: "error", error: "heartbeat timeout" });
        }, timeout);
      },
      ivl,
      true,
    );
  }

  #watchTtl(ttl: number): void {
    const check = () => {
      this.#ttlTimer = undefined;
      if (this.#ended) return;
      const quiet = this.#held ? 0 : performance.now() - this.#lastReceived;
      if (quiet >= ttl) {
        this.#end({ kind: "error", error: "heartbeat TTL expired" });
      } else {
        this.#ttlTimer = this.#timer(check, ttl - quiet);
      }
    };
    this.#ttlTimer = this.#timer(check, ttl);
  }

  // ---- the end -----------------------------------------------------------

  /** Closes at once, dropping what was not written. */
  close(): void {
    this.#end({ kind: "closed" });
  }

  /**
   * Closes once everything handed over is written, or after `ms`
   * (-1: no limit).
   */
  async closeAfterFlush(ms: number): Promise<void> {
    if (!this.#ended && this.#state === "ready" && !this.idle) {
      let timer: Timer | undefined;
      await new Promise<void>((resolve) => {
        this.#flushed = resolve;
        if (ms >= 0) timer = setTimeout(resolve, ms);
      });
      clearTimeout(timer);
    }
    this.close();
  }

  #end(reason: EndReason): void {
    if (this.#ended) return;
    this.#ended = true;
    const wasReady = this.#state === "ready";
    this.#state = "closed";
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.settings.mechanism.close?.();
    try {
      // Ref first: the pending read must be allowed to settle, or whoever
      // awaits the end would wait on an op the event loop ignores.
      this.#conn.ref();
      this.#conn.close();
    } catch {
      // already closed
    }
    this.#resume?.();
    this.#flushed?.();
    this.#host.connectionEnded(
      this,
      wasReady || reason.kind !== "eof" ? reason : reason,
    );
  }
}
