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
import { type NativeSodium, nativeSodium } from "./_curve_native.ts";
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
/**
 * Boxes of at least this many bytes go to the system's libsodium where it
 * can be used (`_curve_native.ts`): 4 µs for 4 KiB there, against 24 µs in
 * WebAssembly; below, the FFI call's 2 µs would not pay.
 */
export const NATIVE_FROM = 1024;

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

/** A connection's key and nonces, for the native boxes. */
interface NativeKeys {
  lib: NativeSodium;
  key: Uint8Array;
  out: Uint8Array;
  in: Uint8Array;
}

/** The MESSAGE boxes of one connection, both ways. */
export class MessageBox {
  #block: number;
  #native: NativeKeys | undefined;

  /**
   * @param key the precomputed key (32 bytes), copied
   * @param prefixes the 16-byte nonce prefixes of what we send and receive
   * @param lib the system's libsodium for large boxes; `undefined` keeps
   *   every box in WebAssembly
   */
  constructor(
    key: Uint8Array,
    prefixes: { out: Uint8Array; in: Uint8Array },
    lib: NativeSodium | undefined = nativeSodium(),
  ) {
    const r = rawSodium();
    this.#block = malloc(r, BLOCK);
    const heap = r.HEAPU8;
    heap.fill(0, this.#block, this.#block + BLOCK);
    heap.set(prefixes.out, this.#block + OUT_NONCE);
    heap.set(prefixes.in, this.#block + IN_NONCE);
    heap.set(key, this.#block + KEY);
    if (lib !== undefined) {
      const nonces = (prefix: Uint8Array) => {
        const n = new Uint8Array(24);
        n.set(prefix);
        return n;
      };
      this.#native = {
        lib,
        key: key.slice(0, 32),
        out: nonces(prefixes.out),
        in: nonces(prefixes.in),
      };
    }
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
    if (this.#native !== undefined && mlen >= NATIVE_FROM) {
      return this.#sealNative(this.#native, counter, flags, body);
    }
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
   * MAC and a flags byte), in place: the frame it returns is a view of
   * `message`, whose bytes it overwrites.
   *
   * @returns the flags byte and the frame, or `undefined` when the box does
   *   not open (forged, replayed or corrupted)
   */
  open(message: Uint8Array): { flags: number; body: Uint8Array } | undefined {
    const block = this.#live();
    const r = rawSodium();
    const clen = message.byteLength - MESSAGE_HEADER;
    const mlen = clen - MAC;
    if (this.#native !== undefined && mlen >= NATIVE_FROM) {
      return this.#openNative(this.#native, message);
    }
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
      // In place: a fresh array per message would cost an allocation, and
      // for a large one the page faults of its first writing.
      copy(message, MESSAGE_HEADER, heap, m + 1, mlen - 1);
      out = {
        flags: heap[m],
        body: message.subarray(MESSAGE_HEADER, MESSAGE_HEADER + mlen - 1),
      };
    }
    shrink(r);
    return out;
  }

  #sealNative(
    n: NativeKeys,
    counter: number,
    flags: number,
    body: Uint8Array,
  ): Uint8Array {
    const mlen = 1 + body.byteLength;
    // [MESSAGE header, MAC, flags, body], boxed in place (libsodium allows
    // the message and the box to overlap): one array, not two.
    const out = new Uint8Array(MESSAGE_HEADER + MAC + mlen);
    const box = out.subarray(MESSAGE_HEADER);
    const m = box.subarray(MAC);
    m[0] = flags;
    m.set(body, 1);
    writeShortNonce(n.out, 16, counter);
    if (n.lib.seal(box, m, n.out, n.key) !== 0) {
      throw new Error("Cannot box a CURVE message: libsodium failed");
    }
    messageHeader(out, n.out, 16);
    return out;
  }

  #openNative(
    n: NativeKeys,
    message: Uint8Array,
  ): { flags: number; body: Uint8Array } | undefined {
    copy(n.in, 16, message, 8, 8);
    // In place, as libsodium allows: [MAC, flags, body] becomes
    // [flags, body, ...]; nothing is written when the box does not open.
    const c = message.subarray(MESSAGE_HEADER);
    const m = c.subarray(0, c.byteLength - MAC);
    if (n.lib.open(m, c, n.in, n.key) !== 0) return undefined;
    return { flags: m[0], body: m.subarray(1) };
  }

  /** Wipes the key and gives the block back; idempotent. */
  close(): void {
    if (this.#native !== undefined) {
      this.#native.key.fill(0);
      this.#native = undefined;
    }
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
