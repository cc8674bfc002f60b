/**
 * The limits that bound one request's cost: issues capped with a count,
 * error bodies bounded, bigints refused before conversion, msgpack
 * references and oversized superjson annotations refused.
 */

import { assert, assertEquals, assertThrows } from "../_assert.ts";
import {
  codecByName,
  compileSchema,
  decodeErrorBody,
  encodeErrorBody,
  IssueList,
  MAX_BIGINT_BITS,
  MAX_BIGINT_DIGITS,
  MAX_COUNTED_ISSUES,
  MAX_ERROR_DETAILS,
  MAX_ERROR_MESSAGE,
  MAX_ISSUES,
  validationDetails,
  validationMessage,
} from "../../src/wire/mod.ts";
import { MAX_ANNOTATIONS } from "../../src/wire/codec_superjson.ts";

const msgpack = codecByName("msgpack");
const superjson = codecByName("superjson");
const text = new TextEncoder();

Deno.test("IssueList keeps the first issues and counts the others", () => {
  const issues = new IssueList();
  for (let i = 0; i < 1_000_000; i++) {
    issues.push({ path: `args[0][${i}]`, expected: "string", received: "1" });
  }
  assertEquals(issues.length, MAX_ISSUES);
  assertEquals(issues.omitted, 1_000_000 - MAX_ISSUES);
  // Array methods give plain arrays.
  assertEquals(issues.slice(0, 2).constructor, Array);
  assertEquals(issues.map((i) => i.path).length, MAX_ISSUES);
});

Deno.test("validationDetails() and validationMessage() are bounded and count the rest", () => {
  const issues = new IssueList();
  const key = "k".repeat(1_000_000);
  for (let i = 0; i < 50_000; i++) {
    issues.push({
      path: `args[0].${key}`,
      expected: "number",
      received: `${i}`,
    });
  }
  const details = validationDetails(issues);
  assertEquals(details.issues.length, MAX_ISSUES);
  assertEquals(details.omittedIssues, 50_000 - MAX_ISSUES);
  assert(details.issues.every((i) => i.path.length <= 201));
  const message = validationMessage("arguments for S.m", issues);
  assert(message.startsWith("Invalid arguments for S.m: args[0].kkk"));
  assert(message.endsWith(" (+49997 more)"), message.slice(-40));
  assert(message.length < 1000, `${message.length} characters`);
  // A plain array: everything kept is counted, nothing omitted.
  const plain = validationDetails([{
    path: "a",
    expected: "b",
    received: "c",
  }]);
  assertEquals(plain, {
    issues: [{ path: "a", expected: "b", received: "c" }],
  });
});

Deno.test("encodeErrorBody() bounds the message and the details", () => {
  const [message, details] = encodeErrorBody("m".repeat(10_000_000), {
    blob: "d".repeat(10_000_000),
  });
  const body = decodeErrorBody(message, details);
  assertEquals(body.message.length, MAX_ERROR_MESSAGE + 1);
  assert(body.message.endsWith("…"));
  assertEquals(body.details, { truncated: 10_000_011 });
  assert(details.byteLength < MAX_ERROR_DETAILS);
  // Small ones pass unchanged.
  const small = encodeErrorBody("x", { issues: [] });
  assertEquals(decodeErrorBody(small[0], small[1]), {
    message: "x",
    details: { issues: [] },
  });
});

Deno.test("decodeErrorBody() bounds what any server sent, as encodeErrorBody() bounds what zmp sends", () => {
  // A hostile server's ERROR: 10 MB of message, 10 MB of details.
  const message = text.encode("é".repeat(5_000_000));
  const details = text.encode(JSON.stringify({ blob: "d".repeat(10_000_000) }));
  const body = decodeErrorBody(message, details);
  assertEquals(body.message, "é".repeat(MAX_ERROR_MESSAGE) + "…");
  assertEquals(body.details, { truncated: details.byteLength });
  // At the bounds, nothing is cut.
  const exact = text.encode("é".repeat(MAX_ERROR_MESSAGE));
  const json = JSON.stringify({ k: "v".repeat(MAX_ERROR_DETAILS - 8) });
  assertEquals(json.length, MAX_ERROR_DETAILS);
  const kept = decodeErrorBody(exact, text.encode(json));
  assertEquals(kept.message, "é".repeat(MAX_ERROR_MESSAGE));
  assertEquals(kept.details, JSON.parse(json));
});

