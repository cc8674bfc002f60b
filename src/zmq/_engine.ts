/**
 * The engine interface: what a socket engine must provide so that the public
 * socket classes (`socket.ts`, `sockets.ts`) can sit on top of it. Two
 * engines implement it: libzmq through FFI (`_libzmq_engine.ts`) and ZMTP
 * 3.1 in TypeScript on Deno's own sockets (`zmtp/engine.ts`).
 *
 * Both are held to one transport suite (`tests/zmq/`), run against each
 * engine alone and against each other.
 *
 * @module
 */

import type { Frame, WaitOptions } from "./_wait.ts";
import type {
  OptionReading,
  OptionValue,
  ReadableOptionName,
  WritableOptionName,
} from "./options.ts";
import type { MonitorEvent } from "./monitor.ts";
import type { CurveAuthenticator } from "./curve.ts";

/** The engines zmp has. */
export const ENGINES = ["libzmq", "zmtp"] as const;
/** The name of an engine. */
export type EngineName = typeof ENGINES[number];

/**
 * The engine used when neither the context nor `ZMP_ENGINE` names one:
 * `zmtp`, which passes the whole suite, is faster than the libzmq engine
 * in `bench:zmq` on every figure, and needs no FFI.
 */
export const DEFAULT_ENGINE: EngineName = "zmtp";

/**
 * The engine of contexts made without one (and so of `Context.default`):
 * the one `ZMP_ENGINE` names, else `zmtp`. Without permission to read the
 * environment, `zmtp`.
 *
 * @returns the engine name
 * @throws {RangeError} when `ZMP_ENGINE` names no engine
 *
 * @example
 * ```ts
 * import { defaultEngine } from "zmp/zmq";
 * console.log(["libzmq", "zmtp"].includes(defaultEngine())); // true
 * ```
 */
export function defaultEngine(): EngineName {
  let name: string | undefined;
  try {
    name = Deno.env.get("ZMP_ENGINE");
  } catch {
    return DEFAULT_ENGINE;
  }
  if (name === undefined || name === "") return DEFAULT_ENGINE;
  if (!(ENGINES as readonly string[]).includes(name)) {
    throw new RangeError(
      `Cannot choose an engine: ZMP_ENGINE must be one of ${
        ENGINES.join(", ")
      }, got "${name}"`,
    );
  }
  return name as EngineName;
}

/** A stream of monitor events, as an engine produces them. */
export interface MonitorSource {
  /** Whether the source has ended. */
  readonly closed: boolean;
  /** The next event, or `undefined` once closed. */
  next(options?: WaitOptions): Promise<MonitorEvent | undefined>;
  /** Ends the source; idempotent. */
  close(): void;
}

/** One socket of an engine: the operations the public classes forward. */
export interface EngineSocket {
  /** The socket type number (`SOCKET_TYPES`). */
  readonly type: number;
  /** Whether `close()` has been called. */
  readonly closed: boolean;
  bind(endpoint: string): string;
  connect(endpoint: string): void;
  unbind(endpoint: string): void;
  disconnect(endpoint: string): void;
  setOption<N extends WritableOptionName>(name: N, value: OptionValue<N>): void;
  getOption<N extends ReadableOptionName>(name: N): OptionReading<N>;
  send(frames: readonly Frame[], options?: WaitOptions): Promise<void>;
  receive(options?: WaitOptions): Promise<Uint8Array[]>;
  /** Starts a monitor (replacing any previous one) for the event mask. */
  monitor(mask: number): MonitorSource;
  /**
   * Sets the hook that accepts or refuses CURVE clients (a CURVE server's
   * handshakes after this call use it); `undefined` accepts everyone.
   */
  setAuthenticator(hook: CurveAuthenticator | undefined): void;
  /**
   * The authenticated CURVE public key (Z85) of the peer known by this
   * routing id (ROUTER), or `undefined`.
   */
  peerPublicKey(routingId: Uint8Array): string | undefined;
  /**
   * ROUTER: stop reading a peer while its outbound pipe is full (at the
   * send high-water mark) and read it again once that drained, so that a
   * peer that does not read is not read either. Returns whether the engine
   * can: `false` from the libzmq engine, which has no per-peer read pause.
   */
  pauseFullPeers(on: boolean): boolean;
  /**
   * ROUTER: take no messages from the peer known by this routing id, and
   * stop reading its connection, for `ms` ms (a new call restarts the
   * pause). Returns whether it is paused: `false` for an unknown peer, and
   * from the libzmq engine.
   */
  pausePeer(routingId: Uint8Array, ms: number): boolean;
  /** Closes at once; pending waits reject with `ENOTSOCK`. */
  close(): void;
  /** Resolves once the engine has let go of every resource of the socket. */
  settled(): Promise<void>;
}

/** An engine instance, one per `Context`. */
export interface Engine {
  /** Which engine this is. */
  readonly name: EngineName;
  /** Open sockets. */
  readonly sockets: number;
  /** Makes a socket of a `SOCKET_TYPES` type. */
  socket(type: number): EngineSocket;
  /** Closes every socket, then releases the engine. */
  close(): Promise<void>;
}
