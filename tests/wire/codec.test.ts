import fc from "fast-check";
import { assert, assertEquals, assertThrows } from "../_assert.ts";
import { CODEC_IDS, codecById, codecByName } from "../../src/wire/mod.ts";
import { wireValue } from "./_values.ts";

for (const name of ["msgpack", "superjson"] as const) {
  const codec = codecByName(name);

  Deno.test(`${name} codec round-trips Date, Map, Set, bigint, Uint8Array, typed arrays and nested objects`, () => {
    const value = {
      when: new Date(1700000000123),
      map: new Map<unknown, unknown>([[1, "one"], ["k", new Set([2n])]]),
      set: new Set(["a", 3]),
      big: 2n ** 70n,
      small: -5n,
      bytes: new Uint8Array([0, 1, 255]),
      floats: new Float64Array([1.5, -2]),
      ints: new Int32Array([-1, 7]),
      nested: [{ a: [1, { b: null }] }, undefined],
    };
    const back = codec.decode(codec.encode(value));
    assertEquals(back, value);
    const b = (back as typeof value).bytes;
    assertEquals(b.constructor, Uint8Array);
    assertEquals(b.byteOffset, 0);
  });

  Deno.test(`${name} codec keeps NaN, ±Infinity and -0 inside float arrays`, () => {
    const value = [
      Float64Array.from([Infinity, -Infinity, NaN, -0, 0, 1.5]),
      Float32Array.from([-0, Infinity, NaN, -2.5]),
    ];
    const back = codec.decode(codec.encode(value)) as typeof value;
    assertEquals(back.map((a) => a.constructor), [Float64Array, Float32Array]);
    assertEquals(
      back.map((a) => Array.from(a)),
      value.map((a) => Array.from(a)),
    );
    assert(Object.is(back[0][3], -0) && Object.is(back[1][0], -0), "-0 kept");
  });

  Deno.test(`${name} codec round-trips arbitrary values (property)`, () => {
    fc.assert(
      fc.property(wireValue(), (v) => {
        assertEquals(codec.decode(codec.encode([v])), [v]);
      }),
      { numRuns: 300 },
    );
  });

  Deno.test(`${name} codec decode() throws SyntaxError on random bytes`, () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          codec.decode(bytes);
        } catch (e) {
          assert(e instanceof SyntaxError, `not a SyntaxError: ${e}`);
          assert((e as Error).message.startsWith(`Cannot decode ${name}`));
        }
      }),
      { numRuns: 500 },
    );
  });

  Deno.test(`codecById() finds the ${name} codec by its wire id`, () => {
    assertEquals(codecById(CODEC_IDS[name]), codec);
    assertEquals(codec.id, CODEC_IDS[name]);
  });
}

Deno.test("msgpack codec writes plain data as standard MessagePack", () => {
  const codec = codecByName("msgpack");
  const hex = (b: Uint8Array) =>
    Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(" ");
  // [1, 2] is a fixarray of two fixints; bytes are bin 8; objects are maps.
  assertEquals(hex(codec.encode([1, 2])), "92 01 02");
  assertEquals(hex(codec.encode(new Uint8Array([7]))), "c4 01 07");
  assertEquals(hex(codec.encode({ a: 1 })), "de 00 01 a1 61 01");
  assertEquals(hex(codec.encode(new Map([[1, 2]]))), "d4 6d 00 92 01 02");
  // A standard encoder's output decodes: 0xde map16 of "x" → "y".
  assertEquals(
    codec.decode(new Uint8Array([0xde, 0, 1, 0xa1, 0x78, 0xa1, 0x79])),
    { x: "y" },
  );
});

Deno.test("msgpack codec encode() throws TypeError on a cyclic value", () => {
  const a: Record<string, unknown> = {};
  a.self = a;
  assertThrows(
    () => codecByName("msgpack").encode(a),
    TypeError,
    "Cannot encode with msgpack: nested deeper than 1000 levels (is it cyclic?)",
  );
});

Deno.test("superjson codec decode() needs the {json} envelope", () => {
  const codec = codecByName("superjson");
  const enc = new TextEncoder();
  assertEquals(codec.decode(enc.encode('{"json":[1,2]}')), [1, 2]);
  assertThrows(
    () => codec.decode(enc.encode("[1,2]")),
    SyntaxError,
    'Cannot decode superjson: expected an object with a "json" member',
  );
});

Deno.test("superjson codec decode() names a float array element that is not a number", () => {
  const text =
    '{"json":[["x"]],"meta":{"values":{"0":[["custom","Float64Array"]]},"v":1}}';
  assertThrows(
    () => codecByName("superjson").decode(new TextEncoder().encode(text)),
    SyntaxError,
    'not a float array element: "x"',
  );
});

Deno.test("codecByName() throws TypeError for an unknown codec", () => {
  assertThrows(
    () => codecByName("xml" as "msgpack"),
    TypeError,
    'Cannot find codec "xml": expected "msgpack" or "superjson"',
  );
  assertEquals(codecById(9), undefined);
});

Deno.test("mod.ts imports and the codecs run without any permission", async () => {
  const root = new URL("../..", import.meta.url);
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    await Deno.writeTextFile(
      file,
      `import ${JSON.stringify(new URL("mod.ts", root).href)};
import { codecByName } from ${
        JSON.stringify(new URL("src/wire/mod.ts", root).href)
      };
const c = codecByName("msgpack");
console.log((c.decode(c.encode([new Map([[1, 2]])])) as Map<number, number>[])[0].get(1));
`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-prompt",
        "--config",
        new URL("deno.json", root).pathname,
        file,
      ],
      stdin: "null",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assertEquals(out.code, 0, stderr);
    assertEquals(new TextDecoder().decode(out.stdout).trim(), "2");
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("superjson codec encode() throws TypeError naming a reserved key", () => {
  const codec = codecByName("superjson");
  for (const key of ["prototype", "constructor"]) {
    assertThrows(
      () => codec.encode({ [key]: null }),
      TypeError,
      `Cannot encode with superjson: Detected property ${key}`,
    );
  }
  // msgpack has no such restriction.
  const msgpack = codecByName("msgpack");
  assertEquals(msgpack.decode(msgpack.encode({ prototype: null })), {
    prototype: null,
  });
});
