/**
 * The CurveZMQ commands on the wire (RFC 26, as libzmq speaks it): their
 * layouts, nonces and checks, without the cryptography. Everything here is
 * pure, which is what the fuzz test (`tests/zmq/curve_codec.test.ts`)
 * drives: any input either parses or raises `CurveCommandError`.
 *
 * Sizes are of the whole command body, name included:
 *
 * | command  | layout                                                              |
 * | -------- | ------------------------------------------------------------------- |
 * | HELLO    | name(6) version(2: 1,0) padding(72) C'(32) nonce(8) box(80) = 200   |
 * | WELCOME  | name(8) nonce(16) box[S' cookie](144) = 168                          |
 * | INITIATE | name(9) cookie(96) nonce(8) box[C vouch metadata](≥144)             |
 * | READY    | name(6) nonce(8) box[metadata](≥16)                                  |
 * | MESSAGE  | name(8) nonce(8) box[flags payload](≥17)                             |
 * | ERROR    | name(6) reason-length(1) reason                                      |
 *
 * Short nonces are 8-byte big-endian counters, prefixed by a 16-byte text
 * that says which box they open (`CurveZMQHELLO---`, …).
 *
 * @module
 */

import { ZmtpProtocolError } from "./_codec.ts";

/** libzmq's `ZMQ_PROTOCOL_ERROR_*` values, reported by monitor events. */
export const PROTOCOL_ERROR = {
  unspecified: 0x10000000,
  unexpectedCommand: 0x10000001,
  invalidSequence: 0x10000002,
  keyExchange: 0x10000003,
  malformedMessage: 0x10000012,
  malformedHello: 0x10000013,
  malformedInitiate: 0x10000014,
  malformedError: 0x10000015,
  malformedReady: 0x10000016,
  malformedWelcome: 0x10000017,
  invalidMetadata: 0x10000018,
  cryptographic: 0x11000001,
  mechanismMismatch: 0x11000002,
} as const;

/** A malformed or unexpected CURVE command. */
export class CurveCommandError extends ZmtpProtocolError {
  /** The `ZMQ_PROTOCOL_ERROR_*` value for the monitor event. */
  readonly code: number;
  /**
   * @param message what was wrong
   * @param code a {@linkcode PROTOCOL_ERROR} value
   */
  constructor(message: string, code: number) {
    super(message);
    this.name = "CurveCommandError";
    this.code = code;
  }
}

const ascii = new TextEncoder();

/** Nonce prefixes (16 bytes) and long-nonce prefixes (8 bytes). */
export const NONCE = {
  hello: ascii.encode("CurveZMQHELLO---"),
  welcome: ascii.encode("WELCOME-"),
  cookie: ascii.encode("COOKIE--"),
  initiate: ascii.encode("CurveZMQINITIATE"),
  vouch: ascii.encode("VOUCH---"),
  ready: ascii.encode("CurveZMQREADY---"),
  messageFromClient: ascii.encode("CurveZMQMESSAGEC"),
  messageFromServer: ascii.encode("CurveZMQMESSAGES"),
} as const;

const NAME = {
  HELLO: ascii.encode("\x05HELLO"),
  WELCOME: ascii.encode("\x07WELCOME"),
  INITIATE: ascii.encode("\x08INITIATE"),
  READY: ascii.encode("\x05READY"),
  MESSAGE: ascii.encode("\x07MESSAGE"),
  ERROR: ascii.encode("\x05ERROR"),
} as const;

/** A command name this module knows. */
export type CurveCommandName = keyof typeof NAME;

/** The size of a box's authenticator (Poly1305). */
export const MAC = 16;

/** The name of the command in `body`, if it is one of CURVE's. */
export function commandName(body: Uint8Array): CurveCommandName | undefined {
  for (const name of Object.keys(NAME) as CurveCommandName[]) {
    if (startsWith(body, NAME[name])) return name;
  }
  return undefined;
}

function startsWith(body: Uint8Array, head: Uint8Array): boolean {
  if (body.byteLength < head.byteLength) return false;
  for (let i = 0; i < head.byteLength; i++) {
    if (body[i] !== head[i]) return false;
  }
  return true;
}

/** A full 24-byte nonce: a prefix then the rest. */
export function nonce(prefix: Uint8Array, rest: Uint8Array): Uint8Array {
  const n = new Uint8Array(24);
  n.set(prefix);
  n.set(rest, prefix.byteLength);
  return n;
}

/** An 8-byte big-endian short nonce. */
export function shortNonce(counter: number): Uint8Array {
  const out = new Uint8Array(8);
  writeShortNonce(out, 0, counter);
  return out;
}

