/**
 * ZMTP 3.x on the wire (RFC 23 and RFC 37): the greeting, frames, commands
 * and metadata. The reader parses as many frames as one `read()` brought and
 * never allocates for a frame beyond its own bytes; the writer coalesces
 * many frames into one buffer per `write()`.
 *
 * Everything here is pure: no sockets, no timers. That is what the fuzz
 * test (`tests/zmq/zmtp_codec.test.ts`) drives.
 *
 * @module
 */

import { Slab } from "../_slab.ts";

/** The greeting's length. */
export const GREETING_SIZE = 64;
/** Frame flag: more frames follow in this message. */
export const MORE = 1;
/** Frame flag: the size is 8 bytes. */
export const LONG = 2;
/** Frame flag: the frame is a command. */
export const COMMAND = 4;

/** A malformed greeting, frame or command from a peer. */
export class ZmtpProtocolError extends SyntaxError {
  /**
   * @param message what was wrong
   */
  constructor(message: string) {
    super(message);
    this.name = "ZmtpProtocolError";
  }
}

const ascii = new TextEncoder();
const latin1 = new TextDecoder("latin1");

/** A peer's greeting. */
export interface Greeting {
  /** Major protocol version (3 for ZMTP 3.x). */
  major: number;
  /** Minor version: 0 for ZMTP 3.0, 1 for 3.1. */
  minor: number;
  /** The security mechanism, e.g. `NULL` or `CURVE`. */
  mechanism: string;
  /** The as-server flag. */
  asServer: boolean;
}

/**
 * Our greeting: ZMTP 3.1, the mechanism name, the as-server flag.
 *
 * @param mechanism at most 20 ASCII characters
 * @param asServer whether we are the server of the mechanism
 */
export function encodeGreeting(
  mechanism: string,
  asServer: boolean,
): Uint8Array {
  const g = new Uint8Array(GREETING_SIZE);
  g[0] = 0xff;
  g[9] = 0x7f;
  g[10] = 3;
  g[11] = 1;
  g.set(ascii.encode(mechanism).subarray(0, 20), 12);
  g[32] = asServer ? 1 : 0;
  return g;
}

/**
 * Parses a peer's 64-byte greeting.
 *
 * @throws {ZmtpProtocolError} for a bad signature or a version before 3
 */
export function parseGreeting(g: Uint8Array): Greeting {
  if (g.byteLength < GREETING_SIZE || g[0] !== 0xff || (g[9] & 1) !== 1) {
    throw new ZmtpProtocolError("Cannot handshake: not a ZMTP signature");
  }
  if (g[10] < 3) {
    throw new ZmtpProtocolError(
      `Cannot handshake: ZMTP ${g[10]}.${g[11]} is not supported (3.x is)`,
    );
  }
  let end = 12;
  while (end < 32 && g[end] !== 0) end++;
  for (let i = end; i < 32; i++) {
    if (g[i] !== 0) {
      throw new ZmtpProtocolError(
        "Cannot handshake: the mechanism name is not zero-padded",
      );
    }
  }
  return {
    major: g[10],
    minor: g[11],
    mechanism: latin1.decode(g.subarray(12, end)),
    asServer: g[32] === 1,
  };
}

/** A decoded command. */
export interface Command {
  /** The command name, e.g. `READY`. */
  name: string;
  /** The bytes after the name. */
  data: Uint8Array;
}

/**
 * Splits a command frame's body into name and data.
 *
 * @throws {ZmtpProtocolError} when the name overruns the body
 */
export function parseCommand(body: Uint8Array): Command {
  if (body.byteLength < 1 || body[0] + 1 > body.byteLength || body[0] === 0) {
    throw new ZmtpProtocolError("Cannot read command: malformed name");
  }
  return {
    name: latin1.decode(body.subarray(1, 1 + body[0])),
    data: body.subarray(1 + body[0]),
  };
}

/** The body of a command frame: name-length, name, data. */
export function encodeCommand(name: string, data?: Uint8Array): Uint8Array {
  const n = ascii.encode(name);
  const out = new Uint8Array(1 + n.byteLength + (data?.byteLength ?? 0));
  out[0] = n.byteLength;
  out.set(n, 1);
  if (data !== undefined) out.set(data, 1 + n.byteLength);
  return out;
}

