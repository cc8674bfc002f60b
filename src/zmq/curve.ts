/**
 * CURVE keys and the authentication hook, the same for both engines.
 *
 * Keys are made with libsodium (WebAssembly, no libzmq needed) and written
 * in Z85 (ZeroMQ RFC 32): 32 bytes as 40 printable characters, the form
 * libzmq, pyzmq and the `curve*Key` socket options take.
 *
 * @module
 */

import { loadSodium } from "./_sodium.ts";
import { z85Decode, z85Encode } from "./zmtp/_z85.ts";

/** A CURVE key pair, each key as 40 Z85 characters. */
export interface CurveKeyPair {
  /** The public key, to hand to peers. */
  publicKey: string;
  /** The secret key, never to leave this process. */
  secretKey: string;
}

/**
 * A client met by a CURVE server during the handshake, as the
 * {@linkcode CurveAuthenticator} sees it.
 */
export interface CurvePeer {
  /** The client's long-term public key, in Z85 (40 characters). */
  publicKey: string;
  /**
   * Where it connects from: the IP address for tcp (e.g. `127.0.0.1`), and
   * what the engine knows for ipc (often `""`).
   */
  address: string;
}

/**
 * Decides whether a CURVE server accepts a client: `true` to accept,
 * `false` to refuse. It runs during the handshake, before the client can
 * send anything; a refused client gets the ZMTP `ERROR` command with status
 * `400` and is disconnected, and the server's monitor reports
 * `handshakeFailedAuth` with value 400. A hook that throws, or whose promise
 * rejects, refuses.
 */
export type CurveAuthenticator = (
  peer: CurvePeer,
) => boolean | Promise<boolean>;

/**
 * What a CURVE server socket needs: its key pair, and who may connect.
 */
export interface CurveServerSecurity extends CurveKeyPair {
  /** Accepts or refuses each client key. @default {every client key} */
  authenticate?: CurveAuthenticator;
}

/**
 * What a CURVE client socket needs: its key pair, and the public key of
 * the server it connects to (the handshake fails against any other).
 */
export interface CurveClientSecurity extends CurveKeyPair {
  /** The server's public key (Z85). */
  serverKey: string;
}

/**
 * The socket options (and hook) of a CURVE server or client.
 *
 * @param security a server's or a client's keys
 * @returns what to spread into a socket's constructor options
 */
export function curveSocketOptions(
  security: CurveServerSecurity | CurveClientSecurity,
): {
  curveServer?: boolean;
  curvePublicKey: string;
  curveSecretKey: string;
  curveServerKey?: string;
  authenticate?: CurveAuthenticator;
} {
  const keys = {
    curvePublicKey: security.publicKey,
    curveSecretKey: security.secretKey,
  };
  if ("serverKey" in security) {
    return { ...keys, curveServerKey: security.serverKey };
  }
  return security.authenticate === undefined
    ? { ...keys, curveServer: true }
    : { ...keys, curveServer: true, authenticate: security.authenticate };
}

/**
 * Generates a new CURVE key pair (Curve25519, with libsodium).
 *
 * @returns a fresh key pair in Z85 text
 *
 * @example
 * ```ts
 * import { curveKeypair } from "zmp/zmq";
 * const { publicKey, secretKey } = await curveKeypair();
 * console.log(publicKey.length, secretKey.length); // 40 40
 * ```
 */
export async function curveKeypair(): Promise<CurveKeyPair> {
  const sodium = await loadSodium();
  const { publicKey, privateKey } = sodium.crypto_box_keypair();
  return { publicKey: z85Encode(publicKey), secretKey: z85Encode(privateKey) };
}

/**
 * Derives the public key of a CURVE secret key (libzmq's
 * `zmq_curve_public`): what a key file needs to be checked.
 *
 * @param secretKey the secret key, 40 Z85 characters or 32 bytes
 * @returns the public key in Z85
 * @throws {TypeError} for a key that is neither
 *
 * @example
 * ```ts
 * import { curveKeypair, curvePublic } from "zmp/zmq";
 * const pair = await curveKeypair();
 * console.log((await curvePublic(pair.secretKey)) === pair.publicKey); // true
 * ```
 */
export async function curvePublic(
  secretKey: string | Uint8Array,
): Promise<string> {
  const secret = curveKeyBytes(secretKey, "curvePublic");
  const sodium = await loadSodium();
  return z85Encode(sodium.crypto_scalarmult_base(secret));
}

/**
 * A CURVE key as its 32 bytes, from Z85 text or bytes.
 *
 * @param key 40 Z85 characters or 32 bytes
 * @param operation names the caller in the error
 * @returns a copy of the 32 bytes
 * @throws {TypeError} for anything else
 *
 * @example
 * ```ts
 * import { curveKeyBytes, curveKeyText } from "zmp/zmq";
 * const text = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
 * console.log(curveKeyText(curveKeyBytes(text)) === text); // true
 * ```
 */
export function curveKeyBytes(
  key: string | Uint8Array,
  operation = "curveKeyBytes",
): Uint8Array {
  if (key instanceof Uint8Array && key.byteLength === 32) return key.slice();
  if (typeof key === "string" && key.length === 40) {
    const raw = z85Decode(key);
    if (raw !== undefined) return raw;
  }
  throw new TypeError(
    `Cannot use CURVE key in ${operation}: expected 40 Z85 characters or 32 bytes, got ${
      typeof key === "string"
        ? JSON.stringify(key.slice(0, 48))
        : key instanceof Uint8Array
        ? `Uint8Array(${key.byteLength})`
        : typeof key
    }`,
  );
}

/**
 * A CURVE key's Z85 text.
 *
 * @param key 32 bytes
 * @returns 40 characters
 * @throws {TypeError} for another length
 */
export function curveKeyText(key: Uint8Array): string {
  if (!(key instanceof Uint8Array) || key.byteLength !== 32) {
    throw new TypeError(
      "Cannot write CURVE key: expected 32 bytes",
    );
  }
  return z85Encode(key);
}
