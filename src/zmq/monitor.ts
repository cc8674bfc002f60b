/**
 * Socket monitor events as an async iterable.
 *
 * @module
 */

import { libzmq } from "./loader.ts";
import { type CoreOwner, lastError, SocketCore } from "./_core.ts";
import { SOCKET_OPTIONS } from "./options.ts";

/** The events a monitor reports, by name. */
export const MONITOR_EVENTS = {
  connected: 0x0001,
  connectDelayed: 0x0002,
  connectRetried: 0x0004,
  listening: 0x0008,
  bindFailed: 0x0010,
  accepted: 0x0020,
  acceptFailed: 0x0040,
  closed: 0x0080,
  closeFailed: 0x0100,
  disconnected: 0x0200,
  monitorStopped: 0x0400,
  handshakeFailedNoDetail: 0x0800,
  handshakeSucceeded: 0x1000,
  handshakeFailedProtocol: 0x2000,
  handshakeFailedAuth: 0x4000,
} as const;

/** The name of a monitor event. */
export type MonitorEventType = keyof typeof MONITOR_EVENTS;

const BY_CODE = new Map<number, MonitorEventType>(
  Object.entries(MONITOR_EVENTS).map(([k, v]) => [v, k as MonitorEventType]),
);

/** One event on a monitored socket. */
export interface MonitorEvent {
  /** What happened. */
  type: MonitorEventType;
  /** The event's value: an fd, an errno, a retry interval or a ZMTP error. */
  value: number;
  /** The endpoint it concerns. */
  endpoint: string;
}

const PAIR = 0;
/** The monitor libzmq currently feeds, per target (a new one replaces it). */
const current = new WeakMap<SocketCore, SocketMonitor>();
let monitorCounter = 0;
const decoder = new TextDecoder();

/**
 * The events of one socket (`socket.monitor()`), as an async iterable that
 * ends when the socket or the monitor closes.
 */
export class SocketMonitor
  implements AsyncIterable<MonitorEvent>, AsyncDisposable {
  #pair: SocketCore;

  /** @internal use `socket.monitor()` */
  constructor(owner: CoreOwner, target: SocketCore, events: number) {
    const endpoint = `inproc://zmp-monitor-${Deno.pid}-${++monitorCounter}`;
    const h = target.handle("monitor");
    const bytes = new TextEncoder().encode(`${endpoint}\0`);
    if (libzmq().zmq.zmq_socket_monitor(h, bytes, events) !== 0) {
      throw lastError("monitor", endpoint);
    }
    current.set(target, this);
    // libzmq sends events with blocking sends from its I/O and reaper
    // threads: they must never meet a full queue or a closed peer, or the
    // whole context stalls. So the queue has no limit (ZMQ_RCVHWM 0), and
    // monitoring is switched off (zmq_socket_monitor(s, NULL, 0)) before
    // this PAIR or the target closes.
    const stop = (handle: Deno.PointerObject) => {
      if (current.get(target) !== this) return; // replaced by a newer one
      current.delete(target);
      libzmq().zmq.zmq_socket_monitor(handle, null, 0);
    };
    let pair: SocketCore | undefined;
    try {
      pair = new SocketCore(owner, PAIR);
      pair.setInt(SOCKET_OPTIONS.receiveHighWaterMark.id, 0, "monitor");
      pair.connect(endpoint);
    } catch (e) {
      stop(h);
      pair?.close();
      throw e;
    }
    this.#pair = pair;
    pair.onClose(() => {
      if (!target.closed) stop(target.handle("monitor"));
    });
    target.onClose((handle) => {
      stop(handle);
      this.close();
    });
  }

  /** Whether the monitor is closed. */
  get closed(): boolean {
    return this.#pair.closed;
  }

  /**
   * Waits for the next event.
   *
   * @param options `signal` and `timeout` for the wait
   * @returns the event, or `undefined` once the monitor is closed
   */
  async next(
    options?: { signal?: AbortSignal; timeout?: number },
  ): Promise<MonitorEvent | undefined> {
    if (this.#pair.closed) return undefined;
    let frames: Uint8Array[];
    try {
      frames = await this.#pair.receive(options);
    } catch (e) {
      if (this.#pair.closed) return undefined;
      throw e;
    }
    const view = new DataView(frames[0].buffer, frames[0].byteOffset);
    const code = view.getUint16(0, true);
    const value = view.getUint32(2, true);
    const type = BY_CODE.get(code) ?? "closed";
    if (type === "monitorStopped") this.close();
    return {
      type,
      value,
      endpoint: decoder.decode(frames[1] ?? new Uint8Array()),
    };
  }

  async *[Symbol.asyncIterator](): AsyncIterator<MonitorEvent> {
    for (;;) {
      const event = await this.next();
      if (event === undefined) return;
      yield event;
    }
  }

  /** Stops monitoring; idempotent. */
  close(): void {
    this.#pair.close();
  }

  /** Same as {@linkcode SocketMonitor.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }
}
