/**
 * The HTTP gateway in secure mode: a node of its own, with its own key and
 * the policy the launch gives it (never the operator's `@cli` key, which
 * anyone reaching its port would then hold).
 */

import {
  assertEquals,
  assertMatch,
  assertRejects,
  assertStringIncludes,
  waitFor,
} from "../_assert.ts";
import { createGateway } from "../../src/bridge/gateway/mod.ts";
import { createNode } from "../../src/node/node.ts";
import { startRegistry } from "../../src/registry/server.ts";
import { RegistryUnavailableError } from "../../src/registry/errors.ts";
import { curveKeypair } from "../../src/zmq/curve.ts";
import { runZmp } from "../launch/_harness.ts";
import { EchoParams, EchoService } from "../node/fixtures/api.ts";
import { outsideFolder } from "../project/_project.ts";
import { defineLaunch, type LaunchLogger, startLaunch } from "../../mod.ts";
import { gatewayNode } from "../../src/bridge/gateway/mod.ts";

const SERVER = new URL(
  "../../examples/calculator/server_node.ts",
  import.meta.url,
).href;

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

Deno.test("createGateway({security}): calls what its policy grants over CURVE, is refused the rest", async () => {
  const [reg, calc, gw, tool] = await Promise.all(
    Array.from({ length: 4 }, () => curveKeypair()),
  );
  await using registry = await startRegistry({
    endpoint: "tcp://127.0.0.1:*",
    logger: quiet,
    security: {
      ...reg,
      nodes: { calc: calc.publicKey, gw: gw.publicKey },
      clients: { "@cli": tool.publicKey },
      policy: { gw: { calls: ["test.Echo.echo"], params: [] } },
    },
  });
  const security = (pair: typeof calc) => ({
    ...pair,
    registryKey: reg.publicKey,
    tools: [tool.publicKey],
  });
  await using node = await createNode("calc", {
    registry: registry.endpoint,
    security: security(calc),
    logger: quiet,
  });
  const who = () => ({ node: "calc", mode: "", pid: 0 });
  await node.provide(EchoService, {
    echo: (v: unknown) => v,
    whoami: who,
    slow: who,
    slowOnce: who,
    async *count() {},
    burst: () => 0,
  });
  node.params(EchoParams);

  // Without keys, the gateway cannot even reach the registry.
  await assertRejects(
    () =>
      createGateway({
        port: 0,
        registry: registry.endpoint,
        logger: quiet,
        name: "gw",
      }),
    RegistryUnavailableError,
  );

  await using gateway = await createGateway({
    port: 0,
    registry: registry.endpoint,
    name: "gw",
    security: security(gw),
    logger: quiet,
  });
  const url = gateway.url;
  await waitFor(
    async () =>
      (await (await fetch(`${url}system`)).json()).services.length === 1,
    "the gateway to see test.Echo",
  );
  const post = async (method: string, body: unknown) => {
    const r = await fetch(`${url}rpc/test.Echo/${method}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return { status: r.status, text: await r.text() };
  };
  assertEquals(await post("echo", ["through CURVE"]), {
    status: 200,
    text: '"through CURVE"',
  });
  const refused = await post("whoami", []);
  assertEquals(refused.status, 403, refused.text);
  assertStringIncludes(refused.text, "PERMISSION_DENIED");
  const set = await fetch(`${url}params/echo.greeting`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify("hi"),
  });
  assertEquals(set.status, 403, await set.text());
});

Deno.test("zmp gateway in secure mode needs a node name of its own, with its key", async () => {
  await using tmp = await outsideFolder();
  const noName = await runZmp(["gateway", "--keys", tmp.path], 30000);
  assertEquals(noName.code, 2);
  assertEquals(noName.stdout, "");
  assertMatch(
    noName.stderr,
    /^zmp gateway: in secure mode \(--keys or ZMP_KEYS\) the gateway needs a node name of its own: --name <node>/,
  );
  const noKey = await runZmp(
    ["gateway", "--keys", tmp.path, "--name", "gateway"],
    30000,
  );
  assertEquals(noKey.code, 1);
  assertMatch(
    noKey.stderr,
    /^zmp gateway: no gateway key in .*: name "gateway" in the launch's security\.allow/,
  );
});

Deno.test("gatewayNode() in a secure launch serves through its node's key and policy", async () => {
  await using tmp = await outsideFolder();
  const lines: string[] = [];
  const logger: LaunchLogger = {
    log: (level, message) => lines.push(`${level} ${message}`),
    line: (node, stream, text) => lines.push(`${node} ${stream} ${text}`),
  };
  const running = await startLaunch(
    defineLaunch({
      registry: { endpoint: "tcp://127.0.0.1:*" },
      security: {
        curve: true,
        policy: { gateway: { calls: ["Calculator.add"], params: [] } },
      },
      nodes: [
        { name: "calc", module: SERVER, mode: "inprocess" },
        gatewayNode({ port: 0 }),
      ],
    }),
    { logger, keys: tmp.path },
  );
  try {
    let url = "";
    await waitFor(
      () => {
        const line = lines.find((l) => l.includes("gateway: serving "));
        url = line?.slice(line.indexOf("http")) ?? "";
        return url !== "";
      },
      `the gateway to serve:\n${lines.join("\n")}`,
      { timeout: 60_000 },
    );
    const post = async (method: string, body: unknown) => {
      const r = await fetch(`${url}rpc/Calculator/${method}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      return { status: r.status, text: await r.text() };
    };
    await waitFor(
      async () => (await post("add", [2, 3])).status === 200,
      "Calculator through the gateway",
      { timeout: 15_000, interval: 100 },
    );
    assertEquals(await post("add", [2, 3]), { status: 200, text: "5" });
    assertEquals((await post("sum", [[1, 2]])).status, 403);
    assertEquals((await running.stop()).code, 0, lines.join("\n"));
  } finally {
    await running.kill();
  }
});
