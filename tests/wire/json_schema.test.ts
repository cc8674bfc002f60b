import fc from "fast-check";
import { assert, assertEquals, assertThrows } from "../_assert.ts";
import {
  compileSchema,
  fromJson,
  type JsonSchema,
  parseJson,
  schemaToTypeText,
  stringifyJson,
  validatorFromSchema,
} from "../../src/wire/json_schema.ts";
import type { ValidationIssue, Validator } from "../../src/wire/descriptors.ts";
import typesDocument from "../codegen/fixtures/types.api.schema.json" with {
  type: "json",
};
import { DrawingService } from "../codegen/fixtures/services.api.gen.ts";
import { CalculatorService } from "../../examples/calculator/calculator.api.gen.ts";
import {
  FilteredReadingTopic,
  FilterParamsParams,
  RawReadingTopic,
} from "../../examples/sensors/sensors.api.gen.ts";

// ---- Helpers ----

const defs = typesDocument.$defs as JsonSchema;

/** The schema of a named type of the types fixture, with its `$defs`. */
function named(name: string): JsonSchema {
  return { $ref: `#/$defs/${name}`, $defs: defs };
}

function issuesOf(validate: Validator, value: unknown, path = "value") {
  const issues: ValidationIssue[] = [];
  validate(value, path, issues);
  return issues;
}

function check(schema: JsonSchema, value: unknown, path = "value") {
  return issuesOf(validatorFromSchema(schema), value, path);
}

function issue(path: string, expected: string, received: string) {
  return { path, expected, received };
}

const calc = CalculatorService.methods;
const draw = DrawingService.methods;
const ADD_ARGS = calc.add.argsSchema;
const POINT_PAIRS: JsonSchema = {
  type: "array",
  items: {
    type: "array",
    prefixItems: [{ type: "number" }, { $ref: "#/$defs/Point" }],
    minItems: 2,
    maxItems: 2,
  },
  "x-type": "Map",
  $defs: defs,
};

// ---- fromJson(): conversions and issues, kind by kind ----

Deno.test("fromJson() takes JSON primitives and reports a wrong type in generated validators' words", () => {
  assertEquals(fromJson({ type: "number" }, 3), { value: 3, issues: [] });
  assertEquals(fromJson({ type: "string" }, "x"), { value: "x", issues: [] });
  assertEquals(fromJson({ type: "boolean" }, false).issues, []);
  assertEquals(fromJson({ type: "null" }, null).issues, []);
  assertEquals(fromJson({ type: "number" }, "x", "n").issues, [
    issue("n", "number", 'string "x"'),
  ]);
  assertEquals(fromJson({ type: "string" }, 1).issues, [
    issue("value", "string", "number 1"),
  ]);
  assertEquals(fromJson({ type: "boolean" }, "true").issues, [
    issue("value", "boolean", 'string "true"'),
  ]);
  assertEquals(fromJson({ type: "null" }, 0).issues, [
    issue("value", "null", "number 0"),
  ]);
});

Deno.test("fromJson() turns an integer, a digit string or a bigint into a bigint", () => {
  const big = { type: "integer", "x-type": "bigint" };
  assertEquals(fromJson(big, 42), { value: 42n, issues: [] });
  assertEquals(fromJson(big, "-123456789012345678901234567890"), {
    value: -123456789012345678901234567890n,
    issues: [],
  });
  assertEquals(fromJson(big, 2n ** 70n), { value: 2n ** 70n, issues: [] });
  assertEquals(fromJson(big, 1.5).issues, [
    issue("value", "bigint", "number 1.5"),
  ]);
  assertEquals(fromJson(big, "12a").issues, [
    issue("value", "bigint", 'string "12a"'),
  ]);
  assertEquals(check(big, 42), [issue("value", "bigint", "number 42")]);
  assertEquals(check(big, 42n), []);
});

Deno.test("fromJson() turns an ISO string into a Date and refuses other strings", () => {
  const date = { type: "string", format: "date-time", "x-type": "Date" };
  const { value, issues } = fromJson(date, "2024-05-06T07:08:09.010Z");
  assertEquals(issues, []);
  assert(value instanceof Date);
  assertEquals(value.toISOString(), "2024-05-06T07:08:09.010Z");
  assertEquals(
    (fromJson(date, "+275760-09-13T00:00:00.000Z").value as Date).getTime(),
    8.64e15,
  );
  assertEquals(
    (fromJson(date, "2024-05-06").value as Date).toISOString(),
    "2024-05-06T00:00:00.000Z",
  );
  assertEquals(fromJson(date, "yesterday").issues, [
    issue("value", "Date", 'string "yesterday"'),
  ]);
  assertEquals(fromJson(date, "2024-13-45T00:00:00Z").issues, [
    issue("value", "Date", 'string "2024-13-45T00:00:00Z"'),
  ]);
  assertEquals(fromJson(date, 0).issues, [issue("value", "Date", "number 0")]);
  assertEquals(check(date, "2024-05-06T07:08:09.010Z"), [
    issue("value", "Date", 'string "2024-05-06T07:08:09.…"'),
  ]);
  assertEquals(check(date, new Date(0)), []);
});

