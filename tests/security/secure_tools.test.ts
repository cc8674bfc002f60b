/**
 * The `zmp` tools that join a secure system as tool nodes (`zmp echo`,
 * `zmp pub`, `zmp record`) or ask its nodes directly (`zmp top`,
 * `zmp doctor`), with the
 * key directory's `@cli` key: they subscribe, publish and ask over CURVE,
 * with the keys the registry lists; without the keys they get nothing.
 * `zmp play --serve`, a node of `security.allow`, joins with its own key.
 */

import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  assertStringIncludes,
  waitFor,
} from "../_assert.ts";
import { createNode } from "../../src/node/node.ts";
import { startRegistry } from "../../src/registry/server.ts";
import { connectRegistry } from "../../src/registry/client.ts";
import { RpcError } from "../../src/wire/errors.ts";
import { curveKeypair } from "../../src/zmq/curve.ts";
import { StatusTopic } from "../node/fixtures/api.ts";
import { readKeyPair } from "../../src/launch/keys.ts";
import {
  CLI,
  freePort,
  outsideFolder,
  run,
  Running,
} from "../project/_project.ts";

Deno.test("zmp echo, pub, top, doctor, record and play --serve work in a secure launch with the @cli key, and not without it", async () => {
  await using tmp = await outsideFolder();
  const deno = Deno.execPath();
  const init = await run(deno, ["run", "-A", CLI, "init", "app"], {
    cwd: tmp.path,
  });
  assertEquals(init.code, 0, init.stderr);
  const app = `${tmp.path}/app`;
  const codegen = await run(deno, ["task", "codegen"], { cwd: app });
  assertEquals(codegen.code, 0, codegen.stderr);

  // A node the launch does not start may join: `zmp play --serve` below.
  const launchFile = `${app}/launch.ts`;
  const spec = await Deno.readTextFile(launchFile);
  assertStringIncludes(spec, "export default defineLaunch({\n");
  await Deno.writeTextFile(
    launchFile,
    spec.replace(
      "export default defineLaunch({\n",
      'export default defineLaunch({\n  security: { curve: true, allow: ["replay"] },\n',
    ),
  );

  const registry = `tcp://127.0.0.1:${freePort()}`;
  const env = { ZMP_REGISTRY: registry, ZMP_KEYS: `${app}/.zmp/keys` };
  await using launch = new Running(
    deno,
    ["run", "-A", CLI, "launch", "launch.ts", "--secure", "--no-params"],
    { cwd: app, env: { ZMP_REGISTRY: registry } },
  );
  await launch.line(/listener subscribes to greetings/);
  const zmp = (args: string[], extra: Record<string, string> = {}) =>
    run(deno, ["run", "-A", CLI, ...args], {
      cwd: app,
      env: { ...env, ...extra },
      timeout: 60000,
    });

  // zmp record (a tool node: the registry admits it under the @cli key).
  await using record = new Running(
    deno,
    ["run", "-A", CLI, "record", `${tmp.path}/run.mcap`, "--duration", "60"],
    { cwd: app, env },
  );
  await waitFor(
    async () => {
      const list = await zmp(["list", "nodes", "--all", "--json"]);
      return list.code === 0 && list.stdout.includes('"_zmp_record_');
    },
    `zmp record to register:\n${record.text}`,
    { timeout: 30000 },
  );

  const call = await zmp(["call", "Greeter.greet", "Ada", "--json"]);
  assertEquals(call.code, 0, call.stderr);

  // zmp echo: subscribes over CURVE, proving the greeter's listed key;
  // the topic is latched, so the greeting is there for it.
  const echo = await zmp(["echo", "greetings", "--count", "1"]);
  assertEquals(echo.code, 0, echo.stderr);
  assertStringIncludes(echo.stdout, '"text":"Hello, Ada!"');

  // zmp pub: the listener connects to the tool's publisher with the key
  // the registry lists for it (@cli's), and hears the message.
  const pub = await zmp([
    "pub",
    "greetings",
    '{"name": "Pub", "text": "from zmp pub", "at": "2026-01-01T00:00:00Z"}',
  ]);
  assertEquals(pub.code, 0, pub.stderr);
  assertMatch(pub.stdout, /published 1 message on greetings \(\d subscriber/);
  await launch.line(/listener +│ heard "from zmp pub"/);

  // zmp top: asks each node's zmp.Observe over CURVE.
  const top = await zmp(["top", "--json", "--interval", "200"]);
  assertEquals(top.code, 0, top.stderr);
  const frame = JSON.parse(top.stdout) as {
    nodes: { node: string }[];
  };
  const names = frame.nodes.map((n) => n.node);
  assert(
    names.includes("greeter") && names.includes("listener"),
    top.stdout,
  );

  // zmp doctor: the registry and every node answer over CURVE.
  const doctor = await zmp(["doctor", "--json"]);
  const report = JSON.parse(doctor.stdout) as {
    registry: { reachable: boolean };
    health?: { answering: number; silent: unknown[] };
  };
  assert(report.registry.reachable, doctor.stdout);
  assertEquals(report.health?.silent, [], doctor.stdout);
  assert((report.health?.answering ?? 0) >= 3, doctor.stdout);

  assertEquals(await record.stop("SIGTERM"), 0, record.text);
  assertMatch(record.text, /recorded [1-9]\d* messages on 1 topics/);
  console.log(record.lines.at(-1));

  // zmp play --serve: a node of security.allow, with its own key.
  await using replay = new Running(
    deno,
    [
      "run",
      "-A",
      CLI,
      "play",
      `${tmp.path}/run.mcap`,
      "--serve",
      "--name",
      "replay",
    ],
    { cwd: app, env },
  );
  await replay.line(/zmp play: replay serves Greeter/);
  const listed = await zmp(["list", "nodes", "--json"]);
  const replayKey = (await readKeyPair(`${app}/.zmp/keys`, "replay"))!
    .publicKey;
  assert(
    (JSON.parse(listed.stdout) as { name: string; publicKey?: string }[])
      .some((n) => n.name === "replay" && n.publicKey === replayKey),
    listed.stdout,
  );
  assertEquals(await replay.stop("SIGTERM"), 0, replay.text);

  // Without the keys: one line, exit 1, nothing printed.
  for (
    const args of [["echo", "greetings", "--count", "1"], ["top", "--json"]]
  ) {
    const plain = await zmp([...args, "--timeout", "1500"], { ZMP_KEYS: "" });
    assertEquals(plain.code, 1, `${args[0]}: ${plain.stderr}`);
    assertEquals(plain.stdout, "");
    assertMatch(plain.stderr, new RegExp(`^zmp ${args[0]}: Cannot reach `));
  }
  assert(!launch.text.includes("Error"), launch.text);
  assertEquals(await launch.stop("SIGTERM"), 0, launch.text);
});

Deno.test("secure registry: the tools' key registers tool nodes (_zmp_…) only, never a node of the system", async () => {
  const [reg, calc, tool] = await Promise.all(
    Array.from({ length: 3 }, () => curveKeypair()),
  );
  await using registry = await startRegistry({
    endpoint: "tcp://127.0.0.1:*",
    logger: { warn() {}, error() {} },
    security: {
      ...reg,
      nodes: { calc: calc.publicKey, _zmp_owned: calc.publicKey },
      clients: { "@cli": tool.publicKey },
      policy: { calc: { publishes: [] } },
    },
  });
  const security = {
    ...tool,
    registryKey: reg.publicKey,
    tools: [tool.publicKey],
  };
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  for (const name of ["calc", "_zmp_owned", "toolish"]) {
    const e = await assertRejects(
      () =>
        createNode(name, {
          registry: registry.endpoint,
          security,
          logger: quiet,
        }),
      RpcError,
    );
    assertEquals(e.code, "PERMISSION_DENIED");
    assertStringIncludes(
      e.message,
      `this key is not the key of node "${name}"`,
    );
  }
  // A tool node is the operator's: the policy does not narrow it.
  await using echo = await createNode("_zmp_echo_1", {
    registry: registry.endpoint,
    security,
    logger: quiet,
  });
  const publisher = await echo.publisher(StatusTopic);
  await using client = await connectRegistry({
    endpoint: registry.endpoint,
    curve: { ...tool, serverKey: reg.publicKey },
  });
  const [listed] = (await client.nodes()).filter((n) =>
    n.name === "_zmp_echo_1"
  );
  assertEquals(listed.publicKey, tool.publicKey);
  assertEquals(listed.publishes.map((p) => p.topic), [StatusTopic.name]);
  await publisher.close();
});
