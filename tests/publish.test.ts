/**
 * `deno publish --dry-run` passes, offline (it needs no registry), and
 * the only dynamic imports it cannot analyze are the documented ones that
 * load user modules by absolute URL.
 */

import { assertEquals, assertStringIncludes } from "./_assert.ts";

const ROOT = new URL("../", import.meta.url).pathname;

/** The dynamic imports of user modules, by file: documented at each site. */
const USER_MODULE_IMPORTS = [
  // The launch file.
  "src/launch/load.ts",
  // The node module a runner starts, and the program's own main module.
  "src/node/_standalone.ts",
  "src/node/_standalone.ts",
  // The generated modules `zmp bridge rosbridge --api` names.
  "src/bridge/rosbridge/apis.ts",
];

Deno.test("deno publish --dry-run passes with only the documented dynamic imports", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["publish", "--dry-run", "--allow-dirty"],
    cwd: ROOT,
    env: { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stderr) +
    new TextDecoder().decode(out.stdout);
  assertEquals(out.code, 0, text);
  assertStringIncludes(text, "Dry run complete");
  assertEquals(/^error/m.test(text), false, text);
  const warnings = [
    ...text.matchAll(/warning\[([\w-]+)\][^\n]*\n\s*--> (\S+):\d+:\d+/g),
  ].map((m) => `${m[1]} ${m[2].replace(ROOT, "")}`);
  assertEquals(
    warnings.sort(),
    USER_MODULE_IMPORTS.map((f) => `unanalyzable-dynamic-import ${f}`).sort(),
  );
  for (
    const file of ["LICENSE", "mod.ts", "src/cli/main.ts", "codegen/mod.ts"]
  ) {
    assertStringIncludes(text, `${ROOT}${file}`);
  }
  for (const file of ["tests/", "bench/", "examples/"]) {
    assertEquals(text.includes(`${ROOT}${file}`), false, file);
  }
});

async function deno(args: string[]): Promise<{ code: number; text: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    env: { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return {
    code: out.code,
    text: dec.decode(out.stdout) + dec.decode(out.stderr),
  };
}

Deno.test("deno doc --lint mod.ts is clean", async () => {
  const { code, text } = await deno(["doc", "--lint", "mod.ts"]);
  assertEquals(code, 0, text);
});

Deno.test("every @example type-checks, and none is skipped with ts ignore", async () => {
  // Every file by name: `--doc` checks the examples of the files it is
  // given, not those of the modules they import. `deno test --doc` checks
  // each example as the body of an async function, as it would run it,
  // which `deno check --doc` does not: a `declare` there passes the one
  // and fails the other (TS1184).
  const entries = ["mod.ts"];
  for (const dir of ["src", "codegen"]) {
    for await (const file of walk(`${ROOT}${dir}`)) {
      entries.push(file.replace(ROOT, ""));
    }
  }
  const { code, text } = await deno([
    "test",
    "--doc",
    "--no-run",
    ...entries,
  ]);
  assertEquals(code, 0, text);
  const skipped: string[] = [];
  for (const dir of ["src", "codegen"]) {
    for await (const file of walk(`${ROOT}${dir}`)) {
      const source = await Deno.readTextFile(file);
      if (/```ts ignore/.test(source)) skipped.push(file.replace(ROOT, ""));
    }
  }
  assertEquals(skipped, []);
});

async function* walk(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) yield* walk(path);
    else if (entry.name.endsWith(".ts")) yield path;
  }
}
