/**
 * ZeroMQ for Deno, bound to libzmq through FFI.
 *
 * Sockets are typed by pattern (a `Publisher` cannot receive), messages are
 * arrays of `Uint8Array` frames, `send()` and `receive()` return promises,
 * and one reactor per process waits on every socket without blocking the
 * event loop. libzmq is loaded on first use (see `loader.ts`).
 *
 * @module
 */

export { Context, type ContextOptions } from "./context.ts";
export {
  DuplexSocket,
  type Frame,
  type Message,
  ReadableSocket,
  Socket,
  type SocketInit,
  type WaitOptions,
  WritableSocket,
} from "./socket.ts";
export {
  Dealer,
  Pair,
  Publisher,
  Pull,
  Push,
  Reply,
  Request,
  Router,
  SOCKET_TYPES,
  Subscriber,
  XPublisher,
  XSubscriber,
} from "./sockets.ts";
export {
  type OptionReading,
  type OptionValue,
  type ReadableOptionName,
  SOCKET_OPTIONS,
  type SocketOptionName,
  type SocketOptions,
  type WritableOptionName,
} from "./options.ts";
export {
  MONITOR_EVENTS,
  type MonitorEvent,
  type MonitorEventType,
  SocketMonitor,
} from "./monitor.ts";
export { type CurveKeyPair, curveKeypair } from "./curve.ts";
export { errnoName, ZmqError, type ZmqErrorOptions } from "./errors.ts";
export {
  libzmq,
  LibzmqNotFoundError,
  type LoadAttempt,
  type LoadedLibzmq,
} from "./loader.ts";
