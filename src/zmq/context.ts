/**
 * `Context`: the libzmq context that owns sockets and I/O threads.
 *
 * Most programs never make one: sockets use a process-wide default context,
 * created on first use. Make your own to isolate `inproc://` names or to
 * close everything at once.
 *
 * @module
 */

import { libzmq } from "./loader.ts";
import { lastError, type SocketCore } from "./_core.ts";

const ZMQ_IO_THREADS = 1;
const ZMQ_MAX_SOCKETS = 2;

/** Options for {@linkcode Context}. */
export interface ContextOptions {
  /**
   * Number of libzmq I/O threads.
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
  #handle: Deno.PointerObject | null;
  #cores = new Set<SocketCore>();

  /**
   * Creates a context: its own libzmq I/O threads and sockets.
   *
   * @param options I/O threads and socket limit
   * @throws {RangeError} for a negative or non-integer option
   * @throws {LibzmqNotFoundError} when libzmq cannot be loaded
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
    const { zmq } = libzmq();
    const h = zmq.zmq_ctx_new();
    if (h === null) throw lastError("zmq_ctx_new");
    this.#handle = h;
    if (zmq.zmq_ctx_set(h, ZMQ_IO_THREADS, ioThreads) !== 0) {
      throw lastError("zmq_ctx_set(ZMQ_IO_THREADS)");
    }
    if (zmq.zmq_ctx_set(h, ZMQ_MAX_SOCKETS, maxSockets) !== 0) {
      throw lastError("zmq_ctx_set(ZMQ_MAX_SOCKETS)");
    }
  }

  /** The process-wide context used when a socket is given none. */
  static get default(): Context {
    return defaultContext ??= new Context();
  }

  /** The raw handle (internal). */
  get handle(): Deno.PointerObject {
    if (this.#handle === null) {
      throw new TypeError("Cannot use context: it is closed");
    }
    return this.#handle;
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.#handle === null;
  }

  /** Number of open sockets in this context. */
  get sockets(): number {
    return this.#cores.size;
  }

  /** @internal */
  adopt(core: SocketCore): void {
    this.#cores.add(core);
  }

  /** @internal */
  release(core: SocketCore): void {
    this.#cores.delete(core);
  }

  /**
   * Closes every socket of this context, then terminates it. Idempotent.
   *
   * @returns once libzmq has released the context
   */
  async close(): Promise<void> {
    const h = this.#handle;
    if (h === null) return;
    for (const core of [...this.#cores]) core.close();
    this.#handle = null;
    if (this === defaultContext) defaultContext = undefined;
    await libzmq().zmq.zmq_ctx_term(h);
  }

  /** Same as {@linkcode Context.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

let defaultContext: Context | undefined;
