/**
 * Socket monitor events as an async iterable.
 *
 * @module
 */

import type { MonitorSource } from "./_engine.ts";

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

/** One event on a monitored socket. */
export interface MonitorEvent {
  /** What happened. */
  type: MonitorEventType;
  /** The event's value: an fd, an errno, a retry interval or a ZMTP error. */
  value: number;
  /** The endpoint it concerns. */
  endpoint: string;
}

/**
 * The events of one socket (`socket.monitor()`), as an async iterable that
 * ends when the socket or the monitor closes.
 */
export class SocketMonitor
  implements AsyncIterable<MonitorEvent>, AsyncDisposable {
  #source: MonitorSource;

  /** @internal use `socket.monitor()` */
  constructor(source: MonitorSource) {
    this.#source = source;
  }

  /** Whether the monitor is closed. */
  get closed(): boolean {
    return this.#source.closed;
  }

  /**
   * Waits for the next event.
   *
   * @param options `signal` and `timeout` for the wait
   * @returns the event, or `undefined` once the monitor is closed
   */
  next(
    options?: { signal?: AbortSignal; timeout?: number },
  ): Promise<MonitorEvent | undefined> {
    return this.#source.next(options);
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
    this.#source.close();
  }

  /** Same as {@linkcode SocketMonitor.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }
}
