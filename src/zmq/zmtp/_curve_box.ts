/**
 * The per-message boxes of CURVE (crypto_box "afternm": XSalsa20-Poly1305
 * with a key precomputed once per connection), run in libsodium's
 * WebAssembly memory directly.
 *
 * The `libsodium-wrappers` functions allocate and free wasm memory, and copy
 * in and out, several times per call; for a 16-byte message that costs more
 * than the cipher. Here one scratch region serves every connection (the
 * JavaScript thread runs one box at a time): the frame is copied in once,
 * boxed in place, and copied out once into the MESSAGE body.
 *
 * @module
 */

import { sodium } from "../_sodium.ts";
import { MAC, MESSAGE_HEADER, messageHeader } from "./_curve_codec.ts";

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

/** Nonce (24) then key (32), then the input, then the output. */
const NONCE_AT = 0;
const KEY_AT = 24;
const DATA_AT = 56;
/** A scratch region larger than this is given back after use. */
const KEEP = 256 * 1024;

let raw: RawSodium | undefined;
let scratch = 0;
let scratchSize = 0;

function rawSodium(): RawSodium {
  return raw ??= (sodium() as unknown as { libsodium: RawSodium }).libsodium;
}

/** A scratch region of at least `size` bytes; its address. */
function region(r: RawSodium, size: number): number {
  if (scratchSize >= size) return scratch;
  if (scratch !== 0) r._free(scratch);
  let want = Math.max(4096, scratchSize);
  while (want < size) want *= 2;
  scratch = r._malloc(want);
  if (scratch === 0) {
    scratchSize = 0;
    throw new RangeError(`Cannot box a CURVE message: no memory for ${size} B`);
  }
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

/**
 * Boxes `flags` + `body` into a MESSAGE command body: name, short nonce,
 * box.
 *
 * @param key the precomputed key (32 bytes)
 * @param nonce the full 24-byte nonce; its last 8 bytes are the short nonce
 * @param flags the CURVE flags byte (1 more, 2 command)
 * @param body the frame
 */
export function sealMessage(
  key: Uint8Array,
  nonce: Uint8Array,
  flags: number,
  body: Uint8Array,
): Uint8Array {
  const r = rawSodium();
  const mlen = 1 + body.byteLength;
  const clen = mlen + MAC;
  const base = region(r, DATA_AT + mlen + clen);
  const m = base + DATA_AT;
  const c = m + mlen;
  let heap = r.HEAPU8;
  heap.set(nonce, base + NONCE_AT);
  heap.set(key, base + KEY_AT);
  heap[m] = flags;
  heap.set(body, m + 1);
  const rc = r._crypto_box_easy_afternm(
    c,
    m,
    mlen,
    0,
    base + NONCE_AT,
    base + KEY_AT,
  );
  heap = r.HEAPU8;
  heap.fill(0, base + KEY_AT, base + KEY_AT + 32);
  if (rc !== 0) throw new Error("Cannot box a CURVE message: libsodium failed");
  const out = new Uint8Array(MESSAGE_HEADER + clen);
  messageHeader(out, nonce.subarray(16));
  out.set(heap.subarray(c, c + clen), MESSAGE_HEADER);
  shrink(r);
  return out;
}

/**
 * Opens the box of a MESSAGE command body.
 *
 * @param key the precomputed key (32 bytes)
 * @param nonce the full 24-byte nonce
 * @param message the whole MESSAGE body (checked to hold at least a MAC
 *   and a flags byte)
 * @returns the flags byte and the frame, or `undefined` when the box does
 *   not open (forged, replayed or corrupted)
 */
export function openMessage(
  key: Uint8Array,
  nonce: Uint8Array,
  message: Uint8Array,
): { flags: number; body: Uint8Array } | undefined {
  const r = rawSodium();
  const clen = message.byteLength - MESSAGE_HEADER;
  const mlen = clen - MAC;
  const base = region(r, DATA_AT + clen + mlen);
  const c = base + DATA_AT;
  const m = c + clen;
  let heap = r.HEAPU8;
  heap.set(nonce, base + NONCE_AT);
  heap.set(key, base + KEY_AT);
  heap.set(message.subarray(MESSAGE_HEADER), c);
  const rc = r._crypto_box_open_easy_afternm(
    m,
    c,
    clen,
    0,
    base + NONCE_AT,
    base + KEY_AT,
  );
  heap = r.HEAPU8;
  heap.fill(0, base + KEY_AT, base + KEY_AT + 32);
  if (rc !== 0) {
    shrink(r);
    return undefined;
  }
  const flags = heap[m];
  const body = heap.slice(m + 1, m + mlen);
  shrink(r);
  return { flags, body };
}
