/**
 * Base64 for `Uint8Array`s in JSON, with `atob`/`btoa` (available in every
 * runtime zmp targets).
 *
 * @module
 */

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;
const CHUNK = 0x8000;

/**
 * Encodes bytes as standard, padded base64.
 *
 * @param bytes the bytes
 * @returns the base64 text
 */
export function encodeBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  }
  return btoa(binary);
}

/**
 * Decodes base64 or base64url text, padded or not.
 *
 * @param text the text
 * @returns the bytes, or `undefined` when `text` is not base64
 */
export function decodeBase64(text: string): Uint8Array | undefined {
  if (!BASE64.test(text)) return undefined;
  const body = text.replace(/=+$/, "").replaceAll("-", "+").replaceAll(
    "_",
    "/",
  );
  if (body.length % 4 === 1) return undefined;
  try {
    const binary = atob(body + "=".repeat((4 - (body.length % 4)) % 4));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}
