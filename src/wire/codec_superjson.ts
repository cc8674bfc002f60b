/**
 * The `superjson` codec (id 2): UTF-8 JSON in superjson's envelope,
 * `{"json": <value as JSON>, "meta": {…}}`, where `meta` (absent for plain
 * JSON values) says which paths hold a `Date`, `Map`, `Set`, `bigint`,
 * `undefined`, typed array, `RegExp`, `Error`, `NaN`, `±Infinity` or `-0`.
 * A client in another language can send `{"json": [1, 2]}` and read the
 * `json` member of replies.
 *
 * @module
 */

import SuperJSON from "superjson";
import type { Codec } from "./codec.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Builds the superjson codec, with its own superjson instance (nothing is
 * registered on the shared default one).
 *
 * @param id its wire id
 * @returns the codec
 */
export function createSuperjsonCodec(id: number): Codec {
  const sj = new SuperJSON();
  // superjson writes a float array as a JSON array of numbers, where NaN,
  // ±Infinity become null (then 0) and -0 becomes 0: those elements travel
  // as the strings "NaN", "Infinity", "-Infinity" and "-0" instead.
  for (const Floats of [Float32Array, Float64Array]) {
    sj.registerCustom<Float32Array | Float64Array, (number | string)[]>({
      isApplicable: (v): v is Float32Array | Float64Array =>
        v instanceof Floats,
      serialize: (v) => Array.from(v, floatToJson),
      deserialize: (a) => new Floats(a.map(floatFromJson)),
    }, Floats.name);
  }
  return {
    id,
    name: "superjson",
    encode(value: unknown): Uint8Array {
      try {
        return encoder.encode(sj.stringify(value));
      } catch (e) {
        throw new TypeError(
          `Cannot encode with superjson: ${(e as Error).message}`,
          { cause: e },
        );
      }
    },
    decode(bytes: Uint8Array): unknown {
      let envelope: unknown;
      try {
        envelope = JSON.parse(decoder.decode(bytes));
      } catch (e) {
        throw new SyntaxError(
          `Cannot decode superjson: ${(e as Error).message}`,
          { cause: e },
        );
      }
      if (
        typeof envelope !== "object" || envelope === null ||
        Array.isArray(envelope) || !Object.hasOwn(envelope, "json")
      ) {
        throw new SyntaxError(
          'Cannot decode superjson: expected an object with a "json" member',
        );
      }
      try {
        return sj.deserialize(
          envelope as Parameters<typeof sj.deserialize>[0],
        );
      } catch (e) {
        throw new SyntaxError(
          `Cannot decode superjson: ${(e as Error).message}`,
          { cause: e },
        );
      }
    },
  };
}

function floatToJson(x: number): number | string {
  return Number.isFinite(x) && !Object.is(x, -0)
    ? x
    : String(Object.is(x, -0) ? "-0" : x);
}

function floatFromJson(x: unknown): number {
  if (typeof x === "number") return x;
  if (x === "-0") return -0;
  if (x === "NaN" || x === "Infinity" || x === "-Infinity") return Number(x);
  throw new SyntaxError(`not a float array element: ${JSON.stringify(x)}`);
}