/** Reads an 8-byte big-endian short nonce (exact up to 2^53). */
export function readShortNonce(b: Uint8Array, at: number): number {
  const hi = (b[at] << 24 | b[at + 1] << 16 | b[at + 2] << 8 | b[at + 3]) >>>
    0;
  const lo = (b[at + 4] << 24 | b[at + 5] << 16 | b[at + 6] << 8 |
    b[at + 7]) >>> 0;
  return hi * 0x100000000 + lo;
}

/** Writes `counter` as an 8-byte big-endian short nonce at `at`. */
export function writeShortNonce(
  into: Uint8Array,
  at: number,
  counter: number,
): void {
  const hi = Math.floor(counter / 0x100000000);
  into[at] = hi >>> 24;
  into[at + 1] = hi >>> 16;
  into[at + 2] = hi >>> 8;
  into[at + 3] = hi;
  into[at + 4] = counter >>> 24;
  into[at + 5] = counter >>> 16;
  into[at + 6] = counter >>> 8;
  into[at + 7] = counter;
}

function concat(parts: Uint8Array[]): Uint8Array {
  let size = 0;
  for (const p of parts) size += p.byteLength;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

function expect(
  body: Uint8Array,
  name: CurveCommandName,
  ok: boolean,
  malformed: number,
): void {
  if (!startsWith(body, NAME[name])) {
    const got = commandName(body);
    throw new CurveCommandError(
      `Cannot handshake: expected a CURVE ${name}, got ${
        got ?? "an unknown command"
      }`,
      PROTOCOL_ERROR.unexpectedCommand,
    );
  }
  if (!ok) {
    throw new CurveCommandError(
      `Cannot handshake: malformed CURVE ${name} (${body.byteLength} bytes)`,
      malformed,
    );
  }
}

// ---- HELLO -----------------------------------------------------------------

/** A client's HELLO. */
export interface Hello {
  /** C', the client's transient public key. */
  transient: Uint8Array;
  /** The short nonce. */
  nonce: Uint8Array;
  /** Box[64 zeros](C'->S). */
  box: Uint8Array;
}

/** Writes a HELLO. */
export function encodeHello(hello: Hello): Uint8Array {
  return concat([
    NAME.HELLO,
    new Uint8Array([1, 0]),
    new Uint8Array(72),
    hello.transient,
    hello.nonce,
    hello.box,
  ]);
}

/**
 * Reads a HELLO.
 *
 * @throws {CurveCommandError} for another command, a size other than 200,
 *   or a version other than 1.0
 */
export function parseHello(body: Uint8Array): Hello {
  expect(body, "HELLO", body.byteLength === 200, PROTOCOL_ERROR.malformedHello);
  if (body[6] !== 1 || body[7] !== 0) {
    throw new CurveCommandError(
      `Cannot handshake: CURVE version ${body[6]}.${body[7]} (1.0 is spoken)`,
      PROTOCOL_ERROR.malformedHello,
    );
  }
  return {
    transient: body.slice(80, 112),
    nonce: body.slice(112, 120),
    box: body.slice(120, 200),
  };
}

// ---- WELCOME ---------------------------------------------------------------

/** A server's WELCOME. */
export interface Welcome {
  /** The 16-byte long nonce. */
  nonce: Uint8Array;
  /** Box[S' + cookie](S->C'), 144 bytes. */
  box: Uint8Array;
}

/** Writes a WELCOME. */
export function encodeWelcome(welcome: Welcome): Uint8Array {
  return concat([NAME.WELCOME, welcome.nonce, welcome.box]);
}

/**
 * Reads a WELCOME.
 *
 * @throws {CurveCommandError} for another command or a size other than 168
 */
export function parseWelcome(body: Uint8Array): Welcome {
  expect(
    body,
    "WELCOME",
    body.byteLength === 168,
    PROTOCOL_ERROR.malformedWelcome,
  );
  return { nonce: body.slice(8, 24), box: body.slice(24, 168) };
}

// ---- INITIATE --------------------------------------------------------------

/** A client's INITIATE. */
export interface Initiate {
  /** The server's cookie from WELCOME, 96 bytes. */
  cookie: Uint8Array;
  /** The short nonce. */
  nonce: Uint8Array;
  /** Box[C + vouch + metadata](C'->S'). */
  box: Uint8Array;
}

/** Writes an INITIATE. */
export function encodeInitiate(initiate: Initiate): Uint8Array {
  return concat([
    NAME.INITIATE,
    initiate.cookie,
    initiate.nonce,
    initiate.box,
  ]);
}

/**
 * Reads an INITIATE.
 *
 * @throws {CurveCommandError} for another command or fewer than 257 bytes
 */
export function parseInitiate(body: Uint8Array): Initiate {
  expect(
    body,
    "INITIATE",
    body.byteLength >= 257,
    PROTOCOL_ERROR.malformedInitiate,
  );
  return {
    cookie: body.slice(9, 105),
    nonce: body.slice(105, 113),
    box: body.slice(113),
  };
}

/** What the INITIATE box holds. */
export interface InitiateContent {
  /** C, the client's long-term public key. */
  clientKey: Uint8Array;
  /** The vouch's 16-byte long nonce. */
  vouchNonce: Uint8Array;
  /** Box[C' + S](C->S'), 80 bytes. */
  vouch: Uint8Array;
  /** The client's metadata. */
  metadata: Uint8Array;
}

/** Writes the content of an INITIATE box. */
export function encodeInitiateContent(c: InitiateContent): Uint8Array {
  return concat([c.clientKey, c.vouchNonce, c.vouch, c.metadata]);
}

/**
 * Reads the content of an opened INITIATE box.
 *
 * @throws {CurveCommandError} for fewer than 128 bytes
 */
export function parseInitiateContent(plain: Uint8Array): InitiateContent {
  if (plain.byteLength < 128) {
    throw new CurveCommandError(
      `Cannot handshake: malformed CURVE INITIATE content (${plain.byteLength} bytes)`,
      PROTOCOL_ERROR.malformedInitiate,
    );
  }
  return {
    clientKey: plain.slice(0, 32),
    vouchNonce: plain.slice(32, 48),
    vouch: plain.slice(48, 128),
    metadata: plain.subarray(128),
  };
}

// ---- READY and MESSAGE -----------------------------------------------------

/** A READY or a MESSAGE: a short nonce and a box. */
export interface Boxed {
  /** The short nonce. */
  nonce: Uint8Array;
  /** The box. */
  box: Uint8Array;
}

/** Writes a READY. */
export function encodeReady(ready: Boxed): Uint8Array {
  return concat([NAME.READY, ready.nonce, ready.box]);
}

/**
 * Reads a READY.
 *
 * @throws {CurveCommandError} for another command or fewer than 30 bytes
 */
export function parseReady(body: Uint8Array): Boxed {
  expect(body, "READY", body.byteLength >= 30, PROTOCOL_ERROR.malformedReady);
  return { nonce: body.slice(6, 14), box: body.subarray(14) };
}

/** The MESSAGE header: name and short nonce. */
export const MESSAGE_HEADER = 16;

/**
 * Writes the MESSAGE header in front of a box: the name, then the short
 * nonce found at `from[at..at+8]`.
 */
export function messageHeader(
  into: Uint8Array,
  from: Uint8Array,
  at: number,
): void {
  const name = NAME.MESSAGE;
  for (let i = 0; i < 8; i++) into[i] = name[i];
  for (let i = 0; i < 8; i++) into[8 + i] = from[at + i];
}

/**
 * Checks a MESSAGE and returns its short nonce's value.
 *
 * @throws {CurveCommandError} for another command or fewer than 33 bytes
 */
export function checkMessage(body: Uint8Array): number {
  if (!startsWith(body, NAME.MESSAGE)) {
    throw new CurveCommandError(
      `Cannot read: expected a CURVE MESSAGE, got ${
        commandName(body) ?? "an unknown command"
      }`,
      PROTOCOL_ERROR.unexpectedCommand,
    );
  }
  if (body.byteLength < MESSAGE_HEADER + MAC + 1) {
    throw new CurveCommandError(
      `Cannot read: malformed CURVE MESSAGE (${body.byteLength} bytes)`,
      PROTOCOL_ERROR.malformedMessage,
    );
  }
  return readShortNonce(body, 8);
}

// ---- ERROR -----------------------------------------------------------------

/** Writes an ERROR with a reason of up to 255 bytes. */
export function encodeError(reason: string): Uint8Array {
  const text = ascii.encode(reason).subarray(0, 255);
  return concat([NAME.ERROR, new Uint8Array([text.byteLength]), text]);
}

/**
 * Reads an ERROR's reason.
 *
 * @throws {CurveCommandError} when the reason overruns the command
 */
export function parseError(body: Uint8Array): string {
  expect(
    body,
    "ERROR",
    body.byteLength >= 7 && body[6] <= body.byteLength - 7,
    PROTOCOL_ERROR.malformedError,
  );
  return new TextDecoder("latin1").decode(body.subarray(7, 7 + body[6]));
}
