/**
 * Codecs: how argument arrays, results and stream items become payload
 * frames. One interface, two engines; the codec id travels in header byte 2
 * so that the receiver decodes with the codec the sender used.
 *
 * | id | name | engine | for |
 * |---|---|---|---|
 * | 1 | `msgpack` | msgpackr, MessagePack with extensions | the default: fast, binary |
 * | 2 | `superjson` | superjson, UTF-8 JSON | where a person reads the bytes |
 *
 * @module
 */

import type { CodecName } from "./descriptors.ts";

import { createMsgpackCodec } from "./codec_msgpack.ts";
import { createSuperjsonCodec } from "./codec_superjson.ts";

/** Turns values into payload frames and back. */
export interface Codec {
  /** The id on the wire (header byte 2). */
  readonly id: number;
  /** The name used in descriptors. */
  readonly name: CodecName;
  /**
   * Encodes one value.
   *
   * @param value the value
   * @returns the payload frame
   * @throws {TypeError} when the value cannot be encoded (e.g. cyclic)
   */
  encode(value: unknown): Uint8Array;
  /**
   * Decodes one payload frame. With `maxElements`, a scan of the bytes
   * that builds nothing counts the payload's elements first, and refuses
   * it before decoding when there are more.
   *
   * @param bytes the payload frame
   * @param options the limits to check before decoding
   * @returns the value
   * @throws {ElementLimitError} when the payload has more than `maxElements` elements
   * @throws {SyntaxError} when the bytes are not a valid encoding
   */
  decode(bytes: Uint8Array, options?: DecodeOptions): unknown;
}

/** Options of {@linkcode Codec.decode}. */
export interface DecodeOptions {
  /**
   * The most elements the payload may hold (see `MAX_ELEMENTS` for what
   * counts); checked before decoding.
   * @default {Infinity: no scan}
   */
  maxElements?: number;
}

/** Codec ids on the wire, by name. 0 means "no payload". */
export const CODEC_IDS = {
  msgpack: 1,
  superjson: 2,
} as const satisfies Record<CodecName, number>;

let msgpack: Codec | undefined;
let superjson: Codec | undefined;

/**
 * The codec of a name. Codecs are built on first use.
 *
 * @param name `"msgpack"` or `"superjson"`
 * @returns the codec
 * @throws {TypeError} for another name
 * @example
 * ```ts
 * import { codecByName } from "zmp/wire";
 * const codec = codecByName("msgpack");
 * const back = codec.decode(codec.encode(new Map([[1, new Date(0)]])));
 * console.log(back); // Map(1) { 1 => 1970-01-01T00:00:00.000Z }
 * ```
 */
export function codecByName(name: CodecName): Codec {
  switch (name) {
    case "msgpack":
      return msgpack ??= createMsgpackCodec(CODEC_IDS.msgpack);
    case "superjson":
      return superjson ??= createSuperjsonCodec(CODEC_IDS.superjson);
    default:
      throw new TypeError(
        `Cannot find codec ${
          JSON.stringify(name)
        }: expected "msgpack" or "superjson"`,
      );
  }
}

/**
 * The codec of a wire id.
 *
 * @param id header byte 2
 * @returns the codec, or `undefined` for an unknown id
 */
export function codecById(id: number): Codec | undefined {
  switch (id) {
    case CODEC_IDS.msgpack:
      return codecByName("msgpack");
    case CODEC_IDS.superjson:
      return codecByName("superjson");
    default:
      return undefined;
  }
}
