/**
 * The error of a registry that cannot be reached.
 *
 * @module
 */

/** Options of {@linkcode RegistryUnavailableError}. */
export interface RegistryUnavailableErrorOptions {
  /** What failed underneath, usually an `RpcError`. */
  cause?: unknown;
  /**
   * Replaces the usual explanation (the registry could not be reached) when
   * something else went wrong, e.g. the endpoint is not a registry.
   */
  reason?: string;
}

/**
 * No registry answered at the endpoint within the timeout. The message is
 * one line that says where zmp looked and how to start a registry.
 *
 * @example
 * ```ts
 * import { RegistryUnavailableError } from "zmp";
 * const e = new RegistryUnavailableError("tcp://127.0.0.1:7350", 3000);
 * console.log(e.message);
 * // Cannot reach the zmp registry at tcp://127.0.0.1:7350 (waited 3000 ms): start one with "deno task zmp registry" or "zmp launch <file>", or set ZMP_REGISTRY
 * ```
 */
export class RegistryUnavailableError extends Error {
  /** Where zmp looked. */
  readonly endpoint: string;
  /** How long it waited, in ms. */
  readonly timeout: number;

  /**
   * Creates the error.
   *
   * @param endpoint where zmp looked
   * @param timeout how long it waited, in ms
   * @param options cause, and a reason replacing the usual explanation
   */
  constructor(
    endpoint: string,
    timeout: number,
    options: RegistryUnavailableErrorOptions = {},
  ) {
    const what = options.reason === undefined
      ? `Cannot reach the zmp registry at ${endpoint} (waited ${timeout} ms)`
      : `Cannot use ${endpoint} as the zmp registry (${options.reason})`;
    super(
      `${what}: start one with "deno task zmp registry" or "zmp launch <file>", or set ZMP_REGISTRY`,
      options.cause === undefined ? {} : { cause: options.cause },
    );
    this.name = "RegistryUnavailableError";
    this.endpoint = endpoint;
    this.timeout = timeout;
  }
}
