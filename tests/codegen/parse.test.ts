/**
 * The parse stage: the model of a definition file is plain, ordered data.
 *
 * @module
 */

import { parseDefinitions } from "../../codegen/mod.ts";
import { assertEquals } from "../_assert.ts";
import { FIXTURES, ROOT } from "./_helpers.ts";

Deno.test("parseDefinitions() keeps source order for methods and sorts named types", () => {
  const [parsed] = parseDefinitions([`${FIXTURES}/services.api.ts`], ROOT);
  assertEquals(parsed.errors, []);
  const { model } = parsed;
  assertEquals(model.source, "tests/codegen/fixtures/services.api.ts");
  assertEquals(model.services.map((s) => [s.typeName, s.wireName, s.codec]), [
    ["Drawing", "geo.Draw", "superjson"],
  ]);
  assertEquals(model.services[0].methods.map((m) => m.name), [
    "area",
    "list",
    "trace",
    "configure",
    "ping",
    "walk",
  ]);
  assertEquals(
    model.types.map((t) => [t.name, t.file]),
    [
      ["Id", "tests/codegen/fixtures/types.api.ts"],
      ["Json", "tests/codegen/fixtures/types.api.ts"],
      ["Page", "tests/codegen/fixtures/services.api.ts"],
      ["Point", "tests/codegen/fixtures/shared/geometry.ts"],
      ["Shape", "tests/codegen/fixtures/shared/geometry.ts"],
      ["Tree", "tests/codegen/fixtures/types.api.ts"],
    ],
  );
  const list = model.services[0].methods[1];
  assertEquals(list.params.map((p) => [p.name, p.type.kind, p.optional]), [
    ["cursor", "string", true],
    ["limit", "number", true],
  ]);
  assertEquals(model.services[0].methods[3].result, { kind: "void" });
});

Deno.test("parseDefinitions() keeps union members in source order, aliases named", () => {
  const [parsed] = parseDefinitions([`${FIXTURES}/types.api.ts`], ROOT);
  const byName = new Map(parsed.model.types.map((t) => [t.name, t.type]));
  const json = byName.get("Json");
  assertEquals(
    json?.kind === "union" && json.members.map((m) => m.kind),
    ["string", "number", "boolean", "null", "array", "object"],
  );
  const located = byName.get("Located");
  assertEquals(
    located?.kind === "union" && located.members[0],
    { kind: "ref", name: "Point" },
  );
});

Deno.test("parseDefinitions() model is JSON-serialisable", () => {
  const [parsed] = parseDefinitions([`${FIXTURES}/dataflow.api.ts`], ROOT);
  assertEquals(JSON.parse(JSON.stringify(parsed.model)), parsed.model);
  assertEquals(parsed.model.topics.map((t) => [t.topic, t.typeName, t.codec]), [
    ["sensors/temperature", "Temperature", "msgpack"],
    ["robot/pose", "Pose", "superjson"],
  ]);
  assertEquals(parsed.model.params[0].keys.map((k) => k.name), [
    "maxSpeed",
    "name",
    "home",
    "mode",
    "waypoints",
  ]);
});