Deno.test("fromJson() turns base64 or base64url into a Uint8Array", () => {
  const bytes = {
    type: "string",
    contentEncoding: "base64",
    "x-type": "Uint8Array",
  };
  assertEquals(fromJson(bytes, "AQID"), {
    value: new Uint8Array([1, 2, 3]),
    issues: [],
  });
  assertEquals(fromJson(bytes, "+/8=").value, new Uint8Array([251, 255]));
  assertEquals(fromJson(bytes, "-_8").value, new Uint8Array([251, 255]));
  assertEquals(fromJson(bytes, "").value, new Uint8Array([]));
  assertEquals(fromJson(bytes, "not base64!").issues, [
    issue("value", "Uint8Array", 'string "not base64!"'),
  ]);
  assertEquals(fromJson(bytes, "AQIDB").issues, [
    issue("value", "Uint8Array", 'string "AQIDB"'),
  ]);
  assertEquals(fromJson(bytes, [1, 2]).issues, [
    issue("value", "Uint8Array", "array(2)"),
  ]);
  assertEquals(check(bytes, "AQID"), [
    issue("value", "Uint8Array", 'string "AQID"'),
  ]);
});

Deno.test("fromJson() turns [key, value] pairs or an object into a Map, reporting .keys[i] and .values[i]", () => {
  const { value, issues } = fromJson(POINT_PAIRS, [[1, { x: 1, y: 2 }]]);
  assertEquals(issues, []);
  assertEquals(value, new Map([[1, { x: 1, y: 2 }]]));
  const byName = {
    type: "array",
    items: {
      type: "array",
      prefixItems: [{ type: "string" }, { type: "number" }],
      minItems: 2,
      maxItems: 2,
    },
    "x-type": "Map",
  };
  assertEquals(
    fromJson(byName, { a: 1, b: 2 }).value,
    new Map([["a", 1], ["b", 2]]),
  );
  assertEquals(
    fromJson(POINT_PAIRS, [["1", { x: 1 }], [2], [3, { x: 0, y: 0 }]], "m")
      .issues,
    [
      issue("m.keys[0]", "number", 'string "1"'),
      issue("m.values[0].y", "number", "undefined"),
      issue("m[1]", "[number, Point]", "array(1)"),
    ],
  );
  assertEquals(fromJson(POINT_PAIRS, "x").issues, [
    issue("value", "Map", 'string "x"'),
  ]);
  assertEquals(check(POINT_PAIRS, [[1, { x: 1, y: 2 }]]), [
    issue("value", "Map", "array(1)"),
  ]);
  assertEquals(check(POINT_PAIRS, new Map([[1, { x: 1 }]])), [
    issue("value.values[0].y", "number", "undefined"),
  ]);
});

Deno.test("fromJson() turns an array into a Set, reporting .values[i]", () => {
  const tags = {
    type: "array",
    items: { type: "string" },
    uniqueItems: true,
    "x-type": "Set",
  };
  assertEquals(fromJson(tags, ["a", "b", "a"]), {
    value: new Set(["a", "b"]),
    issues: [],
  });
  assertEquals(fromJson(tags, ["a", 2]).issues, [
    issue("value.values[1]", "string", "number 2"),
  ]);
  assertEquals(fromJson(tags, {}).issues, [issue("value", "Set", "object")]);
  assertEquals(check(tags, ["a"]), [issue("value", "Set", "array(1)")]);
  assertEquals(check(tags, new Set([1])), [
    issue("value.values[0]", "string", "number 1"),
  ]);
});

Deno.test("fromJson() accepts only undefined for undefined, and anything for void", () => {
  const absent = { not: {}, "x-type": "undefined" };
  assertEquals(fromJson(absent, undefined), { value: undefined, issues: [] });
  assertEquals(fromJson(absent, null).issues, [
    issue("value", "undefined", "null"),
  ]);
  assertEquals(fromJson({}, { any: "thing" }).issues, []);
  assertEquals(check({}, undefined), []);
});

Deno.test("fromJson() reports const and enum mismatches as literal unions", () => {
  assertEquals(fromJson({ const: "red" }, "green").issues, [
    issue("value", '"red"', 'string "green"'),
  ]);
  assertEquals(fromJson({ const: 42 }, 41).issues, [
    issue("value", "42", "number 41"),
  ]);
  assertEquals(fromJson({ const: true }, true).issues, []);
  assertEquals(fromJson({ enum: ["on", "off", 3] }, "3").issues, [
    issue("value", '"on" | "off" | 3', 'string "3"'),
  ]);
  assertEquals(fromJson(named("Color"), "blue").issues, [
    issue("value", "Color", 'string "blue"'),
  ]);
});

