/**
 * The small shared helpers: one environment reader, one isPlainObject, one
 * sleep, one JSONC parser, one list of run modes.
 */

import { assertEquals, assertRejects, assertThrows } from "../_assert.ts";
import { readEnv } from "../../src/_util/env.ts";
import { isPlainObject } from "../../src/_util/object.ts";
import { sleep } from "../../src/_util/sleep.ts";
import { parseJsonc } from "../../src/_util/jsonc.ts";
import { RUN_MODES } from "../../src/registry/types.ts";

Deno.test("readEnv() reads a variable; empty and missing read as undefined", () => {
  Deno.env.set("ZMP_TEST_READ_ENV", "x");
  try {
    assertEquals(readEnv("ZMP_TEST_READ_ENV"), "x");
    Deno.env.set("ZMP_TEST_READ_ENV", "");
    assertEquals(readEnv("ZMP_TEST_READ_ENV"), undefined);
    Deno.env.delete("ZMP_TEST_READ_ENV");
    assertEquals(readEnv("ZMP_TEST_READ_ENV"), undefined);
  } finally {
    Deno.env.delete("ZMP_TEST_READ_ENV");
  }
});

Deno.test("readEnv() reads as undefined what --allow-env does not grant", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zmp-env-" });
  try {
    const file = `${dir}/read.ts`;
    await Deno.writeTextFile(
      file,
      `import { readEnv } from "${
        new URL("../../src/_util/env.ts", import.meta.url).href
      }";\nconsole.log(String(readEnv("HOME")));\n`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-prompt", "--allow-read", file],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(new TextDecoder().decode(out.stdout), "undefined\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("isPlainObject() accepts {} and null-prototype objects only", () => {
  assertEquals(isPlainObject({}), true);
  assertEquals(isPlainObject(Object.create(null)), true);
  assertEquals(isPlainObject({ a: 1 }), true);
  for (
    const v of [null, undefined, [], new Date(), new Map(), "x", 1, () => {}]
  ) {
    assertEquals(isPlainObject(v), false, String(v));
  }
  class Point {}
  assertEquals(isPlainObject(new Point()), false);
});

Deno.test("sleep() resolves after the time, and rejects with the signal's reason on abort", async () => {
  const start = performance.now();
  await sleep(20);
  assertEquals(performance.now() - start >= 15, true);
  const controller = new AbortController();
  const waiting = sleep(60_000, controller.signal);
  controller.abort();
  const e = await assertRejects(() => waiting, DOMException);
  assertEquals(e.name, "AbortError");
  const reason = new Error("why");
  await assertRejects(() => sleep(10, AbortSignal.abort(reason)), Error, "why");
});

Deno.test("parseJsonc() reads comments and trailing commas, and leaves strings alone", () => {
  assertEquals(
    parseJsonc(
      '{ "a": "x,]", "b": "// not a comment", // c\n "c": [1, 2,], /* d */ }',
      "deno.jsonc",
    ),
    { a: "x,]", b: "// not a comment", c: [1, 2] },
  );
  assertThrows(
    () => parseJsonc('{ "a": }', "deno.json"),
    SyntaxError,
    "Cannot read deno.json: ValueExpected at line 1, column 8",
  );
});

Deno.test("RUN_MODES lists the three run modes once", () => {
  assertEquals([...RUN_MODES], ["subprocess", "worker", "inprocess"]);
});
