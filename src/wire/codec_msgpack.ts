/**
 * The `msgpack` codec (id 1): MessagePack through msgpackr.
 *
 * Plain data is standard MessagePack, readable by any MessagePack library:
 * `null`, booleans, numbers (integers up to 32 bits as ints, others as
 * float 64), strings, arrays, plain objects (maps with string keys) and
 * `Uint8Array` (bin). JavaScript types that MessagePack lacks use
 * extensions:
 *
 * | value | encoding |
 * |---|---|
 * | `Date` | timestamp extension, type −1 (standard) |
 * | `bigint` | int 64 / uint 64 when it fits, else msgpackr extension `0x42` |
 * | `undefined` | fixext 1, type 0 |
 * | typed arrays other than `Uint8Array`, `ArrayBuffer` | msgpackr extension `0x74` (type index byte, then the bytes) |
 * | `Set` | msgpackr tag `d4 73 00` followed by an array |
 * | `Map` | zmp tag `d4 6d 00` followed by an array `[k0, v0, k1, v1, …]` |
 * | `Error`, `RegExp` | msgpackr tags `0x65`, `0x78` |
 *
 * Not preserved: `-0` (becomes `0`), class prototypes (instances arrive as
 * plain objects), shared references (they are copied), cycles (refused).
 *
 * Bounded: a bigint of more than {@linkcode MAX_BIGINT_BITS} bits is
 * refused before it is converted (its extension data is more than 1,024
 * bytes), both ways; msgpackr's structured-clone references (extensions
 * `0x69`, `0x70`), which could make a small payload decode into a graph
 * that takes exponential time to walk, are refused.
 *
 * @module
 */

// "msgpackr/pack" is msgpackr's pure-JS entry: the main entry reads the
// environment and tries to load a native addon at import time, which would
// make importing zmp need permissions.
import { addExtension, Packr } from "msgpackr/pack";
import { Buffer } from "node:buffer";
import type { Codec, DecodeOptions } from "./codec.ts";
import { scanMsgpack } from "./_element_scan.ts";
import { MAX_BIGINT_BITS } from "./limits.ts";

/** The msgpack extension of a bigint that does not fit 64 bits. */
const BIGINT_EXTENSION = 0x42;

/** The most bytes of bigint extension data decoded. */
const MAX_BIGINT_BYTES = MAX_BIGINT_BITS / 8;

/** The extension tag of a `Map` (ASCII `m`). */
export const MAP_EXTENSION = 0x6d;

/** The deepest nesting `encode` accepts; deeper is taken for a cycle. */
export const MAX_DEPTH = 1000;

/** What a `Map` is packed as: its entries, flat. */
class PackedMap {
  constructor(readonly entries: unknown[]) {}
}

let registered = false;

/**
 * Decodes a bigint extension (big-endian two's complement), refusing one
 * larger than {@linkcode MAX_BIGINT_BITS} before converting anything. Hex
 * parsing is linear, unlike msgpackr's shifts.
 */
function readBigInt(data: Uint8Array): bigint {
  if (data.byteLength > MAX_BIGINT_BYTES) {
    throw new RangeError(
      `a bigint of ${data.byteLength} bytes exceeds the limit of ${MAX_BIGINT_BYTES} bytes (${MAX_BIGINT_BITS} bits)`,
    );
  }
  if (data.byteLength === 0) return 0n;
  let hex = "0x";
  for (let i = 0; i < data.byteLength; i++) {
    hex += data[i].toString(16).padStart(2, "0");
  }
  const unsigned = BigInt(hex);
  return data[0] & 0x80
    ? unsigned - (1n << BigInt(data.byteLength * 8))
    : unsigned;
}

/** Refuses to encode a bigint the other side would refuse to decode. */
function checkBigInt(value: bigint): void {
  const bits = value < 0n
    ? (-value).toString(2).length
    : value.toString(2).length;
  if (bits >= MAX_BIGINT_BITS) {
    throw new RangeError(
      `a bigint of ${bits} bits exceeds the limit of ${MAX_BIGINT_BITS} bits`,
    );
  }
}

/**
 * msgpackr keeps extensions in a process-wide table and packs `Map` itself
 * (as a MessagePack map, which would decode as a plain object), so maps are
 * swapped for `PackedMap`, a class only this module uses, before packing.
 */
