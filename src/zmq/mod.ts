/**
 * ZeroMQ for Deno, with two engines behind one socket API: ZMTP 3.1 in
 * TypeScript on Deno's own sockets (`zmtp`, the default), and libzmq through
 * FFI (`libzmq`). Choose per context (`new Context({ engine })`) or per
 * process (`ZMP_ENGINE`).
 *
 * Sockets are typed by pattern (a `Publisher` cannot receive), messages are
 * arrays of `Uint8Array` frames, and `send()` and `receive()` return
 * promises without blocking the event loop. libzmq is loaded only when a
 * libzmq context is made (see `loader.ts`).
 *
 * @module
 */

export { Context, type ContextOptions, type EngineName } from "./context.ts";
export { defaultEngine, ENGINES } from "./_engine.ts";
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
export {
  type CurveAuthenticator,
  type CurveClientSecurity,
  curveKeyBytes,
  type CurveKeyPair,
  curveKeypair,
  curveKeyText,
  type CurvePeer,
  curvePublic,
  type CurveServerSecurity,
  curveSocketOptions,
} from "./curve.ts";
export { errnoName, ZmqError, type ZmqErrorOptions } from "./errors.ts";
export {
  libzmq,
  LibzmqNotFoundError,
  type LoadAttempt,
  type LoadedLibzmq,
} from "./loader.ts";
