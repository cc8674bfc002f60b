/**
 * `LaunchError`: a launch that cannot start, or that failed.
 *
 * @module
 */

/** Options of {@linkcode LaunchError}. */
export interface LaunchErrorOptions {
  /** The launch file concerned. */
  file?: string;
  /** The node concerned. */
  node?: string;
  /** The spec field concerned, as a path: `restart.factor`. */
  field?: string;
  /** More lines, e.g. the type checker's whole output. */
  details?: string;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * A launch that cannot start (missing file or module, bad spec, type
 * error). The message is one line (for a type error: the checker's first
 * diagnostic, with its whole output in `details`).
 *
 * @example
 * ```ts
 * import { LaunchError } from "zmp";
 * const e = new LaunchError('Cannot launch: restart must be "never", "on-failure" or "always"', {
 *   node: "calc-1",
 *   field: "restart",
 * });
 * console.log(e.node, e.field); // calc-1 restart
 * ```
 */
export class LaunchError extends Error {
  /** The launch file concerned, if known. */
  readonly file: string | undefined;
  /** The node concerned, if any. */
  readonly node: string | undefined;
  /** The spec field concerned, if any. */
  readonly field: string | undefined;
  /** More lines, e.g. the type checker's whole output. */
  readonly details: string | undefined;

  /**
   * Creates the error.
   *
   * @param message what went wrong, for people
   * @param options where, and the cause
   */
  constructor(message: string, options: LaunchErrorOptions = {}) {
    super(message, options.cause === undefined ? {} : { cause: options.cause });
    this.name = "LaunchError";
    this.file = options.file;
    this.node = options.node;
    this.field = options.field;
    this.details = options.details;
  }
}
