/**
 * A pipe: the socket's end of one peer. It has an inbox (messages from the
 * peer, bounded by the receive high-water mark) and a way out: a sink (the
 * ZMTP connection, or the peer pipe for inproc) once one is ready, an
 * outbox before that. Every pipe is full or not on its own: a full peer
 * never holds up the others. A pipe told to (`holdWhenFull`, a ROUTER's
 * `pauseFullPeers`) also stops its transport reading while it is full,
 * until it has drained to half: a peer that does not read is not read.
 *
 * @module
 */

import { Queue } from "./_queue.ts";
import { Slab } from "../_slab.ts";

/** A message: its frames. */
export type Message = Uint8Array[];

/** A subscription or its cancellation, sent by SUB and XSUB sockets. */
export class Subscription {
  /**
   * @param subscribe `true` to subscribe, `false` to cancel
   * @param topic the prefix
   */
  constructor(readonly subscribe: boolean, readonly topic: Uint8Array) {}

  /** The ZMTP 3.0 form: one frame, 1 or 0 then the prefix. */
  asMessage(): Message {
    const frame = new Uint8Array(this.topic.byteLength + 1);
    frame[0] = this.subscribe ? 1 : 0;
    frame.set(this.topic, 1);
    return [frame];
  }
}

/** What goes out through a pipe. */
export type Outgoing = Message | Subscription;

/** The socket that owns a pipe. */
export interface PipeOwner {
  /** The inbox went from empty to not empty. */
  pipeReadable(pipe: Pipe): void;
  /** The pipe was full and has room again. */
  pipeWritable(pipe: Pipe): void;
}

/** The transport behind a pipe. */
export interface PipeSink {
  /** Whether `deliver` copies the frames (encodes them) at once. */
  readonly encodes: boolean;
  /** Sends (or queues for the OS) one message now. */
  deliver(out: Outgoing): void;
  /** Messages delivered that still count against the high-water mark. */
  readonly backlog: number;
  /** The inbox has room again: read on. */
  resume(): void;
  /**
   * Stops reading the peer (`true`) until told otherwise, whatever the
   * inbox holds: the outbound side is full.
   */
  hold(on: boolean): void;
}

const EMPTY = new Uint8Array(0);
/** Where inproc copies of small frames go (see `_slab.ts`). */
const slab = new Slab(16 * 1024, 2 * 1024);

function copyFrames(message: Message): Message {
  const out: Message = new Array(message.length);
  for (let i = 0; i < message.length; i++) {
    const f = message[i];
    out[i] = slab.copy(f, 0, f.byteLength);
  }
  return out;
}

/** One peer of a socket. */
export class Pipe {
  readonly owner: PipeOwner;
  /** Messages from the peer, oldest first. */
  readonly inbox: Queue<Message> = new Queue();
  /** Messages for the peer while no sink is ready. */
  readonly outbox: Queue<Outgoing> = new Queue();
  /** The transport, once the handshake is done. */
  sink: PipeSink | null = null;
  /** Outbound limit in messages; 0 for none. */
  sendLimit: number;
  /** Inbound limit in messages; 0 for none. */
  receiveLimit: number;
  /** The id a ROUTER knows this peer by. */
  routingId: Uint8Array = EMPTY;
  /** The peer's `Identity` metadata (empty when it sent none). */
  identity: Uint8Array = EMPTY;
  /** The endpoint this pipe came from (bound or connected). */
  readonly endpoint: string;
  /** The inproc peer pipe, if this is an inproc pipe. */
  peer: Pipe | null = null;
  /** Set once the pipe is gone for good. */
  terminated = false;
  /** Prefixes this peer subscribed to (XPUB and PUB sockets). */
  readonly topics: Map<string, Uint8Array> = new Map();
  /** Whether the transport stops reading while this pipe is full. */
  holdWhenFull = false;
  #blocked = false;
  #paused = false;
  #held = false;
  #muted = false;

