/**
 * Secure mode between real sockets: a CURVE registry with an allow-list,
 * nodes with their own keys, the caller's identity in `ctx`, and what is
 * refused — on the engine `ZMP_ENGINE` names (the suite runs both).
 */

import {
  assert,
  assertEquals,
  assertRejects,
  assertStringIncludes,
  waitFor,
} from "../_assert.ts";
import { createNode } from "../../src/node/node.ts";
import { createNodeLogger } from "../../src/node/logger.ts";
import { startRegistry } from "../../src/registry/server.ts";
import { connectRegistry } from "../../src/registry/client.ts";
import { RegistryUnavailableError } from "../../src/registry/errors.ts";
import { RpcClient } from "../../src/rpc/client.ts";
import type { CallContext } from "../../src/rpc/context.ts";
import { createSubscription } from "../../src/topics/subscription.ts";
import { RpcError } from "../../src/wire/errors.ts";
import { curveKeypair } from "../../src/zmq/curve.ts";
import {
  EchoParams,
  EchoService,
  type Status,
  StatusTopic,
} from "../node/fixtures/api.ts";

const quiet = { warn() {}, error() {} };

function logger(name: string, lines: string[]) {
  return createNodeLogger(name, {
    level: "warn",
    write: (l) => lines.push(l),
  });
}

