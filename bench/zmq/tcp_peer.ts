/**
 * The floor of `bench:zmq`: plain Deno TCP (or Unix socket) echo with a
 * 4-byte length before each message, no ZeroMQ at all. The same loops as
 * the other peers (`_echo.mjs`) run over it, so the figures are the best any
 * ZeroMQ stack on Deno's sockets could reach.
 *
 *     tcp_peer.ts server ENDPOINT
 *     tcp_peer.ts client ENDPOINT SIZES RTT WARMUP MSGS WINDOW TRIALS
 *
 * @module
 */

import { echo, type EchoSocket, measure, parsePlan } from "./_echo.mjs";

/** A length-prefixed message stream over one connection. */
class Framed implements EchoSocket {
  #conn: Deno.Conn;
  #buf = new Uint8Array(256 * 1024);
  #start = 0;
  #end = 0;
  #out = new Uint8Array(256 * 1024);
  #outLen = 0;
  #writing = false;

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  send(frames: Uint8Array | Uint8Array[]): Promise<void> {
    const f = Array.isArray(frames) ? frames[0] : frames;
    if (this.#outLen + 4 + f.byteLength > this.#out.byteLength) {
      const bigger = new Uint8Array((this.#outLen + 4 + f.byteLength) * 2);
      bigger.set(this.#out.subarray(0, this.#outLen));
      this.#out = bigger;
    }
    new DataView(this.#out.buffer).setUint32(this.#outLen, f.byteLength);
    this.#out.set(f, this.#outLen + 4);
    this.#outLen += 4 + f.byteLength;
    if (!this.#writing) this.#flush();
    return Promise.resolve();
  }

  async #flush(): Promise<void> {
    this.#writing = true;
    while (this.#outLen > 0) {
      const chunk = this.#out.slice(0, this.#outLen);
      this.#outLen = 0;
      let off = 0;
      while (off < chunk.byteLength) {
        off += await this.#conn.write(chunk.subarray(off));
      }
    }
    this.#writing = false;
  }

  async receive(): Promise<Uint8Array[]> {
    for (;;) {
      const avail = this.#end - this.#start;
      if (avail >= 4) {
        const size = new DataView(this.#buf.buffer).getUint32(this.#start);
        if (avail >= 4 + size) {
          const at = this.#start + 4;
          this.#start = at + size;
          return [this.#buf.slice(at, at + size)];
        }
      }
      if (this.#start > 0) {
        this.#buf.copyWithin(0, this.#start, this.#end);
        this.#end -= this.#start;
        this.#start = 0;
      }
      const n = await this.#conn.read(this.#buf.subarray(this.#end));
      if (n === null) throw new Error("connection closed");
      this.#end += n;
    }
  }
}

function listen(endpoint: string): Deno.Listener {
  if (endpoint.startsWith("ipc://")) {
    return Deno.listen({ transport: "unix", path: endpoint.slice(6) });
  }
  const m = /^tcp:\/\/(.+):(\d+|\*)$/.exec(endpoint)!;
  return Deno.listen({
    hostname: m[1],
    port: m[2] === "*" ? 0 : Number(m[2]),
  });
}

function dial(endpoint: string): Promise<Deno.Conn> {
  if (endpoint.startsWith("ipc://")) {
    return Deno.connect({ transport: "unix", path: endpoint.slice(6) });
  }
  const m = /^tcp:\/\/(.+):(\d+)$/.exec(endpoint)!;
  return Deno.connect({ hostname: m[1], port: Number(m[2]) });
}

function exitWhenStdinCloses(): void {
  (async () => {
    try {
      for await (const _ of Deno.stdin.readable) {
        // wait for end of file
      }
    } finally {
      Deno.exit(0);
    }
  })();
}

const NONE = { path: "none (plain Deno sockets)", version: "-" };
const [role, endpoint, ...rest] = Deno.args;
if (role === "server" && endpoint !== undefined) {
  exitWhenStdinCloses();
  const listener = listen(endpoint);
  const addr = listener.addr;
  const bound = addr.transport === "tcp"
    ? `tcp://${addr.hostname}:${addr.port}`
    : endpoint;
  console.log(JSON.stringify({ endpoint: bound, libzmq: NONE }));
  for await (const conn of listener) echo(new Framed(conn)).catch(() => {});
} else if (role === "client" && endpoint !== undefined && rest.length === 6) {
  exitWhenStdinCloses();
  const results = await measure(
    new Framed(await dial(endpoint)),
    parsePlan(rest),
  );
  console.log(JSON.stringify({ libzmq: NONE, results }));
  Deno.exit(0);
} else {
  console.error("usage: tcp_peer.ts server|client ENDPOINT [PLAN...]");
  Deno.exit(2);
}