Deno.test("fromJson() checks tuples: length against [a, b?], then each item", () => {
  const triple = (defs.Containers as { properties: JsonSchema }).properties
    .triple as JsonSchema;
  assertEquals(fromJson(triple, [1, 2]).issues, []);
  assertEquals(fromJson(triple, [1, 2, 3]).issues, []);
  assertEquals(fromJson(triple, [1]).issues, [
    issue("value", "[number, number, number?]", "array(1)"),
  ]);
  assertEquals(fromJson(triple, [1, "2", null]).issues, [
    issue("value[1]", "number", 'string "2"'),
  ]);
  assertEquals(fromJson(triple, [1, 2, null]).value, [1, 2, undefined]);
  assertEquals(check(triple, [1, 2, undefined]), []);
  assertEquals(check(triple, [1, 2, null]), [
    issue("value[2]", "number", "null"),
  ]);
});

Deno.test("fromJson() reports argument arrays by count: `expected 2 arguments, got 1 argument`", () => {
  assertEquals(fromJson(ADD_ARGS, [2, "x"], "args"), {
    value: [2, "x"],
    issues: [issue("args[1]", "number", 'string "x"')],
  });
  assertEquals(fromJson(ADD_ARGS, [2], "args").issues, [
    issue("args", "2 arguments", "1 argument"),
  ]);
  assertEquals(fromJson(calc.sum.argsSchema, [], "args").issues, [
    issue("args", "1 argument", "0 arguments"),
  ]);
  assertEquals(fromJson(draw.ping.argsSchema, [1], "args").issues, [
    issue("args", "0 arguments", "1 argument"),
  ]);
  assertEquals(fromJson(draw.list.argsSchema, [1, 2, 3], "args").issues, [
    issue("args", "0 to 2 arguments", "3 arguments"),
  ]);
  assertEquals(fromJson(draw.trace.argsSchema, {}, "args").issues, [
    issue("args", "2 to 3 arguments", "object"),
  ]);
  // `null` stands for an omitted optional argument (JSON has no undefined).
  assertEquals(fromJson(draw.list.argsSchema, [null, 5], "args"), {
    value: [undefined, 5],
    issues: [],
  });
  assertEquals(check(draw.list.argsSchema, [undefined, 5], "args"), []);
});

Deno.test("fromJson() checks objects: required properties, optional ones, extras, odd keys", () => {
  const containers = named("Containers");
  const value = {
    list: [],
    frozen: [],
    generic: [],
    pair: ["a", 1],
    triple: [1, 2],
    scores: { a: 1, b: "2" },
    corners: { min: { x: 0, y: 0 } },
    byId: [],
    tags: [],
    nested: [[1, "x"]],
    "quoted-key": 1,
    extra: { known: 1, more: 2, worse: "3" },
  };
  assertEquals(fromJson(containers, value).issues, [
    issue('value.scores["b"]', "number", 'string "2"'),
    issue("value.corners.max", "Point", "undefined"),
    issue("value.nested[0][1]", "number", 'string "x"'),
    issue('value["quoted-key"]', "string", "number 1"),
    issue('value.extra["worse"]', "number", 'string "3"'),
  ]);
  assertEquals(fromJson(named("Point"), [1, 2]).issues, [
    issue("value", "Point", "array(2)"),
  ]);
  assertEquals(fromJson(named("Point"), { x: 1 }).issues, [
    issue("value.y", "number", "undefined"),
  ]);
  assertEquals(fromJson(named("Point"), { x: 1, y: 2, z: "kept" }), {
    value: { x: 1, y: 2, z: "kept" },
    issues: [],
  });
  assertEquals(
    fromJson(named("Tree"), { id: "a", children: [] }).value,
    { id: "a", children: [] },
  );
  assertEquals(
    fromJson({ type: "object", properties: { a: { type: "number" } } }, 1)
      .issues,
    [issue("value", "object", "number 1")],
  );
});

Deno.test("fromJson() keeps a __proto__ key as an own property", () => {
  const scores = { type: "object", additionalProperties: { type: "number" } };
  const { value, issues } = fromJson(scores, JSON.parse('{"__proto__": 1}'));
  assertEquals(issues, []);
  assertEquals(Object.getPrototypeOf(value), Object.prototype);
  assertEquals(Object.getOwnPropertyDescriptor(value, "__proto__")?.value, 1);
  const withProperty = {
    type: "object",
    properties: { ["__proto__"]: { type: "string" } },
    required: ["__proto__"],
  };
  assertEquals(
    fromJson(withProperty, JSON.parse('{"__proto__": 2}')).issues,
    [issue("value.__proto__", "string", "number 2")],
  );
  assertEquals(fromJson(withProperty, {}).issues, [
    issue("value.__proto__", "string", "undefined"),
  ]);
});