  /**
   * @param owner the socket
   * @param endpoint where it came from
   * @param limits the high-water marks
   */
  constructor(
    owner: PipeOwner,
    endpoint: string,
    limits: { send: number; receive: number },
  ) {
    this.owner = owner;
    this.endpoint = endpoint;
    this.sendLimit = limits.send;
    this.receiveLimit = limits.receive;
  }

  /** Whether one more message fits; remembers to say when one does. */
  canWrite(): boolean {
    if (this.sendLimit <= 0) return true;
    const queued = this.outbox.length + (this.sink?.backlog ?? 0);
    if (queued < this.sendLimit) return true;
    this.#blocked = true;
    if (this.holdWhenFull && !this.#held) {
      this.#held = true;
      this.sink?.hold(true);
    }
    return false;
  }

  /** Reads the peer again if this pipe held it (and holds no more). */
  release(): void {
    if (!this.#held) return;
    this.#held = false;
    this.sink?.hold(this.#muted);
  }

  /** Whether the owner takes no messages from this peer for now (`mute`). */
  get muted(): boolean {
    return this.#muted;
  }

  /**
   * The owner takes no messages from this peer (`true`), and the transport
   * stops reading it, until `mute(false)`: a ROUTER's `pausePeer`.
   */
  mute(on: boolean): void {
    if (on === this.#muted) return;
    this.#muted = on;
    this.sink?.hold(on || this.#held);
  }

  /**
   * Sends a message (the caller checked `canWrite()` or may overfill). The
   * frames are copied (a connection encodes them at once), so the caller's
   * arrays are free again when this returns.
   */
  write(out: Outgoing): void {
    const sink = this.sink;
    if (sink !== null && sink.encodes) {
      sink.deliver(out);
      return;
    }
    const copy = out instanceof Subscription ? out : copyFrames(out);
    if (sink !== null) sink.deliver(copy);
    else this.outbox.push(copy);
  }

  /** Takes the next message from the peer. */
  read(): Message | undefined {
    const m = this.inbox.shift();
    if (m === undefined) return undefined;
    if (this.#paused && this.inbox.length < this.receiveLimit) {
      this.#paused = false;
      this.sink?.resume();
    }
    this.peer?.drained();
    return m;
  }

  /** Transport side: a message from the peer. Returns whether room is left. */
  push(m: Message): boolean {
    this.inbox.push(m);
    if (this.inbox.length === 1) this.owner.pipeReadable(this);
    if (this.receiveLimit > 0 && this.inbox.length >= this.receiveLimit) {
      this.#paused = true;
      return false;
    }
    return true;
  }

  /** Transport side: the sink is ready; what waited in the outbox goes. */
  attach(sink: PipeSink): void {
    this.sink = sink;
    for (let out = this.outbox.shift(); out !== undefined;) {
      sink.deliver(out);
      out = this.outbox.shift();
    }
    if (this.#held || this.#muted) sink.hold(true);
    this.drained();
  }

  /** Transport side: the sink is gone (a connection that may come back). */
  detach(): void {
    this.sink = null;
    this.drained();
  }

  /** Transport side: the backlog shrank; wakes the owner if it waited. */
  drained(): void {
    if (
      this.#held &&
      this.outbox.length + (this.sink?.backlog ?? 0) <= this.sendLimit / 2
    ) this.release();
    if (this.#blocked && !this.terminated && this.canWrite()) {
      this.#blocked = false;
      this.owner.pipeWritable(this);
    }
  }
}

/** The sink of an inproc pipe: the peer pipe's inbox, with copied frames. */
export class InprocSink implements PipeSink {
  readonly #peer: Pipe;
  readonly encodes = false;

  /** @param peer the other end */
  constructor(peer: Pipe) {
    this.#peer = peer;
  }

  get backlog(): number {
    return this.#peer.inbox.length;
  }

  deliver(out: Outgoing): void {
    if (this.#peer.terminated) return;
    this.#peer.push(out instanceof Subscription ? out.asMessage() : out);
  }

  resume(): void {
    // The sender checks the peer's inbox itself: nothing to resume.
  }

  hold(_on: boolean): void {
    // The peer writes into our inbox itself: there is no reading to stop.
  }
}
