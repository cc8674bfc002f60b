/**
 * What every engine shares about waiting: the frame and wait-option types,
 * argument checks, and parking a waiter with a signal and a timeout.
 *
 * @module
 */

/** One frame of a message as given to `send`: bytes or UTF-8 text. */
export type Frame = Uint8Array | string;

/** Options for anything that can wait. */
export interface WaitOptions {
  /** Abort the wait; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Give up after this many milliseconds with a `TimeoutError`. */
  timeout?: number;
}

/** A parked operation. */
export interface Waiter<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
}

/** The longest timeout a timer can represent, in ms (2³¹−1, 24.8 days). */
export const MAX_TIMEOUT = 2 ** 31 - 1;

/** Validates wait options; returns the error to reject with, if any. */
export function checkWait(
  options: WaitOptions,
  operation: string,
): unknown | undefined {
  const { signal, timeout } = options;
  if (signal?.aborted) {
    return signal.reason ??
      new DOMException(`${operation} was aborted`, "AbortError");
  }
  if (
    timeout !== undefined &&
    (typeof timeout !== "number" || !(timeout >= 0) ||
      !(timeout <= MAX_TIMEOUT))
  ) {
    return new RangeError(
      `Cannot ${operation}: timeout must be a number of ms from 0 to ${MAX_TIMEOUT}, got ${
        show(timeout)
      }`,
    );
  }
  return undefined;
}

/**
 * Attaches abort and timeout handling to a parked waiter: on either, `drop`
 * takes the waiter out of its queue and the waiter rejects. Settling the
 * waiter otherwise detaches both.
 *
 * @param w the waiter (its `resolve`/`reject` are wrapped in place)
 * @param options the signal and timeout
 * @param operation named in the error messages
 * @param drop removes the waiter from wherever it is parked
 */
export function arm<T>(
  w: Waiter<T>,
  options: WaitOptions,
  operation: string,
  drop: () => void,
): void {
  const { signal, timeout } = options;
  if (signal === undefined && timeout === undefined) return;
  const resolve = w.resolve;
  const reject = w.reject;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const fail = (error: unknown) => {
    detach();
    drop();
    reject(error);
  };
  const onAbort = () =>
    fail(
      signal?.reason ??
        new DOMException(`${operation} was aborted`, "AbortError"),
    );
  const detach = () => {
    if (timer !== undefined) clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
  };
  signal?.addEventListener("abort", onAbort, { once: true });
  if (timeout !== undefined) {
    timer = setTimeout(
      () =>
        fail(
          new DOMException(
            `${operation} timed out after ${timeout} ms`,
            "TimeoutError",
          ),
        ),
      timeout,
    );
  }
  w.resolve = (v: T) => {
    detach();
    resolve(v);
  };
  w.reject = (e: unknown) => {
    detach();
    reject(e);
  };
}

/**
 * Checks the frames of a message to send; returns the error to reject
 * with, if any: a `RangeError` for no frame, a `TypeError` for a frame that
 * is neither a `Uint8Array` nor a string.
 */
export function checkFrames(frames: readonly Frame[]): Error | undefined {
  if (frames.length === 0) {
    return new RangeError("Cannot send: a message needs at least one frame");
  }
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i];
    if (typeof f !== "string" && !(f instanceof Uint8Array)) {
      return new TypeError(
        `Cannot send: frame ${i} must be a Uint8Array or a string, got ${
          show(f)
        }`,
      );
    }
  }
  return undefined;
}

/** Throws a `TypeError` unless `endpoint` is a non-empty string. */
export function checkEndpoint(endpoint: unknown, operation: string): void {
  if (typeof endpoint !== "string" || endpoint.length === 0) {
    throw new TypeError(
      `Cannot ${operation}: endpoint must be a non-empty string, got ${
        show(endpoint)
      }`,
    );
  }
}

/** A short rendering of a value for error messages. */
export function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value instanceof Uint8Array) return `Uint8Array(${value.byteLength})`;
  return String(value);
}
