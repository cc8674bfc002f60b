/**
 * The retry policy of idempotent calls: which failures are retried, how
 * often, and how long to wait in between (exponential backoff with jitter,
 * never past the call's deadline).
 *
 * @module
 */

import type { MethodDescriptor } from "../wire/descriptors.ts";
import type { RpcError } from "../wire/errors.ts";
import { isStatusName, type StatusName } from "../wire/status.ts";
import { MAX_DEADLINE_MS } from "../wire/limits.ts";

/** How idempotent calls are retried. Non-idempotent calls never are. */
export interface RetryOptions {
  /** Attempts in all, the first included. @default {3} */
  maxAttempts?: number;
  /** Wait before the second attempt, in ms. @default {20} */
  initialBackoff?: number;
  /** Longest wait between attempts, in ms. @default {1000} */
  maxBackoff?: number;
  /** Growth of the wait from one attempt to the next. @default {2} */
  multiplier?: number;
  /**
   * Give up on an attempt that has had no answer for this many ms, send a
   * CANCEL for it and retry (as `UNAVAILABLE`). @default {none}
   */
  attemptTimeout?: number;
  /** The statuses that are retried. @default {["UNAVAILABLE"]} */
  retryOn?: readonly StatusName[];
}

/** What the policy looks at. */
export interface RetryCandidate {
  /** The method, if the call is one. */
  readonly method: MethodDescriptor | undefined;
  /** Attempts made so far. */
  readonly attempts: number;
  /** The overall deadline, a `performance.now()` time. */
  readonly deadlineAt: number;
  /** For streams: how many items arrived (no retry after the first). */
  readonly stream?: { readonly received: number } | undefined;
}

/**
 * Checks an optional duration option.
 *
 * @param value the option value
 * @param owner who owns the option, for the message
 * @param name the option name
 * @returns the value
 * @throws {RangeError} unless `undefined` or a number from 0 to 2³¹−1 (the
 *   longest delay a timer can represent, about 24.8 days)
 */
export function checkTimeout(
  value: number | undefined,
  owner: string,
  name: string,
): number | undefined {
  if (value === undefined) return undefined;
  if (
    typeof value !== "number" || !Number.isFinite(value) || value < 0 ||
    value > MAX_DEADLINE_MS
  ) {
    throw new RangeError(
      `Cannot use ${owner}: ${name} must be a number of ms from 0 to ${MAX_DEADLINE_MS}, got ${
        String(value)
      }`,
    );
  }
  return value;
}

/** A validated {@linkcode RetryOptions}. */
export class RetryPolicy {
  readonly maxAttempts: number;
  readonly initialBackoff: number;
  readonly maxBackoff: number;
  readonly multiplier: number;
  readonly attemptTimeout: number | undefined;
  readonly retryOn: ReadonlySet<StatusName>;

  /**
   * @param options the options
   * @throws {RangeError} for out-of-range numbers
   * @throws {TypeError} for an unknown status in `retryOn`
   */
  constructor(options: RetryOptions) {
    const where = "retry";
    this.maxAttempts = options.maxAttempts ?? 3;
    if (!Number.isInteger(this.maxAttempts) || this.maxAttempts < 1) {
      throw new RangeError(
        `Cannot use ${where}: maxAttempts must be an integer >= 1, got ${this.maxAttempts}`,
      );
    }
    this.initialBackoff = checkTimeout(
      options.initialBackoff,
      where,
      "initialBackoff",
    ) ?? 20;
    this.maxBackoff = checkTimeout(options.maxBackoff, where, "maxBackoff") ??
      1000;
    this.multiplier = options.multiplier ?? 2;
    if (!(this.multiplier >= 1) || !Number.isFinite(this.multiplier)) {
      throw new RangeError(
        `Cannot use ${where}: multiplier must be a finite number >= 1, got ${this.multiplier}`,
      );
    }
    this.attemptTimeout = checkTimeout(
      options.attemptTimeout,
      where,
      "attemptTimeout",
    );
    const codes = options.retryOn ?? ["UNAVAILABLE"];
    for (const c of codes) {
      if (!isStatusName(c)) {
        throw new TypeError(
          `Cannot use ${where}: ${JSON.stringify(c)} is not a status name`,
        );
      }
    }
    this.retryOn = new Set(codes);
  }

  /**
   * How long to wait before retrying, or `undefined` for no retry.
   *
   * @param call the call that failed
   * @param error how it failed
   * @returns the wait in ms, or `undefined`
   */
  delay(call: RetryCandidate, error: RpcError): number | undefined {
    if (call.method?.idempotent !== true) return undefined;
    if (call.attempts >= this.maxAttempts) return undefined;
    if (!this.retryOn.has(error.code)) return undefined;
    if (call.stream !== undefined && call.stream.received > 0) return undefined;
    const base = Math.min(
      this.initialBackoff * this.multiplier ** (call.attempts - 1),
      this.maxBackoff,
    );
    const wait = base / 2 + Math.random() * base / 2;
    if (performance.now() + wait >= call.deadlineAt) return undefined;
    return wait;
  }
}
