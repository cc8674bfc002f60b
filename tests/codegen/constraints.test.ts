/**
 * Constraints from JSDoc tags (`fixtures/constraints.api.ts`): written into
 * the JSON Schema, checked by the compiled schema on both ends of a call
 * (`INVALID_ARGUMENT` naming the path and the rule), agreed on by ajv,
 * `@default` filled in for unset params, and misplaced tags refused by
 * codegen with a located error.
 *
 * @module
 */

import fc from "fast-check";
import Ajv2020 from "ajv/dist/2020.js";
import {
  compileSchema,
  type JsonSchema,
  paramsGroup,
  type ParamStore,
  RpcClient,
  RpcError,
  RpcServer,
  withDefs,
} from "../../mod.ts";
import { parseDefinitions } from "../../codegen/mod.ts";
import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { tempProject } from "./_helpers.ts";
import {
  serveShop,
  ShopClient,
  ShopService,
  ShopSettingsParams,
} from "./fixtures/constraints.api.gen.ts";
import type { Order } from "./fixtures/constraints.api.ts";
import schema from "./fixtures/constraints.api.schema.json" with {
  type: "json",
};

const order = (): Order => ({
  priceCents: 250,
  name: "tea",
  currency: "EUR",
  email: "ada@example.org",
  site: "https://example.org/shop",
  id: "123e4567-e89b-12d3-a456-426614174000",
  when: "2026-01-02T03:04:05Z",
  tags: ["hot", "green"],
  ratio: 0.5,
  tip: 100,
});

const orderSchema = withDefs(schema, { $ref: "#/$defs/Order" });
const compiled = compileSchema(orderSchema);

/** Each constraint broken once: the change, the path and the rule's words. */
const BROKEN: [Partial<Order>, string, string][] = [
  [{ priceCents: -1 }, "o.priceCents", "must be >= 0, got -1"],
  [{ priceCents: 1.5 }, "o.priceCents", "expected integer, got number 1.5"],
  [{ name: "" }, "o.name", "must have at least 1 character, got 0 characters"],
  [
    { name: "x".repeat(41) },
    "o.name",
    "must have at most 40 characters, got 41 characters",
  ],
  [
    { currency: "eur" },
    "o.currency",
    'must match /^[A-Z]{3}$/, got string "eur"',
  ],
  [{ email: "ada" }, "o.email", 'must be an email address, got string "ada"'],
  [{ site: "not a uri" }, "o.site", 'must be a URI, got string "not a uri"'],
  [{ id: "123" }, "o.id", 'must be a UUID, got string "123"'],
  [
    { when: "yesterday" },
    "o.when",
    'must be a date-time, got string "yesterday"',
  ],
  [{ tags: [] }, "o.tags", "must have at least 1 item, got 0 items"],
  [
    { tags: ["a", "b", "c", "d"] },
    "o.tags",
    "must have at most 3 items, got 4 items",
  ],
  [
    { tags: ["a", "a"] },
    "o.tags",
    "must have unique items, got a repeat at [1]",
  ],
  [{ ratio: 0 }, "o.ratio", "must be > 0, got 0"],
  [{ ratio: 1 }, "o.ratio", "must be < 1, got 1"],
  [{ tip: -5 }, "o.tip", "must be >= 0, got -5"],
  [{ tip: 100001 }, "o.tip", "must be <= 100000, got 100001"],
];

const text = (
  i: { path: string; expected: string; received: string; rule?: string },
) =>
  i.rule === undefined
    ? `${i.path}: expected ${i.expected}, got ${i.received}`
    : `${i.path}: ${i.expected}, got ${i.received}`;

Deno.test("constraints.api.ts: the JSON Schema carries each JSDoc constraint", () => {
  const defs = schema.$defs;
  assertEquals(defs.Cents, {
    title: "Cents",
    description: "Money in cents: never negative.",
    type: "integer",
    minimum: 0,
  });
  assertEquals(defs.Order.properties.tip, {
    $ref: "#/$defs/Cents",
    maximum: 100000,
  });
  assertEquals(
    schema.services.Shop.methods.buy.args.prefixItems[1],
    { title: "quantity", type: "integer", minimum: 1, maximum: 10 },
  );
  assertEquals(defs.ShopSettings.properties.retries.default, 3);
});

Deno.test("compileSchema() reports each broken constraint by path and rule", () => {
  assertEquals(compiled.issues(order(), "o"), []);
  assert(compiled.is(order()));
  for (const [change, path, words] of BROKEN) {
    const value = { ...order(), ...change };
    assert(!compiled.is(value), `accepted ${JSON.stringify(change)}`);
    assertEquals(compiled.issues(value, "o").map(text), [`${path}: ${words}`]);
  }
});

