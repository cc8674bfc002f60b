/**
 * The public socket base classes. Which operations a socket has is decided
 * at the type level: a `Publisher` has no `receive()`, a `Subscriber` has no
 * `send()`.
 *
 * @module
 */

import type { Frame, WaitOptions } from "./_wait.ts";
import type { EngineSocket } from "./_engine.ts";
import { Context } from "./context.ts";
import type {
  OptionReading,
  OptionValue,
  ReadableOptionName,
  SocketOptions,
  WritableOptionName,
} from "./options.ts";
import {
  MONITOR_EVENTS,
  type MonitorEventType,
  SocketMonitor,
} from "./monitor.ts";
import type { CurveAuthenticator } from "./curve.ts";

export type { Frame, WaitOptions };

/** A received message: one `Uint8Array` per frame. */
export type Message = Uint8Array[];

/** Options accepted by every socket constructor. */
export interface SocketInit extends SocketOptions {
  /**
   * The context to create the socket in.
   * @default {Context.default}
   */
  context?: Context;
  /**
   * Accepts or refuses each CURVE client by its long-term public key
   * during the handshake (an allow-list is the simplest). Needs
   * `curveServer: true`; `bind` and `connect` throw `TypeError` without
   * it. The zmtp engine calls it from the handshake; the libzmq engine
   * from its ZAP handler (RFC 27), so both refuse alike: the client gets
   * ERROR `400` and the server's monitor `handshakeFailedAuth` (value 400).
   * @default {undefined: every client that knows the server's key}
   */
  authenticate?: CurveAuthenticator;
}

/**
 * What every socket can do: bind, connect, options, monitor, close.
 * Use one of the concrete classes (`Dealer`, `Router`, `Publisher`, …).
 */
export abstract class Socket implements AsyncDisposable {
  /** @internal the engine; not part of the public API */
  protected readonly core: EngineSocket;
  readonly #context: Context;
  readonly #authenticates: boolean;

  /**
   * @param type the libzmq socket type number
   * @param init context and options applied before first use
   */
  protected constructor(type: number, init: SocketInit = {}) {
    const { context = Context.default, authenticate, ...options } = init;
    this.#context = context;
    this.core = context.openSocket(type);
    this.#authenticates = authenticate !== undefined;
    try {
      if (authenticate !== undefined) {
        if (typeof authenticate !== "function") {
          throw new TypeError(
            `Cannot create socket: authenticate must be a function, got ${typeof authenticate}`,
          );
        }
        this.core.setAuthenticator(authenticate);
      }
      for (const [name, value] of Object.entries(options)) {
        if (value === undefined) continue;
        this.core.setOption(
          name as WritableOptionName,
          value as OptionValue<WritableOptionName>,
        );
      }
    } catch (e) {
      this.core.close();
      throw e;
    }
  }

  /** The context this socket belongs to. */
  get context(): Context {
    return this.#context;
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.core.closed;
  }

  /**
   * Binds to an endpoint such as `tcp://127.0.0.1:*`, `ipc:///tmp/x` or
   * `inproc://name`.
   *
   * @param endpoint where to listen
   * @returns the endpoint actually bound (with the real port for `:*`)
   * @throws {ZmqError} `EADDRINUSE`, `EINVAL`, `EPROTONOSUPPORT`, `ENOTSOCK` …
   * @throws {TypeError} when `endpoint` is not a non-empty string
   */
  bind(endpoint: string): string {
    this.#checkAuthenticate("bind");
    return this.core.bind(endpoint);
  }