Deno.test("fromJson() reports unions: one member of the value's kind in detail, else the union", () => {
  const choices = (defs.Choices as { properties: Record<string, JsonSchema> })
    .properties;
  // All members simple: one issue for the union.
  assertEquals(fromJson(choices.maybe, 1).issues, [
    issue("value", "string | null", "number 1"),
  ]);
  // One complex member, a value of another kind: one issue for the union.
  assertEquals(fromJson(choices.either, 1).issues, [
    issue("value", "string | number[]", "number 1"),
  ]);
  assertEquals(fromJson(choices.either, [1, "2"]).issues, [
    issue("value[1]", "number", 'string "2"'),
  ]);
  // Discriminated: by the tag, then the member it names.
  assertEquals(fromJson(named("Shape"), { kind: "square" }).issues, [
    issue("value.kind", '"circle" | "polygon"', 'string "square"'),
  ]);
  assertEquals(
    fromJson(named("Shape"), { kind: "circle", center: {} })
      .issues,
    [
      issue("value.center.x", "number", "undefined"),
      issue("value.center.y", "number", "undefined"),
      issue("value.radius", "number", "undefined"),
    ],
  );
  assertEquals(fromJson(named("Shape"), "circle").issues, [
    issue("value", "Shape", 'string "circle"'),
  ]);
  // Several complex members, no tag: one issue.
  assertEquals(fromJson(named("Located"), { lat: 1 }).issues, [
    issue("value", "Located", "object"),
  ]);
  const many = { ...choices.many, $defs: defs };
  assertEquals(fromJson(many, [{ x: 1, y: 2 }, 3]).issues, [
    issue("value[1]", "Point | Shape", "number 3"),
  ]);
  assertEquals(fromJson(named("Json"), { a: [1, { b: undefined }] }).issues, [
    issue("value", "Json", "object"),
  ]);
});

Deno.test("fromJson() converts with the first union member that takes the value", () => {
  const dateOrText = {
    anyOf: [{ type: "string", "x-type": "Date" }, { type: "string" }],
  };
  assert(fromJson(dateOrText, "2024-01-01T00:00:00Z").value instanceof Date);
  assertEquals(fromJson(dateOrText, "soon").value, "soon");
  const { value } = fromJson(calc.evaluate.resultSchema, {
    value: 1,
    steps: 2,
    computedAt: "1970-01-01T00:00:00.000Z",
  });
  assertEquals(value, { value: 1, steps: 2, computedAt: new Date(0) });
});

Deno.test("fromJson() labels a named type with its name, an alias of an alias with the last", () => {
  const schema = {
    $ref: "#/$defs/UserId",
    $defs: {
      UserId: { title: "UserId", $ref: "#/$defs/Id" },
      Id: { title: "Id", type: "string" },
    },
  };
  assertEquals(fromJson(schema, 1).issues, [issue("value", "Id", "number 1")]);
  assertEquals(fromJson(named("Tree"), { id: 1, children: [2] }).issues, [
    issue("value.id", "Id", "number 1"),
    issue("value.children[0]", "Tree", "number 2"),
  ]);
});

Deno.test("fromJson() throws TypeError on a schema it cannot use", () => {
  assertThrows(
    () => fromJson({ $ref: "#/$defs/Missing", $defs: {} }, 1),
    TypeError,
    'Cannot use schema: "$ref" "#/$defs/Missing" names no entry of "$defs"',
  );
  assertThrows(
    () => fromJson({ $ref: "other.json#/Point" }, 1),
    TypeError,
    'Cannot use schema: "$ref" "other.json#/Point" is not of the form "#/$defs/<name>"',
  );
  assertThrows(
    () => validatorFromSchema({ type: "decimal" }),
    TypeError,
    'Cannot use schema: type "decimal" is not supported',
  );
  assertThrows(
    () => fromJson({ type: "string", "x-type": "URL" }, ""),
    TypeError,
    'Cannot use schema: x-type "URL" is not supported',
  );
  const loop = {
    $ref: "#/$defs/A",
    $defs: {
      A: { anyOf: [{ type: "null" }, { $ref: "#/$defs/B" }] },
      B: { $ref: "#/$defs/A" },
    },
  };
  assertThrows(
    () => validatorFromSchema(loop),
    TypeError,
    'Cannot use schema: "$ref" "#/$defs/A" leads back to itself without a value in between',
  );
});

