/**
 * The per-message boxes of CURVE (crypto_box "afternm": XSalsa20-Poly1305
 * with a key precomputed once per connection), run in libsodium's
 * WebAssembly memory directly.
 *
 * The `libsodium-wrappers` functions allocate and free wasm memory, and copy
 * in and out, several times per call; for a 16-byte message that costs more
 * than the cipher (about 1 µs here). So each connection keeps its key and
 * nonces in a small block of wasm memory for its whole life, and one scratch
 * region serves the frames of every connection (the JavaScript thread runs
 * one box at a time): a frame is copied in once and boxed there, and the
 * MESSAGE body is handed out as a view of that region, which the connection
 * copies into its write buffer at once (no allocation per message).
 *
 * @module
 */

import { sodium } from "../_sodium.ts";
import {
  MAC,
  MESSAGE_HEADER,
  messageHeader,
  writeShortNonce,
} from "./_curve_codec.ts";

/** The raw Emscripten module inside `libsodium-wrappers`. */
interface RawSodium {
  HEAPU8: Uint8Array;
  _malloc(size: number): number;
  _free(ptr: number): void;
  /** `crypto_box_easy_afternm(c, m, mlen (lo, hi), n, k)` */
  _crypto_box_easy_afternm(
    c: number,
    m: number,
    mlenLo: number,
    mlenHi: number,
    n: number,
    k: number,
  ): number;
  /** `crypto_box_open_easy_afternm(m, c, clen (lo, hi), n, k)` */
  _crypto_box_open_easy_afternm(
    m: number,
    c: number,
    clenLo: number,
    clenHi: number,
    n: number,
    k: number,
  ): number;
}

/** A connection's block: our nonce (24), the peer's (24), the key (32). */
const OUT_NONCE = 0;
const IN_NONCE = 24;
const KEY = 48;
const BLOCK = 80;
/** A scratch region larger than this is given back after use. */
const KEEP = 256 * 1024;

let raw: RawSodium | undefined;
let scratch = 0;
let scratchSize = 0;

function rawSodium(): RawSodium {
  return raw ??= (sodium() as unknown as { libsodium: RawSodium }).libsodium;
}

function malloc(r: RawSodium, size: number): number {
  const p = r._malloc(size);
  if (p === 0) {
    throw new RangeError(`Cannot box a CURVE message: no memory for ${size} B`);
  }
  return p;
}

/** A scratch region of at least `size` bytes; its address. */
function region(r: RawSodium, size: number): number {
  if (scratchSize >= size) return scratch;
  if (scratch !== 0) r._free(scratch);
  scratch = 0;
  scratchSize = 0;
  let want = 4096;
  while (want < size) want *= 2;
  scratch = malloc(r, want);
  scratchSize = want;
  return scratch;
}

function shrink(r: RawSodium): void {
  if (scratchSize > KEEP) {
    r._free(scratch);
    scratch = 0;
    scratchSize = 0;
  }
}

/** Copies `n` bytes; a loop beats `set()` on the small frames that dominate. */
function copy(
  to: Uint8Array,
  at: number,
  from: Uint8Array,
  start: number,
  n: number,
): void {
  if (n > 64) {
    to.set(from.subarray(start, start + n), at);
    return;
  }
  for (let i = 0; i < n; i++) to[at + i] = from[start + i];
}

/** The MESSAGE boxes of one connection, both ways. */
export class MessageBox {
  #block: number;

  /**
   * @param key the precomputed key (32 bytes), copied
   * @param prefixes the 16-byte nonce prefixes of what we send and receive
   */
  constructor(
    key: Uint8Array,
    prefixes: { out: Uint8Array; in: Uint8Array },
  ) {
    const r = rawSodium();
    this.#block = malloc(r, BLOCK);
    const heap = r.HEAPU8;
    heap.fill(0, this.#block, this.#block + BLOCK);
    heap.set(prefixes.out, this.#block + OUT_NONCE);
    heap.set(prefixes.in, this.#block + IN_NONCE);
    heap.set(key, this.#block + KEY);
  }

  /**
   * Boxes `flags` + `body` under short nonce `counter` into a MESSAGE
   * command body: name, short nonce, box.
   *
   * @param counter our short nonce
   * @param flags the CURVE flags byte (1 more, 2 command)
   * @param body the frame
   * @returns the MESSAGE body, as a view that the next `seal` or `open`
   *   (of any connection) overwrites: copy it before then
   */
  seal(counter: number, flags: number, body: Uint8Array): Uint8Array {
    const block = this.#live();
    const r = rawSodium();
    const mlen = 1 + body.byteLength;
    const clen = mlen + MAC;
    // [flags, body] then [MESSAGE header, box]
    const m = region(r, mlen + MESSAGE_HEADER + clen);
    const c = m + mlen + MESSAGE_HEADER;
    let heap = r.HEAPU8;
    writeShortNonce(heap, block + OUT_NONCE + 16, counter);
    heap[m] = flags;
    copy(heap, m + 1, body, 0, body.byteLength);
    const rc = r._crypto_box_easy_afternm(
      c,
      m,
      mlen,
      0,
      block + OUT_NONCE,
      block + KEY,
    );
    if (rc !== 0) {
      throw new Error("Cannot box a CURVE message: libsodium failed");
    }
    heap = r.HEAPU8;
    const out = heap.subarray(c - MESSAGE_HEADER, c + clen);
    messageHeader(out, heap, block + OUT_NONCE + 16);
    // Kept until the next call even when large: the view must stay valid.
    return out;
  }

  /**
   * Opens the box of a MESSAGE command body (checked to hold at least a
   * MAC and a flags byte).
   *
   * @returns the flags byte and the frame, or `undefined` when the box does
   *   not open (forged, replayed or corrupted)
   */
  open(message: Uint8Array): { flags: number; body: Uint8Array } | undefined {
    const block = this.#live();
    const r = rawSodium();
    const clen = message.byteLength - MESSAGE_HEADER;
    const mlen = clen - MAC;
    const c = region(r, clen + mlen);
    const m = c + clen;
    let heap = r.HEAPU8;
    copy(heap, block + IN_NONCE + 16, message, 8, 8);
    copy(heap, c, message, MESSAGE_HEADER, clen);
    const rc = r._crypto_box_open_easy_afternm(
      m,
      c,
      clen,
      0,
      block + IN_NONCE,
      block + KEY,
    );
    heap = r.HEAPU8;
    let out: { flags: number; body: Uint8Array } | undefined;
    if (rc === 0) {
      const body = new Uint8Array(mlen - 1);
      copy(body, 0, heap, m + 1, mlen - 1);
      out = { flags: heap[m], body };
    }
    shrink(r);
    return out;
  }

  /** Wipes the key and gives the block back; idempotent. */
  close(): void {
    if (this.#block === 0) return;
    const r = rawSodium();
    r.HEAPU8.fill(0, this.#block, this.#block + BLOCK);
    r._free(this.#block);
    this.#block = 0;
  }

  #live(): number {
    if (this.#block === 0) {
      throw new Error("Cannot use a CURVE box: the connection is closed");
    }
    return this.#block;
  }
}