Deno.test("msgpack refuses a bigint over the limit before converting it, both ways", () => {
  const max = (1n << BigInt(MAX_BIGINT_BITS - 1)) - 1n;
  assertEquals(msgpack.decode(msgpack.encode([max, -max])), [max, -max]);
  assertThrows(
    () => msgpack.encode(max + 1n),
    TypeError,
    `exceeds the limit of ${MAX_BIGINT_BITS} bits`,
  );
  // A 4 MB bigint extension (ext 32, type 0x42) is refused at once.
  const n = 4 * 1024 * 1024;
  const bytes = new Uint8Array(6 + n);
  bytes.set([
    0xc9,
    n >>> 24,
    (n >>> 16) & 0xff,
    (n >>> 8) & 0xff,
    n & 0xff,
    0x42,
  ]);
  bytes[6] = 0x7f;
  const refused = timed(() =>
    assertThrows(
      () => msgpack.decode(bytes),
      SyntaxError,
      "a bigint of 4194304 bytes exceeds the limit of 1024 bytes (8192 bits)",
    )
  );
  // No slower than decoding plain bytes of the same size (measured now).
  const plain = msgpack.encode(new Uint8Array(n));
  const baseline = timed(() => msgpack.decode(plain));
  assert(
    refused < Math.max(5 * baseline, 5),
    `refusing took ${refused.toFixed(1)} ms, decoding bytes ${
      baseline.toFixed(1)
    } ms`,
  );
});

/** How long `fn` takes, in ms (the best of three). */
function timed(fn: () => unknown): number {
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    fn();
    best = Math.min(best, performance.now() - t);
  }
  return best;
}

Deno.test("msgpack decodes negative and positive big bigints exactly", () => {
  for (
    const v of [2n ** 64n, -(2n ** 64n), 2n ** 100n + 12345n, -(3n ** 200n)]
  ) {
    assertEquals(msgpack.decode(msgpack.encode(v)), v);
  }
});

Deno.test("msgpack refuses structured-clone references (a small payload, an exponential graph)", () => {
  // fixext 4 type 0x69 (id 1) wrapping an array, then a pointer ext 0x70.
  const payload = new Uint8Array([
    0x92, // array of 2
    0xd6,
    0x69,
    0,
    0,
    0,
    1,
    0x91,
    0x01, // id 1 → [1]
    0xd6,
    0x70,
    0,
    0,
    0,
    1, // pointer to id 1
  ]);
  assertThrows(
    () => msgpack.decode(payload),
    SyntaxError,
    "Structured clone extension is disabled",
  );
});

Deno.test("superjson refuses a bigint over the limit before converting it", () => {
  const ok = `{"json":"${
    "9".repeat(MAX_BIGINT_DIGITS)
  }","meta":{"values":["bigint"],"v":1}}`;
  assertEquals(typeof superjson.decode(text.encode(ok)), "bigint");
  for (
    const json of [
      `{"json":"${"9".repeat(4_000_000)}","meta":{"values":["bigint"],"v":1}}`,
      `{"json":{"a":[1,"${
        "9".repeat(3000)
      }"]},"meta":{"values":{"a.1":["bigint"]},"v":1}}`,
      `{"json":{"m":[["k","${
        "1".repeat(3000)
      }"]]},"meta":{"values":{"m":["map",{"0.1":["bigint"]}]},"v":1}}`,
    ]
  ) {
    const bytes = text.encode(json);
    const refused = timed(() =>
      assertThrows(
        () => superjson.decode(bytes),
        SyntaxError,
        `digits exceeds the limit of ${MAX_BIGINT_DIGITS} digits`,
      )
    );
    // No slower than decoding a plain string of the same size.
    const plain = text.encode(`{"json":"${"9".repeat(json.length)}"}`);
    const baseline = timed(() => superjson.decode(plain));
    assert(
      refused < Math.max(5 * baseline, 5),
      `refusing took ${refused.toFixed(1)} ms, a string ${
        baseline.toFixed(1)
      } ms`,
    );
  }
});

Deno.test("superjson bounds its annotations and ignores shared references", () => {
  const values: Record<string, unknown> = {};
  for (let i = 0; i <= MAX_ANNOTATIONS; i++) values[String(i)] = ["undefined"];
  const many = JSON.stringify({
    json: new Array(MAX_ANNOTATIONS + 1).fill(null),
    meta: { values, v: 1 },
  });
  assertThrows(
    () => superjson.decode(text.encode(many)),
    SyntaxError,
    `more than ${MAX_ANNOTATIONS} type annotations`,
  );
  // A shared reference arrives as a copy (as in msgpack).
  const o = { a: new Date(0) };
  const back = superjson.decode(superjson.encode([o, o])) as unknown[];
  assertEquals(back, [o, o]);
  assert(back[0] !== back[1]);
  // Flat annotations through a Map apply deepest first: same value.
  const flat = JSON.stringify({
    json: { m: [["k", "1970-01-01T00:00:00.000Z"]] },
    meta: { values: { m: ["map"], "m.0.1": ["Date"] }, v: 1 },
  });
  assertEquals(superjson.decode(text.encode(flat)), {
    m: new Map([["k", new Date(0)]]),
  });
});

