/**
 * How the gateway reports failures over HTTP: every status of
 * `src/wire/status.ts` mapped to an HTTP status (as gRPC's HTTP mapping and
 * grpc-gateway do), and one JSON body, `{code, message, details}`, for
 * every error the gateway sends.
 *
 * @module
 */

import { RpcError } from "../../wire/errors.ts";
import type { StatusName } from "../../wire/status.ts";
import { stringifyJson } from "../../wire/json_schema.ts";

/**
 * The HTTP status of each zmp status, for errors a call or the gateway
 * itself ends with. Some errors use a more precise HTTP status with the
 * same code (see {@linkcode httpStatus}): `RESOURCE_EXHAUSTED` is 413 for
 * a request refused for its size (details `reason: "REQUEST_TOO_LARGE"`:
 * over a server's `maxElements` or `maxMessageSize`, or over the gateway's
 * `maxBodyBytes`) and 502 for a reply over the gateway's own element limit
 * (`reason: "REPLY_TOO_LARGE"`); a body that is not JSON is 415 and a
 * stream method called without `Accept: text/event-stream` 406
 * (`INVALID_ARGUMENT`), a method other than the route's 405
 * (`UNIMPLEMENTED`).
 *
 * | code | HTTP |
 * |---|---|
 * | `CANCELLED` | 499 |
 * | `UNKNOWN`, `INTERNAL`, `DATA_LOSS` | 500 |
 * | `INVALID_ARGUMENT`, `FAILED_PRECONDITION`, `OUT_OF_RANGE` | 400 |
 * | `DEADLINE_EXCEEDED` | 504 |
 * | `NOT_FOUND` | 404 |
 * | `ALREADY_EXISTS`, `ABORTED` | 409 |
 * | `PERMISSION_DENIED` | 403 |
 * | `UNAUTHENTICATED` | 401 |
 * | `RESOURCE_EXHAUSTED` (concurrency, streams, a handler's own) | 429 |
 * | `RESOURCE_EXHAUSTED`, `details.reason` `"REQUEST_TOO_LARGE"` | 413 |
 * | `RESOURCE_EXHAUSTED`, `details.reason` `"REPLY_TOO_LARGE"` | 502 |
 * | `UNIMPLEMENTED` | 501 |
 * | `UNAVAILABLE` | 503 |
 */
export const HTTP_STATUS = {
  OK: 200,
  CANCELLED: 499,
  UNKNOWN: 500,
  INVALID_ARGUMENT: 400,
  DEADLINE_EXCEEDED: 504,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  PERMISSION_DENIED: 403,
  RESOURCE_EXHAUSTED: 429,
  FAILED_PRECONDITION: 400,
  ABORTED: 409,
  OUT_OF_RANGE: 400,
  UNIMPLEMENTED: 501,
  INTERNAL: 500,
  UNAVAILABLE: 503,
  DATA_LOSS: 500,
  UNAUTHENTICATED: 401,
} as const satisfies Record<StatusName, number>;

/** The JSON body of every error response. */
export interface ErrorBody {
  /** The status name, such as `"INVALID_ARGUMENT"`. */
  code: StatusName;
  /** What went wrong, for people. */
  message: string;
  /** JSON facts: `issues` for validation errors, whatever a handler sent. */
  details: Record<string, unknown>;
}

/**
 * The HTTP status of an error body: {@linkcode HTTP_STATUS} of its code,
 * except `RESOURCE_EXHAUSTED` for size. A request over a size limit is
 * not "too many requests": sending it again will not help, so it is 413;
 * a reply over the gateway's element limit is the upstream server's
 * failure, 502. The two are told from a refusal for lack of room (429) by
 * `details.reason`, which zmp's servers and clients set
 * (`docs/PROTOCOL.md` §8).
 *
 * @param body the error body
 * @returns the HTTP status
 * @example
 * ```ts
 * import { httpStatus } from "zmp/bridge";
 * console.log(httpStatus({ code: "RESOURCE_EXHAUSTED", message: "busy", details: {} })); // 429
 * console.log(httpStatus({
 *   code: "RESOURCE_EXHAUSTED",
 *   message: "too many elements",
 *   details: { reason: "REQUEST_TOO_LARGE", limit: "maxElements" },
 * })); // 413
 * ```
 */
export function httpStatus(body: ErrorBody): number {
  if (body.code === "RESOURCE_EXHAUSTED") {
    const reason = body.details.reason;
    if (reason === "REQUEST_TOO_LARGE") return 413;
    if (reason === "REPLY_TOO_LARGE") return 502;
  }
  return HTTP_STATUS[body.code];
}

/**
 * The body of an error: an `RpcError` as it is, a timeout or abort as
 * `DEADLINE_EXCEEDED` or `CANCELLED`, anything else as `INTERNAL`.
 *
 * @param error what was thrown
 * @returns the body
 */
export function errorBody(error: unknown): ErrorBody {
  const e = asRpcError(error);
  return { code: e.code, message: e.message, details: { ...e.details } };
}

/**
 * Turns anything thrown into an `RpcError`.
 *
 * @param error what was thrown
 * @returns it, or an `RpcError` that says what it was
 */
export function asRpcError(error: unknown): RpcError {
  if (error instanceof RpcError) return error;
  const name = (error as Error)?.name;
  const message = String((error as Error)?.message ?? error);
  if (name === "TimeoutError") {
    return new RpcError("DEADLINE_EXCEEDED", message, { cause: error });
  }
  if (name === "AbortError") {
    return new RpcError("CANCELLED", message, { cause: error });
  }
  return new RpcError("INTERNAL", message, { cause: error });
}

/**
 * An error response: the JSON body, with its {@linkcode httpStatus}
 * unless `status` says otherwise.
 *
 * @param error what was thrown
 * @param options a more precise HTTP status, extra headers
 * @returns the response
 */
export function errorResponse(
  error: unknown,
  options: { status?: number; headers?: HeadersInit } = {},
): Response {
  const body = errorBody(error);
  const headers = new Headers(options.headers);
  headers.set("content-type", "application/json");
  return new Response(stringifyJson(body), {
    status: options.status ?? httpStatus(body),
    headers,
  });
}
