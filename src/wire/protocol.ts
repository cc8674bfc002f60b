/**
 * The zmp wire protocol, version 1: message kinds, the fixed binary header,
 * and the frames of each message. `docs/PROTOCOL.md` is the normative text;
 * this file is its implementation.
 *
 * Every message is one ZeroMQ multipart message. Frame 0 is a header of 8,
 * 12 or 16 bytes, big-endian:
 *
 * ```
 * 0        1       2        3        4 . . . . 7   8 . . 11     12 . . 15
 * version  kind    codec    flags    request id   deadline ms  credit      REQUEST
 *                                                 status                   ERROR
 *                                                 credit                   CREDIT
 * ```
 *
 * @module
 */

import {
  type ErrorDetails,
  ProtocolError,
  type ProtocolErrorOptions,
} from "./errors.ts";
import type { StatusName } from "./status.ts";
import { Slab } from "../zmq/_slab.ts";
import { clip, MAX_ERROR_DETAILS, MAX_ERROR_MESSAGE } from "./limits.ts";

/** Headers come from slabs: a typed array of its own costs more (`_slab.ts`). */
const headers = new Slab(8192, 16);

/** The protocol version this implementation speaks (header byte 0). */
export const PROTOCOL_VERSION = 1;

/** Message kinds (header byte 1). */
export const KIND = {
  /** Client → server: call a method. */
  REQUEST: 1,
  /** Server → client: the result of a unary call. */
  RESPONSE: 2,
  /** Server → client: a unary call or a stream failed; ends the call. */
  ERROR: 3,
  /** Server → client: one item of a stream; uses one credit. */
  DATA: 4,
  /** Server → client: a stream finished normally. */
  END: 5,
  /** Client → server: stop the call; no reply. */
  CANCEL: 6,
  /** Client → server: the stream may send this many more items. */
  CREDIT: 7,
  /** Client → server: are you there? */
  PING: 8,
  /** Server → client: the answer to a PING, same request id. */
  PONG: 9,
} as const;

/** The name of a message kind. */
export type MessageKind = keyof typeof KIND;

/** Header flag bits (header byte 3). Unknown bits are ignored. */
export const FLAGS = {
  /** REQUEST: the caller expects a stream (DATA… then END or ERROR). */
  STREAM: 0x01,
} as const;

/** Header sizes in bytes, by kind. */
export const HEADER_SIZE: Readonly<Record<MessageKind, number>> = {
  REQUEST: 16,
  RESPONSE: 8,
  ERROR: 12,
  DATA: 8,
  END: 8,
  CANCEL: 8,
  CREDIT: 12,
  PING: 8,
  PONG: 8,
};

/** How many frames (header included) each kind has: `[min, max]`. */
export const FRAME_COUNT: Readonly<
  Record<MessageKind, readonly [number, number]>
> = {
  REQUEST: [3, 4],
  RESPONSE: [2, 2],
  ERROR: [2, 3],
  DATA: [2, 2],
  END: [1, 1],
  CANCEL: [1, 1],
  CREDIT: [1, 1],
  PING: [1, 1],
  PONG: [1, 1],
};

/** The largest value of a 32-bit header field. */
export const MAX_U32 = 0xffffffff;

/** The longest method name, in UTF-8 bytes. */
export const MAX_METHOD_NAME_BYTES = 255;

const KIND_NAMES: readonly (MessageKind | undefined)[] = [
  undefined,
  "REQUEST",
  "RESPONSE",
  "ERROR",
  "DATA",
  "END",
  "CANCEL",
  "CREDIT",
  "PING",
  "PONG",
];

/**
 * The name of a kind byte.
 *
 * @param kind header byte 1
 * @returns the kind's name, or `undefined` when it is not one
 */
export function kindName(kind: number): MessageKind | undefined {
  return KIND_NAMES[kind];
}

