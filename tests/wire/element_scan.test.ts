import fc from "fast-check";
import { assert, assertEquals, assertThrows } from "../_assert.ts";
import {
  codecByName,
  ElementLimitError,
  MAX_ELEMENTS,
} from "../../src/wire/mod.ts";
import {
  ERROR_WEIGHT,
  JSON_CONTAINER_WEIGHT,
  MAX_NESTING,
  scanJson,
  scanMsgpack,
  TYPED_ARRAY_WEIGHT,
} from "../../src/wire/_element_scan.ts";
import { wireValue } from "./_values.ts";

const msgpack = codecByName("msgpack");
const superjson = codecByName("superjson");

/** The elements of a decoded msgpack value, counted on the value. */
function msgpackElements(v: unknown): number {
  if (Array.isArray(v)) return 1 + sum(v.map(msgpackElements));
  if (v instanceof Map) {
    return 2 +
      sum([...v].map(([k, x]) => msgpackElements(k) + msgpackElements(x)));
  }
  if (v instanceof Set) return 2 + sum([...v].map(msgpackElements));
  if (v instanceof Uint8Array) return 1;
  if (ArrayBuffer.isView(v)) return TYPED_ARRAY_WEIGHT;
  if (v instanceof Error) return ERROR_WEIGHT + 1 + 3;
  if (v instanceof Date || v === null || typeof v !== "object") return 1;
  return 1 + sum(Object.values(v).map((x) => 1 + msgpackElements(x)));
}

/** The elements of a JSON value, counted on the value. */
function jsonElements(v: unknown): number {
  if (Array.isArray(v)) return JSON_CONTAINER_WEIGHT + sum(v.map(jsonElements));
  if (v === null || typeof v !== "object") return 1;
  return JSON_CONTAINER_WEIGHT +
    sum(Object.values(v).map((x) => 1 + jsonElements(x)));
}

/** The path segments of a superjson annotation tree, splitting on every ".". */
function pathSegments(tree: unknown): number {
  if (Array.isArray(tree)) return pathSegments(tree[1]);
  if (typeof tree !== "object" || tree === null) return 0;
  return sum(
    Object.entries(tree).map(([k, v]) => k.split(".").length + pathSegments(v)),
  );
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

/** An array of `n` copies of one encoded element. */
function msgpackArray(n: number, element: number[]): Uint8Array {
  const b = new Uint8Array(5 + n * element.length);
  b[0] = 0xdd;
  new DataView(b.buffer).setUint32(1, n);
  for (let i = 0; i < n; i++) b.set(element, 5 + i * element.length);
  return b;
}

Deno.test("scanMsgpack() counts what the decoded value holds, and decode() takes that many", () => {
  fc.assert(
    fc.property(wireValue(), (value) => {
      const bytes = msgpack.encode(value);
      const count = scanMsgpack(bytes, Infinity);
      assertEquals(count, msgpackElements(msgpack.decode(bytes)));
      msgpack.decode(bytes, { maxElements: count });
      const e = assertThrows(
        () => msgpack.decode(bytes, { maxElements: count - 1 }),
        ElementLimitError,
      );
      assertEquals(e.limit, count - 1);
      assert(e.count > count - 1);
    }),
    { numRuns: 300 },
  );
});

Deno.test("scanJson() counts what a JSON value holds, and the superjson codec takes that many", () => {
  fc.assert(
    // superjson refuses these keys (tests/wire/codec.test.ts).
    fc.property(
      // and annotate -0 (which JSON turns into 0).
      fc.jsonValue().map((v) => JSON.parse(JSON.stringify(v))).filter((v) =>
        !/"(__proto__|prototype|constructor)":/.test(JSON.stringify(v))
      ),
      (value) => {
        const bytes = superjson.encode(value);
        const count = scanJson(bytes, Infinity);
        // The envelope {"json": …} adds an object and a key.
        assertEquals(count, JSON_CONTAINER_WEIGHT + 1 + jsonElements(value));
        superjson.decode(bytes, { maxElements: count });
        assertThrows(
          () => superjson.decode(bytes, { maxElements: count - 1 }),
          ElementLimitError,
        );
      },
    ),
    { numRuns: 300 },
  );
  fc.assert(
    fc.property(wireValue(), (value) => {
      const bytes = superjson.encode(value);
      const count = scanJson(bytes, Infinity);
      // Each segment of an annotation path counts one more (at most this
      // many: a key's "." may be escaped).
      const meta = JSON.parse(new TextDecoder().decode(bytes)).meta;
      const segments = pathSegments(meta?.values);
      superjson.decode(bytes, { maxElements: count + segments });
      assertThrows(
        () => superjson.decode(bytes, { maxElements: count - 1 }),
        ElementLimitError,
      );
    }),
    { numRuns: 200 },
  );
});

Deno.test("scanMsgpack() throws only SyntaxError or ElementLimitError on random bytes, and refuses nothing decode() reads but what it documents", () => {
  const stricter =
    /Unknown extension type|Unknown MessagePack token|must tag an array|nested deeper/;
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 1, maxLength: 64 }),
      fc.integer({ min: 0, max: 64 }),
      (bytes, limit) => {
        let decoded = true;
        try {
          msgpack.decode(bytes);
        } catch {
          decoded = false;
        }
        try {
          scanMsgpack(bytes, limit);
        } catch (e) {
          if (e instanceof ElementLimitError) return;
          assert(e instanceof SyntaxError, `${e}`);
          assert(e.message.startsWith("Cannot decode msgpack: "), e.message);
          if (decoded) assert(stricter.test(e.message), e.message);
        }
      },
    ),
    { numRuns: 5000 },
  );
});