Deno.test("compileSchema().validate() takes two million bad elements into an IssueList: kept bounded, the rest counted, no call stack overflow", () => {
  const objects = compileSchema({
    type: "array",
    items: { type: "object", properties: { n: { type: "number" } } },
  });
  const issues = new IssueList();
  objects.validate(new Array(2_000_000).fill(1), "args[0]", issues);
  assertEquals(issues.length, MAX_ISSUES);
  // Past MAX_COUNTED_ISSUES the rest of the value is not looked at.
  assertEquals(issues.omitted, MAX_COUNTED_ISSUES);
  assertEquals(issues[0].path, "args[0][0]");

  // A union member checked in detail is bounded the same way.
  const union = compileSchema({
    anyOf: [{ type: "string" }, { type: "array", items: { type: "number" } }],
  });
  const more = new IssueList();
  union.validate(new Array(2_000_000).fill("x"), "value", more);
  assertEquals(more.length, MAX_ISSUES);
  assertEquals(more.omitted, MAX_COUNTED_ISSUES);
});

Deno.test("a check that stopped counting reads no further element: arrays, tuples' rest, objects, Maps and Sets", () => {
  const past = MAX_ISSUES + MAX_COUNTED_ISSUES + 100;
  /** `n` bad items and, at `past`, one whose reading is recorded. */
  const trap = () => {
    const read: string[] = [];
    const items: unknown[] = new Array(past + 10).fill("x");
    Object.defineProperty(items, past, {
      get: () => {
        read.push("item");
        return "x";
      },
    });
    return { read, items };
  };
  const numbers = { type: "array", items: { type: "number" } } as const;

  const a = trap();
  const issues = new IssueList();
  compileSchema(numbers).validate(a.items, "args[0]", issues);
  assert(issues.partial);
  assertEquals(a.read, []);

  const t = trap();
  compileSchema({
    type: "array",
    prefixItems: [{ type: "string" }],
    items: { type: "number" },
  }).validate(t.items, "args", new IssueList());
  assertEquals(t.read, []);

  const read: string[] = [];
  const object: Record<string, unknown> = {};
  for (let i = 0; i < past; i++) object[`k${i}`] = "x";
  Object.defineProperty(object, "late", {
    enumerable: true,
    get: () => {
      read.push("property");
      return "x";
    },
  });
  compileSchema({ type: "object", additionalProperties: { type: "number" } })
    .validate(object, "args[0]", new IssueList());
  assertEquals(read, []);

  // A Map's and a Set's entries are copied out first (cheap); what counts
  // is that no further entry is walked: its value would be an issue.
  const map = new Map<string, unknown>();
  for (let i = 0; i < past; i++) map.set(`k${i}`, "x");
  const mapIssues = new IssueList();
  compileSchema({
    type: "array",
    "x-type": "Map",
    items: {
      type: "array",
      prefixItems: [{ type: "string" }, { type: "number" }],
    },
  }).validate(map, "m", mapIssues);
  assertEquals(mapIssues.omitted, MAX_COUNTED_ISSUES);
  const set = new Set<unknown>();
  for (let i = 0; i < past; i++) set.add(`s${i}`);
  const setIssues = new IssueList();
  compileSchema({
    type: "array",
    "x-type": "Set",
    uniqueItems: true,
    items: { type: "number" },
  }).validate(set, "s", setIssues);
  assertEquals(setIssues.omitted, MAX_COUNTED_ISSUES);
});

Deno.test("a check that stopped counting says so: the message gives a lower bound", () => {
  const numbers = compileSchema({ type: "array", items: { type: "number" } });
  const issues = new IssueList();
  numbers.validate(new Array(100_000).fill("x"), "args[0]", issues);
  assert(issues.partial);
  assert(
    validationMessage("arguments", issues).endsWith(
      `(at least ${MAX_COUNTED_ISSUES + MAX_ISSUES - 3} more)`,
    ),
    validationMessage("arguments", issues),
  );
  const exact = new IssueList();
  numbers.validate(new Array(50).fill("x"), "args[0]", exact);
  assert(!exact.partial);
  assert(validationMessage("arguments", exact).endsWith("(+47 more)"));
});
