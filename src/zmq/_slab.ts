/**
 * Small byte arrays carved out of shared slabs, for the hot paths of the
 * engine and the wire layer.
 *
 * Deno gives every typed array its own backing store (V8's on-heap typed
 * arrays are off), and making one costs about half a microsecond on a quiet
 * machine and several on a busy one: more than encoding or parsing a small
 * frame. A view of a slab costs a tenth of that. A view keeps its whole
 * slab alive, so slabs are small and only small arrays come from them, as
 * with Node's pooled `Buffer`s; code that reads `.buffer` must honour
 * `byteOffset` and `byteLength`.
 *
 * @module
 */

/** A bump allocator of zeroed byte arrays over fresh slabs. */
export class Slab {
  readonly #size: number;
  readonly #max: number;
  #buf: Uint8Array<ArrayBuffer>;
  #at = 0;

  /**
   * @param size bytes per slab
   * @param max the largest array taken from a slab; larger ones get their
   *   own buffer
   */
  constructor(size = 8192, max = size >> 3) {
    this.#size = size;
    this.#max = max;
    // The first slab is made on first use: many users (a connection that
    // only handshakes) never take one.
    this.#buf = new Uint8Array(0);
  }

  /**
   * `n` zero bytes, in a slab when small. Slab space is never handed out
   * twice.
   *
   * @param n how many bytes
   * @returns a fresh array (a view of a slab when `n` is small)
   */
  alloc(n: number): Uint8Array<ArrayBuffer> {
    if (n > this.#max) return new Uint8Array(n);
    let at = this.#at;
    if (at + n > this.#buf.byteLength) {
      this.#buf = new Uint8Array(this.#size);
      at = 0;
    }
    this.#at = at + n;
    return this.#buf.subarray(at, at + n);
  }

  /**
   * A copy of `src[from, to)`.
   *
   * @param src where the bytes are
   * @param from first byte
   * @param to end (exclusive)
   * @returns the copy (a view of a slab when small)
   */
  copy(src: Uint8Array, from: number, to: number): Uint8Array<ArrayBuffer> {
    const n = to - from;
    if (n > this.#max) return src.slice(from, to) as Uint8Array<ArrayBuffer>;
    const out = this.alloc(n);
    if (n <= 64) {
      // A loop beats the calls of `subarray()` and `set()` for a few bytes.
      for (let i = 0; i < n; i++) out[i] = src[from + i];
    } else {
      out.set(src.subarray(from, to));
    }
    return out;
  }
}
