/**
 * What TypeScript says about data, end to end (`fixtures/typescript.api.ts`:
 * generics, utility types, intersections, indexed access, `keyof`,
 * `typeof`, template literals, tuples, a type from an npm package):
 *
 * - values that `tsc` accepts for each type (the type checker itself is
 *   the oracle: the samples are written out as TypeScript and checked
 *   with `deno check`) pass the compiled schema;
 * - the same values with one place replaced by something no schema
 *   takes fail, with an issue at that place (or the union above it);
 * - an independent JSON Schema implementation (ajv, draft 2020-12)
 *   agrees with the compiled schema on the same values, mutated or not.
 *
 * @module
 */

import fc from "fast-check";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import Ajv2020 from "ajv/dist/2020.js";
import { assert, assertEquals } from "../_assert.ts";
import {
  compileSchema,
  type JsonSchema,
  withDefs,
} from "../../src/wire/mod.ts";
import { FIXTURES, ROOT } from "./_helpers.ts";
import { ShopService } from "./fixtures/typescript.api.gen.ts";
import schema from "./fixtures/typescript.api.schema.json" with {
  type: "json",
};

// ---- Arbitraries: values TypeScript accepts ----

const num = fc.double({ noNaN: true, noDefaultInfinity: true });
const int = fc.integer({ min: -1000, max: 1000 });
const opts = { noNullPrototype: true } as const;
const money = fc.record(
  { amount: num, currency: fc.constantFrom("EUR", "USD") },
  opts,
);
const productId = fc.oneof(int, num).map((n) => `prod_${n}`);
const item = fc.record({
  id: productId,
  name: fc.string(),
  price: money,
  tags: fc.array(fc.string(), { maxLength: 2 }),
  note: fc.option(fc.string(), { nil: null }),
}, { ...opts, requiredKeys: ["id", "name", "price", "note"] });
const page = fc.record({
  items: fc.array(item, { maxLength: 2 }),
  next: fc.string(),
  total: int,
}, { ...opts, requiredKeys: ["items", "total"] });
const point = fc.record({ x: num, y: num }, opts);
const json: fc.Arbitrary<unknown> = fc.jsonValue({ maxDepth: 2 });

/** One arbitrary per property of `Catalog`. */
const CATALOG = {
  page,
  pairs: fc.array(fc.record({ first: fc.string(), second: num }, opts), {
    maxLength: 2,
  }),
  patch: fc.record({
    id: productId,
    name: fc.string(),
    price: money,
    tags: fc.array(fc.string(), { maxLength: 2 }),
    note: fc.option(fc.string(), { nil: null }),
  }, { ...opts, requiredKeys: [] }),
  full: fc.record({ tags: fc.array(fc.string(), { maxLength: 2 }) }, opts),
  frozen: point,
  summary: fc.record({ id: productId, name: fc.string() }, opts),
  rest: fc.record({
    id: productId,
    name: fc.string(),
    tags: fc.array(fc.string(), { maxLength: 2 }),
  }, { ...opts, requiredKeys: ["id", "name"] }),
  byStatus: fc.record({ draft: num, live: num, gone: num }, opts),
  present: fc.string(),
  open: fc.constantFrom("draft", "live"),
  closed: fc.constant("gone"),
  labelled: fc.record({ x: num, y: num, label: fc.string() }, opts),
  currency: fc.constantFrom("EUR", "USD"),
  kind: fc.constantFrom("book", "toy", "food"),
  field: fc.constantFrom("x", "y"),
  limits: fc.constant({ small: 1, large: 10 }),
  sku: fc.tuple(fc.constantFrom("a", "b"), fc.bigInt({ min: -99n, max: 99n }))
    .map(([l, n]) => `sku-${l}-${n}`),
  flagged: fc.constantFrom("true!", "false!"),
  fixed: fc.tuple(num, fc.string()),
  optionalTail: fc.oneof(fc.tuple(num), fc.tuple(num, fc.string())),
  restTuple: fc.tuple(fc.string(), fc.array(num, { maxLength: 3 }))
    .map(([s, rest]) => [s, ...rest]),
  json,
};
const catalog = fc.record(CATALOG, opts);

/** `Shop.list` arguments. */
const listArgs = fc.oneof(
  fc.tuple(page),
  fc.tuple(
    page,
    fc.record({
      name: fc.string(),
      tags: fc.array(fc.string(), { maxLength: 2 }),
    }, { ...opts, requiredKeys: [] }),
  ),
);

// ---- Helpers ----

/** A JS value as TypeScript source (what `deno check` reads). */
function source(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "number") {
    return Object.is(value, -0) ? "-0" : String(value);
  }
  if (value === undefined) return "undefined";
  if (value === null || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return `[${value.map(source).join(", ")}]`;
  const entries = Object.entries(value as Record<string, unknown>).map((
    [k, v],
  ) => `${JSON.stringify(k)}: ${source(v)}`);
  return `{ ${entries.join(", ")} }`;
}

