/**
 * The rosbridge server in secure mode: its node has a key of its own and
 * the policy the launch gives it; calls go over CURVE; a browser cannot
 * advertise services (each session's would need a key of its own).
 */

import { assertEquals, assertMatch, waitFor } from "../_assert.ts";
import { createNode } from "../../src/node/node.ts";
import { startRegistry } from "../../src/registry/server.ts";
import { startRosbridgeServer } from "../../src/bridge/mod.ts";
import { RpcError } from "../../src/wire/errors.ts";
import { curveKeypair } from "../../src/zmq/curve.ts";
import { CalculatorService } from "../../examples/calculator/calculator.api.gen.ts";
import { BrowserService } from "../../examples/rosbridge/browser.api.gen.ts";
import { runZmp } from "../launch/_harness.ts";
import { outsideFolder } from "../project/_project.ts";

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
type Message = Record<string, unknown>;

Deno.test("rosbridge in secure mode: calls what its policy grants over CURVE, refuses advertise_service", async () => {
  const [reg, calc, bridge, tool] = await Promise.all(
    Array.from({ length: 4 }, () => curveKeypair()),
  );
  await using registry = await startRegistry({
    endpoint: "tcp://127.0.0.1:*",
    logger: quiet,
    security: {
      ...reg,
      nodes: { calc: calc.publicKey, rosbridge: bridge.publicKey },
      clients: { "@cli": tool.publicKey },
      policy: { rosbridge: { calls: ["Calculator.add"] } },
    },
  });
  const security = (pair: typeof calc) => ({
    ...pair,
    registryKey: reg.publicKey,
    tools: [tool.publicKey],
  });
  await using calcNode = await createNode("calc", {
    registry: registry.endpoint,
    security: security(calc),
    logger: quiet,
  });
  await calcNode.provide(CalculatorService, {
    add: (a: number, b: number) => a + b,
    divide: (a: number, b: number) => a / b,
    sum: (values: number[]) => values.reduce((x, y) => x + y, 0),
    async *countdown() {},
    evaluate: () => {
      throw new RpcError("UNIMPLEMENTED", "not here");
    },
  } as never);
  await using bridgeNode = await createNode("rosbridge", {
    registry: registry.endpoint,
    security: security(bridge),
    logger: quiet,
  });
  await using server = await startRosbridgeServer({
    node: bridgeNode,
    registry: bridgeNode.registry,
    port: 0,
    apis: [BrowserService],
  });
  const ws = new WebSocket(server.url);
  const got: Message[] = [];
  const closed = new Promise<void>((resolve) => ws.onclose = () => resolve());
  ws.onmessage = (e) => got.push(JSON.parse(e.data));
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  const answer = async (m: Message) => {
    ws.send(JSON.stringify(m));
    let found: Message | undefined;
    await waitFor(
      () => (found = got.find((g) => g.id === m.id)) !== undefined,
      `an answer to ${m.id}; got ${JSON.stringify(got)}`,
      { timeout: 15000 },
    );
    return found!;
  };
  try {
    assertEquals(
      await answer({
        op: "call_service",
        id: "add",
        service: "/Calculator/add",
        args: { a: 2, b: 3 },
      }),
      {
        op: "service_response",
        service: "/Calculator/add",
        id: "add",
        values: { result: 5 },
        result: true,
      },
    );
    const sum = await answer({
      op: "call_service",
      id: "sum",
      service: "/Calculator/sum",
      args: { values: [1, 2] },
    });
    assertEquals(sum.result, false);
    assertMatch(String(sum.values), /^PERMISSION_DENIED: /);
    const advertise = await answer({
      op: "advertise_service",
      id: "adv",
      service: "/Browser/sum",
      type: "",
    });
    assertEquals(advertise.op, "status");
    assertMatch(
      String(advertise.msg),
      /^cannot advertise \/Browser\/sum in secure mode: /,
    );
  } finally {
    ws.close();
    await closed;
  }
});

Deno.test("zmp bridge rosbridge --keys uses the bridge node's own key", async () => {
  await using tmp = await outsideFolder();
  const out = await runZmp(
    ["bridge", "rosbridge", "--port", "0", "--keys", tmp.path],
    30000,
  );
  assertEquals(out.code, 1, out.stderr);
  assertMatch(
    out.stderr,
    /^zmp bridge: no rosbridge key in .*: name "rosbridge" in the launch's security\.allow/,
  );
});
