/**
 * The TypeScript engine: ZMTP 3.1 on `Deno.listen`/`Deno.connect` for tcp
 * and ipc, in-process queues for inproc. No FFI, no thread between the
 * socket and the JavaScript thread. One per `Context`; it owns the inproc
 * names of its sockets.
 *
 * @module
 */

import { zmqError } from "../errors.ts";
import type { Engine } from "../_engine.ts";
import { InprocSink, type Pipe } from "./_pipe.ts";
import { ZmtpSocket } from "./socket.ts";

interface PendingConnect {
  socket: ZmtpSocket;
  pipe: Pipe | null;
  endpoint: string;
}

/** The engine of one context. */
export class ZmtpEngine implements Engine {
  readonly name = "zmtp" as const;
  #sockets = new Set<ZmtpSocket>();
  #closing = new Set<ZmtpSocket>();
  #bound = new Map<string, ZmtpSocket>();
  #pending = new Map<string, PendingConnect[]>();
  #links = new Map<ZmtpSocket, PendingConnect[]>();
  #maxSockets: number;
  #id = 0;

  /** @param maxSockets most sockets open at once */
  constructor(maxSockets: number) {
    this.#maxSockets = maxSockets;
  }

  get sockets(): number {
    return this.#sockets.size;
  }

  /** A number for monitor events where libzmq reports an fd. */
  nextId(): number {
    return ++this.#id;
  }

  socket(type: number): ZmtpSocket {
    if (this.#sockets.size >= this.#maxSockets) {
      throw zmqError("EMFILE", { operation: "socket" }, "Too many open files");
    }
    const s = new ZmtpSocket(this, type);
    this.#sockets.add(s);
    return s;
  }

  /** A socket closed: forget its inproc links. */
  forget(socket: ZmtpSocket): void {
    this.#sockets.delete(socket);
    this.#closing.add(socket);
    socket.settled().finally(() => this.#closing.delete(socket));
    for (const [name, list] of this.#pending) {
      const left = list.filter((p) => p.socket !== socket);
      if (left.length === 0) this.#pending.delete(name);
      else this.#pending.set(name, left);
    }
    this.#links.delete(socket);
  }

  bindInproc(socket: ZmtpSocket, name: string, endpoint: string): void {
    if (this.#bound.has(name)) {
      throw zmqError("EADDRINUSE", { operation: "bind", endpoint });
    }
    this.#bound.set(name, socket);
    const pending = this.#pending.get(name) ?? [];
    this.#pending.delete(name);
    for (const p of pending) this.#link(p, socket);
  }

  unbindInproc(socket: ZmtpSocket, name: string): void {
    if (this.#bound.get(name) === socket) this.#bound.delete(name);
  }

  connectInproc(socket: ZmtpSocket, name: string, endpoint: string): void {
    const p: PendingConnect = { socket, pipe: null, endpoint };
    const links = this.#links.get(socket) ?? [];
    links.push(p);
    this.#links.set(socket, links);
    const binder = this.#bound.get(name);
    if (binder !== undefined) {
      this.#link(p, binder);
      return;
    }
    // Not bound yet: libzmq queues on a pipe that connects at bind time.
    p.pipe = socket.inprocPipe(endpoint);
    if (!socket.attachInproc(p.pipe, socket)) p.pipe = null;
    const list = this.#pending.get(name) ?? [];
    list.push(p);
    this.#pending.set(name, list);
  }

  disconnectInproc(socket: ZmtpSocket, endpoint: string): boolean {
    const links = this.#links.get(socket) ?? [];
    const mine = links.filter((p) => p.endpoint === endpoint);
    if (mine.length === 0) return false;
    this.#links.set(socket, links.filter((p) => p.endpoint !== endpoint));
    for (const p of mine) {
      if (p.pipe !== null) socket.dropInproc(p.pipe);
    }
    const name = endpoint.slice("inproc://".length);
    const pending = this.#pending.get(name);
    if (pending !== undefined) {
      this.#pending.set(name, pending.filter((p) => !mine.includes(p)));
    }
    return true;
  }

  /** Joins a connecting socket to the bound one with a pair of pipes. */
  #link(p: PendingConnect, binder: ZmtpSocket): void {
    const { socket } = p;
    const mine = socket.limits;
    const theirs = binder.limits;
    const sum = (a: number, b: number) => a > 0 && b > 0 ? a + b : 0;
    let near = p.pipe;
    if (near === null) {
      near = socket.inprocPipe(p.endpoint);
      near.identity = binder.routingId;
      if (!socket.attachInproc(near, binder)) return;
      p.pipe = near;
    }
    const far = binder.inprocPipe(p.endpoint);
    near.peer = far;
    far.peer = near;
    near.sendLimit = sum(mine.send, theirs.receive);
    near.receiveLimit = 0;
    far.sendLimit = sum(theirs.send, mine.receive);
    far.receiveLimit = 0;
    if (!binder.attachInproc(far, socket)) {
      far.terminated = true;
      near.peer = null;
      socket.dropInproc(near);
      return;
    }
    near.attach(new InprocSink(far));
    far.attach(new InprocSink(near));
  }

  async close(): Promise<void> {
    const all = [...this.#sockets];
    for (const s of all) s.close();
    await Promise.all([...all, ...this.#closing].map((s) => s.settled()));
  }
}
