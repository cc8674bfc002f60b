/** Arbitrary values for codec property tests. */

import fc from "fast-check";

const RESERVED_KEYS = new Set(["__proto__", "prototype", "constructor"]);

/** Values every codec must carry unchanged (no -0: msgpack has no -0). */
export function wireValue(): fc.Arbitrary<unknown> {
  const leaf = fc.oneof(
    fc.constant(null),
    fc.constant(undefined),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: false }).filter((d) => !Object.is(d, -0)),
    fc.string(),
    fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }),
    fc.date({ noInvalidDate: true }),
    fc.uint8Array({ maxLength: 16 }),
    fc.float64Array({ maxLength: 4 }).map((a) =>
      a.map((x) => Object.is(x, -0) ? 0 : x)
    ),
    fc.int32Array({ maxLength: 4 }),
  );
  const { value } = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      leaf,
      fc.array(tie("value"), { maxLength: 4 }),
      fc.dictionary(
        // superjson refuses these three keys (prototype pollution guard);
        // codec.test.ts checks that it says so clearly.
        fc.string().filter((k) => !RESERVED_KEYS.has(k)),
        tie("value"),
        { maxKeys: 4, noNullPrototype: true },
      ),
      fc.array(fc.tuple(fc.oneof(fc.string(), fc.integer()), tie("value")), {
        maxLength: 3,
      }).map((entries) => new Map(entries)),
      fc.array(fc.oneof(fc.string(), fc.integer(), fc.bigInt()), {
        maxLength: 4,
      }).map((items) => new Set(items)),
    ),
  }));
  return value;
}
