/**
 * The client side of a server stream: an async iterator fed by DATA, END and
 * ERROR messages, which hands credit back to the server as the consumer
 * reads. The server never sends more than the credit it was given, so the
 * queue here holds at most `window` items.
 *
 * @module
 */

/** What a stream needs from its client. */
export interface StreamControl {
  /** Sends the REQUEST (called on the first `next()`). */
  start(stream: ClientStream): void;
  /** Sends a CREDIT of `n` for the current attempt. */
  grant(n: number): void;
  /** Sends a CANCEL and forgets the call (the consumer stopped early). */
  cancel(): void;
}

/** The items of one stream call, as an async iterable iterator. */
export class ClientStream implements AsyncIterableIterator<unknown> {
  readonly #control: StreamControl;
  readonly #threshold: number;
  #queue: unknown[] = [];
  #head = 0;
  #started = false;
  #finished = false;
  #error: unknown = undefined;
  #failed = false;
  #unacknowledged = 0;
  #received = 0;
  #waiter:
    | {
      resolve(r: IteratorResult<unknown>): void;
      reject(e: unknown): void;
    }
    | undefined;

  /**
   * @param control how to start, grant credit and cancel
   * @param window the credit granted in the REQUEST
   */
  constructor(control: StreamControl, window: number) {
    this.#control = control;
    this.#threshold = Math.max(1, Math.floor(window / 2));
  }

  /** How many items arrived so far (for retry decisions). */
  get received(): number {
    return this.#received;
  }

  /** Whether the stream has ended, failed or been stopped. */
  get finished(): boolean {
    return this.#finished;
  }

  /** How many items are queued, waiting for the consumer. */
  get buffered(): number {
    return this.#queue.length - this.#head;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /**
   * The next item; starts the call on the first use.
   *
   * @returns the next item, or done once the stream ended
   * @throws {RpcError} the status the stream ended with
   */
  next(): Promise<IteratorResult<unknown>> {
    if (!this.#started) {
      this.#started = true;
      try {
        this.#control.start(this);
      } catch (e) {
        this.fail(e);
      }
    }
    if (this.#head < this.#queue.length) {
      const value = this.#queue[this.#head];
      this.#queue[this.#head++] = undefined;
      if (this.#head === this.#queue.length) {
        this.#queue = [];
        this.#head = 0;
      }
      this.#consumed();
      return Promise.resolve({ value, done: false });
    }
    if (this.#failed) {
      this.#failed = false;
      const error = this.#error;
      this.#error = undefined;
      return Promise.reject(error);
    }
    if (this.#finished) {
      return Promise.resolve({ value: undefined, done: true });
    }
    if (this.#waiter !== undefined) {
      return Promise.reject(
        new TypeError("Cannot read a stream: a next() is already pending"),
      );
    }
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  /**
   * Stops reading: cancels the call if it is still running.
   *
   * @returns done
   */
  return(): Promise<IteratorResult<unknown>> {
    if (this.#started && !this.#finished) this.#control.cancel();
    this.#finish();
    this.#queue = [];
    this.#head = 0;
    this.#failed = false;
    this.#error = undefined;
    return Promise.resolve({ value: undefined, done: true });
  }

  /**
   * Same as `return()`, then rethrows `error`.
   *
   * @param error the error to rethrow
   */
  throw(error?: unknown): Promise<IteratorResult<unknown>> {
    return this.return().then(() => Promise.reject(error));
  }

  /**
   * Delivers one item (a DATA message).
   *
   * @param value the decoded item
   */
  push(value: unknown): void {
    if (this.#finished) return;
    this.#received++;
    const w = this.#waiter;
    if (w !== undefined) {
      this.#waiter = undefined;
      this.#consumed();
      w.resolve({ value, done: false });
    } else {
      this.#queue.push(value);
    }
  }

  /** Ends the stream normally (an END message). */
  end(): void {
    if (this.#finished) return;
    this.#finish();
  }

  /**
   * Ends the stream with an error, thrown after the queued items.
   *
   * @param error usually an `RpcError`
   */
  fail(error: unknown): void {
    if (this.#finished) return;
    this.#finished = true;
    const w = this.#waiter;
    if (w !== undefined) {
      this.#waiter = undefined;
      w.reject(error);
    } else {
      this.#failed = true;
      this.#error = error;
    }
  }

  #finish(): void {
    this.#finished = true;
    const w = this.#waiter;
    if (w !== undefined) {
      this.#waiter = undefined;
      w.resolve({ value: undefined, done: true });
    }
  }

  #consumed(): void {
    if (this.#finished) return;
    if (++this.#unacknowledged >= this.#threshold) {
      const n = this.#unacknowledged;
      this.#unacknowledged = 0;
      this.#control.grant(n);
    }
  }
}