Deno.test("validatorFromSchema() follows recursion through values", () => {
  const validate = validatorFromSchema(named("Tree"));
  const deep = { id: "0", children: [{ id: "1", children: [] }] };
  assertEquals(issuesOf(validate, { ...deep, parent: deep }), []);
  assertEquals(
    issuesOf(validate, { id: "0", children: [{ id: "1", children: [{}] }] }),
    [
      issue("value.children[0].children[0].id", "Id", "undefined"),
      issue("value.children[0].children[0].children", "Tree[]", "undefined"),
    ],
  );
});

// ---- stringifyJson() and parseJson() ----

Deno.test("stringifyJson() writes bigints exactly, Dates as ISO, Maps, Sets and typed arrays", () => {
  const value = {
    big: 2n ** 64n + 1n,
    small: -3n,
    at: new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6)),
    byId: new Map<unknown, unknown>([[1, "a"], ["k", new Set([2n])]]),
    bytes: new Uint8Array([0, 255, 128]),
    floats: new Float64Array([1.5, -2]),
    ints: new Int32Array([7]),
    bigs: new BigInt64Array([-(2n ** 63n)]),
  };
  assertEquals(
    stringifyJson(value),
    '{"big":18446744073709551617,"small":-3,"at":"2024-01-02T03:04:05.006Z",' +
      '"byId":[[1,"a"],["k",[2]]],"bytes":"AP+A","floats":[1.5,-2],' +
      '"ints":[7],"bigs":[-9223372036854775808]}',
  );
});

Deno.test("stringifyJson() drops undefined properties and writes null for undefined items, NaN, Infinity", () => {
  assertEquals(
    stringifyJson({ a: undefined, b: [undefined, NaN, -Infinity], c: 1 }),
    '{"b":[null,null,null],"c":1}',
  );
  assertEquals(stringifyJson(undefined), "null");
  assertEquals(
    stringifyJson([1n, { a: 2n }], 2),
    '[\n  1,\n  {\n    "a": 2\n  }\n]',
  );
});

Deno.test("stringifyJson() throws TypeError on a cycle", () => {
  const a: Record<string, unknown> = {};
  a.self = a;
  assertThrows(() => stringifyJson(a), TypeError, "circular");
});

Deno.test("parseJson() keeps integers beyond 2^53 exact as bigints", () => {
  assertEquals(
    parseJson('{"a": 9007199254740993, "b": -18446744073709551617, "c": 12}'),
    { a: 9007199254740993n, b: -18446744073709551617n, c: 12 },
  );
  assertEquals(parseJson("[9007199254740991, 1e300, 2.5]"), [
    9007199254740991,
    1e300,
    2.5,
  ]);
  assertEquals(parseJson(stringifyJson(2n ** 100n)), 2n ** 100n);
  const parsed = parseJson('{"__proto__": 1}');
  assertEquals(Object.getPrototypeOf(parsed), Object.prototype);
});

Deno.test("parseJson() throws SyntaxError saying where the JSON is bad", () => {
  const error = assertThrows(() => parseJson('{"a": }'), SyntaxError);
  assertEquals(
    error.message,
    `Cannot parse JSON: Unexpected token '}', "{"a": }" is not valid JSON`,
  );
  assert(error.cause instanceof SyntaxError);
  assertEquals(
    assertThrows(() => parseJson(""), SyntaxError).message,
    "Cannot parse JSON: Unexpected end of JSON input",
  );
});

Deno.test("fromJson() turns integers parseJson kept as bigints back into numbers for number schemas", () => {
  assertEquals(
    fromJson({ type: "number" }, parseJson("18446744073709551616")),
    {
      value: 2 ** 64,
      issues: [],
    },
  );
  const big = { type: "integer", "x-type": "bigint" };
  assertEquals(
    fromJson(big, parseJson("18446744073709551617")).value,
    2n ** 64n + 1n,
  );
});

// ---- schemaToTypeText() ----

Deno.test("schemaToTypeText() renders schemas as short TypeScript types", () => {
  const choices = (defs.Choices as { properties: Record<string, JsonSchema> })
    .properties;
  const containers = (defs.Containers as {
    properties: Record<string, JsonSchema>;
  }).properties;
  const cases: [JsonSchema, string][] = [
    [{ type: "number" }, "number"],
    [{ type: "array", items: { type: "string" } }, "string[]"],
    [{ type: "string", format: "date-time", "x-type": "Date" }, "Date"],
    [{ type: "integer", "x-type": "bigint" }, "bigint"],
    [{ enum: ["on", "off"] }, '"on" | "off"'],
    [{ const: 42 }, "42"],
    [{ $ref: "#/$defs/Expression" }, "Expression"],
    [{}, "void"],
    [choices.maybe, "string | null"],
    [choices.many, "(Point | Shape)[]"],
    [containers.byId, "Map<number, Point>"],
    [containers.tags, "Set<string>"],
    [containers.triple, "[number, number, number?]"],
    [containers.scores, "{ [key: string]: number }"],
    [containers.extra, "{ known: number; [key: string]: number }"],
    [defs.Tree as JsonSchema, "{ id: Id; children: Tree[]; parent?: Tree }"],
    [ADD_ARGS, "[a: number, b: number]"],
    [draw.list.argsSchema, "[cursor?: string, limit?: number]"],
    [{
      type: "object",
      properties: { a: { type: "number" }, b: { type: "string" } },
      required: ["a"],
    }, "{ a: number; b?: string }"],
  ];
  for (const [schema, text] of cases) {
    assertEquals(schemaToTypeText(schema), text);
  }
});