Deno.test("scanMsgpack() on valid encodings with a byte changed or cut: only its own errors, and no refusal of what decode() reads but what it documents", () => {
  const stricter =
    /Unknown extension type|Unknown MessagePack token|must tag an array|nested deeper/;
  fc.assert(
    fc.property(
      wireValue(),
      fc.nat(),
      fc.integer({ min: 0, max: 255 }),
      fc.boolean(),
      (value, at, byte, cut) => {
        const bytes = msgpack.encode(value).slice();
        const i = at % bytes.length;
        const changed = cut ? bytes.subarray(0, i + 1) : bytes;
        if (!cut) changed[i] = byte;
        let decoded = true;
        try {
          msgpack.decode(changed);
        } catch {
          decoded = false;
        }
        try {
          const count = scanMsgpack(changed, Infinity);
          assert(count >= 1);
        } catch (e) {
          assert(e instanceof SyntaxError, `${e}`);
          if (decoded) assert(stricter.test(e.message), e.message);
        }
      },
    ),
    { numRuns: 3000 },
  );
});

Deno.test("scanJson() throws only SyntaxError or ElementLimitError on random text", () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 64 }),
        fc.string({ unit: fc.constantFrom(...'[]{}",:\\ 0a') }).map((s) =>
          new TextEncoder().encode(s)
        ),
      ),
      fc.integer({ min: 0, max: 64 }),
      (bytes, limit) => {
        try {
          scanJson(bytes, limit);
        } catch (e) {
          assert(
            e instanceof ElementLimitError || e instanceof SyntaxError,
            `${e}`,
          );
        }
      },
    ),
    { numRuns: 5000 },
  );
});

Deno.test("scanMsgpack() refuses truncated payloads, bad type bytes and trailing bytes as decode() does", () => {
  const cases: [number[], RegExp][] = [
    [[0x92, 0x01], /Unexpected end/],
    [[0xdd, 0xff, 0xff, 0xff, 0xff], /Unexpected end/],
    [[0xa5, 0x61], /Unexpected end/],
    [[0xc6, 0, 0, 0, 9, 1], /Unexpected end/],
    [[0xc1], /Unknown MessagePack token 193/],
    [[0xd4, 0x72, 0x00, 0x90], /Unknown extension type 114/],
    [[0xd4, 0x69, 0x00, 0x90], /Unknown extension type 105/],
    [[0xd4, 0x73, 0x00, 0xa1, 0x78], /must tag an array/],
    [[0x01, 0x02], /end of buffer not reached/],
  ];
  for (const [bytes, message] of cases) {
    const u8 = new Uint8Array(bytes);
    const e = assertThrows(() => scanMsgpack(u8, 100), SyntaxError);
    assert(message.test(e.message), e.message);
    assert(e.message.startsWith("Cannot decode msgpack: "), e.message);
    assertThrows(() => msgpack.decode(u8, { maxElements: 100 }), SyntaxError);
  }
});

Deno.test("scanMsgpack() takes the deepest value encode() makes, and no deeper", () => {
  let deepest: unknown = 1;
  for (let i = 0; i < MAX_NESTING; i++) deepest = [deepest];
  const bytes = msgpack.encode(deepest);
  assertEquals(scanMsgpack(bytes, Infinity), MAX_NESTING + 1);
  assertThrows(() => msgpack.encode([deepest]), TypeError);
  const deeper = new Uint8Array(MAX_NESTING + 2).fill(0x91);
  deeper[MAX_NESTING + 1] = 1;
  const e = assertThrows(() => scanMsgpack(deeper, Infinity), SyntaxError);
  assertEquals(
    e.message,
    `Cannot decode msgpack: nested deeper than ${MAX_NESTING} levels`,
  );
});

