/**
 * `registryMain()`: the `zmp registry` command.
 */

import { assert, assertEquals, assertMatch, waitFor } from "../_assert.ts";
import { connectRegistry, registryMain, startRegistry } from "../../mod.ts";
import { RegistryProcess } from "./_helpers.ts";

async function run(args: string[], signal?: AbortSignal) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await registryMain(args, {
    signal,
    stdout: (l) => out.push(l),
    stderr: (l) => err.push(l),
  });
  return { code, out, err };
}

Deno.test("registryMain() returns 2 with one line on stderr for bad arguments", async () => {
  const cases: [string[], string][] = [
    [
      ["--bogus"],
      "zmp registry: Unknown option '--bogus' (see zmp registry --help)",
    ],
    [
      ["extra"],
      "zmp registry: Unexpected argument 'extra'. This command does not take positional arguments (see zmp registry --help)",
    ],
    [
      ["--ttl", "soon"],
      'zmp registry: --ttl must be a whole number of milliseconds >= 10, got "soon"',
    ],
    [
      ["--ttl", "5"],
      'zmp registry: --ttl must be a whole number of milliseconds >= 10, got "5"',
    ],
    [
      ["--endpoint", "7350"],
      'zmp registry: --endpoint must look like tcp://host:port, got "7350"',
    ],
    [
      ["--endpoint"],
      "zmp registry: Option '--endpoint <value>' argument missing (see zmp registry --help)",
    ],
    [["--params-file", ""], "zmp registry: --params-file must not be empty"],
  ];
  for (const [args, line] of cases) {
    const { code, out, err } = await run(args);
    assertEquals(code, 2, args.join(" "));
    assertEquals(out, []);
    assertEquals(err, [line]);
  }
});

Deno.test("registryMain() --help prints the usage and returns 0", async () => {
  const { code, out, err } = await run(["--help"]);
  assertEquals(code, 0);
  assertEquals(err, []);
  assertMatch(out[0], /^Usage: zmp registry \[options\]/);
  for (const flag of ["--endpoint", "--ttl", "--params-file", "--help"]) {
    assert(out[0].includes(flag), flag);
  }
});

Deno.test("registryMain() serves until stopped, then returns 0", async () => {
  const stop = new AbortController();
  const out: string[] = [];
  const running = registryMain(["--endpoint", "tcp://127.0.0.1:*"], {
    signal: stop.signal,
    stdout: (l) => out.push(l),
    stderr: (l) => out.push(l),
  });
  try {
    await waitFor(() => out.length > 0, "the listening line");
    assertMatch(out[0], /^zmp registry listening on tcp:\/\/127\.0\.0\.1:\d+$/);
    const endpoint = out[0].slice("zmp registry listening on ".length);
    await using client = await connectRegistry({ endpoint });
    assertEquals(await client.nodes(), []);
  } finally {
    stop.abort();
  }
  assertEquals(await running, 0);
  assertEquals(out.length, 1);
});

Deno.test("registryMain() returns 1 with one line when the endpoint is in use", async () => {
  await using other = await startRegistry({ endpoint: "tcp://127.0.0.1:*" });
  const { code, out, err } = await run(["--endpoint", other.endpoint]);
  assertEquals(code, 1);
  assertEquals(out, []);
  assertEquals(err.length, 1);
  assertMatch(err[0], /^zmp registry: .*Address already in use/);
});

Deno.test("zmp registry process exits 0 on SIGTERM and on SIGINT", async () => {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    await using registry = await RegistryProcess.start();
    registry.signal(signal);
    const status = await registry.status();
    assertEquals(status.code, 0, `${signal}: ${registry.stderr}`);
    assertEquals(registry.stderr, "");
  }
});
