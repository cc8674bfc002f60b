/**
 * Validators of the golden modules (their schemas, compiled): good values
 * pass, bad ones are reported at the right path with the right expectation.
 *
 * @module
 */

import fc from "fast-check";
import { assertValid, ValidationError } from "../../src/wire/descriptors.ts";
import { assertEquals, assertThrows } from "../_assert.ts";
import { issuesOf } from "./_helpers.ts";
import { schema } from "./fixtures/types.api.gen.ts";
import { compileSchema, withDefs } from "../../src/wire/mod.ts";
import {
  DrawingClient,
  DrawingService,
  serveDrawing,
} from "./fixtures/services.api.gen.ts";
import {
  PoseTopic,
  RobotParams,
  TemperatureTopic,
} from "./fixtures/dataflow.api.gen.ts";
import type { Shape } from "./fixtures/shared/geometry.ts";
import type { Tree } from "./fixtures/types.api.ts";
import { Color } from "./fixtures/types.api.ts";

/** The compiled validator of a named type of the types fixture. */
const named = (name: string) =>
  compileSchema(withDefs(schema, { $ref: `#/$defs/${name}` })).validate;
const validateChoices = named("Choices");
const validateContainers = named("Containers");
const validateJson = named("Json");
const validateLabeled = named("Labeled");
const validateLocated = named("Located");
const validateScalars = named("Scalars");
const validateShape = named("Shape");
const validateTree = named("Tree");

const scalars = () => ({
  text: "t",
  count: 1,
  flag: false,
  big: 10n,
  nothing: null,
  absent: undefined,
  word: "hello",
  answer: 42,
  negative: -1,
  yes: true,
  when: new Date(0),
  bytes: new Uint8Array([1]),
});

const containers = () => ({
  list: ["a"],
  frozen: [1, 2],
  generic: [true],
  pair: ["a", 1],
  triple: [1, 2],
  scores: { alice: 3 },
  corners: { min: { x: 0, y: 0 }, max: { x: 1, y: 1 } },
  byId: new Map([[1, { x: 0, y: 0 }]]),
  tags: new Set(["a"]),
  nested: [[1], []],
  "quoted-key": "q",
  extra: { known: 1, more: 2 },
});

const choices = () => ({
  color: Color.Red,
  red: "red",
  mode: 3,
  maybe: null,
  either: [1],
  shape: { kind: "circle", center: { x: 0, y: 0 }, radius: 1 },
  many: [{ x: 1, y: 2 }, { kind: "polygon", points: [] }],
});

/** The [path, expected, received] of each issue. */
const brief = (
  validate: Parameters<typeof issuesOf>[0],
  value: unknown,
  path = "value",
) =>
  issuesOf(validate, value, path).map((i) => [i.path, i.expected, i.received]);

Deno.test("validateScalars() accepts every primitive and literal kind", () => {
  assertEquals(brief(validateScalars, scalars()), []);
});

Deno.test("validateScalars() reports each wrong field at its path", () => {
  const bad = {
    ...scalars(),
    big: 1,
    word: "hi",
    negative: 1,
    when: "2020",
    bytes: [1],
    nothing: undefined,
  };
  assertEquals(brief(validateScalars, bad), [
    ["value.big", "bigint", "number 1"],
    ["value.nothing", "null", "undefined"],
    ["value.word", '"hello"', 'string "hi"'],
    ["value.negative", "-1", "number 1"],
    ["value.when", "Date", 'string "2020"'],
    ["value.bytes", "Uint8Array", "array(1)"],
  ]);
  assertEquals(brief(validateScalars, [1]), [["value", "Scalars", "array(1)"]]);
});

Deno.test("validateContainers() accepts arrays, tuples, records, maps, sets, index signatures", () => {
  assertEquals(brief(validateContainers, containers()), []);
});

Deno.test("validateContainers() reports nested problems with their paths", () => {
  const bad = {
    ...containers(),
    list: ["a", 2],
    pair: ["a"],
    triple: [1, 2, "3"],
    scores: { alice: "x" },
    corners: { min: { x: 0, y: 0 } },
    byId: new Map<unknown, unknown>([["1", { x: 0 }]]),
    tags: new Set([1]),
    nested: [[1, "2"]],
    "quoted-key": 1,
    extra: { known: "1", more: "2" },
  };
  assertEquals(brief(validateContainers, bad), [
    ["value.list[1]", "string", "number 2"],
    ["value.pair", "[string, number]", "array(1)"],
    ["value.triple[2]", "number", 'string "3"'],
    ['value.scores["alice"]', "number", 'string "x"'],
    ["value.corners.max", "Point", "undefined"],
    ["value.byId.keys[0]", "number", 'string "1"'],
    ["value.byId.values[0].y", "number", "undefined"],
    ["value.tags.values[0]", "string", "number 1"],
    ["value.nested[0][1]", "number", 'string "2"'],
    ['value["quoted-key"]', "string", "number 1"],
    ["value.extra.known", "number", 'string "1"'],
    ['value.extra["more"]', "number", 'string "2"'],
  ]);
});

