/**
 * Z85 (ZeroMQ RFC 32) for CURVE keys: 32 bytes as 40 printable characters.
 *
 * @module
 */

const ALPHABET =
  "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
const DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

/** Encodes bytes (a multiple of 4) as Z85 text. */
export function z85Encode(data: Uint8Array): string {
  let out = "";
  for (let i = 0; i < data.byteLength; i += 4) {
    let v = ((data[i] << 24) | (data[i + 1] << 16) | (data[i + 2] << 8) |
      data[i + 3]) >>> 0;
    const chunk = new Array<string>(5);
    for (let j = 4; j >= 0; j--) {
      chunk[j] = ALPHABET[v % 85];
      v = Math.floor(v / 85);
    }
    out += chunk.join("");
  }
  return out;
}

/**
 * Decodes Z85 text (a multiple of 5 characters).
 *
 * @returns the bytes, or `undefined` for a character outside the alphabet
 *   or a group over 2^32
 */
export function z85Decode(text: string): Uint8Array | undefined {
  if (text.length % 5 !== 0) return undefined;
  const out = new Uint8Array(text.length / 5 * 4);
  for (let i = 0, o = 0; i < text.length; i += 5, o += 4) {
    let v = 0;
    for (let j = 0; j < 5; j++) {
      const c = text.charCodeAt(i + j);
      const d = c < 128 ? DECODE[c] : -1;
      if (d < 0) return undefined;
      v = v * 85 + d;
    }
    if (v > 0xffffffff) return undefined;
    out[o] = v >>> 24;
    out[o + 1] = (v >>> 16) & 0xff;
    out[o + 2] = (v >>> 8) & 0xff;
    out[o + 3] = v & 0xff;
  }
  return out;
}
