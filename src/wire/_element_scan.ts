/**
 * The pre-scans that bound what decoding one payload costs: a walk over the
 * encoded bytes, allocating nothing, that counts the payload's elements and
 * checks its nesting before any value is built. msgpackr preallocates
 * arrays and superjson copies every JSON value, so a 4 MiB payload of
 * millions of one-byte elements took 0.1–4 s to decode; the scan stops at
 * the limit in microseconds.
 *
 * What counts (PROTOCOL.md §16, "Budgets and limits"): one per value —
 * each scalar, string, bin, array, map, map key and map value. In msgpack
 * an extension value counts one, except what costs far more to build: a
 * typed array or `ArrayBuffer` (extension `0x74`) counts
 * {@linkcode TYPED_ARRAY_WEIGHT}, an `Error` (tag `0x65`)
 * {@linkcode ERROR_WEIGHT}. In JSON, an array or object counts
 * {@linkcode JSON_CONTAINER_WEIGHT} (superjson copies each), every other
 * value and every key one; the superjson codec then counts each segment of
 * an annotation path one more, before superjson walks it.
 *
 * @module
 */

import { ElementLimitError } from "./errors.ts";

/**
 * The deepest nesting of arrays and maps a payload may have: the encoder's
 * limit (1,000 levels below the top) plus the top level.
 */
export const MAX_NESTING = 1001;

/** What a typed array or `ArrayBuffer` counts (it costs an allocation). */
export const TYPED_ARRAY_WEIGHT = 16;

/** What an `Error` counts (building one captures a stack: ~11 µs). */
export const ERROR_WEIGHT = 128;

/** What a JSON array or object counts (superjson copies each: ~0.5 µs). */
export const JSON_CONTAINER_WEIGHT = 4;

/** msgpack extension types that tag the array that follows them. */
const TAG_SET = 0x73;
const TAG_ERROR = 0x65;
const TAG_REGEXP = 0x78;
const TAG_MAP = 0x6d;
/** msgpack extension types that carry their value in their data. */
const EXT_UNDEFINED = 0x00;
const EXT_BIGINT = 0x42;
const EXT_TYPED_ARRAY = 0x74;
const EXT_TIMESTAMP = 0xff;

/** Items left to read at each open level (reused: the scan allocates nothing). */
const pending = new Int32Array(MAX_NESTING + 1);

function malformed(what: string): SyntaxError {
  return new SyntaxError(`Cannot decode msgpack: ${what}`);
}

function truncated(): SyntaxError {
  return malformed("Unexpected end of MessagePack data");
}

/**
 * Counts the elements of one msgpack payload without decoding it, and
 * checks that it is one well-formed value: every length within the bytes,
 * no reserved type byte (`0xc1`), only the extensions the codec reads
 * (`0x00`, `0x42`, `0x74`, `0xff`, and the tags `0x65`, `0x6d`, `0x73`,
 * `0x78`, each followed by an array), nesting at most
 * {@linkcode MAX_NESTING}, no bytes after the value.
 *
 * @param bytes the payload
 * @param limit the most elements accepted
 * @returns the count of elements
 * @throws {ElementLimitError} once the count passes `limit` (the scan stops there)
 * @throws {SyntaxError} when the bytes are not a value the codec decodes
 */