/** Encodes metadata properties (name: 1-byte length; value: 4-byte length). */
export function encodeMetadata(props: Record<string, Uint8Array>): Uint8Array {
  const parts: Uint8Array[] = [];
  let size = 0;
  for (const [k, v] of Object.entries(props)) {
    const name = ascii.encode(k);
    const head = new Uint8Array(1 + name.byteLength + 4);
    head[0] = name.byteLength;
    head.set(name, 1);
    new DataView(head.buffer).setUint32(1 + name.byteLength, v.byteLength);
    parts.push(head, v);
    size += head.byteLength + v.byteLength;
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/**
 * Parses metadata properties; names are case-insensitive, so they come
 * back lower-cased.
 *
 * @throws {ZmtpProtocolError} when a length overruns the data
 */
export function parseMetadata(data: Uint8Array): Map<string, Uint8Array> {
  const props = new Map<string, Uint8Array>();
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let at = 0;
  while (at < data.byteLength) {
    const nameLen = data[at];
    if (nameLen === 0 || at + 1 + nameLen + 4 > data.byteLength) {
      throw new ZmtpProtocolError("Cannot read metadata: malformed name");
    }
    const name = latin1.decode(data.subarray(at + 1, at + 1 + nameLen));
    at += 1 + nameLen;
    const valueLen = view.getUint32(at);
    at += 4;
    if (at + valueLen > data.byteLength) {
      throw new ZmtpProtocolError(
        `Cannot read metadata: the value of ${name} overruns the command`,
      );
    }
    props.set(name.toLowerCase(), data.subarray(at, at + valueLen));
    at += valueLen;
  }
  return props;
}

const READ_BUFFER = 64 * 1024;
/**
 * A connection's buffers start this small, and take their full size once
 * a read fills the read buffer or a burst fills a write chunk: a
 * handshake's greeting and commands are a few hundred bytes, and a new
 * connection that made 2 x 64 KiB + its slab at once spent ~45 µs on
 * zeroed memory, a tenth of a refused CURVE handshake (issue #14).
 */
const FIRST_BUFFER = 4 * 1024;
/** The slabs small frame bodies are copied into. */
const POOL_SIZE = 16 * 1024;
/** Bodies up to this size go into a slab; larger ones get their own. */
const POOL_MAX = 2 * 1024;
const EMPTY = new Uint8Array(0);
/**
 * Most bytes of a large body taken by one read. The runtime copies a read
 * in one go on the event loop, into memory touched for the first time: a
 * read of megabytes held every other peer up for milliseconds. Beside six
 * 4 MB requests, a good client's p99 went from 2.4-12 ms (median 9.6) to
 * 1.9-5.2 ms (median 2.6) with 256 KiB; 1 and 4 MB echo throughput did
 * not measurably change (issue #14).
 */
export const BIG_READ = 256 * 1024;

/**
 * An incremental frame parser over one reusable read buffer.
 *
 * Drive it with `target()` (where the next read goes), `advance(n)` (that
 * many bytes arrived) and then `greeting()` or `frame()` until they return
 * `null`. A frame body is a fresh copy; one larger than the buffer is read
 * straight into its own array.
 */
export class FrameReader {
  #buf = new Uint8Array(FIRST_BUFFER);
  #start = 0;
  #end = 0;
  /** A large body being filled by reads. */
  #big: Uint8Array | null = null;
  #bigFill = 0;
  #bigFlags = 0;
  /** Flags of the frame last returned by `frame()`. */
  flags = 0;
  /** Largest frame accepted; -1 for no limit. */
  maxFrame = -1;

  /**
   * Where small bodies are copied to: a fresh `ArrayBuffer` per frame would
   * cost more than the rest of a 16-byte message's trip (see `_slab.ts`).
   */
  #slab = new Slab(POOL_SIZE, POOL_MAX);

  /** Bytes received but not parsed yet. */
  get buffered(): number {
    return this.#end - this.#start + (this.#big === null ? 0 : this.#bigFill);
  }

  /** Where the next `read()` should write. */
  target(): Uint8Array {
    if (this.#big !== null) {
      return this.#big.subarray(this.#bigFill, this.#bigFill + BIG_READ);
    }
    if (this.#end === this.#buf.byteLength) {
      // A read filled the buffer: the peer sends more than a handshake.
      if (this.#buf.byteLength < READ_BUFFER) this.#grow();
      else {
        // Move the unparsed tail to the front.
        this.#buf.copyWithin(0, this.#start, this.#end);
        this.#end -= this.#start;
        this.#start = 0;
      }
    }
    return this.#buf.subarray(this.#end);
  }

  /** The read buffer takes its full size, the unparsed tail in front. */
  #grow(): void {
    const buf = new Uint8Array(READ_BUFFER);
    buf.set(this.#buf.subarray(this.#start, this.#end));
    this.#end -= this.#start;
    this.#start = 0;
    this.#buf = buf;
  }

  /** Records that `n` bytes were read into `target()`. */
  advance(n: number): void {
    if (this.#big !== null) this.#bigFill += n;
    else this.#end += n;
  }

  /** The 64-byte greeting once it has arrived, else `null`. */
  greeting(): Uint8Array | null {
    if (this.#end - this.#start < GREETING_SIZE) return null;
    const g = this.#buf.slice(this.#start, this.#start + GREETING_SIZE);
    this.#start += GREETING_SIZE;
    return g;
  }

  /**
   * The next complete frame's body (its flags in `flags`), or `null` when
   * more bytes are needed.
   *
   * @throws {ZmtpProtocolError} for reserved flag bits, a size over
   *   `maxFrame` or 2^53
   */
  frame(): Uint8Array | null {
    if (this.#big !== null) {
      if (this.#bigFill < this.#big.byteLength) return null;
      const body = this.#big;
      this.flags = this.#bigFlags;
      this.#big = null;
      return body;
    }
    const buf = this.#buf;
    const avail = this.#end - this.#start;
    if (avail < 2) return null;
    const at = this.#start;
    const flags = buf[at];
    if (flags & 0xf8) {
      throw new ZmtpProtocolError(
        `Cannot read frame: reserved flag bits set (0x${flags.toString(16)})`,
      );
    }
    let size: number;
    let head: number;
    if (flags & LONG) {
      if (avail < 9) return null;
      const hi = (buf[at + 1] << 24 | buf[at + 2] << 16 | buf[at + 3] << 8 |
        buf[at + 4]) >>> 0;
      const lo = (buf[at + 5] << 24 | buf[at + 6] << 16 | buf[at + 7] << 8 |
        buf[at + 8]) >>> 0;
      if (hi >= 0x200000) {
        throw new ZmtpProtocolError("Cannot read frame: size over 2^53");
      }
      size = hi * 0x100000000 + lo;
      head = 9;
    } else {
      size = buf[at + 1];
      head = 2;
    }
    if (this.maxFrame >= 0 && size > this.maxFrame) {
      throw new ZmtpProtocolError(
        `Cannot read frame: ${size} bytes is over the limit of ${this.maxFrame}`,
      );
    }
    if (flags & COMMAND && flags & MORE) {
      throw new ZmtpProtocolError("Cannot read frame: a command with MORE");
    }
    const bodyAt = at + head;
    if (avail - head >= size) {
      this.#start = bodyAt + size;
      this.flags = flags & (MORE | COMMAND);
      if (this.#start === this.#end) this.#start = this.#end = 0;
      return size === 0 ? EMPTY : this.#slab.copy(buf, bodyAt, bodyAt + size);
    }
    if (size > buf.byteLength - head) {
      if (buf.byteLength < READ_BUFFER && size <= READ_BUFFER - head) {
        // It fits the full-size buffer: read on into that.
        this.#grow();
        return null;
      }
      // Too large for the buffer: give it its own array and read into it.
      let body: Uint8Array;
      try {
        body = new Uint8Array(size);
      } catch (e) {
        // A size no typed array can have, or more memory than there is: a
        // peer's word must not crash the reader.
        if (!(e instanceof RangeError)) throw e;
        throw new ZmtpProtocolError(
          `Cannot read frame: cannot allocate ${size} bytes (${e.message})`,
        );
      }
      const have = this.#end - bodyAt;
      body.set(buf.subarray(bodyAt, this.#end));
      this.#big = body;
      this.#bigFill = have;
      this.#bigFlags = flags & (MORE | COMMAND);
      this.#start = this.#end = 0;
    }
    return null;
  }
}

/** The size of one write chunk. */
const CHUNK = 64 * 1024;
/** Written chunks kept for reuse. */
const SPARE_CHUNKS = 2;

/**
 * Encodes frames into a list of 64 KiB chunks, handed out by `take()` and
 * reused once the writes that carried them are done (`recycle()`). A burst
 * larger than a chunk fills more chunks; nothing is ever copied twice.
 */
export class FrameWriter {
  #full: Uint8Array[] = [];
  #fullBytes = 0;
  /** The size of new chunks: small until one fills up. */
  #size = FIRST_BUFFER;
  #buf = new Uint8Array(FIRST_BUFFER);
  #pos = 0;
  #spare: Uint8Array<ArrayBuffer>[] = [];

  /** Bytes encoded and not taken yet. */
  get size(): number {
    return this.#fullBytes + this.#pos;
  }

  /** The current chunk is done: start another. */
  #next(): void {
    this.#full.push(this.#buf.subarray(0, this.#pos));
    this.#fullBytes += this.#pos;
    this.#buf = this.#spare.pop() ?? new Uint8Array(this.#size);
    this.#pos = 0;
  }

  /** The current chunk is full: new chunks take their full size. */
  #filled(): void {
    if (this.#size < CHUNK) {
      this.#size = CHUNK;
      this.#spare.length = 0;
    }
    this.#next();
  }

  /** Appends bytes, across chunks when they do not fit. */
  #put(bytes: Uint8Array): void {
    const n = bytes.byteLength;
    let at = 0;
    while (at < n) {
      let room = this.#buf.byteLength - this.#pos;
      if (room === 0) {
        this.#filled();
        room = this.#buf.byteLength;
      }
      const k = Math.min(room, n - at);
      this.#buf.set(k === n ? bytes : bytes.subarray(at, at + k), this.#pos);
      this.#pos += k;
      at += k;
    }
  }

  /** Appends one frame. */
  frame(body: Uint8Array, flags: number): void {
    const size = body.byteLength;
    if (this.#pos + 9 > this.#buf.byteLength) this.#filled();
    const buf = this.#buf;
    let p = this.#pos;
    if (size > 255) {
      buf[p] = flags | LONG;
      const hi = Math.floor(size / 0x100000000);
      buf[p + 1] = hi >>> 24;
      buf[p + 2] = hi >>> 16;
      buf[p + 3] = hi >>> 8;
      buf[p + 4] = hi;
      buf[p + 5] = size >>> 24;
      buf[p + 6] = size >>> 16;
      buf[p + 7] = size >>> 8;
      buf[p + 8] = size;
      p += 9;
    } else {
      buf[p] = flags;
      buf[p + 1] = size;
      p += 2;
    }
    if (size <= 32 && p + size <= buf.byteLength) {
      // A loop beats the call of `set()` for a few bytes.
      for (let i = 0; i < size; i++) buf[p + i] = body[i];
      this.#pos = p + size;
      return;
    }
    this.#pos = p;
    this.#put(body);
  }

  /** Appends raw bytes (the greeting). */
  raw(bytes: Uint8Array): void {
    this.#put(bytes);
  }

  /**
   * Hands out what was encoded, in order; encoding goes on in other chunks
   * until `recycle()` gives these back.
   */
  take(): Uint8Array[] {
    if (this.#pos > 0) this.#next();
    const out = this.#full;
    this.#full = [];
    this.#fullBytes = 0;
    return out;
  }

  /** Returns chunks from `take()` once they have been written. */
  recycle(chunks: Uint8Array[]): void {
    for (const c of chunks) {
      if (this.#spare.length >= SPARE_CHUNKS) return;
      // A small chunk of before the writer grew is dropped.
      if (c.buffer.byteLength !== this.#size) continue;
      this.#spare.push(new Uint8Array(c.buffer as ArrayBuffer));
    }
  }
}