Deno.test("validateChoices() handles enums, literal unions, nullables and discriminated unions", () => {
  assertEquals(brief(validateChoices, choices()), []);
  assertEquals(
    brief(validateChoices, { ...choices(), level: 10, optionalUnion: 1 }),
    [],
  );
  const bad = {
    ...choices(),
    color: "blue",
    level: 5,
    red: "green",
    mode: "auto",
    maybe: 1,
    either: "x",
    shape: { kind: "square" },
    many: [{ kind: "circle" }],
    optionalUnion: "1",
  };
  assertEquals(brief(validateChoices, bad), [
    ["value.color", "Color", 'string "blue"'],
    ["value.level", "Level", "number 5"],
    ["value.red", '"red"', 'string "green"'],
    ["value.mode", '"on" | "off" | 3', 'string "auto"'],
    ["value.maybe", "string | null", "number 1"],
    ["value.shape.kind", '"circle" | "polygon"', 'string "square"'],
    ["value.many[0]", "Point | Shape", "object"],
    ["value.optionalUnion", "number", 'string "1"'],
  ]);
  assertEquals(brief(validateChoices, { ...choices(), either: [1, "2"] }), [
    ["value.either[1]", "number", 'string "2"'],
  ]);
});

Deno.test("validateShape() reports the tag, then the members' fields", () => {
  assertEquals(
    brief(validateShape, {
      kind: "circle",
      center: { x: 0, y: "0" },
      radius: 1,
    }),
    [
      ["value.center.y", "number", 'string "0"'],
    ],
  );
  assertEquals(brief(validateShape, null), [["value", "Shape", "null"]]);
});

Deno.test("validateLabeled() checks the properties of the interfaces it extends", () => {
  assertEquals(brief(validateLabeled, { x: 1, y: 2, label: "a" }), []);
  assertEquals(brief(validateLabeled, { y: 2, label: "a" }), [[
    "value.x",
    "number",
    "undefined",
  ]]);
});

Deno.test("validateLocated() accepts any member of a non-discriminated union", () => {
  assertEquals(brief(validateLocated, { x: 1, y: 2 }), []);
  assertEquals(brief(validateLocated, { lat: 1, lon: 2 }), []);
  assertEquals(brief(validateLocated, { lat: 1 }), [[
    "value",
    "Located",
    "object",
  ]]);
});

Deno.test("validateTree() follows recursion", () => {
  const tree = {
    id: "a",
    children: [{ id: "b", children: [{ id: "c", children: [7] }] }],
  };
  assertEquals(brief(validateTree, tree), [
    ["value.children[0].children[0].children[0]", "Tree", "number 7"],
  ]);
});

// ---- property-based ----