export function scanMsgpack(bytes: Uint8Array, limit: number): number {
  const end = bytes.byteLength;
  let p = 0;
  let count = 0;
  let depth = 0;
  let left = 1;
  let wantArray = false;
  for (;;) {
    while (left === 0) {
      if (depth === 0) {
        if (p !== end) {
          throw malformed(
            `Data read, but end of buffer not reached (${end - p} bytes left)`,
          );
        }
        return count;
      }
      left = pending[--depth];
    }
    left--;
    if (p >= end) throw truncated();
    const t = bytes[p++];
    if (++count > limit) throw new ElementLimitError(count, limit);
    let items = 0;
    if (wantArray) {
      if (!((t >= 0x90 && t <= 0x9f) || t === 0xdc || t === 0xdd)) {
        throw malformed("a Set, Map, Error or RegExp tag must tag an array");
      }
      wantArray = false;
    }
    if (t < 0x80 || t >= 0xe0) continue;
    if (t < 0x90) items = (t - 0x80) * 2;
    else if (t < 0xa0) items = t - 0x90;
    else if (t < 0xc0) p += t - 0xa0;
    else {
      let n = 0;
      let ext = -1;
      switch (t) {
        case 0xc0:
        case 0xc2:
        case 0xc3:
          break;
        case 0xc4:
          if (p + 1 > end) throw truncated();
          p += 1 + bytes[p];
          break;
        case 0xc5:
        case 0xda:
          if (p + 2 > end) throw truncated();
          p += 2 + ((bytes[p] << 8) | bytes[p + 1]);
          break;
        case 0xc6:
        case 0xdb:
          if (p + 4 > end) throw truncated();
          p += 4 + u32(bytes, p);
          break;
        case 0xc7:
          if (p + 1 > end) throw truncated();
          n = bytes[p];
          p += 1;
          ext = n;
          break;
        case 0xc8:
          if (p + 2 > end) throw truncated();
          n = (bytes[p] << 8) | bytes[p + 1];
          p += 2;
          ext = n;
          break;
        case 0xc9:
          if (p + 4 > end) throw truncated();
          n = u32(bytes, p);
          p += 4;
          ext = n;
          break;
        case 0xca:
          p += 4;
          break;
        case 0xcb:
          p += 8;
          break;
        case 0xcc:
        case 0xd0:
          p += 1;
          break;
        case 0xcd:
        case 0xd1:
          p += 2;
          break;
        case 0xce:
        case 0xd2:
          p += 4;
          break;
        case 0xcf:
        case 0xd3:
          p += 8;
          break;
        case 0xd4:
          ext = 1;
          break;
        case 0xd5:
          ext = 2;
          break;
        case 0xd6:
          ext = 4;
          break;
        case 0xd7:
          ext = 8;
          break;
        case 0xd8:
          ext = 16;
          break;
        case 0xd9:
          if (p + 1 > end) throw truncated();
          p += 1 + bytes[p];
          break;
        case 0xdc:
          if (p + 2 > end) throw truncated();
          items = (bytes[p] << 8) | bytes[p + 1];
          p += 2;
          break;
        case 0xdd:
          if (p + 4 > end) throw truncated();
          items = u32(bytes, p);
          p += 4;
          break;
        case 0xde:
          if (p + 2 > end) throw truncated();
          items = ((bytes[p] << 8) | bytes[p + 1]) * 2;
          p += 2;
          break;
        case 0xdf:
          if (p + 4 > end) throw truncated();
          items = u32(bytes, p) * 2;
          p += 4;
          break;
        default: // 0xc1
          throw malformed(`Unknown MessagePack token ${t}`);
      }
      if (ext >= 0) {
        // ext >= 0: `ext` bytes of data follow the type byte.
        if (p + 1 + ext > end) throw truncated();
        const type = bytes[p];
        p += 1 + ext;
        switch (type) {
          case EXT_UNDEFINED:
          case EXT_BIGINT:
          case EXT_TIMESTAMP:
            break;
          case EXT_TYPED_ARRAY:
            count += TYPED_ARRAY_WEIGHT - 1;
            break;
          case TAG_ERROR:
            count += ERROR_WEIGHT - 1;
            wantArray = true;
            left++;
            break;
          case TAG_SET:
          case TAG_REGEXP:
            wantArray = true;
            left++;
            break;
          case TAG_MAP:
            if (t !== 0xd4) throw malformed(`Unknown extension type ${type}`);
            wantArray = true;
            left++;
            break;
          default:
            throw malformed(`Unknown extension type ${type}`);
        }
        if (count > limit) throw new ElementLimitError(count, limit);
      }
    }
    if (p > end) throw truncated();
    if (items > 0) {
      // Every item takes at least a byte: a longer count cannot be real.
      if (items > end - p) throw truncated();
      if (depth >= MAX_NESTING) {
        throw malformed(`nested deeper than ${MAX_NESTING} levels`);
      }
      pending[depth++] = left;
      left = items;
    }
  }
}

function u32(bytes: Uint8Array, p: number): number {
  return ((bytes[p] << 24) >>> 0) +
    ((bytes[p + 1] << 16) | (bytes[p + 2] << 8) |
      bytes[p + 3]);
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Counts the values of one UTF-8 JSON text without parsing it: each
 * string (keys included) and other scalar counts one, each array or object
 * {@linkcode JSON_CONTAINER_WEIGHT}; checks nesting against
 * {@linkcode MAX_NESTING} (the envelope's own object included). It does
 * not check the syntax: `JSON.parse` does, in time linear in the bytes.
 *
 * @param bytes the text
 * @param limit the most elements accepted
 * @returns the count
 * @throws {ElementLimitError} once the count passes `limit` (the scan stops there)
 * @throws {SyntaxError} when arrays and objects nest deeper than {@linkcode MAX_NESTING} + 1
 */
export function scanJson(bytes: Uint8Array, limit: number): number {
  const end = bytes.byteLength;
  let count = 0;
  let depth = 0;
  let inScalar = false;
  for (let p = 0; p < end; p++) {
    const c = bytes[p];
    if (c === QUOTE) {
      inScalar = false;
      count++;
      // Jump to the closing quote: one not escaped by an odd run of
      // backslashes.
      let q = p;
      for (;;) {
        q = bytes.indexOf(QUOTE, q + 1);
        if (q < 0) return count; // unterminated: JSON.parse says so
        let b = q - 1;
        while (bytes[b] === BACKSLASH) b--;
        if ((q - 1 - b) % 2 === 0) break;
      }
      p = q;
    } else if (c === 0x5b || c === 0x7b) { // [ {
      inScalar = false;
      count += JSON_CONTAINER_WEIGHT;
      // The envelope's object is one level more than the value's.
      if (++depth > MAX_NESTING + 1) {
        throw new SyntaxError(
          `Cannot decode superjson: nested deeper than ${MAX_NESTING} levels`,
        );
      }
    } else if (c === 0x5d || c === 0x7d) { // ] }
      inScalar = false;
      depth--;
      continue;
    } else if (
      c === 0x2c || c === 0x3a || c === 0x20 || c === 0x0a || c === 0x0d ||
      c === 0x09
    ) {
      inScalar = false;
      continue;
    } else if (!inScalar) {
      inScalar = true;
      count++;
    } else continue;
    if (count > limit) throw new ElementLimitError(count, limit);
  }
  return count;
}
