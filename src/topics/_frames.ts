/**
 * The frames of a topic message (see "Topics" in `docs/PROTOCOL.md`):
 *
 * 1. the topic name in UTF-8 followed by one `00` byte (the terminator makes
 *    ZeroMQ's prefix filter match the exact name only);
 * 2. a 16-byte header: `u8 version (01)`, `u8 kind (0A, MESSAGE)`,
 *    `u8 codec`, `u8 flags (bit 0: REPLAY, bit 1: TRACE)`,
 *    `u32 publisher id`, `u64 sequence` (from 1, +1 per message), all
 *    big-endian;
 * 3. the message, encoded with the codec of header byte 2;
 * 4. with the TRACE flag only: the W3C `traceparent` of the message, 55
 *    bytes of ASCII. Frames after the third are extensions, one per flag
 *    that has one, in bit order; a receiver ignores those it does not know.
 *
 * @module
 */

import { readU32, writeU32 } from "../wire/protocol.ts";
import { Slab } from "../zmq/_slab.ts";
import { checkName, MAX_TOPIC_NAME } from "../wire/names.ts";
import { hasTraceparentSyntax } from "../observe/trace.ts";

/** The protocol version in header byte 0. */
export const TOPIC_VERSION = 1;
/** The kind in header byte 1: a topic message. */
export const TOPIC_KIND = 0x0a;
/** Header size in bytes. */
export const TOPIC_HEADER_SIZE = 16;
/** Flag bit: a latched message sent again for a subscriber that joined. */
export const FLAG_REPLAY = 0x01;
/**
 * Flag bit: a fourth frame follows the payload, the W3C `traceparent` of
 * the message (the publisher's PRODUCER span).
 */
export const FLAG_TRACE = 0x02;
/** Size of a `traceparent` frame: `00-<32 hex>-<16 hex>-<2 hex>`. */
export const TRACEPARENT_SIZE = 55;
/** Longest topic name, in bytes (`MAX_TOPIC_NAME` of `wire/names.ts`). */
export const MAX_TOPIC_BYTES = MAX_TOPIC_NAME;

const encoder = new TextEncoder();
/** Headers come from slabs: a typed array of its own costs more (`_slab.ts`). */
const headers = new Slab(8192, TOPIC_HEADER_SIZE);

/**
 * The first frame of a topic's messages (and its subscription prefix).
 *
 * @param topic the topic name
 * @returns its bytes followed by `00`
 * @throws {NameError} (a `TypeError`) unless a topic name by the rule of
 *   `wire/names.ts`: 1 to 255 characters of `A-Z a-z 0-9 _ . / -`, the
 *   first a letter, a digit or `_`
 */
export function topicFrame(topic: string): Uint8Array {
  checkName("topic", topic, { action: `use topic ${JSON.stringify(topic)}` });
  const bytes = encoder.encode(topic);
  const frame = new Uint8Array(bytes.length + 1);
  frame.set(bytes);
  return frame;
}

/** The fields of a topic message header. */
export interface TopicHeader {
  /** Codec id of the payload. */
  codec: number;
  /** Flag bits. */
  flags: number;
  /** Random per publisher. */
  publisher: number;
  /** Position in the publisher's stream, from 1. */
  seq: number;
}

/**
 * Encodes a header.
 *
 * @param header the fields
 * @returns 16 bytes
 */
export function encodeTopicHeader(header: TopicHeader): Uint8Array {
  const bytes = headers.alloc(TOPIC_HEADER_SIZE);
  bytes[0] = TOPIC_VERSION;
  bytes[1] = TOPIC_KIND;
  bytes[2] = header.codec;
  bytes[3] = header.flags;
  writeU32(bytes, 4, header.publisher);
  writeU32(bytes, 8, Math.floor(header.seq / 0x100000000));
  writeU32(bytes, 12, header.seq >>> 0);
  return bytes;
}

/**
 * Decodes a header.
 *
 * @param bytes frame 1 of a message
 * @returns the fields
 * @throws {SyntaxError} for a wrong size, version or kind
 */
export function decodeTopicHeader(bytes: Uint8Array): TopicHeader {
  if (bytes.byteLength !== TOPIC_HEADER_SIZE) {
    throw new SyntaxError(
      `Cannot decode topic header: expected ${TOPIC_HEADER_SIZE} bytes, got ${bytes.byteLength}`,
    );
  }
  if (bytes[0] !== TOPIC_VERSION || bytes[1] !== TOPIC_KIND) {
    throw new SyntaxError(
      `Cannot decode topic header: expected version ${TOPIC_VERSION} kind ${TOPIC_KIND}, got version ${
        bytes[0]
      } kind ${bytes[1]}`,
    );
  }
  return {
    codec: bytes[2],
    flags: bytes[3],
    publisher: readU32(bytes, 4),
    seq: readU32(bytes, 8) * 0x100000000 + readU32(bytes, 12),
  };
}

/**
 * The frame of a `traceparent` (flag {@linkcode FLAG_TRACE}).
 *
 * @param traceparent a W3C `traceparent`, already checked
 * @returns its 55 ASCII bytes
 */
export function encodeTraceFrame(traceparent: string): Uint8Array {
  return encoder.encode(traceparent);
}

/**
 * Reads the frame of a `traceparent`.
 *
 * @param bytes frame 3 of a message with flag {@linkcode FLAG_TRACE}
 * @returns the `traceparent`
 * @throws {SyntaxError} unless it is 55 bytes of `traceparent` syntax
 */
export function decodeTraceFrame(bytes: Uint8Array): string {
  const text = bytes.byteLength === TRACEPARENT_SIZE
    ? String.fromCharCode(...bytes)
    : "";
  if (!hasTraceparentSyntax(text)) {
    throw new SyntaxError(
      `Cannot decode traceparent frame: expected ${TRACEPARENT_SIZE} bytes "vv-<32 hex>-<16 hex>-ff", got ${bytes.byteLength} bytes`,
    );
  }
  return text;
}

/**
 * Whether two frames hold the same bytes.
 *
 * @param a a frame
 * @param b another
 * @returns `true` when equal
 */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}
