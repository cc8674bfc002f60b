/**
 * What to say about a type of TypeScript's library that is not data zmp
 * can describe (`Promise`, `String`, `ArrayBuffer`…): a problem and a hint.
 *
 * @module
 */

/** A problem and what to write instead. */
export interface Complaint {
  problem: string;
  hint: string;
}

/** What zmp describes, for hints. */
export const SUPPORTED_HINT =
  "describe data: primitives, literals, enums, unions, arrays, tuples, " +
  "object types, Record, Map, Set, Date or Uint8Array";

const BOXED = new Set([
  "String",
  "Number",
  "Boolean",
  "Object",
  "Symbol",
  "BigInt",
]);

const BINARY = new Set([
  "ArrayBuffer",
  "SharedArrayBuffer",
  "DataView",
  "Int8Array",
  "Uint8ClampedArray",
  "Int16Array",
  "Uint16Array",
  "Int32Array",
  "Uint32Array",
  "Float32Array",
  "Float64Array",
  "BigInt64Array",
  "BigUint64Array",
]);

/** The complaint about a standard-library type other than the supported ones. */
export function unsupportedLibType(name: string): Complaint {
  if (name === "Promise" || name === "PromiseLike") {
    return {
      problem: `\`${name}\` is only allowed as a method's return type`,
      hint: "pass the resolved value: write `T` instead of `Promise<T>`",
    };
  }
  if (name.startsWith("AsyncIterable") || name === "AsyncGenerator") {
    return {
      problem:
        `\`${name}\` is only allowed as a method's return type (server streaming)`,
      hint: "return `AsyncIterable<T>` from a method of a `@service` interface",
    };
  }
  if (BOXED.has(name)) {
    return {
      problem: `Boxed type \`${name}\` is not supported`,
      hint:
        `use the primitive \`${name.toLowerCase()}\` (or an interface for objects)`,
    };
  }
  if (BINARY.has(name)) {
    return {
      problem:
        `\`${name}\` is not supported: binary data travels as \`Uint8Array\``,
      hint: "use `Uint8Array`",
    };
  }
  if (name === "Function") {
    return {
      problem: "Function types are not supported: functions cannot travel",
      hint:
        "send data; to push values to a caller, declare a streaming method returning `AsyncIterable<T>`",
    };
  }
  return { problem: `\`${name}\` is not supported`, hint: SUPPORTED_HINT };
}
