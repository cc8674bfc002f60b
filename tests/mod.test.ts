/**
 * The root `mod.ts`: a curated list of names, enough for generated code,
 * and none of the internals.
 */

import { assert, assertEquals } from "./_assert.ts";
import { RUNTIME_NAMES } from "../codegen/_names.ts";

const MOD = await Deno.readTextFile(new URL("../mod.ts", import.meta.url));

/** The names `mod.ts` exports, types included, read from its source. */
function exportedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const block of text.matchAll(/export (?:type )?\{([^}]*)\}/g)) {
    for (const item of block[1].split(",")) {
      const name = item.trim().replace(/^type\s+/, "").split(/\s+as\s+/).at(-1);
      if (name) names.add(name);
    }
  }
  return names;
}

Deno.test("mod.ts exports by name: no export *", () => {
  assertEquals(/export\s+\*/.test(MOD), false);
  assertEquals(/export\s+type\s+\*/.test(MOD), false);
});

Deno.test("mod.ts exports every name generated code imports", () => {
  const names = exportedNames(MOD);
  const missing = RUNTIME_NAMES.filter((n) => !names.has(n));
  assertEquals(missing, []);
});

Deno.test("mod.ts leaves the internals out", async () => {
  const names = exportedNames(MOD);
  for (
    const internal of [
      "readU32",
      "encodeHeader",
      "libzmq",
      "Dealer",
      "Router",
      "launchMain",
      "registryMain",
      "subprocessMain",
      "LAUNCH_USAGE",
      "loadNodeModule",
    ]
  ) {
    assertEquals(names.has(internal), false, internal);
  }
  const root = await import("../mod.ts");
  for (const name of Object.keys(root)) assert(names.has(name), name);
});

Deno.test("deno.json offers the lower layers as sub-path exports", async () => {
  const config = JSON.parse(
    await Deno.readTextFile(new URL("../deno.json", import.meta.url)),
  );
  assertEquals(config.exports, {
    ".": "./mod.ts",
    "./zmq": "./src/zmq/mod.ts",
    "./wire": "./src/wire/mod.ts",
    "./codegen": "./codegen/mod.ts",
    "./bridge": "./src/bridge/mod.ts",
  });
  for (const path of Object.values(config.exports) as string[]) {
    await import(
      new URL(`.${path.slice(1)}`, new URL("../", import.meta.url)).href
    );
  }
});