Deno.test("schemaToTypeText() shortens nested objects and cuts long ones", () => {
  const wide = {
    type: "object",
    properties: Object.fromEntries(
      "abcdefghijklmnop".split("").map((k) => [k, { type: "string" }]),
    ),
    required: "abcdefghijklmnop".split(""),
  };
  assertEquals(
    schemaToTypeText(wide),
    "{ a: string; b: string; c: string; d: string; e: string; f: string; … }",
  );
  assertEquals(
    schemaToTypeText({ type: "array", items: wide }),
    "{ … }[]",
  );
  assertEquals(
    schemaToTypeText({
      type: "object",
      properties: {
        p: {
          type: "object",
          properties: { x: { type: "number" } },
          required: ["x"],
        },
      },
      required: ["p"],
    }),
    "{ p: { x: number } }",
  );
});

// ---- Differential: schema validators against generated validators ----

/** `fc.record()` of plain objects (as JSON.parse makes them). */
function record<T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }) {
  return fc.record(model, { noNullPrototype: true });
}

/** A finite number that survives JSON (no NaN, no infinities, no -0). */
const num = fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) =>
  Object.is(d, -0) ? 0 : d
);
const key = fc.oneof(fc.string(), fc.constantFrom("__proto__", "known", "x"));
const date = fc.date({ noInvalidDate: true });
const point = record({ x: num, y: num });
const shape = fc.oneof(
  record({ kind: fc.constant("circle"), center: point, radius: num }),
  record({
    kind: fc.constant("polygon"),
    points: fc.array(point, { maxLength: 3 }),
  }),
);
const json: fc.Memo<unknown> = fc.memo((n) => {
  const leaf = fc.oneof(fc.string(), num, fc.boolean(), fc.constant(null));
  return n <= 1 ? leaf : fc.oneof(
    leaf,
    fc.array(json(n - 1), { maxLength: 3 }),
    fc.dictionary(key, json(n - 1), { maxKeys: 3, noNullPrototype: true }),
  );
});
const tree: fc.Memo<unknown> = fc.memo((n): fc.Arbitrary<unknown> =>
  n <= 1 ? record({ id: fc.string(), children: fc.constant([]) }) : fc.record({
    id: fc.string(),
    children: fc.array(tree(n - 1), { maxLength: 2 }),
    parent: tree(n - 1),
  }, { noNullPrototype: true, requiredKeys: ["id", "children"] })
);
const expression: fc.Memo<unknown> = fc.memo((n) => {
  const leaf = record({ op: fc.constant("num"), value: num });
  return n <= 1 ? leaf : fc.oneof(
    leaf,
    record({
      op: fc.constantFrom("add", "mul"),
      args: fc.array(expression(n - 1), { maxLength: 3 }),
    }),
    record({ op: fc.constant("neg"), arg: expression(n - 1) }),
  );
});

const scalars = record({
  text: fc.string(),
  count: num,
  flag: fc.boolean(),
  big: fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }),
  nothing: fc.constant(null),
  word: fc.constant("hello"),
  answer: fc.constant(42),
  negative: fc.constant(-1),
  yes: fc.constant(true),
  when: date,
  bytes: fc.uint8Array({ maxLength: 8 }),
});
const containers = record({
  list: fc.array(fc.string(), { maxLength: 3 }),
  frozen: fc.array(num, { maxLength: 3 }),
  generic: fc.array(fc.boolean(), { maxLength: 3 }),
  pair: fc.tuple(fc.string(), num),
  triple: fc.oneof(fc.tuple(num, num), fc.tuple(num, num, num)),
  scores: fc.dictionary(key, num, { maxKeys: 3, noNullPrototype: true }),
  corners: record({ min: point, max: point }),
  byId: fc.array(fc.tuple(num, point), { maxLength: 3 }).map((e) => new Map(e)),
  tags: fc.array(fc.string(), { maxLength: 3 }).map((e) => new Set(e)),
  nested: fc.array(fc.array(num, { maxLength: 2 }), { maxLength: 2 }),
  "quoted-key": fc.string(),
  extra: fc.tuple(
    num,
    fc.dictionary(key, num, { maxKeys: 3, noNullPrototype: true }),
  ).map(([known, rest]) => ({ ...rest, known })),
});
const choices = fc.record({
  color: fc.constantFrom("red", "green"),
  level: fc.constantFrom(0, 10),
  red: fc.constant("red"),
  mode: fc.constantFrom("on", "off", 3),
  maybe: fc.option(fc.string(), { nil: null }),
  either: fc.oneof(fc.string(), fc.array(num, { maxLength: 3 })),
  shape,
  many: fc.array(fc.oneof(point, shape), { maxLength: 3 }),
  optionalUnion: num,
}, {
  noNullPrototype: true,
  requiredKeys: ["color", "red", "mode", "maybe", "either", "shape", "many"],
});

