/**
 * The `zmp` command: dispatch, help, and one-line errors with exit code 2.
 *
 * @module
 */

import { assertEquals, assertMatch, assertStringIncludes } from "../_assert.ts";
import { runZmp, type ZmpOutput } from "../launch/_harness.ts";

function zmp(...args: string[]): Promise<ZmpOutput> {
  return runZmp(args, 30000);
}

function oneLineError(
  r: ZmpOutput,
  re: RegExp,
): void {
  assertEquals(r.code, 2, r.stderr);
  assertEquals(r.stdout, "");
  assertEquals(r.stderr.split("\n").length, 2, `one line: ${r.stderr}`);
  assertMatch(r.stderr, re);
}

Deno.test("zmp --help lists every subcommand", async () => {
  for (const flag of ["--help", "-h", "help"]) {
    const r = await zmp(flag);
    assertEquals(r.code, 0, r.stderr);
    assertStringIncludes(r.stdout, "Usage: zmp <command> [options]");
    assertMatch(r.stdout, /^ {2}launch +start the registry and the nodes/m);
    assertMatch(r.stdout, /^ {2}registry +run a registry/m);
    for (
      const command of [
        "init",
        "codegen",
        "list",
        "call",
        "echo",
        "pub",
        "param",
        "graph",
        "doctor",
      ]
    ) {
      assertMatch(r.stdout, new RegExp(`^ {2}${command} +\\S`, "m"));
    }
  }
});

Deno.test("zmp refuses a missing or unknown command in one line", async () => {
  oneLineError(await zmp(), /^zmp: missing command \(see zmp --help\)\n$/);
  oneLineError(
    await zmp("lunch"),
    /^zmp: unknown command "lunch" \(commands: init, codegen, launch, registry, list, call, echo, pub, param, graph, top, record, play, gateway, bridge, ros, doctor(, \w+)*; see zmp --help\)\n$/,
  );
  oneLineError(await zmp("--verbose"), /^zmp: unknown option "--verbose"/);
});

Deno.test("zmp launch --help explains the command; bad arguments are one line", async () => {
  const help = await zmp("launch", "--help");
  assertEquals(help.code, 0, help.stderr);
  assertStringIncludes(help.stdout, "Usage: zmp launch [options] <file>");
  assertStringIncludes(help.stdout, "--no-check");
  oneLineError(
    await zmp("launch", "--bogus", "x.ts"),
    /^zmp launch: Unknown option '--bogus'/,
  );
  oneLineError(
    await zmp("launch"),
    /^zmp launch: expected one launch file, got 0 \(see zmp launch --help\)\n$/,
  );
  oneLineError(
    await zmp("launch", "a.ts", "b.ts"),
    /^zmp launch: expected one launch file, got 2/,
  );
});

Deno.test("zmp registry delegates to the registry command", async () => {
  const help = await zmp("registry", "--help");
  assertEquals(help.code, 0, help.stderr);
  assertStringIncludes(help.stdout, "Usage: zmp registry [options]");
  oneLineError(await zmp("registry", "--bogus"), /^zmp registry: /);
});
