/**
 * The system's libsodium, through Deno's FFI, for the boxes of large CURVE
 * messages and the key exchanges of handshakes.
 *
 * `libsodium-wrappers` is WebAssembly without SIMD: its XSalsa20 runs at
 * about 190 MB/s here, so opening one 4 MiB message held the event loop
 * for 21 ms, and a peer that sent such messages held up every other peer's
 * replies that long (issue #14: ×27 a good client's p99 in secure mode).
 * The native library (`libsodium.so.23`, which libzmq itself depends on)
 * does the same in 2.8 ms, 1.5 GB/s. For small messages the WebAssembly
 * path stays: it boxes in place, and an FFI call costs about 2 µs.
 * A handshake's key exchanges (`crypto_box_beforenm`, 0.15 ms in
 * WebAssembly, 0.03 ms native; three per handshake on a server) and key
 * pairs are native too: a client that retries handshakes with a key nobody
 * admits costs the server a quarter of the event-loop time it did.
 *
 * Used only when the process may use FFI (`--allow-ffi`) and the library
 * loads; otherwise {@linkcode nativeSodium} returns `undefined` and every
 * box stays in WebAssembly, as before. The library is opened once and kept
 * for the life of the process.
 *
 * @module
 */

/** The functions used, as libsodium declares them. */
const SYMBOLS = {
  /** `int sodium_init(void)`: 0, or 1 when already initialised. */
  sodium_init: { parameters: [], result: "i32" },
  /** `crypto_box_easy_afternm(c, m, mlen, n, k)` */
  crypto_box_easy_afternm: {
    parameters: ["buffer", "buffer", "u64", "buffer", "buffer"],
    result: "i32",
  },
  /** `crypto_box_open_easy_afternm(m, c, clen, n, k)` */
  crypto_box_open_easy_afternm: {
    parameters: ["buffer", "buffer", "u64", "buffer", "buffer"],
    result: "i32",
  },
  /** `crypto_box_beforenm(k, pk, sk)` */
  crypto_box_beforenm: {
    parameters: ["buffer", "buffer", "buffer"],
    result: "i32",
  },
  /** `crypto_box_keypair(pk, sk)` */
  crypto_box_keypair: { parameters: ["buffer", "buffer"], result: "i32" },
} as const;

/** Bytes of a key, public, secret or precomputed. */
const KEY_BYTES = 32;

/** Where the library may be found, most specific first. */
function libraryNames(): string[] {
  return Deno.build.os === "darwin"
    ? ["libsodium.26.dylib", "libsodium.23.dylib", "libsodium.dylib"]
    : ["libsodium.so.26", "libsodium.so.23", "libsodium.so"];
}

/**
 * The native functions. Each checks the lengths of what it is given before
 * the call: C reads as many bytes as it expects, whatever was passed.
 */
export interface NativeSodium {
  /**
   * Boxes `m` into `c` (`m.byteLength + 16` bytes); they may overlap.
   *
   * @returns 0 on success
   */
  seal(
    c: Uint8Array,
    m: Uint8Array,
    nonce: Uint8Array,
    key: Uint8Array,
  ): number;
  /**
   * Opens `c` into `m` (`c.byteLength - 16` bytes); they may overlap.
   *
   * @returns 0 when the box opens, -1 when it does not
   */
  open(
    m: Uint8Array,
    c: Uint8Array,
    nonce: Uint8Array,
    key: Uint8Array,
  ): number;
  /**
   * The precomputed key of a public and a secret key.
   *
   * @throws {Error} when the shared point is weak (libsodium returns -1)
   */
  beforenm(publicKey: Uint8Array, secretKey: Uint8Array): Uint8Array;
  /** A fresh key pair. */
  keypair(): { publicKey: Uint8Array; privateKey: Uint8Array };
}

function need(what: string, bytes: Uint8Array, n: number): void {
  if (bytes.byteLength !== n) {
    throw new RangeError(
      `Cannot use libsodium: ${what} has ${bytes.byteLength} bytes, not ${n}`,
    );
  }
}

/** Checks what a box call reads beyond its two buffers. */
function needBox(
  m: Uint8Array,
  c: Uint8Array,
  nonce: Uint8Array,
  key: Uint8Array,
): void {
  need("the nonce", nonce, 24);
  need("the key", key, KEY_BYTES);
  need("the box", c, m.byteLength + 16);
}

let native: NativeSodium | null | undefined;

/**
 * The system's libsodium, loaded on first call; `undefined` without FFI
 * permission or where no library loads.
 */
export function nativeSodium(): NativeSodium | undefined {
  if (native === undefined) native = load();
  return native ?? undefined;
}

function load(): NativeSodium | null {
  try {
    if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") {
      return null;
    }
  } catch {
    return null; // no permissions API
  }
  for (const name of libraryNames()) {
    let lib: Deno.DynamicLibrary<typeof SYMBOLS>;
    try {
      lib = Deno.dlopen(name, SYMBOLS);
    } catch {
      continue;
    }
    if (lib.symbols.sodium_init() < 0) {
      lib.close();
      continue;
    }
    const s = lib.symbols;
    return {
      seal(c, m, nonce, key) {
        needBox(m, c, nonce, key);
        return s.crypto_box_easy_afternm(
          c,
          m,
          BigInt(m.byteLength),
          nonce,
          key,
        );
      },
      open(m, c, nonce, key) {
        needBox(m, c, nonce, key);
        return s.crypto_box_open_easy_afternm(
          m,
          c,
          BigInt(c.byteLength),
          nonce,
          key,
        );
      },
      beforenm(publicKey, secretKey) {
        need("the public key", publicKey, KEY_BYTES);
        need("the secret key", secretKey, KEY_BYTES);
        const k = new Uint8Array(KEY_BYTES);
        if (s.crypto_box_beforenm(k, publicKey, secretKey) !== 0) {
          throw new Error("Cannot precompute a CURVE key: a weak public key");
        }
        return k;
      },
      keypair() {
        const publicKey = new Uint8Array(KEY_BYTES);
        const privateKey = new Uint8Array(KEY_BYTES);
        if (s.crypto_box_keypair(publicKey, privateKey) !== 0) {
          throw new Error("Cannot make a CURVE key pair: libsodium failed");
        }
        return { publicKey, privateKey };
      },
    };
  }
  return null;
}
