/**
 * Monitor events of the TypeScript engine: an in-memory queue per monitor,
 * fed synchronously by the socket.
 *
 * @module
 */

import type { MonitorSource } from "../_engine.ts";
import { MONITOR_EVENTS, type MonitorEvent } from "../monitor.ts";
import { arm, checkWait, type Waiter, type WaitOptions } from "../_wait.ts";
import { Queue } from "./_queue.ts";

/** A monitor: the events its mask selects, in order, until closed. */
export class MonitorQueue implements MonitorSource {
  #mask: number;
  #events = new Queue<MonitorEvent>();
  #waiters = new Queue<Waiter<MonitorEvent | undefined>>();
  #closed = false;

  /** @param mask the `MONITOR_EVENTS` bits to report */
  constructor(mask: number) {
    this.#mask = mask;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Reports an event, if the mask selects it. */
  emit(type: MonitorEvent["type"], value: number, endpoint: string): void {
    if (this.#closed || (this.#mask & MONITOR_EVENTS[type]) === 0) return;
    const event = { type, value, endpoint };
    const w = this.#waiters.shift();
    if (w !== undefined) w.resolve(event);
    else this.#events.push(event);
  }

  next(options?: WaitOptions): Promise<MonitorEvent | undefined> {
    const queued = this.#events.shift();
    if (queued !== undefined) {
      if (queued.type === "monitorStopped") this.close();
      return Promise.resolve(queued);
    }
    if (this.#closed) return Promise.resolve(undefined);
    if (options !== undefined) {
      const bad = checkWait(options, "receive");
      if (bad !== undefined) return Promise.reject(bad);
    }
    return new Promise((resolve, reject) => {
      const w: Waiter<MonitorEvent | undefined> = {
        resolve: (e) => {
          if (e?.type === "monitorStopped") this.close();
          resolve(e);
        },
        reject,
      };
      if (options !== undefined) {
        arm(w, options, "receive", () => this.#waiters.remove(w));
      }
      this.#waiters.push(w);
    });
  }

  /**
   * Ends the monitor: queued events can still be read, then `next()`
   * returns `undefined`.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const w of this.#waiters.drain()) w.resolve(undefined);
  }

  /** Ends the monitor and drops what it had queued. */
  discard(): void {
    this.close();
    this.#events.drain();
  }
}
