/**
 * The proxy example: workers do the work, a proxy is the front door that
 * callers use and spreads their calls over the live workers.
 *
 * `deno task codegen` turns this file into `proxy.api.gen.ts` and
 * `proxy.api.schema.json`.
 *
 * @module
 */

/** One answer, with who computed it. */
export interface Answer {
  /** The argument. */
  x: number;
  /** `x * x`. */
  square: number;
  /** The worker node's name. */
  worker: string;
  /** The worker's process id: a restarted worker has a new one. */
  pid: number;
}

/**
 * What each worker provides.
 * @service
 */
export interface Worker {
  /**
   * Squares `x`, slowly (a few ms of pretend work).
   * @idempotent
   */
  square(x: number): Promise<Answer>;
}

/** The proxy's counters. */
export interface ProxyStats {
  /** Calls answered. */
  answered: number;
  /** Calls that failed. */
  failed: number;
  /** Calls being worked on now. */
  inFlight: number;
  /** Calls waiting for a free slot now. */
  queued: number;
  /** The most calls it works on at once. */
  limit: number;
  /** Workers it is connected to now. */
  liveWorkers: number;
  /** Answers per worker, keyed `name (pid N)`. */
  byWorker: Record<string, number>;
}

/**
 * The front door callers use.
 * @service
 */
export interface Front {
  /**
   * Squares `x` on one of the live workers; a worker that dies meanwhile
   * is replaced by another.
   * @idempotent
   */
  square(x: number): Promise<Answer>;
  /** The counters now. */
  stats(): Promise<ProxyStats>;
}
