/**
 * A turn of the event loop in which sockets are polled.
 *
 * Deno's event loop asks the OS which sockets are readable (epoll) only
 * when it has nothing else to run. `setImmediate` callbacks and ops that
 * complete at once (a read of a socket that still has data buffered) keep
 * it from ever having nothing to run: a receive loop that drains one
 * flooding peer, with a `setImmediate` yield every millisecond, is not
 * told that another peer's request has arrived until the flood's 64 KiB
 * read buffer is used up, tens to hundreds of ms later under load (issue
 * #14: 1,500-1,900 messages of the flooder taken while a good client's
 * request waited, unread, in the kernel).
 *
 * A turn writes one byte into a loopback TCP connection to ourselves and
 * reads it at the other end, with a read buffer larger than the byte: a
 * read shorter than its buffer makes the runtime forget that the socket
 * is readable, so the next read waits for the OS to say so, and the event
 * loop polls every socket at that point (libuv's `uv_async` wakes its loop
 * through a descriptor the same way). About 20 µs; a timer would do it
 * too, but `setTimeout(0)` sleeps 1-2.5 ms.
 *
 * The pair is made on first use, closed after {@linkcode IDLE_CLOSE} ms
 * without a turn, needs permission to connect to 127.0.0.1, and is never
 * waited for: until it is ready, or without that permission, `run()`
 * returns `undefined` and nothing is forced.
 *
 * @module
 */

const LOOPBACK = "127.0.0.1";

/**
 * The pair is closed after this long (ms) without a turn, and made again
 * when one is due: a socket holds its two descriptors only while it is
 * that busy, and a process's fd count comes back after a flood.
 */
const IDLE_CLOSE = 2000;

/** Forces event loop turns that poll sockets, for one engine socket. */
export class IoTurn {
  #state: "idle" | "starting" | "ready" | "off" = "idle";
  #writer: Deno.TcpConn | undefined;
  #reader: Deno.TcpConn | undefined;
  #inFlight: Promise<void> | undefined;
  /** When the last turn started, by `Date.now()`. */
  #used = 0;
  #idle: ReturnType<typeof setTimeout> | undefined;
  readonly #one = new Uint8Array(1);
  readonly #two = new Uint8Array(2);
  readonly #track: (p: Promise<unknown>) => void;

  /**
   * @param track given the set-up and each turn, so that the owner's
   *   `settled()` waits for them
   */
  constructor(track: (p: Promise<unknown>) => void) {
    this.#track = track;
  }

  /**
   * Starts a turn; resolves once the event loop has polled sockets.
   *
   * @returns the turn, or `undefined` when none can be forced (yet)
   */
  run(): Promise<void> | undefined {
    if (this.#state === "ready") {
      if (this.#inFlight === undefined) {
        this.#inFlight = this.#turn();
        this.#track(this.#inFlight);
      }
      return this.#inFlight;
    }
    if (this.#state === "idle") {
      this.#state = "starting";
      this.#track(this.#start());
    }
    return undefined;
  }

  async #turn(): Promise<void> {
    this.#used = Date.now();
    try {
      await this.#writer!.write(this.#one);
      const n = await this.#reader!.read(this.#two);
      if (n === null) this.close();
    } catch {
      this.close();
    } finally {
      this.#inFlight = undefined;
    }
  }

  async #start(): Promise<void> {
    let allowed = false;
    try {
      allowed = Deno.permissions.querySync({ name: "net", host: LOOPBACK })
        .state === "granted";
    } catch {
      // no permissions API: do without
    }
    if (!allowed) {
      this.#state = "off";
      return;
    }
    let listener: Deno.TcpListener | undefined;
    let writer: Deno.TcpConn | undefined;
    let reader: Deno.TcpConn | undefined;
    try {
      listener = Deno.listen({ hostname: LOOPBACK, port: 0 });
      listener.unref();
      const { port } = listener.addr;
      [writer, reader] = await Promise.all([
        Deno.connect({ hostname: LOOPBACK, port }),
        listener.accept(),
      ]);
      // One byte at a time, each at once: Nagle would hold the next until
      // the reader's delayed ACK, 40 ms.
      writer.setNoDelay(true);
      writer.unref();
      reader.unref();
    } catch {
      writer?.close();
      reader?.close();
      writer = reader = undefined;
    } finally {
      listener?.close();
    }
    if (this.#state !== "starting" || writer === undefined) {
      writer?.close();
      reader?.close();
      this.#state = "off";
      return;
    }
    this.#writer = writer;
    this.#reader = reader;
    this.#state = "ready";
    this.#used = Date.now();
    this.#watchIdle(IDLE_CLOSE);
  }

  /** Closes the pair once no turn was asked for over `IDLE_CLOSE` ms. */
  #watchIdle(ms: number): void {
    this.#idle = setTimeout(() => {
      this.#idle = undefined;
      if (this.#state !== "ready") return;
      const left = this.#used + IDLE_CLOSE - Date.now();
      if (left > 0 || this.#inFlight !== undefined) {
        this.#watchIdle(Math.max(left, 1));
        return;
      }
      this.#release();
      this.#state = "idle";
    }, ms);
    Deno.unrefTimer(this.#idle);
  }

  #release(): void {
    clearTimeout(this.#idle);
    this.#idle = undefined;
    for (const c of [this.#writer, this.#reader]) {
      try {
        c?.close();
      } catch {
        // closed already
      }
    }
    this.#writer = this.#reader = undefined;
  }

  /** Closes the pair; no turn is forced after this. */
  close(): void {
    this.#state = "off";
    this.#release();
  }
}
