/**
 * `RpcError`: how a call fails, on both sides of the wire.
 *
 * A handler throws one to choose the status; the server sends its code,
 * message and details in an ERROR message; the client rebuilds the same class
 * from them.
 *
 * @module
 */

import { STATUS, type StatusName, statusName } from "./status.ts";

/** Extra, JSON-serialisable facts about an error (travels as JSON). */
export type ErrorDetails = Readonly<Record<string, unknown>>;

/** Options for {@linkcode RpcError}. */
export interface RpcErrorOptions {
  /** JSON-serialisable details, e.g. `{ issues: [...] }` for validation. */
  details?: ErrorDetails;
  /** The underlying cause (stays on this side of the wire). */
  cause?: unknown;
}

/**
 * A failed RPC. `code` is a name from {@linkcode STATUS} and `status` its
 * number; `details` is plain JSON data (validation issues, a stack when the
 * server exposes stacks, whatever a handler attached).
 *
 * @example Picking the status in a handler
 * ```ts
 * import { RpcError } from "zmp";
 * function get(id: string): never {
 *   throw new RpcError("NOT_FOUND", `No user "${id}"`, { details: { id } });
 * }
 * try {
 *   get("ada");
 * } catch (e) {
 *   if (e instanceof RpcError) console.log(e.code, e.status); // NOT_FOUND 5
 * }
 * ```
 */
export class RpcError extends Error {
  /** The status name, such as `"NOT_FOUND"`. */
  readonly code: StatusName;
  /** The status number, such as `5` (the wire value; kept when unknown). */
  readonly status: number;
  /** JSON details, if any. */
  readonly details: ErrorDetails | undefined;

  /**
   * Creates the error.
   *
   * @param code the status name
   * @param message what went wrong, for people
   * @param options details and cause
   * @throws {TypeError} when `code` is not a status name
   */
  constructor(
    code: StatusName,
    message: string,
    options: RpcErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? {} : { cause: options.cause });
    if (!Object.hasOwn(STATUS, code)) {
      throw new TypeError(
        `Cannot create RpcError: ${JSON.stringify(code)} is not a status name`,
      );
    }
    this.name = "RpcError";
    this.code = code;
    this.status = STATUS[code];
    this.details = options.details;
  }

  /**
   * Rebuilds an error read from the wire, keeping an unknown status number.
   *
   * @param status the status number from the ERROR header
   * @param message the message frame
   * @param details the decoded details frame, if any
   * @returns the error, with code `UNKNOWN` for a number outside the table
   */
  static fromWire(
    status: number,
    message: string,
    details?: ErrorDetails,
  ): RpcError {
    const error = new RpcError(statusName(status), message, { details });
    if (error.status !== status) {
      (error as { status: number }).status = status;
    }
    return error;
  }
}

/** Options for {@linkcode ProtocolError}. */
export interface ProtocolErrorOptions {
  /** The status to answer with. @default {"INVALID_ARGUMENT"} */
  code?: StatusName;
  /** The request id read from the header, or 0 when there was none. */
  requestId?: number;
  /** JSON details for the reply. */
  details?: ErrorDetails;
}

/**
 * A message that breaks the wire protocol: too few frames, a short header,
 * an unknown kind, an unsupported version, a bad method name or metadata.
 * It is a `SyntaxError`; `code` is the status the server answers with and
 * `requestId` the id to answer to (0 when none could be read).
 */
export class ProtocolError extends SyntaxError {
  /** The status to answer with. */
  readonly code: StatusName;
  /** The request id of the offending message, or 0. */
  readonly requestId: number;
  /** JSON details for the reply, if any. */
  readonly details: ErrorDetails | undefined;

  /**
   * @param message what is wrong, for people
   * @param options status, request id and details
   */
  constructor(message: string, options: ProtocolErrorOptions = {}) {
    super(message);
    this.name = "ProtocolError";
    this.code = options.code ?? "INVALID_ARGUMENT";
    this.requestId = options.requestId ?? 0;
    this.details = options.details;
  }
}
