/**
 * The per-process reactor: one off-thread `poll()` over the `ZMQ_FD`s of the
 * sockets that have someone waiting, plus a wake-up pipe so that the set can
 * change while a poll is in flight.
 *
 * The JS thread is the only one that ever touches a ZeroMQ socket: the poll
 * thread sees plain file descriptors. `ZMQ_FD` is edge-triggered, so a
 * watched socket must re-read `ZMQ_EVENTS` whenever its fd fires and after
 * every send and receive of its own; `Pollable.service()` does that.
 *
 * @module
 */

import { libzmq } from "./loader.ts";

/** Something the reactor can wait on. */
export interface Pollable {
  /** The OS file descriptor to poll for readability. */
  readonly fd: number;
  /** Called on the JS thread when the fd fired; serves waiters. */
  service(): void;
}

const POLLIN = 1;
const F_SETFL = 4;
const O_NONBLOCK = Deno.build.os === "darwin" ? 0x4 : 0x800;

/** How many microtask turns to yield before parking on the poll thread. */
const YIELDS_BEFORE_PARK = 3;

class Reactor {
  #watched = new Set<Pollable>();
  #inPoll = new Set<Pollable>();
  #loop: Promise<void> | undefined;
  #polling = false;
  #wakePending = false;
  #wakeRead = -1;
  #wakeWrite = -1;
  #scratch = new Uint8Array(64);

  /** Starts waiting for `p`'s fd (idempotent). */
  watch(p: Pollable): void {
    if (this.#watched.has(p)) return;
    this.#watched.add(p);
    if (this.#loop === undefined) {
      this.#loop = this.#run();
    } else if (this.#polling && !this.#inPoll.has(p)) {
      this.#wake();
    }
  }

  /** Stops waiting for `p`; wakes a poll in flight so it cannot linger. */
  unwatch(p: Pollable): void {
    if (!this.#watched.delete(p)) return;
    if (this.#polling && this.#inPoll.has(p)) this.#wake();
  }

  /** Resolves once no poll is in flight for sockets that nobody waits on. */
  async settled(): Promise<void> {
    while (this.#loop !== undefined && this.#watched.size === 0) {
      await this.#loop;
    }
  }

  #ensurePipe(): void {
    if (this.#wakeRead >= 0) return;
    const { libc } = libzmq();
    const fds = new Int32Array(2);
    if (libc.pipe(fds) !== 0) {
      throw new Error("Cannot create the reactor's wake-up pipe");
    }
    for (const fd of fds) libc.fcntl(fd, F_SETFL, O_NONBLOCK);
    this.#wakeRead = fds[0];
    this.#wakeWrite = fds[1];
  }

  #wake(): void {
    if (this.#wakePending) return;
    this.#wakePending = true;
    libzmq().libc.write(this.#wakeWrite, this.#scratch, 1n);
  }

  #drainWake(): void {
    const { libc } = libzmq();
    while (
      libc.read(this.#wakeRead, this.#scratch, BigInt(this.#scratch.length)) > 0
    ) {
      // keep reading until the pipe is empty
    }
    this.#wakePending = false;
  }

  async #run(): Promise<void> {
    const { libc } = libzmq();
    this.#ensurePipe();
    try {
      while (this.#watched.size > 0) {
        // Give continuations a chance to re-park before the set is frozen,
        // so that one wake-up serves them all.
        for (let i = 0; i < YIELDS_BEFORE_PARK; i++) await undefined;
        if (this.#watched.size === 0) break;
        const items = [...this.#watched];
        // struct pollfd { int fd; short events; short revents; }
        const fds = new Int32Array(2 * (items.length + 1));
        fds[0] = this.#wakeRead;
        fds[1] = POLLIN;
        for (let i = 0; i < items.length; i++) {
          fds[2 * i + 2] = items[i].fd;
          fds[2 * i + 3] = POLLIN;
        }
        this.#inPoll = new Set(items);
        this.#polling = true;
        const n = await libc.poll_wait(fds, BigInt(items.length + 1), -1);
        this.#polling = false;
        this.#inPoll.clear();
        if (n < 0) continue; // EINTR: poll again
        if (fds[1] >>> 16) this.#drainWake();
        for (let i = 0; i < items.length; i++) {
          if (fds[2 * i + 3] >>> 16 && this.#watched.has(items[i])) {
            items[i].service();
          }
        }
      }
    } finally {
      this.#polling = false;
      this.#loop = undefined;
      if (this.#watched.size > 0) this.#loop = this.#run();
    }
  }
}

/** The reactor of this process (one per JS realm: each Worker has its own). */
export const reactor: Reactor = new Reactor();