  /** An `authenticate` hook on a socket that is no CURVE server is a bug. */
  #checkAuthenticate(operation: string): void {
    if (this.#authenticates && !this.core.getOption("curveServer")) {
      throw new TypeError(
        `Cannot ${operation}: authenticate is set but the socket is not a CURVE server (set curveServer: true)`,
      );
    }
  }

  /**
   * Connects to an endpoint. ZeroMQ connects in the background and
   * reconnects on its own; messages wait in the queue meanwhile.
   *
   * @param endpoint where to connect
   * @throws {ZmqError} for a malformed endpoint or a closed socket
   */
  connect(endpoint: string): void {
    this.#checkAuthenticate("connect");
    this.core.connect(endpoint);
  }

  /**
   * Stops listening on an endpoint given to `bind` (use the returned one
   * for wildcard ports).
   *
   * @param endpoint the bound endpoint
   * @throws {ZmqError} `ENOENT` when it was not bound
   */
  unbind(endpoint: string): void {
    this.core.unbind(endpoint);
  }

  /**
   * Drops a connection made with `connect`.
   *
   * @param endpoint the connected endpoint
   * @throws {ZmqError} `ENOENT` when it was not connected
   */
  disconnect(endpoint: string): void {
    this.core.disconnect(endpoint);
  }

  /**
   * Sets a socket option from the table in `options.ts`.
   *
   * @param name the option (e.g. `"sendHighWaterMark"` for `ZMQ_SNDHWM`)
   * @param value its value
   * @throws {TypeError} for a value of the wrong type
   * @throws {RangeError} for a value out of range
   * @throws {ZmqError} `EINVAL` when libzmq refuses it
   */
  setOption<N extends WritableOptionName>(
    name: N,
    value: OptionValue<N>,
  ): void {
    this.core.setOption(name, value);
  }

  /**
   * Reads a socket option.
   *
   * @param name the option
   * @returns its current value
   */
  getOption<N extends ReadableOptionName>(name: N): OptionReading<N> {
    return this.core.getOption(name);
  }

  /**
   * Starts monitoring this socket's connection events.
   *
   * @param events which events to report
   * @default {all}
   * @returns an async iterable of events, ending when either side closes
   */
  monitor(events?: MonitorEventType[]): SocketMonitor {
    const mask = events === undefined
      ? 0xffff
      : events.reduce((m, e) => m | MONITOR_EVENTS[e], 0);
    return new SocketMonitor(this.core.monitor(mask));
  }

  /**
   * Closes the socket. Pending `receive()` and `send()` calls reject at once
   * with a `ZmqError` whose code is `ENOTSOCK`. Idempotent.
   */
  close(): void {
    this.core.close();
  }

  /** Closes the socket and waits until the engine has let go of it. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.core.settled();
  }
}

/** A socket that can receive. */
export abstract class ReadableSocket extends Socket
  implements AsyncIterable<Message> {
  /**
   * Receives the next message, waiting if there is none.
   *
   * @param options `signal` to abort, `timeout` in ms
   * @returns the frames of the message
   * @throws {ZmqError} `ENOTSOCK` if the socket is or gets closed
   * @throws {DOMException} `AbortError` or `TimeoutError`
   */
  receive(options?: WaitOptions): Promise<Message> {
    return this.core.receive(options);
  }

  /** Iterates messages until the socket is closed. */
  async *[Symbol.asyncIterator](): AsyncIterator<Message> {
    while (!this.core.closed) {
      try {
        yield await this.core.receive();
      } catch (e) {
        if (this.core.closed) return;
        throw e;
      }
    }
  }
}

/** A socket that can send. */
export abstract class WritableSocket extends Socket {
  /**
   * Sends a message of one or more frames. Resolves once libzmq has queued
   * it; waits while the high-water mark is reached (sockets that drop
   * instead, like `Publisher`, never wait).
   *
   * @param frames a frame or the frames of one message
   * @param options `signal` to abort, `timeout` in ms
   * @throws {ZmqError} e.g. `EHOSTUNREACH` on a mandatory router
   */
  send(frames: Frame | readonly Frame[], options?: WaitOptions): Promise<void> {
    return this.core.send(
      Array.isArray(frames) ? frames : [frames as Frame],
      options,
    );
  }
}

/** A socket that can both send and receive. */
export abstract class DuplexSocket extends ReadableSocket {
  /** {@inheritDoc WritableSocket.send} */
  send(frames: Frame | readonly Frame[], options?: WaitOptions): Promise<void> {
    return this.core.send(
      Array.isArray(frames) ? frames : [frames as Frame],
      options,
    );
  }
}