interface Case {
  name: string;
  schema: JsonSchema;
  validate: Validator;
  valid: fc.Arbitrary<unknown>;
}

function typesCase(name: string, valid: fc.Arbitrary<unknown>): Case {
  const schema = named(name);
  const validate = validatorFromSchema(schema);
  return { name: `types ${name}`, schema, validate, valid };
}

/** `FilterParams.alpha`: in (0, 1]. */
const alpha = fc.double({ min: 0, max: 1, noNaN: true, minExcluded: true });

const calcEvaluation = fc.record({
  value: num,
  steps: num,
  computedAt: date,
  exact: num,
}, { noNullPrototype: true, requiredKeys: ["value", "steps", "computedAt"] });

const CASES: Case[] = [
  typesCase("Scalars", scalars),
  typesCase("Containers", containers),
  typesCase("Choices", choices),
  typesCase("Id", fc.string()),
  typesCase("Tree", tree(3)),
  typesCase("Json", json(3)),
  typesCase("Labeled", record({ x: num, y: num, label: fc.string() })),
  typesCase("Located", fc.oneof(point, record({ lat: num, lon: num }))),
  typesCase("Shape", shape),
  typesCase("Color", fc.constantFrom("red", "green")),
  typesCase("Level", fc.constantFrom(0, 10)),
  ...Object.values(calc).flatMap((m) => [{
    name: `Calculator.${m.name} args`,
    schema: m.argsSchema,
    validate: m.validateArgs,
    valid: m.name === "sum"
      ? fc.tuple(fc.array(num, { maxLength: 3 }))
      : m.name === "evaluate"
      ? fc.tuple(
        fc.record({ expression: expression(3), precision: num }, {
          noNullPrototype: true,
          requiredKeys: ["expression"],
        }),
      )
      : m.name === "countdown"
      ? fc.tuple(fc.nat())
      : fc.tuple(num, num),
  }, {
    name: `Calculator.${m.name} result`,
    schema: m.resultSchema,
    validate: m.validateResult,
    valid: m.name === "evaluate" ? calcEvaluation : num,
  }]),
  {
    name: "geo.Draw.list args",
    schema: draw.list.argsSchema,
    validate: draw.list.validateArgs,
    valid: fc.oneof(
      fc.constant([]),
      fc.tuple(fc.string()),
      fc.tuple(fc.option(fc.string(), { nil: undefined }), num),
    ),
  },
  {
    name: "geo.Draw.list result",
    schema: draw.list.resultSchema,
    validate: draw.list.validateResult,
    valid: fc.record({
      items: fc.array(shape, { maxLength: 2 }),
      next: fc.string(),
    }, { noNullPrototype: true, requiredKeys: ["items"] }),
  },
  {
    name: "geo.Draw.trace args",
    schema: draw.trace.argsSchema,
    validate: draw.trace.validateArgs,
    valid: fc.oneof(fc.tuple(point, point), fc.tuple(point, point, num)),
  },
  {
    name: "geo.Draw.configure args",
    schema: draw.configure.argsSchema,
    validate: draw.configure.validateArgs,
    valid: fc.tuple(json(3), fc.string()),
  },
  {
    name: "geo.Draw.ping",
    schema: draw.ping.resultSchema,
    validate: draw.ping.validateResult,
    valid: fc.constant("pong"),
  },
  {
    name: "sensors/raw message",
    schema: RawReadingTopic.schema,
    validate: RawReadingTopic.validate,
    valid: record({ sensor: fc.string(), seq: num, value: num, at: date }),
  },
  {
    name: "sensors/filtered message",
    schema: FilteredReadingTopic.schema,
    validate: FilteredReadingTopic.validate,
    valid: record({
      sensor: fc.string(),
      seq: num,
      raw: num,
      value: num,
      alpha: num,
      alarm: fc.boolean(),
    }),
  },
  {
    name: "filter params",
    schema: FilterParamsParams.schema,
    validate: FilterParamsParams.validate,
    valid: record({ alpha, threshold: num }),
  },
  ...Object.values(FilterParamsParams.keys).map((k) => ({
    name: `filter.${k.name} param`,
    schema: k.schema,
    validate: k.validate,
    valid: k.name === "alpha" ? alpha : num,
  })),
];

