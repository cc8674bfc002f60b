/**
 * The `deno task codegen` command, in-process on temporary projects:
 * writing, `--check`, inputs and globs, configuration, `--watch`.
 *
 * @module
 */

import { runCli } from "../../codegen/mod.ts";
import {
  assert,
  assertEquals,
  assertStringIncludes,
  waitFor,
} from "../_assert.ts";
import { capture, ROOT, tempProject } from "./_helpers.ts";

const API = `/** @service */
export interface Echo {
  echo(text: string): Promise<string>;
}
`;

async function run(args: string[], cwd: string) {
  const out = capture();
  const err = capture();
  const code = await runCli(args, { cwd, log: out.print, error: err.print });
  return { code, out: out.text(), err: err.text() };
}

Deno.test("runCli() writes x.api.gen.ts and x.api.schema.json beside each definition", async () => {
  await using p = await tempProject({
    "src/echo.api.ts": API,
    "src/not_api.ts": API,
  });
  const r = await run([], p.root);
  assertEquals(r.code, 0, r.err);
  assertEquals(
    r.out,
    "wrote src/echo.api.gen.ts\nwrote src/echo.api.schema.json",
  );
  const gen = (await p.read("src/echo.api.gen.ts"))!;
  assertStringIncludes(gen, '} from "zmp";');
  assertStringIncludes(gen, 'import type { Echo } from "./echo.api.ts";');
  assertStringIncludes(gen, "export const EchoClient = clientClass(");
  assertStringIncludes(
    gen,
    'import schema from "./echo.api.schema.json" with { type: "json" };',
  );
  assertEquals(await p.read("src/not_api.gen.ts"), undefined);
  const again = await run([], p.root);
  assertEquals([again.code, again.out], [0, "2 generated file(s) up to date"]);
});

Deno.test("runCli(--check) names missing and stale files, writes nothing, exits 1", async () => {
  await using p = await tempProject({ "a.api.ts": API, "b.api.ts": API });
  assertEquals((await run(["b.api.ts"], p.root)).code, 0);
  await p.write("b.api.gen.ts", "// edited by hand\n");
  const r = await run(["--check"], p.root);
  assertEquals(r.code, 1);
  assertEquals(
    r.err,
    "missing: a.api.gen.ts\nmissing: a.api.schema.json\nstale: b.api.gen.ts\n" +
      "3 generated file(s) out of date: run `deno task codegen`",
  );
  assertEquals(await p.read("a.api.gen.ts"), undefined);
  assertEquals(await p.read("b.api.gen.ts"), "// edited by hand\n");
  assertEquals((await run([], p.root)).code, 0);
  const ok = await run(["--check"], p.root);
  assertEquals([ok.code, ok.out], [0, "4 generated file(s) up to date"]);
});

Deno.test("runCli() follows zmp.codegen include, exclude and import of deno.json", async () => {
  await using p = await tempProject(
    {
      "defs/a.api.ts": API,
      "defs/skip/b.api.ts": API,
      "other/c.api.ts": API,
      "lib/zmp.ts": "export {};\n",
    },
    {
      include: ["defs/**/*.api.ts"],
      exclude: ["defs/skip/**"],
      import: "./lib/zmp.ts",
    },
  );
  const r = await run([], p.root);
  assertEquals([r.code, r.out], [
    0,
    "wrote defs/a.api.gen.ts\nwrote defs/a.api.schema.json",
  ]);
  assertStringIncludes(
    (await p.read("defs/a.api.gen.ts"))!,
    '} from "../lib/zmp.ts";',
  );
});

Deno.test("runCli() takes files and globs relative to the working folder", async () => {
  await using p = await tempProject({
    "x/a.api.ts": API,
    "x/b.api.ts": API,
    "y/c.api.ts": API,
  });
  const r = await run(["x/*.api.ts", "y/c.api.ts"], p.root);
  assertEquals(r.code, 0, r.err);
  assertEquals(r.out.split("\n").length, 6);
  const bad = await run(
    ["x/none/*.api.ts", "x/a.ts", "x/missing.api.ts"],
    p.root,
  );
  assertEquals(bad.code, 1);
  assertEquals(
    bad.err,
    "No files match x/none/*.api.ts\n" +
      "Cannot generate from x/a.ts: definition files are named *.api.ts\n" +
      "Cannot generate from x/missing.api.ts: no such file",
  );
});