function registerMapExtension(): void {
  if (registered) return;
  registered = true;
  addExtension(
    {
      Class: PackedMap,
      type: MAP_EXTENSION,
      write: (m: PackedMap) => m.entries,
      read: (flat: unknown) => {
        if (!Array.isArray(flat) || flat.length % 2 !== 0) {
          throw new SyntaxError("a Map must be an array of key, value pairs");
        }
        const map = new Map();
        for (let i = 0; i < flat.length; i += 2) map.set(flat[i], flat[i + 1]);
        return map;
      },
    } as unknown as Parameters<typeof addExtension>[0],
  );
  addExtension(
    { type: BIGINT_EXTENSION, unpack: readBigInt } as unknown as Parameters<
      typeof addExtension
    >[0],
  );
}

/**
 * Returns `value` with every `Map` swapped for a `PackedMap` and every plain
 * `Uint8Array` for a `Buffer` view (so that it packs as bin); copies only
 * the containers on the path to a swapped value.
 */
function prepare(value: unknown, depth: number): unknown {
  if (typeof value !== "object" || value === null) {
    if (typeof value === "bigint") checkBigInt(value);
    return value;
  }
  if (depth > MAX_DEPTH) {
    throw new TypeError(
      `nested deeper than ${MAX_DEPTH} levels (is it cyclic?)`,
    );
  }
  const c = (value as { constructor?: unknown }).constructor;
  if (c === Array) {
    const array = value as unknown[];
    let out: unknown[] | undefined;
    for (let i = 0; i < array.length; i++) {
      const x = array[i];
      const y = prepare(x, depth + 1);
      if (y !== x) (out ??= array.slice())[i] = y;
    }
    return out ?? array;
  }
  if (c === Object || c === undefined) {
    const object = value as Record<string, unknown>;
    let out: Record<string, unknown> | undefined;
    for (const key in object) {
      if (!Object.hasOwn(object, key)) continue;
      const x = object[key];
      const y = prepare(x, depth + 1);
      if (y !== x) (out ??= { ...object })[key] = y;
    }
    return out ?? object;
  }
  if (c === Map) {
    const flat: unknown[] = [];
    for (const [k, v] of value as Map<unknown, unknown>) {
      flat.push(prepare(k, depth + 1), prepare(v, depth + 1));
    }
    return new PackedMap(flat);
  }
  if (c === Set) {
    let changed = false;
    const items: unknown[] = [];
    for (const x of value as Set<unknown>) {
      const y = prepare(x, depth + 1);
      if (y !== x) changed = true;
      items.push(y);
    }
    return changed ? new Set(items) : value;
  }
  if (c === Uint8Array) {
    const u8 = value as Uint8Array;
    return Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
  }
  return value;
}

/**
 * Builds the msgpack codec.
 *
 * @param id its wire id
 * @returns the codec
 */
export function createMsgpackCodec(id: number): Codec {
  registerMapExtension();
  const packr = new Packr(
    {
      useRecords: false,
      moreTypes: true,
      copyBuffers: true,
      structuredClone: false,
    } as ConstructorParameters<typeof Packr>[0],
  );
  return {
    id,
    name: "msgpack",
    encode(value: unknown): Uint8Array {
      try {
        const b = packr.pack(prepare(value, 0));
        return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
      } catch (e) {
        throw new TypeError(
          `Cannot encode with msgpack: ${(e as Error).message}`,
          { cause: e },
        );
      }
    },
    decode(bytes: Uint8Array, options: DecodeOptions = {}): unknown {
      if (bytes.byteLength === 0) {
        throw new SyntaxError("Cannot decode msgpack: the payload is empty");
      }
      const max = options.maxElements ?? Infinity;
      if (max !== Infinity) scanMsgpack(bytes, max);
      // A Buffer input would make bin values decode as Buffers.
      const input = bytes.constructor === Uint8Array
        ? bytes
        : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      try {
        return packr.unpack(input);
      } catch (e) {
        throw new SyntaxError(
          `Cannot decode msgpack: ${(e as Error).message}`,
          { cause: e },
        );
      }
    },
  };
}