const catalogSchema = withDefs(schema, { $ref: "#/$defs/Catalog" });
const compiled = compileSchema(catalogSchema);

/** No schema takes an instance of a class it has never heard of. */
class Stranger {}

/** Every place of a value: its path and how to replace what is there. */
function places(
  value: unknown,
  path = "v",
  out: { path: string; set: (x: unknown) => void }[] = [],
) {
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      out.push({ path: `${path}[${i}]`, set: (x) => (value[i] = x) });
      places(v, `${path}[${i}]`, out);
    });
  } else if (typeof value === "object" && value !== null) {
    const o = value as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      const p = /^[A-Za-z_$][\w$]*$/.test(k)
        ? `${path}.${k}`
        : `${path}[${JSON.stringify(k)}]`;
      out.push({ path: p, set: (x) => (o[k] = x) });
      places(o[k], p, out);
    }
  }
  return out;
}

// ---- Tests ----

Deno.test("typescript.api.ts: values tsc accepts pass the compiled schema", async () => {
  const catalogs = fc.sample(catalog, { numRuns: 40, seed: 11 });
  const args = fc.sample(listArgs, { numRuns: 20, seed: 11 });
  for (const c of catalogs) assertEquals(compiled.issues(c), []);
  const validateArgs = ShopService.methods.list.validateArgs;
  for (const a of args) {
    const issues: never[] = [];
    validateArgs(a, "args", issues);
    assertEquals(issues, []);
  }
  // The oracle: the type checker accepts every sample as its type.
  // Outside the fixtures folder, which other tests format-check.
  const dir = await Deno.makeTempDir({ prefix: "zmp_tsc_accepts_" });
  const file = join(dir, "samples.ts");
  const definitions = pathToFileURL(join(FIXTURES, "typescript.api.ts")).href;
  try {
    await Deno.writeTextFile(
      file,
      `import type { Catalog, Shop } from "${definitions}";\n` +
        catalogs.map((c, i) => `export const c${i}: Catalog = ${source(c)};\n`)
          .join("") +
        args.map((a, i) =>
          `export const a${i}: Parameters<Shop["list"]> = ${source(a)};\n`
        ).join(""),
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["check", "--config", join(ROOT, "deno.json"), file],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert(
      out.code === 0,
      `tsc refuses a sample:\n${new TextDecoder().decode(out.stderr)}`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("typescript.api.ts: a value with one place replaced fails, with an issue at that place (property)", () => {
  fc.assert(
    fc.property(catalog, fc.nat(), (valid, pick) => {
      const changed = structuredClone(valid);
      const all = places(changed);
      const place = all[pick % all.length];
      place.set(new Stranger());
      const issues = compiled.issues(changed, "v");
      assert(!compiled.is(changed), `accepted with ${place.path} replaced`);
      assert(
        issues.some((i) =>
          place.path === i.path || place.path.startsWith(`${i.path}.`) ||
          place.path.startsWith(`${i.path}[`)
        ),
        `no issue at ${place.path}: ${JSON.stringify(issues)}`,
      );
    }),
  );
});

const ajv = new (Ajv2020 as unknown as new (
  options: Record<string, unknown>,
) => { compile(schema: JsonSchema): (value: unknown) => boolean })({
  strict: false,
  validateFormats: false,
});

/** JSON values a mutation puts somewhere. */
const junk = fc.oneof(
  fc.constantFrom(null, "", "EUR", "gone", "prod_1", "sku-a-1", 0, 1, 10, true),
  fc.jsonValue({ maxDepth: 1 }),
);

Deno.test("typescript.api.ts: ajv agrees with the compiled schema on valid and mutated values (property)", () => {
  const check = ajv.compile(catalogSchema);
  fc.assert(
    fc.property(catalog, fc.nat(), junk, (valid, pick, x) => {
      const plain = JSON.parse(JSON.stringify(valid));
      assertEquals([check(plain), compiled.is(plain)], [true, true]);
      const all = places(plain);
      all[pick % all.length].set(x);
      const changed = JSON.parse(JSON.stringify(plain));
      assertEquals(check(changed), compiled.is(changed));
    }),
  );
});

Deno.test("typescript.api.ts: names stay as the user gave them, generics with their arguments", () => {
  const defs = Object.keys(schema.$defs);
  for (
    const name of ["Page<Item>", "Pair<string, number>", "Item", "JSONValue"]
  ) {
    assert(defs.includes(name), `${name} not in ${defs.join(", ")}`);
  }
  const issues = compiled.issues({ page: { items: [1], total: 1 } }, "c");
  assertEquals(issues[0], {
    path: "c.page.items[0]",
    expected: "Item",
    received: "number 1",
  });
});
