/**
 * The libzmq engine: a libzmq context, loaded through FFI on first use, and
 * its sockets (`_core.ts`), waited on by one off-thread poll per process
 * (`_reactor.ts`). The reference for behaviour. CURVE servers are
 * authenticated through ZAP (`_libzmq_zap.ts`).
 *
 * @module
 */

import { libzmq } from "./loader.ts";
import { type CoreOwner, lastError, SocketCore } from "./_core.ts";
import type { Engine } from "./_engine.ts";
import { ZapHandler } from "./_libzmq_zap.ts";

const ZMQ_IO_THREADS = 1;
const ZMQ_MAX_SOCKETS = 2;

/** A libzmq context. */
export class LibzmqEngine implements Engine, CoreOwner {
  readonly name = "libzmq" as const;
  #handle: Deno.PointerObject | null;
  #cores = new Set<SocketCore>();
  #zap: ZapHandler | undefined;

  /**
   * @param ioThreads libzmq I/O threads
   * @param maxSockets the context's socket limit
   * @throws {LibzmqNotFoundError} when libzmq cannot be loaded
   */
  constructor(ioThreads: number, maxSockets: number) {
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

  /** The raw context handle. */
  get handle(): Deno.PointerObject {
    if (this.#handle === null) {
      throw new TypeError("Cannot use context: it is closed");
    }
    return this.#handle;
  }

  get sockets(): number {
    return this.#cores.size;
  }

  adopt(core: SocketCore): void {
    this.#cores.add(core);
  }

  release(core: SocketCore): void {
    this.#cores.delete(core);
  }

  zap(): ZapHandler {
    return this.#zap ??= new ZapHandler(this);
  }

  socket(type: number): SocketCore {
    return new SocketCore(this, type);
  }

  async close(): Promise<void> {
    const h = this.#handle;
    if (h === null) return;
    for (const core of [...this.#cores]) core.close();
    this.#handle = null;
    await libzmq().zmq.zmq_ctx_term(h);
  }
}