Deno.test("secure mode: CURVE everywhere, identities in ctx, impostors and unauthorized callers refused", async () => {
  const [reg, calc, client, rogue, tool, stranger] = await Promise.all(
    Array.from({ length: 6 }, () => curveKeypair()),
  );
  const registryLog: string[] = [];
  await using registry = await startRegistry({
    endpoint: "tcp://127.0.0.1:*",
    logger: {
      warn: (m) => registryLog.push(m),
      error: (m) => registryLog.push(m),
    },
    security: {
      ...reg,
      nodes: {
        calc: calc.publicKey,
        client: client.publicKey,
        rogue: rogue.publicKey,
      },
      clients: { "@cli": tool.publicKey },
      policy: {
        rogue: { provides: [], publishes: [], subscribes: [] },
        client: { params: [] },
      },
    },
  });
  const security = (pair: typeof calc) => ({
    ...pair,
    registryKey: reg.publicKey,
    tools: [tool.publicKey],
  });
  const calcLog: string[] = [];
  await using calcNode = await createNode("calc", {
    registry: registry.endpoint,
    security: security(calc),
    logger: logger("calc", calcLog),
  });
  const seen: CallContext[] = [];
  const echoHandlers = {
    echo: (v: unknown, ctx: CallContext) => {
      seen.push(ctx);
      return v;
    },
    whoami: () => ({ node: "calc", mode: "", pid: 0 }),
    slow: () => ({ node: "calc", mode: "", pid: 0 }),
    slowOnce: () => ({ node: "calc", mode: "", pid: 0 }),
    async *count() {},
    burst: () => 0,
  };
  await calcNode.provide(EchoService, echoHandlers);
  const calcPublicKey = calcNode.info.publicKey;
  assertEquals(calcPublicKey, calc.publicKey);
  const status = await calcNode.publisher(StatusTopic);
  calcNode.params(EchoParams);

  // A node with its key calls, and the handler knows who called.
  await using clientNode = await createNode("client", {
    registry: registry.endpoint,
    security: security(client),
    logger: logger("client", []),
  });
  const echo = await clientNode.client(EchoService);
  assertEquals(await echo.echo("over CURVE"), "over CURVE");
  assertEquals(seen.at(-1)?.caller, {
    publicKey: client.publicKey,
    node: "client",
  });
  const sub = await clientNode.subscribe(StatusTopic);
  const got: Status[] = [];
  const reading = (async () => {
    for await (const m of sub) {
      got.push(m);
      if (got.length === 1) break;
    }
  })();
  await status.waitForSubscribers(1, { timeout: 10000 });
  await status.publish({ node: "calc", mode: "x", greeting: "secret hello" });
  await reading;
  assertEquals(got[0].greeting, "secret hello");

  // A registered node that never declared it uses Echo: PERMISSION_DENIED,
  // naming the method, logged once however often it tries.
  await using rogueNode = await createNode("rogue", {
    registry: registry.endpoint,
    security: security(rogue),
    logger: logger("rogue", []),
  });
  const endpoint = calcNode.info.services[0].endpoint;
  await using rogueRpc = new RpcClient({
    endpoints: [endpoint],
    logger: quiet,
    retry: false,
    curve: { ...rogue, serverKey: () => calc.publicKey },
  });
  for (let i = 0; i < 3; i++) {
    const e = await assertRejects(
      () => rogueRpc.call(EchoService, EchoService.methods.echo, ["x"]),
      RpcError,
    );
    assertEquals(e.code, "PERMISSION_DENIED");
    assertStringIncludes(e.message, "rogue may not call test.Echo.echo");
  }
  assertEquals(
    calcLog.filter((l) => l.includes("refused a call of test.Echo.echo"))
      .length,
    1,
  );
  // It may not provide what the policy does not grant.
  const provide = await assertRejects(
    () => rogueNode.provide(EchoService, echoHandlers),
    RpcError,
  );
  assertEquals(provide.code, "PERMISSION_DENIED");
  assertStringIncludes(provide.message, 'may not provide "test.Echo"');
  assertEquals(rogueNode.info.services, []);
  // Nor publish or subscribe to topics the policy does not grant.
  const publish = await assertRejects(
    () => rogueNode.publisher(StatusTopic),
    RpcError,
  );
  assertEquals(publish.code, "PERMISSION_DENIED");
  assertStringIncludes(publish.message, 'may not publish "test/status"');
  const subscribe = await assertRejects(
    () => rogueNode.subscribe(StatusTopic),
    RpcError,
  );
  assertEquals(subscribe.code, "PERMISSION_DENIED");
  assertStringIncludes(subscribe.message, 'may not subscribe to "test/status"');
  assertEquals(rogueNode.info.publishes, []);
  assertEquals(rogueNode.info.subscribes, []);
  // A node may not set params the policy does not grant, even ones it uses.
  const setting = await assertRejects(
    () => clientNode.params(EchoParams).set("greeting", "hacked"),
    RpcError,
  );
  assertEquals(setting.code, "PERMISSION_DENIED");
  assertStringIncludes(setting.message, '"echo.greeting"');
  await calcNode.params(EchoParams).set("greeting", "mine");

  // An impostor with a listed key cannot register another node's name.
  const impostor = await assertRejects(
    () =>
      createNode("calc2", {
        registry: registry.endpoint,
        security: security(rogue),
        logger: logger("calc2", []),
      }),
    RpcError,
  );
  assertEquals(impostor.code, "PERMISSION_DENIED");
  assertStringIncludes(impostor.message, 'register "calc2"');
  assert(registryLog.some((l) => l.includes('register "calc2"')));

  // A key not on the allow-list reaches nothing: not the registry …
  await assertRejects(
    () =>
      connectRegistry({
        endpoint: registry.endpoint,
        timeout: 500,
        logger: quiet,
        curve: { ...stranger, serverKey: reg.publicKey },
      }),
    RegistryUnavailableError,
    "allow-list",
  );
  // … nor a service (the handshake is refused: the call times out) …
  await using strangerRpc = new RpcClient({
    endpoints: [endpoint],
    logger: quiet,
    connectTimeout: 500,
    retry: false,
    curve: { ...stranger, serverKey: () => calc.publicKey },
  });
  const unavailable = await assertRejects(
    () => strangerRpc.call(EchoService, EchoService.methods.echo, ["x"]),
    RpcError,
  );
  assertEquals(unavailable.code, "UNAVAILABLE");
  // … nor a topic, and neither does a plain (keyless) client.
  await using strangerSub = createSubscription(StatusTopic, {
    endpoints: [status.endpoint],
    logger: quiet,
    curve: { ...rogue, serverKey: () => calc.publicKey },
  });
  await using plainRpc = new RpcClient({
    endpoints: [endpoint],
    logger: quiet,
    connectTimeout: 500,
    retry: false,
  });
  assertEquals(
    (await assertRejects(
      () => plainRpc.call(EchoService, EchoService.methods.echo, ["x"]),
      RpcError,
    )).code,
    "UNAVAILABLE",
  );
  await status.publish({ node: "calc", mode: "x", greeting: "again" });
  await waitFor(
    () =>
      calcLog.some((l) => l.includes("refused a subscriber of test/status")),
    "the publisher to refuse the rogue subscriber",
  );
  assertEquals(strangerSub.counters.delivered, 0);
  assertEquals(seen.length, 1);
});
