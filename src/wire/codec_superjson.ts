/**
 * The `superjson` codec (id 2): UTF-8 JSON in superjson's envelope,
 * `{"json": <value as JSON>, "meta": {…}}`, where `meta` (absent for plain
 * JSON values) says which paths hold a `Date`, `Map`, `Set`, `bigint`,
 * `undefined`, typed array, `RegExp`, `Error`, `NaN`, `±Infinity` or `-0`.
 * A client in another language can send `{"json": [1, 2]}` and read the
 * `json` member of replies.
 *
 * Decoding is bounded before superjson sees the envelope: a bigint of more
 * than {@linkcode MAX_BIGINT_DIGITS} digits is refused before it is
 * converted; annotation trees nested more than {@linkcode MAX_META_DEPTH}
 * deep are refused; flat annotations are applied deepest first (so that
 * none walks through a `Map` or `Set` already built, which costs a scan per
 * step); and `referentialEqualities` are ignored, so shared references
 * arrive as copies, as in msgpack. With `maxElements`, the bytes' values
 * are counted before parsing, and each segment of an annotation path
 * before superjson walks it.
 *
 * @module
 */

import SuperJSON from "superjson";
import type { Codec, DecodeOptions } from "./codec.ts";
import { scanJson } from "./_element_scan.ts";
import { ElementLimitError } from "./errors.ts";
import { MAX_BIGINT_DIGITS } from "./limits.ts";

/** The deepest nesting of annotation trees (`["map", {…}]` inside …). */
export const MAX_META_DEPTH = 100;

/**
 * The most type annotations (`Date`s, `bigint`s, `Map`s … of a value) one
 * payload may carry: superjson applies each for 10–40 µs, so this bounds
 * the decoding of one payload to a fraction of a second. Large data of
 * such types is what the msgpack codec is for.
 */
export const MAX_ANNOTATIONS = 10000;

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
    decode(bytes: Uint8Array, options: DecodeOptions = {}): unknown {
      const max = options.maxElements ?? Infinity;
      const elements = {
        count: max === Infinity ? 0 : scanJson(bytes, max),
        limit: max,
      };
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
        bound(envelope as Envelope, elements);
      } catch (e) {
        if (e instanceof ElementLimitError) throw e;
        throw new SyntaxError(
          `Cannot decode superjson: ${(e as Error).message}`,
          { cause: e },
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

interface Envelope {
  json: unknown;
  meta?: unknown;
}

/**
 * Checks and reorders an envelope's annotations in place before superjson
 * applies them; see the module doc.
 */
function bound(envelope: Envelope, elements: Elements): void {
  const meta = envelope.meta;
  if (typeof meta !== "object" || meta === null || Array.isArray(meta)) return;
  const m = meta as Record<string, unknown>;
  delete m.referentialEqualities;
  const legacy = !(typeof m.v === "number" && m.v >= 1);
  if (m.values !== undefined) {
    const budget = { left: MAX_ANNOTATIONS };
    m.values = tree(
      m.values,
      [],
      { json: envelope.json, legacy, budget, elements },
      0,
    );
  }
}

/** What the walk of one envelope's annotations shares. */
interface Walk {
  json: unknown;
  legacy: boolean;
  budget: { left: number };
  elements: Elements;
}

/**
 * The payload's element count so far and its limit: each segment of an
 * annotation's path counts one more (superjson walks the path to apply it,
 * ~0.5 µs a segment, and one short key can hold thousands).
 */
interface Elements {
  count: number;
  limit: number;
}

/** One annotation tree: `[type, children?]` or `{path: tree}`. */
function tree(
  node: unknown,
  origin: string[],
  walk: Walk,
  depth: number,
): unknown {
  if (depth > MAX_META_DEPTH) {
    throw new RangeError(
      `annotations nested deeper than ${MAX_META_DEPTH} levels`,
    );
  }
  if (Array.isArray(node)) {
    if (--walk.budget.left < 0) {
      throw new RangeError(
        `more than ${MAX_ANNOTATIONS} type annotations (use the msgpack codec for large data)`,
      );
    }
    const [type, children] = node;
    if (type === "bigint") checkBigInt(walk.json, origin);
    if (children === undefined) return node;
    return [type, level(children, origin, walk, depth + 1)];
  }
  return level(node, origin, walk, depth + 1);
}

/** The entries of one `{path: tree}` object, deepest path first. */
function level(
  node: unknown,
  origin: string[],
  walk: Walk,
  depth: number,
): unknown {
  if (typeof node !== "object" || node === null) return node;
  const entries = Object.entries(node).map(([key, child]) => {
    const path = parsePath(key, walk.legacy);
    const elements = walk.elements;
    elements.count += path.length;
    if (elements.count > elements.limit) {
      throw new ElementLimitError(elements.count, elements.limit);
    }
    return { key, path, child };
  });
  entries.sort((a, b) => b.path.length - a.path.length);
  const out: Record<string, unknown> = {};
  for (const e of entries) {
    out[e.key] = tree(e.child, [...origin, ...e.path], walk, depth);
  }
  return out;
}

/** Splits a superjson path (`a.b`, with `\.` and `\\` escapes). */
function parsePath(key: string, legacy: boolean): string[] {
  const out: string[] = [];
  let segment = "";
  for (let i = 0; i < key.length; i++) {
    const c = key[i];
    if (
      c === "\\" && (key[i + 1] === "." || (!legacy && key[i + 1] === "\\"))
    ) {
      segment += key[++i];
    } else if (c === ".") {
      out.push(segment);
      segment = "";
    } else {
      segment += c;
    }
  }
  out.push(segment);
  return out;
}

/** Refuses the bigint at `path` when its text is too long to convert. */
function checkBigInt(json: unknown, path: string[]): void {
  let v = json;
  for (const key of path) {
    if (Array.isArray(v)) v = v[Number(key)];
    else if (typeof v === "object" && v !== null && Object.hasOwn(v, key)) {
      v = (v as Record<string, unknown>)[key];
    } else return;
  }
  if (typeof v !== "string") return;
  const digits = v.length - (v.startsWith("-") ? 1 : 0);
  if (digits > MAX_BIGINT_DIGITS) {
    throw new RangeError(
      `a bigint of ${digits} digits exceeds the limit of ${MAX_BIGINT_DIGITS} digits`,
    );
  }
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
