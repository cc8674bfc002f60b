/**
 * One `zmp`: every command shares the help layout and the one-line error
 * form; `zmp codegen` forwards to codegen's own command line; `zmp
 * registry` and `zmp doctor` through real processes.
 */

import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  assertStringIncludes,
} from "../_assert.ts";
import { runZmp, type ZmpOutput } from "../launch/_harness.ts";
import { COMMANDS } from "../../src/cli/commands.ts";
import { connectRegistry, RpcError, startRegistry } from "../../mod.ts";
import { CLI, freePort, outsideFolder, Running } from "../project/_project.ts";

function zmp(...args: string[]): Promise<ZmpOutput> {
  return runZmp(args, 60000);
}

function oneLine(r: ZmpOutput, code: number, re: RegExp): void {
  assertEquals(r.code, code, r.stderr);
  assertEquals(r.stdout, "");
  assertEquals(r.stderr.split("\n").length, 2, `one line: ${r.stderr}`);
  assertMatch(r.stderr, re);
}

Deno.test("zmp <command> --help: one layout for every command", async () => {
  for (const { name } of COMMANDS) {
    const r = await zmp(name, "--help");
    assertEquals(r.code, 0, `${name}: ${r.stderr}`);
    assertMatch(r.stdout, new RegExp(`^Usage: zmp ${name}\\b`), name);
    assertStringIncludes(r.stdout, "\n\nOptions:\n", name);
    assertMatch(r.stdout, /^ {2}(-h, )?--help +show this help$/m, name);
  }
});

Deno.test("zmp codegen forwards to codegen: its flags pass, its usage errors are one line", async () => {
  oneLine(
    await zmp("codegen", "--bogus"),
    2,
    /^zmp codegen: Unknown option '--bogus'.* \(see zmp codegen --help\)\n$/,
  );
  await using tmp = await outsideFolder();
  await Deno.writeTextFile(
    `${tmp.path}/deno.json`,
    JSON.stringify({
      imports: { zmp: `${new URL("../../mod.ts", import.meta.url).pathname}` },
    }),
  );
  await Deno.writeTextFile(
    `${tmp.path}/ping.api.ts`,
    "/** @service */\nexport interface Ping {\n  ping(n: number): Promise<number>;\n}\n",
  );
  const run = (args: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", CLI, "codegen", ...args],
      cwd: tmp.path,
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
  const stale = await run(["--check"]);
  assertEquals(stale.code, 1);
  const wrote = await run([]);
  assertEquals(wrote.code, 0, new TextDecoder().decode(wrote.stderr));
  assertStringIncludes(
    new TextDecoder().decode(wrote.stdout),
    "wrote ping.api.gen.ts",
  );
  assertEquals((await run(["--check"])).code, 0);
});

Deno.test("zmp registry: bad arguments are one line with exit code 2", async () => {
  const cases: [string[], RegExp][] = [
    [
      ["--bogus"],
      /^zmp registry: Unknown option '--bogus'.*\(see zmp registry --help\)\n$/,
    ],
    [
      ["extra"],
      /^zmp registry: unexpected argument "extra" \(see zmp registry --help\)\n$/,
    ],
    [
      ["--ttl", "5"],
      /^zmp registry: --ttl must be a whole number of milliseconds >= 10, got "5" \(see/,
    ],
    [
      ["--endpoint", "7350"],
      /^zmp registry: --endpoint must look like tcp:\/\/host:port, got "7350"/,
    ],
    [["--params-file", ""], /^zmp registry: --params-file must not be empty/],
    ...["0", "-3", "1.5", "x", "", "1e3", "99999999999999999999"].map((
      bad,
    ): [string[], RegExp] => [
      [`--max-elements=${bad}`],
      new RegExp(
        `^zmp registry: --max-elements must be a whole number > 0, got ${
          JSON.stringify(bad).replace(/[.+]/g, "\\$&")
        } \\(see zmp registry --help\\)\n$`,
      ),
    ]),
  ];
  for (const [args, re] of cases) {
    oneLine(await zmp("registry", ...args), 2, re);
  }
});

Deno.test("zmp registry serves until SIGTERM, and says in one line when the port is taken", async () => {
  await using other = await startRegistry({ endpoint: "tcp://127.0.0.1:*" });
  oneLine(
    await zmp("registry", "--endpoint", other.endpoint),
    1,
    /^zmp registry: .*Address already in use/,
  );
  await using tmp = await outsideFolder();
  await using registry = new Running(
    Deno.execPath(),
    ["run", "-A", CLI, "registry", "--endpoint", "tcp://127.0.0.1:*"],
    { cwd: tmp.path },
  );
  const line = await registry.line(/^zmp registry listening on /);
  assertMatch(line, /^zmp registry listening on tcp:\/\/127\.0\.0\.1:\d+$/);
  assertEquals(await registry.stop("SIGTERM"), 0, registry.text);
});

Deno.test("zmp registry --max-elements: the registry refuses a request over it, and serves one within it", async () => {
  await using tmp = await outsideFolder();
  await using registry = new Running(
    Deno.execPath(),
    [
      "run",
      "-A",
      CLI,
      "registry",
      "--endpoint",
      "tcp://127.0.0.1:*",
      "--max-elements",
      "1000",
    ],
    { cwd: tmp.path },
  );
  const line = await registry.line(/^zmp registry listening on /);
  const endpoint = line.replace("zmp registry listening on ", "");
  {
    await using client = await connectRegistry({
      endpoint,
      logger: { warn() {}, error() {} },
    });
    const e = await assertRejects(
      () => client.params.set("big.list", new Array(2000).fill(1)),
      RpcError,
    );
    assertEquals(e.code, "RESOURCE_EXHAUSTED");
    assertStringIncludes(e.message, "more than 1000 elements");
    // Within the limit: kept.
    await client.params.set("big.list", new Array(500).fill(1));
    assertEquals(
      (await client.params.get("big.list") as number[]).length,
      500,
    );
  }
  assertEquals(await registry.stop("SIGTERM"), 0, registry.text);
});

Deno.test("zmp doctor reports the bundled libzmq, its capabilities, Deno, and the registry", async () => {
  const down = `tcp://127.0.0.1:${freePort()}`;
  const r = await zmp(
    "doctor",
    "--json",
    "--registry",
    down,
    "--timeout",
    "300",
  );
  assertEquals(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assertEquals(report.libzmq.source, "bundled");
  assertEquals(report.libzmq.version, "4.3.5");
  assertEquals(report.libzmq.capabilities, {
    curve: true,
    draft: true,
    ipc: true,
  });
  assertEquals(report.deno.deno, Deno.version.deno);
  assertEquals(report.registry.endpoint, down);
  assertEquals(report.registry.reachable, false);
  await using up = await startRegistry({ endpoint: "tcp://127.0.0.1:*" });
  const text = await zmp("doctor", "--registry", up.endpoint);
  assertEquals(text.code, 0, text.stderr);
  assertMatch(text.stdout, /^libzmq +4\.3\.5 \(bundled\) \S+addon\.node$/m);
  assertMatch(text.stdout, /^ +capabilities: curve yes, draft yes, ipc yes$/m);
  assertMatch(
    text.stdout,
    new RegExp(`^registry +${up.endpoint} answers$`, "m"),
  );
  assert(text.stdout.includes(`deno      ${Deno.version.deno}`));
  // The registry reports on itself: the system's health.
  assertMatch(text.stdout, /^system +1 process answers, nothing wrong seen$/m);
});
