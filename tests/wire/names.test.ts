/**
 * `wire/names.ts`: the one rule for names and limits, and that every door
 * (node, launcher, registry, topics, RPC server) applies that rule and no
 * other.
 *
 * @module
 */

import fc from "fast-check";
import { assert, assertEquals, assertThrows } from "../_assert.ts";
import {
  checkCount,
  checkJsonSize,
  checkMethodFrame,
  checkName,
  decodeMethodName,
  encodeMethodName,
  isValidName,
  MAX_METHOD_NAME,
  MAX_METHOD_NAME_BYTES,
  MAX_SERVICE_NAME,
  NameError,
} from "../../src/wire/mod.ts";
import { checkNodeName } from "../../src/node/node.ts";
import { validateLaunch } from "../../src/launch/_validate.ts";
import { LaunchError } from "../../src/launch/errors.ts";
import { admitNodeInfo } from "../../src/registry/_node_info.ts";
import { topicFrame } from "../../src/topics/_frames.ts";
import { nodeInfo } from "../registry/_helpers.ts";

Deno.test("checkName() accepts and refuses node names by the one rule", () => {
  for (
    const ok of ["a", "_tool", "0", "cam/left", "a.b-c_d", "x".repeat(255)]
  ) {
    assert(isValidName("node", ok), ok);
    checkName("node", ok);
  }
  for (
    const bad of ["", "a b", "é", "a:b", "-a", ".a", "/a", "x".repeat(256)]
  ) {
    assert(!isValidName("node", bad), bad);
    const e = assertThrows(() => checkName("node", bad), NameError);
    assert(e instanceof TypeError);
    assertEquals(e.kind, "node");
    assertEquals(e.field, "node name");
  }
  const e = assertThrows(
    () => checkName("node", "a b", { action: 'create node "a b"' }),
    NameError,
  );
  assertEquals(
    e.message,
    'Cannot create node "a b": a node name is 1 to 255 characters of A-Z a-z 0-9 _ . / -, the first a letter, a digit or _',
  );
  assertEquals(
    assertThrows(() => checkName("topic", 3, { field: "topic" }), NameError)
      .message,
    "Invalid topic number: a topic name is 1 to 255 characters of A-Z a-z 0-9 _ . / -, the first a letter, a digit or _",
  );
});

Deno.test("checkName() rules of services, methods, topics, namespaces, param keys and key names", () => {
  const cases: [Parameters<typeof checkName>[0], string[], string[]][] = [
    ["service", ["Calc", "zmp.Registry", "_x", "a-b"], [
      "",
      "1x",
      "a/b",
      "x".repeat(129),
    ]],
    ["method", ["add", "_x", "$y", "x".repeat(126)], [
      "",
      "a.b",
      "1x",
      "x".repeat(127),
    ]],
    ["topic", ["sensors/temp", "_t", "9"], ["", "/abs", "a b", "a\0b"]],
    ["paramNamespace", ["robot", "a.b"], ["", "a/b", "1x"]],
    ["paramKey", ["robot.speed", "é".repeat(512), "x".repeat(1024)], [
      "",
      "__proto__",
      "é".repeat(513), // 1026 bytes
      "x".repeat(1025),
    ]],
    ["keyName", ["@registry", "@cli", "node1"], ["@other", "", "a b"]],
  ];
  for (const [kind, good, bad] of cases) {
    for (const g of good) assert(isValidName(kind, g), `${kind} ${g}`);
    for (const b of bad) {
      assert(!isValidName(kind, b), `${kind} ${JSON.stringify(b)}`);
      assertEquals(
        assertThrows(() => checkName(kind, b), NameError).kind,
        kind,
      );
    }
  }
});

Deno.test("checkMethodFrame(): the longest service and method names fill the 255-byte method frame exactly", () => {
  assertEquals(MAX_SERVICE_NAME + 1 + MAX_METHOD_NAME, MAX_METHOD_NAME_BYTES);
  const service = "S".repeat(MAX_SERVICE_NAME);
  const method = "m".repeat(MAX_METHOD_NAME);
  assertEquals(checkMethodFrame(service, method), 255);
  const frame = encodeMethodName(service, method);
  assertEquals(decodeMethodName(frame, 1), `${service}.${method}`);
  const e = assertThrows(
    () => checkMethodFrame(`${service}X`, "m", { action: "register it" }),
    NameError,
  );
  assertEquals(e.field, "service name");
  assert(
    e.message.startsWith("Cannot register it: a service name is 1 to 128"),
  );
  assertEquals(
    assertThrows(() => checkMethodFrame("S", `${method}m`), NameError).field,
    "method name of S",
  );
});

Deno.test("checkCount() and checkJsonSize() name the field and the limit", () => {
  checkCount("info.services", 3, 3);
  const e = assertThrows(() => checkCount("info.services", 4, 3), NameError);
  assertEquals(e.kind, "limit");
  assertEquals(e.message, "Invalid info.services: 4 items, at most 3");
  assertEquals(checkJsonSize("x", { a: "é" }, 100), 10);
  assertEquals(
    assertThrows(() => checkJsonSize("x.args", "é".repeat(10), 20), NameError)
      .message,
    "Invalid x.args: 22 bytes of JSON, at most 20",
  );
});

/** Strings near the rule's edges: legal and illegal characters, any length. */
const nameLike = fc.oneof(
  fc.string({
    unit: fc.constantFrom(..."aZ09_./-", " ", "é", ":", "@", "\0"),
    maxLength: 12,
  }),
  fc.tuple(
    fc.constantFrom("a", "_", "-", "."),
    fc.integer({ min: 250, max: 260 }),
  ).map(([c, n]) => c + "x".repeat(n - 1)),
);

function verdict(f: () => unknown): boolean {
  try {
    f();
    return true;
  } catch (e) {
    if (e instanceof TypeError || e instanceof LaunchError) return false;
    throw e;
  }
}

Deno.test("one rule at every door: createNode, the launcher, the registry and topics accept the same node names", () => {
  fc.assert(
    fc.property(nameLike, (name) => {
      const rule = isValidName("node", name);
      assertEquals(verdict(() => checkNodeName(name)), rule, "node");
      assertEquals(
        verdict(() =>
          validateLaunch(
            { nodes: [{ name, module: "./a.ts" }] },
            "file:///p/l.ts",
          )
        ),
        rule,
        "launcher",
      );
      assertEquals(
        verdict(() => admitNodeInfo(nodeInfo(name))),
        rule,
        "registry",
      );
      assertEquals(verdict(() => topicFrame(name)), isValidName("topic", name));
      assertEquals(isValidName("topic", name), rule, "topic = node rule");
    }),
    { numRuns: 500 },
  );
});
