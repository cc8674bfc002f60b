/**
 * CURVE key generation.
 *
 * @module
 */

import { libzmq } from "./loader.ts";
import { lastError } from "./_core.ts";

/** A CURVE key pair, each key as 40 Z85 characters. */
export interface CurveKeyPair {
  /** The public key, to hand to peers. */
  publicKey: string;
  /** The secret key, never to leave this process. */
  secretKey: string;
}

/**
 * Generates a new CURVE key pair.
 *
 * @returns a fresh key pair in Z85 text
 * @throws {ZmqError} `ENOTSUP` when libzmq was built without CURVE
 *
 * @example
 * ```ts
 * import { curveKeypair } from "zmp/zmq";
 * const { publicKey, secretKey } = curveKeypair();
 * console.log(publicKey.length, secretKey.length); // 40 40
 * ```
 */
export function curveKeypair(): CurveKeyPair {
  const pub = new Uint8Array(41);
  const sec = new Uint8Array(41);
  if (libzmq().zmq.zmq_curve_keypair(pub, sec) !== 0) {
    throw lastError("curveKeypair");
  }
  const d = new TextDecoder();
  return {
    publicKey: d.decode(pub.subarray(0, 40)),
    secretKey: d.decode(sec.subarray(0, 40)),
  };
}
