/**
 * `Feed`: the server side of one watch stream — a snapshot first, then the
 * events pushed to it, as an async iterator that the RPC server pulls from.
 *
 * The queue is bounded. A reader that falls more than `maxQueue` events
 * behind (the RPC layer stops pulling when the client's credit runs out)
 * does not make the registry grow: its queue is dropped and replaced by one
 * fresh snapshot, taken when the reader gets to it. Meanwhile new events are
 * not queued, since that snapshot will include them.
 *
 * @module
 */

import type { Keepalive } from "./_service.ts";

/** The keepalive item. */
export const KEEPALIVE: Keepalive = Object.freeze({ type: "keepalive" });

/** How a {@linkcode Feed} is made. */
export interface FeedInit<E> {
  /** Takes a snapshot event of the current state. */
  snapshot(): E;
  /** The most events queued before they collapse into a new snapshot. */
  maxQueue: number;
  /** Ends the feed (the call was cancelled, expired, or its client left). */
  signal: AbortSignal;
  /** Called once when the feed ends. */
  onClose(feed: Feed<E>): void;
}

/** One watcher's events, pulled by the RPC server's stream loop. */
export class Feed<E> implements AsyncIterableIterator<E | Keepalive> {
  readonly #init: FeedInit<E>;
  #queue: E[] = [];
  #resnapshot = true;
  #closed = false;
  #waiter: ((r: IteratorResult<E | Keepalive>) => void) | undefined;
  readonly #onAbort = () => this.close();
  /** How many times the queue overflowed into a snapshot. */
  overflows = 0;

  /**
   * @param init snapshot maker, bound, signal and close callback
   */
  constructor(init: FeedInit<E>) {
    this.#init = init;
    if (init.signal.aborted) {
      this.#closed = true;
    } else {
      init.signal.addEventListener("abort", this.#onAbort, { once: true });
    }
  }

  /** Whether the feed has ended. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Whether a reader is waiting for the next event right now. */
  get idle(): boolean {
    return this.#waiter !== undefined;
  }

  /** How many events are queued. */
  get queued(): number {
    return this.#queue.length;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /**
   * Queues an event (or hands it to a waiting reader).
   *
   * @param event the event
   */
  push(event: E): void {
    if (this.#closed || this.#resnapshot) return;
    if (this.#deliver(event)) return;
    if (this.#queue.length >= this.#init.maxQueue) {
      this.#queue = [];
      this.#resnapshot = true;
      this.overflows++;
      return;
    }
    this.#queue.push(event);
  }

  /** Hands a keepalive item to a waiting reader, if there is one. */
  keepalive(): void {
    this.#deliver(KEEPALIVE);
  }

  #deliver(item: E | Keepalive): boolean {
    const w = this.#waiter;
    if (w === undefined) return false;
    this.#waiter = undefined;
    w({ value: item, done: false });
    return true;
  }

  /**
   * The next item: the snapshot first, then queued events; waits when there
   * is none.
   *
   * @returns the item, or done once the feed is closed
   */
  next(): Promise<IteratorResult<E | Keepalive>> {
    if (this.#closed) return Promise.resolve({ value: undefined, done: true });
    if (this.#resnapshot) {
      this.#resnapshot = false;
      return Promise.resolve({ value: this.#init.snapshot(), done: false });
    }
    if (this.#queue.length > 0) {
      return Promise.resolve({ value: this.#queue.shift()!, done: false });
    }
    return new Promise((resolve) => {
      this.#waiter = resolve;
    });
  }

  /**
   * Ends the feed.
   *
   * @returns done
   */
  return(): Promise<IteratorResult<E | Keepalive>> {
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  /** Ends the feed: a waiting reader gets done. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue = [];
    this.#init.signal.removeEventListener("abort", this.#onAbort);
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.({ value: undefined, done: true });
    this.#init.onClose(this);
  }
}
