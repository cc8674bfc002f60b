/**
 * `ZmqError`: every failure of a libzmq call, with the errno name.
 *
 * @module
 */

const HAUSNUMERO = 156384712;

const LINUX_ERRNO: Record<number, string> = {
  1: "EPERM",
  2: "ENOENT",
  4: "EINTR",
  9: "EBADF",
  11: "EAGAIN",
  12: "ENOMEM",
  13: "EACCES",
  14: "EFAULT",
  19: "ENODEV",
  22: "EINVAL",
  24: "EMFILE",
  36: "ENAMETOOLONG",
  88: "ENOTSOCK",
  90: "EMSGSIZE",
  93: "EPROTONOSUPPORT",
  95: "ENOTSUP",
  97: "EAFNOSUPPORT",
  98: "EADDRINUSE",
  99: "EADDRNOTAVAIL",
  100: "ENETDOWN",
  101: "ENETUNREACH",
  102: "ENETRESET",
  103: "ECONNABORTED",
  104: "ECONNRESET",
  105: "ENOBUFS",
  107: "ENOTCONN",
  110: "ETIMEDOUT",
  111: "ECONNREFUSED",
  113: "EHOSTUNREACH",
  115: "EINPROGRESS",
};

const DARWIN_ERRNO: Record<number, string> = {
  1: "EPERM",
  2: "ENOENT",
  4: "EINTR",
  9: "EBADF",
  12: "ENOMEM",
  13: "EACCES",
  14: "EFAULT",
  19: "ENODEV",
  22: "EINVAL",
  24: "EMFILE",
  35: "EAGAIN",
  36: "EINPROGRESS",
  38: "ENOTSOCK",
  40: "EMSGSIZE",
  43: "EPROTONOSUPPORT",
  45: "ENOTSUP",
  47: "EAFNOSUPPORT",
  48: "EADDRINUSE",
  49: "EADDRNOTAVAIL",
  50: "ENETDOWN",
  51: "ENETUNREACH",
  52: "ENETRESET",
  53: "ECONNABORTED",
  54: "ECONNRESET",
  55: "ENOBUFS",
  57: "ENOTCONN",
  60: "ETIMEDOUT",
  61: "ECONNREFUSED",
  63: "ENAMETOOLONG",
  65: "EHOSTUNREACH",
};

const ZMQ_ERRNO: Record<number, string> = {
  [HAUSNUMERO + 51]: "EFSM",
  [HAUSNUMERO + 52]: "ENOCOMPATPROTO",
  [HAUSNUMERO + 53]: "ETERM",
  [HAUSNUMERO + 54]: "EMTHREAD",
};

const OS_ERRNO = Deno.build.os === "darwin" ? DARWIN_ERRNO : LINUX_ERRNO;

/** The errno number of `EAGAIN` on this OS. */
export const EAGAIN = Deno.build.os === "darwin" ? 35 : 11;
/** The errno number of `EINTR` on this OS. */
export const EINTR = 4;

/**
 * The symbolic name of an errno value (`EAGAIN`, `ETERM`, …), or
 * `E<number>` when it is not one zmp knows.
 *
 * @param errno the numeric errno
 * @returns the symbolic name
 */
export function errnoName(errno: number): string {
  return ZMQ_ERRNO[errno] ?? OS_ERRNO[errno] ?? `E${errno}`;
}

/** Options for {@linkcode ZmqError}. */
export interface ZmqErrorOptions {
  /** The libzmq call or zmp operation that failed, e.g. `zmq_bind`. */
  operation: string;
  /** The endpoint involved, if any. */
  endpoint?: string;
  /** The underlying cause. */
  cause?: unknown;
}

/**
 * A failed ZeroMQ operation. `code` is the errno name (`EAGAIN`,
 * `EADDRINUSE`, `ENOTSOCK` for use after close, …) and `errno` its number on
 * this OS; the message names the operation and the endpoint.
 *
 * @example Catching a bad endpoint
 * ```ts
 * import { Dealer, ZmqError } from "zmp/zmq";
 * const s = new Dealer();
 * try {
 *   s.bind("nonsense://here");
 * } catch (e) {
 *   if (!(e instanceof ZmqError)) throw e;
 *   console.log(e.code); // "EPROTONOSUPPORT"
 * } finally {
 *   s.close();
 * }
 * ```
 */
export class ZmqError extends Error {
  /** The errno name, such as `EAGAIN`. */
  readonly code: string;
  /** The errno number on this OS (0 when zmp raised it itself). */
  readonly errno: number;
  /** The operation that failed. */
  readonly operation: string;
  /** The endpoint involved, if any. */
  readonly endpoint: string | undefined;

  /**
   * Creates the error.
   *
   * @param code the errno name
   * @param errno the errno number
   * @param message what went wrong, without the operation prefix
   * @param options the operation, endpoint and cause
   */
  constructor(
    code: string,
    errno: number,
    message: string,
    options: ZmqErrorOptions,
  ) {
    const where = options.endpoint === undefined
      ? options.operation
      : `${options.operation} "${options.endpoint}"`;
    super(`${where} failed: ${message} (${code})`, { cause: options.cause });
    this.name = "ZmqError";
    this.code = code;
    this.errno = errno;
    this.operation = options.operation;
    this.endpoint = options.endpoint;
  }
}

const ERRNO_BY_NAME: Record<string, number> = Object.fromEntries([
  ...Object.entries(OS_ERRNO).map(([n, name]) => [name, Number(n)]),
  ...Object.entries(ZMQ_ERRNO).map(([n, name]) => [name, Number(n)]),
]);

/** What `zmq_strerror` says for the codes the TypeScript engine raises. */
const STRERROR: Record<string, string> = {
  EADDRINUSE: "Address already in use",
  EADDRNOTAVAIL: "Cannot assign requested address",
  EAGAIN: "Resource temporarily unavailable",
  EACCES: "Permission denied",
  ECONNREFUSED: "Connection refused",
  EFSM: "Operation cannot be accomplished in current state",
  EHOSTUNREACH: "No route to host",
  EINVAL: "Invalid argument",
  EMSGSIZE: "Message too long",
  ENAMETOOLONG: "File name too long",
  ENODEV: "No such device",
  ENOENT: "No such file or directory",
  ENOTSUP: "Operation not supported",
  EPROTONOSUPPORT: "Protocol not supported",
  ETERM: "Context was terminated",
};

/**
 * A `ZmqError` for an errno name, with this OS's number and libzmq's text,
 * for engines that do not get them from libzmq.
 *
 * @param code the errno name, e.g. `EHOSTUNREACH`
 * @param options the operation, endpoint and cause
 * @param detail replaces the standard text
 * @returns the error
 */
export function zmqError(
  code: string,
  options: ZmqErrorOptions,
  detail?: string,
): ZmqError {
  return new ZmqError(
    code,
    ERRNO_BY_NAME[code] ?? 0,
    detail ?? STRERROR[code] ?? code,
    options,
  );
}
