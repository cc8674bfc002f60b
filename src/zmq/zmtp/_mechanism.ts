/**
 * Security mechanisms of the ZMTP handshake, behind one interface so that
 * another can be plugged in beside NULL (CurveZMQ, RFC 26, in `_curve.ts`).
 *
 * A connection drives its mechanism like this: after the greetings, it
 * sends what `start()` returns, then feeds every command frame to
 * `onCommand()` and sends what that returns, until the mechanism reports
 * `done` with the peer's metadata (or throws). A server mechanism that
 * authenticates its peer (CURVE) also reports the peer's long-term key in
 * `peerKey`: the connection then asks its host before sending that last
 * step's commands, and sends ERROR `400` instead when the host refuses.
 *
 * After the handshake, a mechanism that protects traffic (CURVE boxes each
 * frame, commands included, in a MESSAGE) provides `encodeFrame` and
 * `decodeFrame`, which see every frame both ways; NULL provides neither and
 * frames go as they are. CURVE lives in `_curve.ts`.
 *
 * @module
 */

import {
  encodeCommand,
  encodeMetadata,
  parseCommand,
  parseMetadata,
  ZmtpProtocolError,
} from "./_codec.ts";

/** What the socket tells its mechanism. */
export interface MechanismInit {
  /** Our metadata: `Socket-Type`, and `Identity` where it applies. */
  metadata: Record<string, Uint8Array>;
  /** Whether we are the server side (CURVE: the side with `curveServer`). */
  asServer: boolean;
}

/** What a mechanism says after a command. */
export interface MechanismStep {
  /** Command frame bodies to send, in order. */
  send: Uint8Array[];
  /** Set once the handshake is complete: the peer's metadata. */
  done?: Map<string, Uint8Array>;
  /**
   * The peer's authenticated long-term public key (a server mechanism, with
   * `done`): `send` goes out only if the host accepts it.
   */
  peerKey?: Uint8Array;
}

/** Why a handshake failed, for the monitor event. */
export type HandshakeFailure = "protocol" | "auth";

/** A handshake that the mechanism refused. */
export class HandshakeError extends Error {
  /** `auth` for a refused identity, `protocol` for a malformed exchange. */
  readonly kind: HandshakeFailure;
  /**
   * The monitor event's value: a ZAP status code (`400`) for `auth`, a
   * `ZMQ_PROTOCOL_ERROR_*` value for `protocol`, or 0.
   */
  readonly code: number;
  /**
   * @param message what went wrong
   * @param kind which monitor event reports it
   * @param code the monitor event's value
   */
  constructor(message: string, kind: HandshakeFailure, code = 0) {
    super(message);
    this.name = "HandshakeError";
    this.kind = kind;
    this.code = code;
  }
}

/** One side of a security handshake. */
export interface Mechanism {
  /** The name in the greeting, e.g. `NULL`. */
  readonly name: string;
  /** The as-server flag of our greeting. */
  readonly asServer: boolean;
  /** Command bodies to send right after the greetings. */
  start(): Uint8Array[];
  /**
   * Handles one command body from the peer during the handshake.
   *
   * @throws {HandshakeError} or {ZmtpProtocolError} to drop the connection
   */
  onCommand(body: Uint8Array): MechanismStep;
  /**
   * Protects one outgoing frame after the handshake (absent for NULL): the
   * body of the frame that goes instead, with no flags. `flags` are the
   * frame's (`MORE`, `COMMAND`). The result may be a view of a buffer that
   * the mechanism reuses: copy it before calling the mechanism again.
   */
  encodeFrame?(body: Uint8Array, flags: number): Uint8Array;
  /**
   * Opens one incoming frame after the handshake, whatever its flags.
   *
   * @throws {ZmtpProtocolError} for a frame that does not open
   */
  decodeFrame?(body: Uint8Array): { body: Uint8Array; flags: number };
  /** The connection is over: let go of keys and buffers. */
  close?(): void;
}

/**
 * The ZAP status code in an ERROR's reason (`300`, `400`, `500`), as libzmq
 * reads it, or `undefined` for another reason.
 */
export function statusCode(reason: string): number | undefined {
  return /^[345]00$/.test(reason) ? Number(reason) : undefined;
}

/** Makes a mechanism for one connection. */
export type MechanismFactory = (init: MechanismInit) => Mechanism;

/** The NULL mechanism (RFC 37): READY both ways, no security. */
export class NullMechanism implements Mechanism {
  readonly name = "NULL";
  readonly asServer = false;
  #metadata: Record<string, Uint8Array>;

  /** @param init our metadata */
  constructor(init: MechanismInit) {
    this.#metadata = init.metadata;
  }

  start(): Uint8Array[] {
    return [encodeCommand("READY", encodeMetadata(this.#metadata))];
  }

  onCommand(body: Uint8Array): MechanismStep {
    const { name, data } = parseCommand(body);
    if (name === "READY") return { send: [], done: parseMetadata(data) };
    if (name === "ERROR") {
      const len = data[0] ?? 0;
      const reason = new TextDecoder().decode(data.subarray(1, 1 + len));
      const status = statusCode(reason);
      throw new HandshakeError(
        `the peer refused: ${reason}`,
        status === undefined ? "protocol" : "auth",
        status ?? 0,
      );
    }
    throw new ZmtpProtocolError(
      `Cannot handshake: unexpected ${name} command under NULL`,
    );
  }
}
