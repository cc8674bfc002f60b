/**
 * The socket engine behind every public socket class: handle, options,
 * non-blocking send/receive, waiter queues and the reactor hook-up.
 *
 * Try first, park only on `EAGAIN`, and after every operation serve the
 * waiters of the other direction, because libzmq may have consumed the edge
 * of `ZMQ_FD` while doing it.
 *
 * A ROUTER's parked sends wait in one queue per peer: a peer whose pipe is
 * full holds up its own messages only, and serving the others costs one
 * try per blocked peer, not one per parked message.
 *
 * @module
 */

import { libzmq } from "./loader.ts";
import { bytesKey } from "../_util/bytes_key.ts";
import { EAGAIN, EINTR, errnoName, ZmqError } from "./errors.ts";
import { type Pollable, reactor } from "./_reactor.ts";
import {
  checkOption,
  type OptionReading,
  type OptionValue,
  type ReadableOptionName,
  SOCKET_OPTIONS,
  type WritableOptionName,
} from "./options.ts";
import {
  arm,
  checkEndpoint,
  checkFrames,
  checkWait,
  type Frame,
  type WaitOptions,
} from "./_wait.ts";
import type { EngineSocket, MonitorSource } from "./_engine.ts";
import { LibzmqMonitor } from "./_libzmq_monitor.ts";
import { type ZapHandler, ZMQ_ZAP_DOMAIN } from "./_libzmq_zap.ts";
import type { CurveAuthenticator } from "./curve.ts";

export type { Frame, WaitOptions };

const ZMQ_DONTWAIT = 1;
const ZMQ_SNDMORE = 2;
const ZMQ_POLLIN = 1;
const ZMQ_POLLOUT = 2;
const ZMQ_FD = 14;
const ZMQ_EVENTS = 15;
const ZMQ_ROUTER = 6;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const latin1 = new TextDecoder("latin1");
const EMPTY = new Uint8Array(0);
/** The metadata property libzmq fills from the ZAP reply's user id. */
const USER_ID = encoder.encode("User-Id\0");
/** Routing ids whose CURVE key a ROUTER remembers (the most recent ones). */
const PEER_KEYS_KEPT = 65536;

/** Lengths `zmq_getsockopt` insists on, by option kind. */
const EXACT_SIZE: Record<string, number> = {
  int: 4,
  bool: 4,
  int64: 8,
  key: 41,
};

/** `zmq_msg_t` is 64 bytes; receives are synchronous, so one is shared. */
const msgBuffer = new Uint8Array(64);
const intBuffer = new Int32Array(2);
const sizeBuffer = new BigUint64Array(1);

/** Builds a `ZmqError` from the current `zmq_errno()`. */
export function lastError(operation: string, endpoint?: string): ZmqError {
  const { zmq } = libzmq();
  const errno = zmq.zmq_errno();
  const ptr = zmq.zmq_strerror(errno);
  const text = ptr === null
    ? "unknown error"
    : new Deno.UnsafePointerView(ptr).getCString();
  return new ZmqError(errnoName(errno), errno, text, { operation, endpoint });
}

/** The error for an operation on a closed socket. */
export function closedError(operation: string): ZmqError {
  return new ZmqError("ENOTSOCK", 0, "the socket is closed", { operation });
}

function cString(s: string): Uint8Array {
  return encoder.encode(`${s}\0`);
}

interface RecvWaiter {
  resolve(frames: Uint8Array[]): void;
  reject(error: unknown): void;
  detach?: () => void;
}

interface SendWaiter {
  frames: readonly Frame[];
  resolve(): void;
  reject(error: unknown): void;
  detach?: () => void;
}

/** Something that owns cores and must hear when one closes. */
export interface CoreOwner {
  /** The context handle. */
  readonly handle: Deno.PointerObject;
  /** Called once when a core opens. */
  adopt(core: SocketCore): void;
  /** Called once when a core closes. */
  release(core: SocketCore): void;
  /** The context's ZAP handler (made on first use). */
  zap?(): ZapHandler;
}

/**
 * The engine of one ZeroMQ socket. Not exported from `mod.ts`: the public
 * classes wrap it so that each exposes only the operations its type allows.
 */
