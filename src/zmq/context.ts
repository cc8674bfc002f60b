/**
 * `Context`: the libzmq context that owns sockets and I/O threads.
 *
 * Most programs never make one: sockets use a process-wide default context,
 * created on first use. Make your own to isolate `inproc://` names or to
 * close everything at once.
 *
 * @module
 */

import { LibzmqEngine } from "./_libzmq_engine.ts";
import {
  defaultEngine,
  type Engine,
  type EngineName,
  ENGINES,
  type EngineSocket,
} from "./_engine.ts";
import { ZmtpEngine } from "./zmtp/engine.ts";

export type { EngineName };

/** Options for {@linkcode Context}. */
export interface ContextOptions {
  /**
   * The engine behind the sockets: `"libzmq"` (libzmq through FFI) or
   * `"zmtp"` (ZMTP 3.1 in TypeScript on Deno's own sockets, no FFI).
   * @default {the ZMP_ENGINE environment variable, else "zmtp"}
   */
  engine?: EngineName;
  /**
   * Number of libzmq I/O threads (libzmq engine only).
   * @default {1}
   */
  ioThreads?: number;
  /**
   * Largest number of sockets the context may hold at once.
   * @default {4096}
   */
  maxSockets?: number;
}

/**
 * A ZeroMQ context. Closing it closes every socket made in it.
 *
 * @example Two sockets talking over inproc in a private context
 * ```ts
 * import { Context, Pair } from "zmp/zmq";
 * await using ctx = new Context();
 * await using a = new Pair({ context: ctx });
 * await using b = new Pair({ context: ctx });
 * a.bind("inproc://example");
 * b.connect("inproc://example");
 * await a.send(["hello"]);
 * const [frame] = await b.receive();
 * console.log(new TextDecoder().decode(frame)); // "hello"
 * ```
 */
export class Context implements AsyncDisposable {
  #engine: Engine | null;

  /**
   * Creates a context: its sockets, on one engine.
   *
   * @param options engine, I/O threads and socket limit
   * @throws {RangeError} for a negative or non-integer option or an
   *   unknown engine
   * @throws {LibzmqNotFoundError} when the libzmq engine cannot load libzmq
   */
  constructor(options: ContextOptions = {}) {
    const { ioThreads = 1, maxSockets = 4096 } = options;
    for (
      const [name, v, min] of [
        ["ioThreads", ioThreads, 0],
        ["maxSockets", maxSockets, 1],
      ] as const
    ) {
      if (!Number.isInteger(v) || v < min) {
        throw new RangeError(
          `Cannot create context: ${name} must be an integer >= ${min}, got ${v}`,
        );
      }
    }
    const engine = options.engine ?? defaultEngine();
    if (!(ENGINES as readonly string[]).includes(engine)) {
      throw new RangeError(
        `Cannot create context: engine must be one of ${
          ENGINES.join(", ")
        }, got ${JSON.stringify(engine)}`,
      );
    }
    this.#engine = engine === "zmtp"
      ? new ZmtpEngine(maxSockets)
      : new LibzmqEngine(ioThreads, maxSockets);
  }

  /** The process-wide context used when a socket is given none. */
  static get default(): Context {
    return defaultContext ??= new Context();
  }

  /** Which engine runs this context's sockets. */
  get engine(): EngineName {
    return this.#live().name;
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.#engine === null;
  }

  /** Number of open sockets in this context. */
  get sockets(): number {
    return this.#engine?.sockets ?? 0;
  }

  #live(): Engine {
    if (this.#engine === null) {
      throw new TypeError("Cannot use context: it is closed");
    }
    return this.#engine;
  }

  /** @internal makes an engine socket; used by the socket classes */
  openSocket(type: number): EngineSocket {
    return this.#live().socket(type);
  }

  /**
   * Closes every socket of this context, then terminates it. Idempotent.
   *
   * @returns once the engine has released everything
   */
  async close(): Promise<void> {
    const engine = this.#engine;
    if (engine === null) return;
    this.#engine = null;
    if (this === defaultContext) defaultContext = undefined;
    await engine.close();
  }

  /** Same as {@linkcode Context.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

let defaultContext: Context | undefined;