Deno.test("runCli() rejects unknown flags with usage, exit 2", async () => {
  await using p = await tempProject({});
  const r = await run(["--frobnicate"], p.root);
  assertEquals(r.code, 2);
  assertStringIncludes(r.err, "Usage: deno task codegen");
});

Deno.test("runCli(--watch) regenerates when a definition changes, until aborted", async () => {
  await using p = await tempProject({ "w.api.ts": API });
  const controller = new AbortController();
  const out = capture();
  const watching = runCli(["--watch"], {
    cwd: p.root,
    log: out.print,
    error: out.print,
    signal: controller.signal,
  });
  try {
    await waitFor(
      () => out.lines.includes("Watching for changes (Ctrl-C to stop)…"),
      "watch start",
    );
    await p.write(
      "w.api.ts",
      API.replace("}\n", "  shout(text: string): Promise<string>;\n}\n"),
    );
    await waitFor(
      async () =>
        (await p.read("w.api.schema.json"))?.includes('"shout"') ?? false,
      "regenerated schema",
      { timeout: 15000 },
    );
  } finally {
    controller.abort();
    assertEquals(await watching, 0);
  }
});

Deno.test("zmp's own generated files (examples, bench, src) are up to date", async () => {
  const r = await run(["--check"], ROOT);
  assert(r.code === 0, `${r.err}\nrun: deno task codegen`);
});

Deno.test("runCli(--breaking <git ref | baseline.json>) lists changes and exits 1 on breaking ones", async () => {
  await using p = await tempProject({ "calc.api.ts": CALC_V1 });
  const git = async (...args: string[]) => {
    const out = await new Deno.Command("git", {
      args: ["-c", "user.name=t", "-c", "user.email=t@t", ...args],
      cwd: p.root,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert(out.success, new TextDecoder().decode(out.stderr));
  };
  assertEquals((await run([], p.root)).code, 0);
  await git("init", "-q");
  await git("add", ".");
  await git("commit", "-qm", "v1");
  const baseline = await p.read("calc.api.schema.json");
  await p.write("baseline.schema.json", baseline!);

  // Compatible: a new optional parameter and a new method.
  await p.write(
    "calc.api.ts",
    CALC_V1.replace("b?: number)", "b?: number, c?: number)")
      .replace("}\n", "  neg(a: number): Promise<number>;\n}\n"),
  );
  const compatible = await run(["--breaking", "HEAD"], p.root);
  assertEquals(compatible.code, 0, compatible.err);
  assertEquals(
    compatible.out,
    "calc.api.schema.json:\n" +
      "  compatible: Calc.add: parameter c was added\n" +
      "  compatible: Calc.neg: the method was added\n" +
      "0 breaking, 2 compatible change(s) since HEAD",
  );

  // Breaking: an optional parameter became required.
  await p.write("calc.api.ts", CALC_V1.replace("b?: number", "b: number"));
  for (const since of ["HEAD", "baseline.schema.json"]) {
    const r = await run(["--breaking", since], p.root);
    assertEquals(r.code, 1);
    assertEquals(
      r.out,
      "calc.api.schema.json:\n  breaking: Calc.add: parameter b is now required",
    );
    assertEquals(r.err, `1 breaking, 0 compatible change(s) since ${since}`);
  }
  // Nothing is written.
  assertEquals(await p.read("calc.api.schema.json"), baseline);
  const bad = await run(["--breaking", "no-such-ref"], p.root);
  assertEquals(bad.code, 2);
  assertEquals(
    bad.err,
    "Cannot read the baseline no-such-ref: it is neither a .json file nor a git ref",
  );
});

const CALC_V1 = `/** @service */
export interface Calc {
  add(a: number, b?: number): Promise<number>;
}
`;
