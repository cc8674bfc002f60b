/**
 * The errors of the registry: one that cannot be reached, and a
 * compare-and-set of a param that lost.
 *
 * @module
 */

import { RpcError } from "../wire/errors.ts";
import type { NodeInfo } from "./types.ts";

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
    const how =
      endpoint.startsWith("etcd://") || endpoint.startsWith("etcds://")
        ? "start etcd there, or set ZMP_REGISTRY"
        : 'start one with "deno task zmp registry" or "zmp launch <file>", or set ZMP_REGISTRY';
    super(
      `${what}: ${how}`,
      options.cause === undefined ? {} : { cause: options.cause },
    );
    this.name = "RegistryUnavailableError";
    this.endpoint = endpoint;
    this.timeout = timeout;
  }
}

/**
 * A compare-and-set of a param lost: the key's revision was not the one
 * expected, because someone else changed it. It is an `RpcError` with code
 * `ABORTED` (what the embedded registry answers on the wire), so that code
 * that handles `RpcError`s handles it too.
 *
 * @example
 * ```ts
 * import { ParamConflictError } from "../../mod.ts";
 * const e = new ParamConflictError("robot.speed", 7, 9);
 * console.log(e.code, e.message);
 * // ABORTED Cannot set param "robot.speed": its revision is 9, not 7 (someone else changed it)
 * ```
 */
export class ParamConflictError extends RpcError {
  /** The key. */
  readonly key: string;
  /** The revision the caller expected (`0`: unset). */
  readonly expected: number;
  /** The revision the key has (`0`: unset). */
  readonly actual: number;

  /**
   * Creates the error.
   *
   * @param key the key
   * @param expected the revision the caller expected
   * @param actual the revision the key has
   */
  constructor(key: string, expected: number, actual: number) {
    const what = (r: number) => r === 0 ? "unset" : `revision ${r}`;
    super(
      "ABORTED",
      actual === 0
        ? `Cannot set param "${key}": it is unset, not at ${what(expected)}`
        : expected === 0
        ? `Cannot set param "${key}": it is set (revision ${actual}), not unset`
        : `Cannot set param "${key}": its revision is ${actual}, not ${expected} (someone else changed it)`,
      { details: { key, expected, actual } },
    );
    this.name = "ParamConflictError";
    this.key = key;
    this.expected = expected;
    this.actual = actual;
  }

  /**
   * The conflict an `ABORTED` error from the embedded registry describes,
   * or the error itself when it is not one.
   *
   * @param e an error from a `paramSet` call
   * @returns a `ParamConflictError`, or `e`
   */
  static from(e: unknown): unknown {
    if (!(e instanceof RpcError) || e.code !== "ABORTED") return e;
    const d = e.details as
      | { key?: unknown; expected?: unknown; actual?: unknown }
      | undefined;
    if (
      typeof d?.key !== "string" || typeof d.expected !== "number" ||
      typeof d.actual !== "number"
    ) {
      return e;
    }
    return new ParamConflictError(d.key, d.expected, d.actual);
  }
}

/**
 * The error of a registration refused because a live node has the name,
 * the same from every backend.
 *
 * @param name the name asked for
 * @param other the live node that has it
 * @returns an `RpcError` `ALREADY_EXISTS` whose details name that node
 */
export function nameTaken(name: string, other: NodeInfo): RpcError {
  return new RpcError(
    "ALREADY_EXISTS",
    `Cannot register node "${name}": a live node of that name already runs as pid ${other.pid} on ${other.host} (instance ${other.instanceId})`,
    {
      details: {
        name: other.name,
        pid: other.pid,
        host: other.host,
        instanceId: other.instanceId,
      },
    },
  );
}

/**
 * The error of a call about a registration that did not carry the
 * registration's token, the same from every backend.
 *
 * @param name the node name
 * @param what the operation refused, e.g. `update`
 * @returns an `RpcError` `PERMISSION_DENIED`
 */
export function wrongToken(name: string, what: string): RpcError {
  return new RpcError(
    "PERMISSION_DENIED",
    `Cannot ${what} node "${name}": the registration token is wrong`,
    { details: { name } },
  );
}