export class SocketCore implements Pollable, EngineSocket {
  readonly fd: number;
  readonly type: number;
  #handle: Deno.PointerObject | null;
  #owner: CoreOwner;
  #recvWaiters: RecvWaiter[] = [];
  #sendWaiters: SendWaiter[] = [];
  /** A ROUTER's parked sends, by peer (routing id as a string key). */
  #peerWaiters = new Map<string, SendWaiter[]>();
  #onClose: ((handle: Deno.PointerObject) => void)[] = [];
  #authenticator: CurveAuthenticator | undefined;
  /** The ZAP domain, once this CURVE server registered with the handler. */
  #zapDomain: string | undefined;
  /** ROUTER under CURVE: routing id (latin1) → the sender's key (Z85). */
  #peerKeys: Map<string, string> | null = null;

  constructor(owner: CoreOwner, type: number) {
    const { zmq } = libzmq();
    const handle = zmq.zmq_socket(owner.handle, type);
    if (handle === null) throw lastError("zmq_socket");
    this.#handle = handle;
    this.#owner = owner;
    this.type = type;
    try {
      this.setInt(SOCKET_OPTIONS.linger.id, 0, "linger");
      const len = new BigUint64Array([8n]);
      const out = new Int32Array(2);
      if (zmq.zmq_getsockopt(handle, ZMQ_FD, out, len) !== 0) {
        throw lastError("zmq_getsockopt(ZMQ_FD)");
      }
      this.fd = out[0];
      owner.adopt(this);
    } catch (e) {
      zmq.zmq_close(handle);
      this.#handle = null;
      throw e;
    }
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.#handle === null;
  }

  /** The raw handle; throws `ENOTSOCK` once closed. */
  handle(operation: string): Deno.PointerObject {
    if (this.#handle === null) throw closedError(operation);
    return this.#handle;
  }

  /**
   * Registers a callback that runs once when the socket closes, just
   * before `zmq_close`: it gets the raw handle, still valid.
   */
  onClose(fn: (handle: Deno.PointerObject) => void): void {
    this.#onClose.push(fn);
  }

  bind(endpoint: string): string {
    checkEndpoint(endpoint, "bind");
    const h = this.handle("bind");
    this.#joinZap();
    if (libzmq().zmq.zmq_bind(h, cString(endpoint)) !== 0) {
      throw lastError("bind", endpoint);
    }
    return this.getOption("lastEndpoint");
  }

  connect(endpoint: string): void {
    checkEndpoint(endpoint, "connect");
    const h = this.handle("connect");
    this.#joinZap();
    if (libzmq().zmq.zmq_connect(h, cString(endpoint)) !== 0) {
      throw lastError("connect", endpoint);
    }
  }

  unbind(endpoint: string): void {
    checkEndpoint(endpoint, "unbind");
    const h = this.handle("unbind");
    if (libzmq().zmq.zmq_unbind(h, cString(endpoint)) !== 0) {
      throw lastError("unbind", endpoint);
    }
  }

  disconnect(endpoint: string): void {
    checkEndpoint(endpoint, "disconnect");
    const h = this.handle("disconnect");
    if (libzmq().zmq.zmq_disconnect(h, cString(endpoint)) !== 0) {
      throw lastError("disconnect", endpoint);
    }
  }

  /** The hook the ZAP handler asks about this socket's clients. */
  get authenticator(): CurveAuthenticator | undefined {
    return this.#authenticator;
  }

  setAuthenticator(hook: CurveAuthenticator | undefined): void {
    this.handle("setAuthenticator");
    this.#authenticator = hook;
  }

  peerPublicKey(routingId: Uint8Array): string | undefined {
    return this.#peerKeys?.get(latin1.decode(routingId));
  }

  /**
   * libzmq reads every peer while its socket has room (`ZMQ_RCVHWM` per
   * pipe), whatever that peer's outbound pipe holds: no per-peer pause.
   */
  pauseFullPeers(_on: boolean): boolean {
    return false;
  }

  /** libzmq has no per-peer read pause either. */
  pausePeer(_routingId: Uint8Array, _ms: number): boolean {
    return false;
  }

  /**
   * A CURVE server joins its context's ZAP handler before its first bind or
   * connect: libzmq reads the ZAP domain when it makes a connection.
   */
  #joinZap(): void {
    if (this.#zapDomain !== undefined || this.#owner.zap === undefined) return;
    if (!this.getOption("curveServer")) return;
    const zap = this.#owner.zap();
    const domain = zap.register(this);
    try {
      this.#setRaw(ZMQ_ZAP_DOMAIN, encoder.encode(domain), "zapDomain");
    } catch (e) {
      zap.unregister(domain);
      throw e;
    }
    this.#zapDomain = domain;
    if (this.type === ZMQ_ROUTER) this.#peerKeys = new Map();
  }

  /** Remembers the CURVE key libzmq attached to a ROUTER's message. */
  #notePeerKey(keys: Map<string, string>, routingId: Uint8Array): void {
    const p = libzmq().zmq.zmq_msg_gets(msgBuffer, USER_ID);
    if (p === null) return;
    const key = new Deno.UnsafePointerView(p).getCString();
    if (key.length !== 40) return;
    const id = latin1.decode(routingId);
    keys.delete(id);
    keys.set(id, key);
    if (keys.size > PEER_KEYS_KEPT) {
      keys.delete(keys.keys().next().value!);
    }
  }

