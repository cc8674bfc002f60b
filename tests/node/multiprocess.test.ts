/**
 * Nodes in separate processes (subprocesses of `fixtures/echo_node.ts`)
 * and this test as another node: service failover when an instance is
 * SIGKILLed, topics across processes in both start orders, fan-out to four
 * subscribers.
 */

import { assert, assertEquals, waitFor } from "../_assert.ts";
import {
  connectRegistry,
  createNode,
  type NodeLogger,
  rpcClientOf,
} from "../../mod.ts";
import { next } from "../topics/_helpers.ts";
import { EchoService, StatusTopic } from "./fixtures/api.ts";
import {
  ECHO_NODE,
  NodeProcess,
  startTestRegistry,
  waitForNode,
} from "./_helpers.ts";

const quietLog: NodeLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

Deno.test("Node.client() fails over when an instance is SIGKILLed and drops it when its lease expires", async () => {
  await using server = await startTestRegistry(1000);
  await using registry = await connectRegistry({ endpoint: server.endpoint });
  await using a = NodeProcess.start(ECHO_NODE, {
    name: "echo-a",
    registry: server.endpoint,
  });
  await using b = NodeProcess.start(ECHO_NODE, {
    name: "echo-b",
    registry: server.endpoint,
  });
  const infoA = await waitForNode(
    registry,
    "echo-a",
    (n) => n.services.length > 0,
  );
  const infoB = await waitForNode(
    registry,
    "echo-b",
    (n) => n.services.length > 0,
  );
  await using me = await createNode("failover-client", {
    registry: server.endpoint,
    logger: quietLog,
  });
  const echo = await me.client(EchoService);
  const rpc = rpcClientOf(echo);
  const endpointA = infoA.services[0].endpoint;
  const endpointB = infoB.services[0].endpoint;
  await waitFor(() => rpc.endpoints.length === 2, "both instances");
  await rpc.ping({ endpoint: endpointA });
  await rpc.ping({ endpoint: endpointB });

  const pids = new Set<number>();
  for (let i = 0; i < 6; i++) pids.add((await echo.whoami()).pid);
  assertEquals(pids, new Set([a.pid, b.pid]));

  // Calls in flight on both; a PING answered means the calls sent before it
  // on that connection have arrived.
  const inFlight = Array.from({ length: 4 }, () => echo.slow(600));
  await rpc.ping({ endpoint: endpointA });
  await rpc.ping({ endpoint: endpointB });
  a.kill("SIGKILL");
  const results = await Promise.all(inFlight);
  assertEquals(results.map((r) => r.pid), [b.pid, b.pid, b.pid, b.pid]);
  for (let i = 0; i < 5; i++) assertEquals((await echo.whoami()).pid, b.pid);

  // The registry expires the dead instance; the client follows.
  await waitFor(
    () => rpc.endpoints.length === 1 && rpc.endpoints[0] === endpointB,
    "the client to drop the dead endpoint",
    { timeout: 10000 },
  );
  assert(!(await registry.nodes()).some((n) => n.name === "echo-a"));
  assertEquals((await echo.whoami()).pid, b.pid);
});

Deno.test("Node.subscribe() receives from a publisher in another process, started before or after it", async () => {
  await using server = await startTestRegistry(60000);
  await using registry = await connectRegistry({ endpoint: server.endpoint });
  await using early = await createNode("early-sub", {
    registry: server.endpoint,
    logger: quietLog,
  });
  const before = await early.subscribe(StatusTopic);
  await using child = NodeProcess.start(ECHO_NODE, {
    name: "publisher",
    registry: server.endpoint,
  });
  const status = { node: "publisher", mode: "subprocess", greeting: "(unset)" };
  const a = before[Symbol.asyncIterator]();
  assertEquals(await next(a, "the first status", 15000), status);
  await waitForNode(registry, "publisher", (n) => n.services.length > 0);

  await using late = await createNode("late-sub", {
    registry: server.endpoint,
    logger: quietLog,
  });
  const after = await late.subscribe(StatusTopic);
  const b = after[Symbol.asyncIterator]();
  assertEquals(await next(b), status);

  const echo = await late.client(EchoService);
  assertEquals(await echo.burst(3), 3);
  for (const it of [a, b]) {
    for (let i = 0; i < 3; i++) {
      assertEquals((await next(it)).greeting, `burst ${i}`);
    }
  }
  // The late joiner's replay reached `before` as a duplicate: dropped.
  for (const sub of [before, after]) {
    assertEquals(sub.counters, {
      published: 0,
      delivered: 4,
      dropped: 0,
      invalid: 0,
    });
  }
  assertEquals(child.pid > 0, true);
});

Deno.test("Node.publisher() in another process fans out to 4 subscriber nodes", async () => {
  await using server = await startTestRegistry(60000);
  await using child = NodeProcess.start(ECHO_NODE, {
    name: "fan-out",
    registry: server.endpoint,
  });
  const nodes = await Promise.all(
    [0, 1, 2, 3].map((i) =>
      createNode(`sub-${i}`, { registry: server.endpoint, logger: quietLog })
    ),
  );
  try {
    const subs = await Promise.all(nodes.map((n) => n.subscribe(StatusTopic)));
    const its = subs.map((s) => s[Symbol.asyncIterator]());
    for (const it of its) {
      assertEquals((await next(it, "the first status", 15000)).node, "fan-out");
    }
    const echo = await nodes[0].client(EchoService);
    await echo.burst(50);
    for (const it of its) {
      for (let i = 0; i < 50; i++) {
        assertEquals((await next(it)).greeting, `burst ${i}`);
      }
    }
    for (const sub of subs) {
      assertEquals(sub.counters, {
        published: 0,
        delivered: 51,
        dropped: 0,
        invalid: 0,
      });
    }
  } finally {
    await Promise.all(nodes.map((n) => n.close()));
  }
  assert(child.pid > 0);
});
