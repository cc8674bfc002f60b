/**
 * Registration tokens: the secret that proves a caller is the node that
 * registered a name (or its launcher, restarting it). 32 random bytes in
 * base64url; compared in constant time; etcd keeps only their SHA-256.
 *
 * @module
 */

import { Buffer } from "node:buffer";

/**
 * A new random token.
 *
 * @returns 43 base64url characters (256 bits)
 */
export function newToken(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString(
    "base64url",
  );
}

/**
 * Whether two tokens are the same, in time that depends only on their
 * lengths.
 *
 * @param a a token
 * @param b another
 * @returns whether they are equal
 */
export function sameToken(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/**
 * The SHA-256 of a token, hex: what etcd stores instead of the token.
 *
 * @param token the token
 * @returns 64 hex digits
 */
export async function tokenDigest(token: string): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(token),
  );
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0"))
    .join("");
}