Deno.test("msgpack decode() at MAX_ELEMENTS of the costliest elements still decodes", () => {
  // Empty arrays cost the most of plain elements to build.
  const atCap = msgpackArray(MAX_ELEMENTS - 1, [0x90]);
  assertEquals(scanMsgpack(atCap, Infinity), MAX_ELEMENTS);
  const back = msgpack.decode(atCap, { maxElements: MAX_ELEMENTS });
  assertEquals((back as unknown[]).length, MAX_ELEMENTS - 1);
  const over = msgpackArray(MAX_ELEMENTS, [0x90]);
  const e = assertThrows(
    () => msgpack.decode(over, { maxElements: MAX_ELEMENTS }),
    ElementLimitError,
  );
  assertEquals(
    e.message,
    `the payload holds more than ${MAX_ELEMENTS} elements (${
      MAX_ELEMENTS + 1
    } counted before the scan stopped)`,
  );
});

Deno.test("typed arrays and bin count as one value whatever their length, in msgpack", () => {
  const value = [
    new Float64Array(100_000),
    new Uint8Array(1_000_000),
    new Int32Array(10),
  ];
  const bytes = msgpack.encode(value);
  assertEquals(scanMsgpack(bytes, Infinity), 1 + TYPED_ARRAY_WEIGHT * 2 + 1);
});

Deno.test("scanJson() skips strings with escaped quotes and backslashes", () => {
  const text = JSON.stringify({ json: ['a\\"b', "c\\", '"', "[{"] });
  const bytes = new TextEncoder().encode(text);
  assertEquals(scanJson(bytes, Infinity), 2 * JSON_CONTAINER_WEIGHT + 1 + 4);
});

Deno.test("element scans cost far less than decoding (printed: ns per byte)", () => {
  const MB = 1024 * 1024;
  const cases: [string, Uint8Array, (b: Uint8Array) => unknown][] = [
    [
      "msgpack fixints",
      msgpackArray(4 * MB - 8, [0x01]),
      (b) => scanMsgpack(b, Infinity),
    ],
    [
      "msgpack strings",
      msgpackArray(2 * MB - 8, [0xa1, 0x78]),
      (b) => scanMsgpack(b, Infinity),
    ],
    [
      "msgpack one bin",
      msgpack.encode(new Uint8Array(4 * MB - 16)),
      (b) => scanMsgpack(b, Infinity),
    ],
    [
      "json zeros",
      new TextEncoder().encode(`{"json":[${"0,".repeat(2 * MB - 8)}0]}`),
      (b) => scanJson(b, Infinity),
    ],
    [
      "json one string",
      new TextEncoder().encode(`{"json":"${"x".repeat(4 * MB - 16)}"}`),
      (b) => scanJson(b, Infinity),
    ],
  ];
  for (const [what, bytes, scan] of cases) {
    let best = Infinity;
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      scan(bytes);
      best = Math.min(best, performance.now() - t);
    }
    console.log(
      `${what}: ${bytes.byteLength} bytes scanned in ${best.toFixed(2)} ms, ${
        (best * 1e6 / bytes.byteLength).toFixed(2)
      } ns/byte`,
    );
  }
});

Deno.test("superjson decode() counts each segment of an annotation path, so long paths are refused before superjson walks them", () => {
  // 2,000 annotations of 400-segment paths: 2 MB, ~14k elements by the
  // scan, 800k path steps (~0.4 s in superjson).
  const values: Record<string, unknown> = {};
  for (let i = 0; i < 2000; i++) {
    values[[i, ...new Array(400).fill(0)].join(".")] = ["undefined"];
  }
  const text = JSON.stringify({
    json: new Array(2000).fill(null),
    meta: { values, v: 1 },
  });
  const bytes = new TextEncoder().encode(text);
  const scanned = scanJson(bytes, Infinity);
  assert(scanned < MAX_ELEMENTS, `${scanned}`);
  const e = assertThrows(
    () => superjson.decode(bytes, { maxElements: MAX_ELEMENTS }),
    ElementLimitError,
  );
  assertEquals(e.limit, MAX_ELEMENTS);
  // A path per element of a nested value: counted, and within the limit.
  const nested = new Array(100).fill(0).map((_, i) => ({
    a: { b: new Date(i) },
  }));
  const ok = superjson.encode(nested);
  assertEquals(
    (superjson.decode(ok, { maxElements: MAX_ELEMENTS }) as unknown[]).length,
    100,
  );
});
