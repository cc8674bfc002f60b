/**
 * `zmp launch --secure` in a project of one's own, outside the checkout:
 * keys made on first use, nodes that reach each other over CURVE, tools
 * with the key directory, tools without it refused, and secrets neither in
 * the nodes' argv nor in their environment.
 */

import {
  assert,
  assertEquals,
  assertMatch,
  assertStringIncludes,
} from "../_assert.ts";
import { readKeyPair } from "../../src/launch/keys.ts";
import {
  CLI,
  freePort,
  outsideFolder,
  run,
  Running,
} from "../project/_project.ts";

Deno.test("zmp launch --secure: a project outside the checkout runs end to end over CURVE", async () => {
  await using tmp = await outsideFolder();
  const deno = Deno.execPath();
  const init = await run(deno, ["run", "-A", CLI, "init", "app"], {
    cwd: tmp.path,
  });
  assertEquals(init.code, 0, init.stderr);
  const app = `${tmp.path}/app`;
  const codegen = await run(deno, ["task", "codegen"], { cwd: app });
  assertEquals(codegen.code, 0, codegen.stderr);

  const registry = `tcp://127.0.0.1:${freePort()}`;
  const env = { ZMP_REGISTRY: registry };
  await using launch = new Running(
    deno,
    ["run", "-A", CLI, "launch", "launch.ts", "--secure", "--no-params"],
    { cwd: app, env },
  );
  await launch.line(/secure mode: CURVE on every socket, 2 node keys in /);
  await launch.line(/listener subscribes to greetings/);

  // One key pair per node, the registry's and the tools', 0600 in 0700.
  const dir = `${app}/.zmp/keys`;
  assertEquals((await Deno.stat(dir)).mode! & 0o777, 0o700);
  for (const name of ["@cli", "@registry", "greeter", "listener"]) {
    assertEquals((await Deno.stat(`${dir}/${name}.key`)).mode! & 0o777, 0o600);
  }

  // The tools with the key directory: list, call, param.
  const zmp = (args: string[], extra: Record<string, string> = {}) =>
    run(deno, ["run", "-A", CLI, ...args], {
      cwd: app,
      env: { ...env, ...extra },
      timeout: 60000,
    });
  const call = await zmp(["call", "Greeter.greet", "Ada", "--json"], {
    ZMP_KEYS: ".zmp/keys",
  });
  assertEquals(call.code, 0, call.stderr);
  assertMatch(call.stdout, /"text":"Hello, Ada!"/);
  // The listener heard it over a CURVE topic, and called count() back.
  await launch.line(/listener +│ heard "Hello, Ada!" \(greeting #1\)/);
  const nodes = await zmp(["list", "nodes", "--json", "--keys", dir]);
  assertEquals(nodes.code, 0, nodes.stderr);
  const listed = JSON.parse(nodes.stdout) as {
    name: string;
    publicKey?: string;
  }[];
  const greeter = listed.find((n) => n.name === "greeter");
  assertEquals(
    greeter?.publicKey,
    (await readKeyPair(dir, "greeter"))?.publicKey,
  );
  const set = await zmp(
    ["param", "set", "greeter.punctuation", '"?"', "--keys", dir],
  );
  assertEquals(set.code, 0, set.stderr);
  const again = await zmp(["call", "Greeter.greet", "Bo", "--keys", dir]);
  assertStringIncludes(again.stdout, "Hello, Bo?");

  // Without keys, or with another directory's keys: one line, nothing more.
  const plain = await zmp([
    "call",
    "Greeter.greet",
    "Eve",
    "--timeout",
    "1500",
  ]);
  assertEquals(plain.code, 1);
  assertEquals(plain.stdout, "");
  assertMatch(plain.stderr, /^zmp call: Cannot reach the zmp registry at /);
  const other = `${tmp.path}/other-keys`;
  for (const name of ["@cli", "@registry"]) {
    assertEquals((await zmp(["keys", "gen", name, "--keys", other])).code, 0);
  }
  const wrong = await zmp(
    ["call", "Greeter.greet", "Eve", "--timeout", "1500", "--keys", other],
  );
  assertEquals(wrong.code, 1);
  assertEquals(wrong.stdout, "");
  assertMatch(wrong.stderr, /no CURVE handshake succeeded/);
  assert(!launch.text.includes("Eve"), launch.text);

  // No secret in any node's argv or environment.
  const secrets = await Promise.all(
    ["greeter", "listener"].map(async (n) =>
      (await readKeyPair(dir, n))!.secretKey
    ),
  );
  const pids = [...launch.text.matchAll(/started \S+ \(subprocess, pid (\d+)/g)]
    .map((m) => Number(m[1]));
  assertEquals(pids.length, 2, launch.text);
  for (const pid of pids) {
    const seen = await Deno.readTextFile(`/proc/${pid}/cmdline`) +
      await Deno.readTextFile(`/proc/${pid}/environ`);
    for (const secret of secrets) assert(!seen.includes(secret));
  }
  assertEquals(await launch.stop("SIGTERM"), 0, launch.text);
});