/** Values a mutation puts somewhere: wrong types, near misses, valid ones. */
const junk = fc.oneof(
  fc.constantFrom(
    undefined,
    null,
    "",
    "red",
    "circle",
    "polygon",
    "num",
    "neg",
    "on",
    "hello",
    "pong",
    0,
    3,
    10,
    42,
    -1,
    true,
    false,
    NaN,
  ),
  fc.string({ maxLength: 3 }),
  num,
  fc.bigInt({ min: -10n, max: 10n }),
  date,
  fc.uint8Array({ maxLength: 2 }),
  fc.array(num, { maxLength: 2 }),
  point,
  fc.constant(new Map([[1, { x: 1, y: 2 }]])),
  fc.constant(new Set(["a"])),
  fc.constant({}),
);

interface Mutation {
  /** Which slot (modulo their count; the last one is the root). */
  at: number;
  /** Delete the slot instead of replacing it. */
  remove: boolean;
  replacement: unknown;
}

const mutation: fc.Arbitrary<Mutation> = record({
  at: fc.nat(),
  remove: fc.boolean(),
  replacement: junk,
});

/** Every place in `value` a mutation may change: [container, key] pairs. */
function slots(value: unknown, out: [unknown, unknown][] = []) {
  if (value instanceof Map) {
    for (const [k, v] of value) {
      out.push([value, k]);
      slots(v, out);
    }
  } else if (value instanceof Set) {
    for (const v of value) out.push([value, v]);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => {
      out.push([value, i]);
      slots(v, out);
    });
  } else if (
    typeof value === "object" && value !== null &&
    !(value instanceof Date) && !(value instanceof Uint8Array)
  ) {
    for (const [k, v] of Object.entries(value)) {
      out.push([value, k]);
      slots(v, out);
    }
  }
  return out;
}

/** A copy of `value` with one slot replaced (or removed). */
function mutate(value: unknown, m: Mutation): unknown {
  const copy = structuredClone(value);
  const all = slots(copy);
  const index = m.at % (all.length + 1);
  if (index === all.length) return m.replacement;
  const [container, k] = all[index];
  if (container instanceof Map) {
    if (m.remove) container.delete(k);
    else container.set(k, m.replacement);
  } else if (container instanceof Set) {
    container.delete(k);
    if (!m.remove) container.add(m.replacement);
  } else if (Array.isArray(container)) {
    if (m.remove) container.splice(k as number, 1);
    else container[k as number] = m.replacement;
  } else {
    const target = container as Record<string, unknown>;
    if (m.remove) delete target[k as string];
    else Object.defineProperty(target, k as string, { value: m.replacement });
  }
  return copy;
}

for (const c of CASES) {
  Deno.test(`compileSchema() fast check agrees with the issues it reports: ${c.name} (property)`, () => {
    const compiled = compileSchema(c.schema);
    fc.assert(
      fc.property(c.valid, mutation, (valid, m) => {
        assert(compiled.is(valid), "a valid value must pass the fast check");
        assertEquals(compiled.issues(valid), []);
        assertEquals(issuesOf(c.validate, valid), []);
        const changed = mutate(valid, m);
        const issues = compiled.issues(changed, "v");
        assertEquals(compiled.is(changed), issues.length === 0);
        assertEquals(issuesOf(c.validate, changed, "v"), issues);
        for (const i of issues) assert(i.path.startsWith("v"), i.path);
      }),
    );
  });

  Deno.test(`fromJson() reads back what stringifyJson() wrote: ${c.name} (property)`, () => {
    fc.assert(
      fc.property(c.valid, (valid) => {
        const back = fromJson(c.schema, parseJson(stringifyJson(valid)));
        assertEquals(back, { value: valid, issues: [] });
        assertEquals(fromJson(c.schema, valid), { value: valid, issues: [] });
      }),
    );
  });
}

Deno.test("schemaToTypeText() keeps generic names as the user wrote them (zmp list services)", () => {
  assertEquals(
    schemaToTypeText({
      type: "array",
      prefixItems: [{ title: "page", $ref: "#/$defs/Page%3CItem%3E" }],
      minItems: 1,
      maxItems: 1,
    }),
    "[page: Page<Item>]",
  );
  assertEquals(
    check(
      {
        $ref: "#/$defs/Page%3CItem%3E",
        $defs: { "Page<Item>": { type: "object" } },
      },
      1,
    ),
    [issue("value", "Page<Item>", "number 1")],
  );
});