/** A decoded header. Fields that a kind does not carry are 0. */
export interface Header {
  /** The message kind. */
  kind: MessageKind;
  /** The request id (never 0 in a valid message). */
  requestId: number;
  /** The codec id of the payload frame (REQUEST, RESPONSE, DATA). */
  codec: number;
  /** The flag bits. */
  flags: number;
  /** REQUEST: milliseconds the server may spend, 0 for no deadline. */
  deadline: number;
  /** REQUEST: initial stream credit; CREDIT: credit to add. */
  credit: number;
  /** ERROR: the status number. */
  status: number;
}

/**
 * Writes a big-endian 32-bit unsigned integer.
 *
 * @param out the frame
 * @param at the offset
 * @param value the value (its low 32 bits)
 */
export function writeU32(out: Uint8Array, at: number, value: number): void {
  out[at] = value >>> 24;
  out[at + 1] = value >>> 16;
  out[at + 2] = value >>> 8;
  out[at + 3] = value;
}

/**
 * Reads a big-endian 32-bit unsigned integer.
 *
 * @param bytes the frame
 * @param at the offset
 * @returns the value
 */
export function readU32(bytes: Uint8Array, at: number): number {
  return ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) |
    bytes[at + 3]) >>> 0;
}

/** Options of {@linkcode encodeRequestHeader}. */
export interface RequestHeaderInit {
  /** The request id, 1 … 2³²−1. */
  requestId: number;
  /** The codec id of the arguments frame. */
  codec: number;
  /** Whether the call is a server stream. @default {false} */
  stream?: boolean;
  /** Milliseconds the server may spend; 0 for none. @default {0} */
  deadline?: number;
  /** Initial stream credit. @default {0} */
  credit?: number;
}

/**
 * Encodes the 16-byte header of a REQUEST.
 *
 * @param init id, codec, stream flag, deadline and credit
 * @returns the header frame
 * @example
 * ```ts
 * import { encodeRequestHeader } from "zmp/wire";
 * const h = encodeRequestHeader({ requestId: 7, codec: 1, deadline: 250 });
 * console.log(h); // 01 01 01 00  00 00 00 07  00 00 00 fa  00 00 00 00
 * ```
 */
export function encodeRequestHeader(init: RequestHeaderInit): Uint8Array {
  const out = headers.alloc(16);
  out[0] = PROTOCOL_VERSION;
  out[1] = KIND.REQUEST;
  out[2] = init.codec;
  out[3] = init.stream ? FLAGS.STREAM : 0;
  writeU32(out, 4, init.requestId);
  writeU32(out, 8, clampU32(init.deadline ?? 0));
  writeU32(out, 12, clampU32(init.credit ?? 0));
  return out;
}

/**
 * Encodes an 8-byte header: RESPONSE, DATA (with the payload's codec), END,
 * CANCEL, PING or PONG.
 *
 * @param kind the kind number, from {@linkcode KIND}
 * @param requestId the request id
 * @param codec the payload's codec id, or 0
 * @returns the header frame
 */
export function encodeHeader(
  kind: number,
  requestId: number,
  codec = 0,
): Uint8Array {
  const out = headers.alloc(8);
  out[0] = PROTOCOL_VERSION;
  out[1] = kind;
  out[2] = codec;
  writeU32(out, 4, requestId);
  return out;
}

/**
 * Encodes the 12-byte header of an ERROR.
 *
 * @param requestId the request id (0 for a message that had none)
 * @param status the status number
 * @returns the header frame
 */
export function encodeErrorHeader(
  requestId: number,
  status: number,
): Uint8Array {
  const out = headers.alloc(12);
  out[0] = PROTOCOL_VERSION;
  out[1] = KIND.ERROR;
  writeU32(out, 4, requestId);
  writeU32(out, 8, status);
  return out;
}

/**
 * Encodes the 12-byte header of a CREDIT.
 *
 * @param requestId the stream's request id
 * @param credit how many more DATA messages the server may send (≥ 1)
 * @returns the header frame
 */
export function encodeCreditHeader(
  requestId: number,
  credit: number,
): Uint8Array {
  const out = headers.alloc(12);
  out[0] = PROTOCOL_VERSION;
  out[1] = KIND.CREDIT;
  writeU32(out, 4, requestId);
  writeU32(out, 8, clampU32(credit));
  return out;
}

