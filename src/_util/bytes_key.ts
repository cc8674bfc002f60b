/**
 * Bytes as a map key: one character per byte. Routing ids and topics are
 * a few bytes; a string built this way is short, flat and hashed once.
 *
 * @module
 */

/**
 * The key of some bytes: one character (0-255) per byte.
 *
 * @param bytes e.g. a routing id
 * @returns the key
 */
export function bytesKey(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.byteLength; i++) s += String.fromCharCode(bytes[i]);
  return s;
}