Deno.test("ajv agrees with the compiled schema on constrained values (property)", () => {
  const ajv = new (Ajv2020 as unknown as new (
    options: Record<string, unknown>,
  ) => { compile(schema: JsonSchema): (value: unknown) => boolean })({
    strict: false,
    validateFormats: false,
    // ajv's integer check lets ±Infinity through unless told not to;
    // Number.isInteger (zmp's) refuses them.
    strictNumbers: true,
  });
  // ajv does not check formats here: compare on the other keywords.
  const defs = schema.$defs;
  const { email: _e, site: _s, id: _i, when: _w, ...rest } =
    defs.Order.properties;
  const noFormats = withDefs({
    $defs: {
      ...defs,
      Order: { ...defs.Order, properties: rest, required: [] },
    },
  }, { $ref: "#/$defs/Order" });
  const check = ajv.compile(noFormats);
  const mine = compileSchema(noFormats);
  const arbitrary = fc.record({
    priceCents: fc.oneof(fc.integer({ min: -3, max: 3 }), fc.double()),
    name: fc.string({ maxLength: 45 }),
    currency: fc.constantFrom("EUR", "eur", "EU", "EURO", "USD"),
    tags: fc.array(fc.constantFrom("a", "b", "c", "d"), { maxLength: 5 }),
    ratio: fc.double({ min: -1, max: 2, noNaN: true }),
    tip: fc.integer({ min: -10, max: 100010 }),
  }, { noNullPrototype: true, requiredKeys: [] });
  fc.assert(
    fc.property(arbitrary, (value) => {
      assertEquals(mine.is(value), check(value));
    }),
  );
});

Deno.test("Shop.buy: a broken constraint is INVALID_ARGUMENT naming the path and the rule", async () => {
  await using server = new RpcServer({
    logger: { warn: () => {}, error: () => {} },
  });
  let sign = 1;
  serveShop(server, {
    buy: (o, quantity) => sign * o.priceCents * quantity,
  });
  await using rpc = new RpcClient({
    endpoints: [server.bind("tcp://127.0.0.1:*")],
  });
  const shop = new ShopClient(rpc);
  assertEquals(await shop.buy(order(), 2), 500);
  const e = await assertRejects(
    () => shop.buy({ ...order(), priceCents: -1 }, 2),
    RpcError,
    "args[0].priceCents: must be >= 0, got -1",
  );
  assertEquals(e.code, "INVALID_ARGUMENT");
  const q = await assertRejects(
    () => shop.buy(order(), 11),
    RpcError,
    "args[1]: must be <= 10, got 11",
  );
  assertEquals(q.code, "INVALID_ARGUMENT");
  // The server checks its own results too: a negative total is INTERNAL.
  sign = -1;
  const r = await assertRejects(() => shop.buy(order(), 1), RpcError);
  assertEquals(r.code, "INTERNAL");
  assert(ShopService.hash && /^[0-9a-f]{16}$/.test(ShopService.hash));
});

/** A param store in memory: enough for a params group. */
function memoryStore(): ParamStore {
  const data = new Map<string, unknown>();
  return {
    get: (key: string) => Promise.resolve(data.get(key)),
    set: (key: string, value: unknown) => {
      data.set(key, value);
      return Promise.resolve();
    },
    delete: (key: string) => Promise.resolve(data.delete(key)),
    list: (prefix = "") =>
      Promise.resolve(
        Object.fromEntries([...data].filter(([k]) => k.startsWith(prefix))),
      ),
  } as unknown as ParamStore;
}

Deno.test("ParamsGroup.get() and getAll() fill in @default for unset keys", async () => {
  const settings = paramsGroup(memoryStore(), ShopSettingsParams);
  assertEquals(ShopSettingsParams.keys.retries.default, 3);
  assertEquals(await settings.get("retries"), 3);
  assertEquals(await settings.get("currency"), "EUR");
  assertEquals(await settings.get("hours"), undefined);
  assertEquals(await settings.getAll(), { retries: 3, currency: "EUR" });
  await settings.set("retries", 5);
  assertEquals(await settings.get("retries"), 5);
  assertEquals(await settings.getAll(), { retries: 5, currency: "EUR" });
  await assertRejects(
    () => settings.set("currency", "euro"),
    Error,
    "shop.currency: must match /^[A-Z]{3}$/",
  );
});

Deno.test("codegen refuses misplaced or malformed constraint tags, located", async () => {
  const source = [
    "export interface M {",
    "  /** @minimum 0 */",
    "  name: string;",
    "  /** @pattern ([ */",
    "  code: string;",
    "  /** @format phone */",
    "  phone: string;",
    '  /** @default "x" */',
    "  count?: number;",
    "  /** @minItems -1 */",
    "  list: string[];",
    "}",
    "",
  ].join("\n");
  await using p = await tempProject({ "m.api.ts": source });
  const [parsed] = parseDefinitions([`${p.root}/m.api.ts`], p.root);
  const found = parsed.errors.map((e) => [e.line, e.problem]);
  assertEquals(found, [
    [2, "@minimum applies to numbers, not to this type"],
    [4, '@pattern "([" is not valid'],
    [6, '@format "phone" is not valid'],
    [8, '@default "x" does not fit the type it annotates'],
    [10, '@minItems "-1" is not valid'],
  ]);
});