function clampU32(n: number): number {
  return n <= 0 ? 0 : n >= MAX_U32 ? MAX_U32 : Math.ceil(n);
}

/**
 * What is wrong with a message, as its {@linkcode ProtocolError} would say
 * it, without being one: a server answers a flood of malformed messages
 * from these, and an error object (its stack above all) would be most of
 * what each of them costs.
 */
export interface ProtocolProblem extends ProtocolErrorOptions {
  /** What is wrong, for people. */
  readonly message: string;
  readonly code: StatusName;
  readonly requestId: number;
  readonly details: ErrorDetails | undefined;
  /** Never set: tells a problem from a {@linkcode Header}. */
  readonly kind?: undefined;
}

/**
 * A problem, for a message that breaks the protocol in a way this module
 * does not check (an unknown method, a deadline too far).
 *
 * @param message what is wrong, for people
 * @param requestId the request id read from the header, or 0
 * @param code the status to answer with
 * @param details JSON details for the reply
 * @returns the problem
 */
export function protocolProblem(
  message: string,
  requestId = 0,
  code: StatusName = "INVALID_ARGUMENT",
  details?: ErrorDetails,
): ProtocolProblem {
  return { message, code, requestId, details };
}

/** The problems of headers of 0 to 7 bytes, made once. */
const SHORT_HEADERS: readonly ProtocolProblem[] = Array.from(
  { length: 8 },
  (_, size) =>
    Object.freeze(
      protocolProblem(`Malformed header: ${size} bytes, expected at least 8`),
    ),
);

/**
 * Decodes and checks a header frame, without throwing:
 * {@linkcode decodeHeader}'s header, or the problem it would throw.
 *
 * @param frame frame 0 of a message
 * @returns the header, or what is wrong with it (`kind` undefined)
 */
export function readHeader(frame: Uint8Array): Header | ProtocolProblem {
  const size = frame.byteLength;
  if (size < 8) return SHORT_HEADERS[size];
  const requestId = readU32(frame, 4);
  if (frame[0] !== PROTOCOL_VERSION) {
    return protocolProblem(
      `Unsupported protocol version ${
        frame[0]
      }: this peer speaks version ${PROTOCOL_VERSION}`,
      requestId,
      "FAILED_PRECONDITION",
      { supportedVersions: [PROTOCOL_VERSION] },
    );
  }
  const kind = KIND_NAMES[frame[1]];
  if (kind === undefined) {
    return protocolProblem(`Unknown message kind ${frame[1]}`, requestId);
  }
  if (size !== HEADER_SIZE[kind]) {
    return protocolProblem(
      `Malformed ${kind} header: ${size} bytes, expected ${HEADER_SIZE[kind]}`,
      requestId,
    );
  }
  if (requestId === 0 && kind !== "ERROR") {
    return protocolProblem(`Malformed ${kind} header: request id 0`);
  }
  const header: Header = {
    kind,
    requestId,
    codec: frame[2],
    flags: frame[3],
    deadline: 0,
    credit: 0,
    status: 0,
  };
  if (kind === "REQUEST") {
    header.deadline = readU32(frame, 8);
    header.credit = readU32(frame, 12);
  } else if (kind === "ERROR") {
    header.status = readU32(frame, 8);
  } else if (kind === "CREDIT") {
    header.credit = readU32(frame, 8);
    if (header.credit === 0) {
      return protocolProblem("Malformed CREDIT: a credit of 0", requestId);
    }
  }
  return header;
}

/**
 * Decodes and checks a header frame.
 *
 * @param frame frame 0 of a message
 * @returns the header
 * @throws {ProtocolError} for a short header, a version other than
 *   {@linkcode PROTOCOL_VERSION} (code `FAILED_PRECONDITION`), an unknown
 *   kind, a size that does not match the kind, a request id of 0, or a
 *   CREDIT of 0; `requestId` is set whenever bytes 4–7 exist
 */