const point = fc.record({ x: fc.double(), y: fc.double() });
const shape: fc.Arbitrary<Shape> = fc.oneof(
  fc.record({
    kind: fc.constant("circle" as const),
    center: point,
    radius: fc.double(),
  }),
  fc.record({
    kind: fc.constant("polygon" as const),
    points: fc.array(point, { maxLength: 4 }),
  }),
);
const tree: fc.Memo<Tree> = fc.memo((n) =>
  fc.record(
    {
      id: fc.string(),
      children: n > 1
        ? fc.array(tree(n - 1), { maxLength: 3 })
        : fc.constant([]),
      parent: n > 1 ? tree(n - 1) : fc.constant(undefined),
    },
    { requiredKeys: ["id", "children"] },
  )
);
const notNumber = fc.oneof(
  fc.string(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
);

Deno.test("validateShape() accepts every Shape (property)", () => {
  fc.assert(fc.property(shape, (s) => issuesOf(validateShape, s).length === 0));
});

Deno.test("validateShape() reports a non-number radius at value.radius and nothing else (property)", () => {
  fc.assert(fc.property(point, notNumber, (center, radius) => {
    const issues = issuesOf(validateShape, { kind: "circle", center, radius });
    assertEquals(issues.map((i) => [i.path, i.expected]), [[
      "value.radius",
      "number",
    ]]);
  }));
});

Deno.test("validateTree() accepts every Tree (property)", () => {
  fc.assert(
    fc.property(tree(4), (t) => issuesOf(validateTree, t).length === 0),
    { numRuns: 200 },
  );
});

Deno.test("validateJson() accepts every JSON value (property)", () => {
  fc.assert(
    fc.property(fc.jsonValue(), (v) => issuesOf(validateJson, v).length === 0),
  );
});

Deno.test("validateJson() rejects values JSON cannot hold", () => {
  for (const v of [undefined, 1n, new Map(), new Date(0), [1, () => 1]]) {
    assertEquals(issuesOf(validateJson, v).length, 1, String(v));
  }
});

// ---- descriptors ----

Deno.test("DrawingService validateArgs() checks arity, then each argument", () => {
  const m = DrawingService.methods;
  assertEquals(brief(m.list.validateArgs, []), []);
  assertEquals(brief(m.list.validateArgs, ["c"]), []);
  assertEquals(brief(m.list.validateArgs, [undefined, 5]), []);
  assertEquals(brief(m.list.validateArgs, ["c", 5, 6]), [[
    "value",
    "0 to 2 arguments",
    "3 arguments",
  ]]);
  assertEquals(brief(m.trace.validateArgs, [{ x: 0, y: 0 }]), [
    ["value", "2 to 3 arguments", "1 argument"],
  ]);
  assertEquals(
    brief(m.area.validateArgs, [{ kind: "circle", center: { x: 0, y: 0 } }]),
    [
      ["value[0].radius", "number", "undefined"],
    ],
  );
  assertEquals(brief(m.ping.validateArgs, {}), [[
    "value",
    "0 arguments",
    "object",
  ]]);
  assertEquals(brief(m.ping.validateResult, "pong"), []);
  assertEquals(
    brief(m.configure.validateResult, 42),
    [],
    "void results accept anything",
  );
  const e = assertThrows(
    () =>
      assertValid(m.area.validateArgs, [1], "Drawing.area arguments", "args"),
    ValidationError,
    "Invalid Drawing.area arguments: args[0]: expected Shape, got number 1",
  );
  assertEquals(e.issues.length, 1);
});

Deno.test("DrawingService carries names, kinds, codec and docs in source order", () => {
  assertEquals(DrawingService.name, "geo.Draw");
  assertEquals(DrawingService.codec, "superjson");
  assertEquals(DrawingService.source, "tests/codegen/fixtures/services.api.ts");
  assertEquals(Object.keys(DrawingService.methods), [
    "area",
    "list",
    "trace",
    "configure",
    "ping",
    "walk",
  ]);
  const { area, list, trace } = DrawingService.methods;
  assertEquals([area.kind, area.idempotent, area.doc], [
    "unary",
    true,
    "Area of a shape.",
  ]);
  assertEquals([list.params, list.requiredParams, list.idempotent], [
    ["cursor", "limit"],
    0,
    false,
  ]);
  assertEquals([trace.kind, trace.requiredParams], ["stream", 2]);
  assertEquals(list.argsSchema.maxItems, 2);
});

Deno.test("DrawingClient forwards positional args and options to the untyped client", async () => {
  const calls: unknown[][] = [];
  const client = new DrawingClient({
    call: (service, method, args, options) => {
      calls.push([service.name, method.name, args, options]);
      return Promise.resolve({ items: [] });
    },
    stream: async function* (service, method, args) {
      calls.push([service.name, method.name, args]);
      yield { x: 1, y: 2 };
    },
  });
  const signal = new AbortController().signal;
  await client.list(undefined, 10, { signal });
  const points = [];
  for await (const p of client.trace({ x: 0, y: 0 }, { x: 1, y: 1 })) {
    points.push(p);
  }
  assertEquals(calls, [
    ["geo.Draw", "list", [undefined, 10], { signal }],
    ["geo.Draw", "trace", [{ x: 0, y: 0 }, { x: 1, y: 1 }, undefined]],
  ]);
  assertEquals(points, [{ x: 1, y: 2 }]);
});

Deno.test("serveDrawing() registers the descriptor with the handlers", () => {
  const registered: unknown[] = [];
  const impl = {
    area: () => 1,
    list: () => ({ items: [] }),
    trace: async function* () {},
    configure: () => {},
    ping: () => "pong" as const,
    walk: async function* () {},
  };
  serveDrawing({ register: (s, i) => registered.push(s, i) }, impl);
  assertEquals(registered, [DrawingService, impl]);
});

Deno.test("topic and params descriptors validate messages and keys", () => {
  assertEquals(TemperatureTopic.name, "sensors/temperature");
  assertEquals(
    brief(TemperatureTopic.validate, {
      celsius: 1,
      sensor: "s",
      at: new Date(),
    }),
    [],
  );
  assertEquals(PoseTopic.codec, "superjson");
  assertEquals(brief(PoseTopic.validate, [1, 2]), []);
  assertEquals(brief(PoseTopic.validate, [1, 2, 3, 4]), [[
    "value",
    "Pose",
    "array(4)",
  ]]);
  assertEquals(RobotParams.namespace, "robot");
  assertEquals(Object.keys(RobotParams.keys), [
    "maxSpeed",
    "name",
    "home",
    "mode",
    "waypoints",
  ]);
  assertEquals(RobotParams.keys.home.optional, true);
  assertEquals(RobotParams.keys.maxSpeed.doc, "Top speed, m/s.");
  assertEquals(brief(RobotParams.keys.mode.validate, "auto", "robot.mode"), []);
  assertEquals(
    brief(RobotParams.keys.waypoints.validate, [{ x: 1 }], "robot.waypoints"),
    [
      ["robot.waypoints[0].y", "number", "undefined"],
    ],
  );
});