  setInt(id: number, value: number, name: string): void {
    intBuffer[0] = value;
    this.#setRaw(id, new Uint8Array(intBuffer.buffer, 0, 4), name);
  }

  #setRaw(id: number, bytes: Uint8Array, name: string): void {
    const h = this.handle(`setOption("${name}")`);
    if (
      libzmq().zmq.zmq_setsockopt(h, id, bytes, BigInt(bytes.byteLength)) !== 0
    ) {
      throw lastError(`setOption("${name}")`);
    }
  }

  setOption<N extends WritableOptionName>(
    name: N,
    value: OptionValue<N>,
  ): void {
    const { id, checked } = checkOption(name, value);
    switch (checked.kind) {
      case "int":
        this.setInt(id, checked.value, name);
        return;
      case "int64": {
        const b = new BigInt64Array([BigInt(checked.value)]);
        this.#setRaw(id, new Uint8Array(b.buffer), name);
        return;
      }
      case "bool":
        this.setInt(id, checked.value ? 1 : 0, name);
        return;
      case "bytes":
        this.#setRaw(id, checked.value, name);
        return;
      case "key": {
        if (!checked.z85) {
          this.#setRaw(id, checked.value, name);
          return;
        }
        const z = new Uint8Array(41);
        z.set(checked.value);
        this.#setRaw(id, z, name);
        return;
      }
    }
  }

  getOption<N extends ReadableOptionName>(name: N): OptionReading<N> {
    const spec = SOCKET_OPTIONS[name] as { id: number; kind: string };
    if (spec === undefined) {
      throw new TypeError(`Cannot get option "${name}": unknown option`);
    }
    const h = this.handle(`getOption("${name}")`);
    const { zmq } = libzmq();
    const buf = new Uint8Array(256);
    // libzmq refuses (EINVAL) a length other than the exact size for ints
    // (4), int64s (8) and CURVE keys (41 asks for the Z85 form).
    sizeBuffer[0] = BigInt(EXACT_SIZE[spec.kind] ?? buf.byteLength);
    if (zmq.zmq_getsockopt(h, spec.id, buf, sizeBuffer) !== 0) {
      throw lastError(`getOption("${name}")`);
    }
    const len = Number(sizeBuffer[0]);
    const view = new DataView(buf.buffer);
    let out: unknown;
    switch (spec.kind) {
      case "int":
        out = view.getInt32(0, true);
        break;
      case "bool":
        out = view.getInt32(0, true) !== 0;
        break;
      case "int64":
        out = Number(view.getBigInt64(0, true));
        break;
      case "bytes":
        out = buf.slice(0, len);
        break;
      case "key":
        out = decoder.decode(buf.subarray(0, 40));
        break;
      default:
        out = decoder.decode(buf.subarray(0, len > 0 ? len - 1 : 0));
    }
    return out as OptionReading<N>;
  }

  /** Reads `ZMQ_EVENTS` (which also resets the fd's edge). */
  #events(h: Deno.PointerObject): number {
    sizeBuffer[0] = 4n;
    if (
      libzmq().zmq.zmq_getsockopt(h, ZMQ_EVENTS, intBuffer, sizeBuffer) !== 0
    ) {
      return 0;
    }
    return intBuffer[0];
  }

  /** One non-blocking multipart receive; `null` on `EAGAIN`. */
  #tryReceive(h: Deno.PointerObject): Uint8Array[] | null {
    const { zmq } = libzmq();
    const frames: Uint8Array[] = [];
    for (;;) {
      zmq.zmq_msg_init(msgBuffer);
      const n = zmq.zmq_msg_recv(msgBuffer, h, ZMQ_DONTWAIT);
      if (n < 0) {
        // Look at the errno before building an error: EAGAIN is the common
        // case on this path and needs no message, stack or zmq_strerror.
        const errno = zmq.zmq_errno();
        if (errno === EAGAIN && frames.length === 0) {
          zmq.zmq_msg_close(msgBuffer);
          return null;
        }
        if (errno === EINTR) {
          zmq.zmq_msg_close(msgBuffer);
          continue;
        }
        const err = lastError("receive");
        zmq.zmq_msg_close(msgBuffer);
        throw err;
      }
      let frame = EMPTY;
      if (n > 0) {
        frame = new Uint8Array(n);
        Deno.UnsafePointerView.copyInto(zmq.zmq_msg_data(msgBuffer)!, frame);
      }
      if (this.#peerKeys !== null && frames.length === 1) {
        // The routing id frame carries no metadata; the first body frame does.
        this.#notePeerKey(this.#peerKeys, frames[0]);
      }
      const more = zmq.zmq_msg_more(msgBuffer);
      zmq.zmq_msg_close(msgBuffer);
      frames.push(frame);
      if (!more) return frames;
    }
  }

  /** One non-blocking multipart send; `false` on `EAGAIN`. */
  #trySend(h: Deno.PointerObject, frames: readonly Frame[]): boolean {
    const { zmq } = libzmq();
    const last = frames.length - 1;
    for (let i = 0; i <= last; i++) {
      const f = frames[i];
      const data = typeof f === "string" ? encoder.encode(f) : f;
      const flags = i < last ? ZMQ_DONTWAIT | ZMQ_SNDMORE : ZMQ_DONTWAIT;
      if (zmq.zmq_send(h, data, BigInt(data.byteLength), flags) < 0) {
        const errno = zmq.zmq_errno();
        // Only the first frame can meet the high-water mark: libzmq takes
        // the rest of a multipart message once the first part is queued.
        if (errno === EAGAIN && i === 0) return false;
        if (errno === EINTR) {
          i--;
          continue;
        }
        throw lastError("send");
      }
    }
    return true;
  }

  receive(options?: WaitOptions): Promise<Uint8Array[]> {
    const h = this.#handle;
    if (h === null) return Promise.reject(closedError("receive"));
    if (options !== undefined) {
      const bad = checkWait(options, "receive");
      if (bad !== undefined) return Promise.reject(bad);
    }
    if (this.#recvWaiters.length === 0) {
      let frames: Uint8Array[] | null;
      try {
        frames = this.#tryReceive(h);
      } catch (e) {
        return Promise.reject(e);
      }
      if (frames !== null) {
        if (this.#sendWaiters.length > 0 || this.#peerWaiters.size > 0) {
          this.service();
        }
        return Promise.resolve(frames);
      }
    }
    return new Promise<Uint8Array[]>((resolve, reject) => {
      const w: RecvWaiter = { resolve, reject };
      if (options !== undefined) {
        arm(w, options, "receive", () => this.#drop(this.#recvWaiters, w));
      }
      this.#recvWaiters.push(w);
      reactor.watch(this);
    });
  }

  send(frames: readonly Frame[], options?: WaitOptions): Promise<void> {
    const h = this.#handle;
    if (h === null) return Promise.reject(closedError("send"));
    if (options !== undefined) {
      const bad = checkWait(options, "send");
      if (bad !== undefined) return Promise.reject(bad);
    }
    const badFrames = checkFrames(frames);
    if (badFrames !== undefined) return Promise.reject(badFrames);
    // On a ROUTER, only parked sends to the same peer hold a message back.
    const peer = this.type === ZMQ_ROUTER ? frameKey(frames[0]) : undefined;
    const queue = peer === undefined
      ? this.#sendWaiters
      : this.#peerWaiters.get(peer);
    if (queue === undefined || queue.length === 0) {
      let sent: boolean;
      try {
        sent = this.#trySend(h, frames);
      } catch (e) {
        return Promise.reject(e);
      }
      if (sent) {
        if (this.#recvWaiters.length > 0) this.service();
        return Promise.resolve();
      }
    }
    return new Promise<void>((resolve, reject) => {
      const w: SendWaiter = { frames, resolve, reject };
      let q = queue;
      if (q === undefined) {
        q = [];
        this.#peerWaiters.set(peer!, q);
      }
      const parked = q;
      if (options !== undefined) {
        arm(w, options, "send", () => {
          if (peer !== undefined && parked.length === 1) {
            this.#peerWaiters.delete(peer);
          }
          this.#drop(parked, w);
        });
      }
      parked.push(w);
      reactor.watch(this);
    });
  }

  #drop<W>(queue: W[], w: W): void {
    const i = queue.indexOf(w);
    if (i >= 0) queue.splice(i, 1);
    if (!this.#hasWaiters()) reactor.unwatch(this);
  }

  #hasWaiters(): boolean {
    return this.#recvWaiters.length > 0 || this.#sendWaiters.length > 0 ||
      this.#peerWaiters.size > 0;
  }

  /** Serves parked waiters; called by the reactor and after operations. */
  service(): void {
    const h = this.#handle;
    if (h === null) return;
    let progress = true;
    while (progress && this.#hasWaiters()) {
      progress = false;
      const events = this.#events(h);
      if (events & ZMQ_POLLIN) {
        while (this.#recvWaiters.length > 0) {
          let frames: Uint8Array[] | null;
          try {
            frames = this.#tryReceive(h);
          } catch (e) {
            this.#recvWaiters.shift()!.reject(e);
            progress = true;
            continue;
          }
          if (frames === null) break;
          this.#recvWaiters.shift()!.resolve(frames);
          progress = true;
        }
      }
      if (events & ZMQ_POLLOUT && this.#serveSenders(h)) progress = true;
    }
    if (!this.#hasWaiters()) reactor.unwatch(this);
  }

  /**
   * Sends what parked sends it can, in order. A ROUTER goes through its
   * peers' queues: a peer still full costs one try, and the others go on.
   */
  #serveSenders(h: Deno.PointerObject): boolean {
    let progress = this.#serveQueue(h, this.#sendWaiters);
    for (const [peer, queue] of this.#peerWaiters) {
      if (this.#serveQueue(h, queue)) progress = true;
      if (queue.length === 0) this.#peerWaiters.delete(peer);
    }
    return progress;
  }

  /** Sends from the head of one queue until it empties or is full. */
  #serveQueue(h: Deno.PointerObject, queue: SendWaiter[]): boolean {
    let progress = false;
    while (queue.length > 0) {
      const w = queue[0];
      let sent: boolean;
      try {
        sent = this.#trySend(h, w.frames);
      } catch (e) {
        queue.shift();
        w.reject(e);
        progress = true;
        continue;
      }
      if (!sent) break;
      queue.shift();
      w.resolve();
      progress = true;
    }
    return progress;
  }

  /** A monitor fed by `zmq_socket_monitor`, replacing any previous one. */
  monitor(mask: number): MonitorSource {
    this.handle("monitor");
    return new LibzmqMonitor(this.#owner, this, mask);
  }

  /** Resolves once the reactor has let go of sockets nobody waits on. */
  settled(): Promise<void> {
    return reactor.settled();
  }

  /** Closes the socket, rejecting every pending wait with `ENOTSOCK`. */
  close(): void {
    const h = this.#handle;
    if (h === null) return;
    this.#handle = null;
    reactor.unwatch(this);
    const recv = this.#recvWaiters.splice(0);
    const send = this.#sendWaiters.splice(0);
    for (const q of this.#peerWaiters.values()) send.push(...q);
    this.#peerWaiters.clear();
    for (const w of recv) w.reject(closedError("receive"));
    for (const w of send) w.reject(closedError("send"));
    for (const fn of this.#onClose.splice(0)) fn(h);
    libzmq().zmq.zmq_close(h);
    if (this.#zapDomain !== undefined) {
      this.#owner.zap?.().unregister(this.#zapDomain);
    }
    this.#owner.release(this);
  }
}

/** A routing-id frame as a map key: one character per byte. */
function frameKey(f: Frame): string {
  return bytesKey(typeof f === "string" ? encoder.encode(f) : f);
}