export function decodeHeader(frame: Uint8Array): Header {
  const h = readHeader(frame);
  if (h.kind === undefined) throw new ProtocolError(h.message, h);
  return h;
}

/**
 * Checks the number of frames of a message of a given kind, without
 * throwing.
 *
 * @param kind the kind from the header
 * @param count the number of frames, header included
 * @param requestId the request id, for the problem
 * @returns what {@linkcode checkFrameCount} would throw, or `undefined`
 */
export function frameCountProblem(
  kind: MessageKind,
  count: number,
  requestId: number,
): ProtocolProblem | undefined {
  const [min, max] = FRAME_COUNT[kind];
  if (count >= min && count <= max) return undefined;
  const expected = min === max ? `${min}` : `${min} or ${max}`;
  return protocolProblem(
    `Malformed ${kind}: ${count} frames, expected ${expected}`,
    requestId,
  );
}

/**
 * Checks the number of frames of a message of a given kind.
 *
 * @param kind the kind from the header
 * @param count the number of frames, header included
 * @param requestId the request id, for the error
 * @throws {ProtocolError} when the count is outside {@linkcode FRAME_COUNT}
 */
export function checkFrameCount(
  kind: MessageKind,
  count: number,
  requestId: number,
): void {
  const p = frameCountProblem(kind, count, requestId);
  if (p !== undefined) throw new ProtocolError(p.message, p);
}

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Encodes a method name, `Service.method`, as its frame.
 *
 * @param service the service name
 * @param method the method name
 * @returns the UTF-8 bytes of `service.method`
 */
export function encodeMethodName(service: string, method: string): Uint8Array {
  return encoder.encode(`${service}.${method}`);
}

/**
 * Decodes a method-name frame. ASCII names take a fast path.
 *
 * @param frame the frame
 * @param requestId the request id, for the error
 * @returns the full name, `Service.method`
 * @throws {ProtocolError} for an empty, oversized, non-UTF-8 name or one
 *   without a `.` between two non-empty parts
 */
export function decodeMethodName(frame: Uint8Array, requestId: number): string {
  const n = frame.byteLength;
  if (n === 0 || n > MAX_METHOD_NAME_BYTES) {
    throw new ProtocolError(
      `Malformed method name: ${n} bytes, expected 1 to ${MAX_METHOD_NAME_BYTES}`,
      { requestId },
    );
  }
  if (n === lastName.length) {
    const bytes = lastName.bytes;
    let i = 0;
    while (i < n && frame[i] === bytes[i]) i++;
    if (i === n) return lastName.name;
  }
  let name = "";
  let ascii = true;
  for (let i = 0; i < n; i++) {
    const b = frame[i];
    if (b >= 0x80) {
      ascii = false;
      break;
    }
    name += String.fromCharCode(b);
  }
  if (!ascii) {
    try {
      name = strictDecoder.decode(frame);
    } catch {
      throw new ProtocolError("Malformed method name: not UTF-8", {
        requestId,
      });
    }
  }
  const dot = name.lastIndexOf(".");
  if (dot <= 0 || dot === name.length - 1) {
    throw new ProtocolError(
      `Malformed method name ${
        JSON.stringify(name)
      }: expected "Service.method"`,
      { requestId },
    );
  }
  lastName.bytes.set(frame);
  lastName.length = n;
  lastName.name = name;
  return name;
}

/**
 * The last method name decoded and its bytes: calls come in runs of one
 * method, and making the name again, a character at a time, cost ~400
 * bytes of heap a call (15 characters).
 */
const lastName = {
  bytes: new Uint8Array(MAX_METHOD_NAME_BYTES),
  length: -1,
  name: "",
};

/**
 * Encodes call metadata as its frame: a UTF-8 JSON object of strings.
 *
 * @param metadata string keys to string values
 * @returns the frame
 * @throws {TypeError} when a value is not a string
 */
