/**
 * Status codes: the one table of RPC outcomes, numbered as in gRPC so that
 * people (and tools) who know gRPC read them the same way.
 *
 * @module
 */

/**
 * Every status an RPC can end with, by name. The numbers travel on the wire
 * (the `status` field of an ERROR message, see `docs/PROTOCOL.md`).
 *
 * | name | n | used by zmp when |
 * |---|---|---|
 * | `OK` | 0 | never sent: success is a RESPONSE or END message |
 * | `CANCELLED` | 1 | the client cancelled; the server's `ctx.signal` reason; pending calls of a closed client |
 * | `UNKNOWN` | 2 | a status number this side does not know |
 * | `INVALID_ARGUMENT` | 3 | a malformed message, undecodable or invalid arguments |
 * | `DEADLINE_EXCEEDED` | 4 | the call's deadline passed |
 * | `NOT_FOUND` | 5 | (for handlers) |
 * | `ALREADY_EXISTS` | 6 | (for handlers) |
 * | `PERMISSION_DENIED` | 7 | (for handlers and interceptors) |
 * | `RESOURCE_EXHAUSTED` | 8 | over the server's concurrency, message size or element limit; a reply over the client's element limit |
 * | `FAILED_PRECONDITION` | 9 | an unsupported protocol version |
 * | `ABORTED` | 10 | (for handlers) |
 * | `OUT_OF_RANGE` | 11 | (for handlers) |
 * | `UNIMPLEMENTED` | 12 | unknown service or method, or unary/stream mismatch |
 * | `INTERNAL` | 13 | the handler threw something that is not an `RpcError`, or returned an invalid result |
 * | `UNAVAILABLE` | 14 | no server reachable, connection lost, server shutting down |
 * | `DATA_LOSS` | 15 | (for handlers) |
 * | `UNAUTHENTICATED` | 16 | (for handlers and interceptors) |
 */
export const STATUS = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

/** The name of a status, such as `"NOT_FOUND"`. */
export type StatusName = keyof typeof STATUS;

/** The number of a status, such as `5`. */
export type StatusNumber = typeof STATUS[StatusName];

const NAMES: readonly StatusName[] = Object.keys(STATUS) as StatusName[];

/**
 * The name of a status number.
 *
 * @param status the number read from the wire
 * @returns its name, or `"UNKNOWN"` for a number outside the table
 * @example
 * ```ts
 * import { statusName } from "zmp/wire";
 * console.log(statusName(5)); // "NOT_FOUND"
 * console.log(statusName(99)); // "UNKNOWN"
 * ```
 */
export function statusName(status: number): StatusName {
  return NAMES[status] ?? "UNKNOWN";
}

/**
 * Whether `name` is a status name of the table.
 *
 * @param name anything
 * @returns `true` for `"OK"`, `"NOT_FOUND"`, …
 */
export function isStatusName(name: unknown): name is StatusName {
  return typeof name === "string" && Object.hasOwn(STATUS, name);
}