export function encodeMetadata(
  metadata: Readonly<Record<string, string>>,
): Uint8Array {
  for (const key in metadata) {
    if (typeof metadata[key] !== "string") {
      throw new TypeError(
        `Cannot send metadata: the value of "${key}" is not a string`,
      );
    }
  }
  return encoder.encode(JSON.stringify(metadata));
}

/**
 * Decodes a metadata frame.
 *
 * @param frame the frame
 * @param requestId the request id, for the error
 * @returns a fresh object of strings
 * @throws {ProtocolError} when the frame is not a JSON object of strings
 */
export function decodeMetadata(
  frame: Uint8Array,
  requestId: number,
): Record<string, string> {
  let value: unknown;
  try {
    value = JSON.parse(strictDecoder.decode(frame));
  } catch (e) {
    throw new ProtocolError(
      `Malformed metadata: ${(e as Error).message}`,
      { requestId },
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ProtocolError("Malformed metadata: not a JSON object", {
      requestId,
    });
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== "string") {
      throw new ProtocolError(
        `Malformed metadata: the value of ${JSON.stringify(k)} is not a string`,
        { requestId },
      );
    }
    out[k] = v;
  }
  return out;
}

/**
 * Encodes the frames after the header of an ERROR: the UTF-8 message, then
 * the details as UTF-8 JSON when there are any. Bounded, so that no error
 * reply grows with what a peer sent: the message is cut at
 * {@linkcode MAX_ERROR_MESSAGE} characters, and details over
 * {@linkcode MAX_ERROR_DETAILS} bytes become `{"truncated": <bytes>}`.
 *
 * @param message the error message
 * @param details JSON details
 * @returns one or two frames
 */
export function encodeErrorBody(
  message: string,
  details?: Readonly<Record<string, unknown>>,
): Uint8Array[] {
  const frames = [encoder.encode(clip(message, MAX_ERROR_MESSAGE))];
  if (details !== undefined) {
    let json: string | undefined;
    try {
      json = JSON.stringify(details);
    } catch {
      json = JSON.stringify({ unserializable: clip(String(details), 200) });
    }
    if (json !== undefined) {
      let bytes = encoder.encode(json);
      if (bytes.byteLength > MAX_ERROR_DETAILS) {
        bytes = encoder.encode(JSON.stringify({ truncated: bytes.byteLength }));
      }
      frames.push(bytes);
    }
  }
  return frames;
}

/** The body of an ERROR message. */
export interface ErrorBody {
  /** The error message. */
  message: string;
  /** The details, if present and a JSON object. */
  details?: Record<string, unknown>;
}

const lenientDecoder = new TextDecoder();

/**
 * Decodes the frames after the header of an ERROR. Lenient: a bad details
 * frame is dropped rather than failing the call twice. Bounded as
 * {@linkcode encodeErrorBody} bounds what it sends, whoever sent these: the
 * message is cut at {@linkcode MAX_ERROR_MESSAGE} characters (only its
 * head is decoded), and details over {@linkcode MAX_ERROR_DETAILS} bytes
 * become `{ truncated: <bytes> }` without being parsed.
 *
 * @param message the message frame
 * @param details the details frame, if any
 * @returns the message and details
 */
export function decodeErrorBody(
  message: Uint8Array,
  details?: Uint8Array,
): ErrorBody {
  // A character is at most 4 bytes of UTF-8: one more shows the cut.
  const head = message.byteLength > 4 * MAX_ERROR_MESSAGE + 4
    ? message.subarray(0, 4 * MAX_ERROR_MESSAGE + 4)
    : message;
  const body: ErrorBody = {
    message: clip(lenientDecoder.decode(head), MAX_ERROR_MESSAGE),
  };
  if (details !== undefined && details.byteLength > MAX_ERROR_DETAILS) {
    body.details = { truncated: details.byteLength };
  } else if (details !== undefined && details.byteLength > 0) {
    try {
      const value = JSON.parse(lenientDecoder.decode(details));
      if (
        typeof value === "object" && value !== null && !Array.isArray(value)
      ) {
        body.details = value;
      }
    } catch {
      // keep the message, drop unreadable details
    }
  }
  return body;
}
