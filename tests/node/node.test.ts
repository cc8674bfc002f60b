/**
 * The node API in one process, against a real registry: names,
 * registration, services and clients, closing, logs.
 */

import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  assertStringIncludes,
  assertThrows,
  waitFor,
} from "../_assert.ts";
import {
  type CallContext,
  connectRegistry,
  createNode,
  createNodeLogger,
  defineNode,
  isNodeModule,
  NameError,
  rpcClientOf,
  RpcError,
} from "../../mod.ts";
import { parseLogLevel, stringifyFields } from "../../src/node/mod.ts";
import {
  EchoParams,
  EchoService,
  StatusTopic,
  STUB_IDENTITY,
} from "./fixtures/api.ts";
import { startTestRegistry, waitForNode, waitForNodeGone } from "./_helpers.ts";

const quietLog = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

Deno.test("createNode() rejects bad names (NameError, a TypeError) and run modes with TypeError", async () => {
  for (
    const name of ["", "a b", "x".repeat(256), "é", "a:b", "-a", ".a", "/a"]
  ) {
    const e = await assertRejects(() => createNode(name), NameError);
    assert(e instanceof TypeError);
    assertEquals(e.field, "node name");
    assertEquals(
      e.message,
      `Cannot create node ${
        JSON.stringify(name)
      }: a node name is 1 to 255 characters of A-Z a-z 0-9 _ . / -, the first a letter, a digit or _`,
    );
  }
  const e = await assertRejects(
    // deno-lint-ignore no-explicit-any
    () => createNode("ok", { mode: "thread" as any }),
    TypeError,
  );
  assertEquals(
    e.message,
    'Cannot create node "ok": run mode "thread" is not one of subprocess, worker, inprocess',
  );
});

Deno.test("Node.provide(), publisher(), subscribe() and params() refuse names that break the rule with NameError; the node keeps its registration", async () => {
  await using server = await startTestRegistry();
  await using registry = await connectRegistry({ endpoint: server.endpoint });
  await using node = await createNode("names", {
    registry: server.endpoint,
    logger: quietLog,
  });
  await node.ready;
  const impl = {
    echo: (v: unknown) => v,
    whoami: () => STUB_IDENTITY,
    slow: () => STUB_IDENTITY,
    slowOnce: () => STUB_IDENTITY,
    async *count() {},
    burst: () => 0,
  };
  // 200 + 1 + "echo": a method frame over 255 bytes, never callable.
  const long = { ...EchoService, name: "S".repeat(200) };
  const e = await assertRejects(() => node.provide(long, impl), NameError);
  assertEquals(e.field, "service name");
  assertStringIncludes(e.message, "a service name is 1 to 128 characters");
  const topic = await assertRejects(
    () => node.publisher({ ...StatusTopic, name: "has space" }),
    NameError,
  );
  assertEquals(topic.kind, "topic");
  await assertRejects(
    () => node.subscribe({ ...StatusTopic, name: "/abs" }),
    NameError,
  );
  assertThrows(
    () => node.params({ ...EchoParams, namespace: "a/b" }),
    NameError,
    'Cannot use params "a/b": a params namespace is',
  );
  const info = await waitForNode(registry, "names");
  assertEquals([info.services, info.publishes, info.params], [[], [], []]);
});

Deno.test("createNode() registers its NodeInfo and keeps it up to date", async () => {
  await using server = await startTestRegistry();
  await using registry = await connectRegistry({ endpoint: server.endpoint });
  await using node = await createNode("robot/arm-1.a_b", {
    registry: server.endpoint,
    logger: quietLog,
  });
  await node.ready;
  assertEquals(node.name, "robot/arm-1.a_b");
  assertEquals(node.mode, "inprocess");
  const info = node.info;
  assertMatch(info.instanceId, /^[0-9a-f-]{36}$/);
  assertEquals(info.pid, Deno.pid);
  assertEquals(info.host, Deno.hostname());
  assertEquals(await waitForNode(registry, node.name), info);

  await node.provide(EchoService, {
    echo: (v: unknown) => v,
    whoami: () => STUB_IDENTITY,
    slow: () => STUB_IDENTITY,
    slowOnce: () => STUB_IDENTITY,
    async *count() {},
    burst: () => 0,
  });
  const pub = await node.publisher(StatusTopic, { latched: true });
  const sub = await node.subscribe(StatusTopic);
  node.params(EchoParams);
  const registered = await waitForNode(
    registry,
    node.name,
    (n) => n.params.length === 1,
  );
  assertEquals(registered.services.length, 1);
  const [service] = registered.services;
  assertEquals(service.name, "test.Echo");
  assertEquals(service.endpoint, node.info.services[0].endpoint);
  assertEquals(service.codec, "msgpack");
  assertEquals(
    service.methods?.map((m) => [m.name, m.kind, m.idempotent, m.params]),
    Object.values(EchoService.methods).map((
      m,
    ) => [m.name, m.kind, m.idempotent, m.params]),
  );
  assertEquals(
    service.methods?.find((m) => m.name === "slow")?.args,
    EchoService.methods.slow.argsSchema,
  );
  assertMatch(registered.services[0].endpoint, /^tcp:\/\/127\.0\.0\.1:\d+$/);
  assertEquals(registered.publishes, [{
    topic: "test/status",
    endpoint: pub.endpoint,
    typeName: "Status",
    latched: true,
    codec: "msgpack",
    schema: StatusTopic.schema,
  }]);
  assertEquals(registered.subscribes, [{
    topic: "test/status",
    typeName: "Status",
    schema: StatusTopic.schema,
  }]);
  assertEquals(registered.params, ["echo"]);
  assertEquals(
    registered.paramGroups?.map((g) => [g.namespace, g.typeName, g.keys]),
    [[
      "echo",
      "EchoSettings",
      Object.values(EchoParams.keys).map((k) => ({
        name: k.name,
        optional: k.optional,
        schema: k.schema,
      })),
    ]],
  );

  await pub.close();
  await sub.close();
  const after = await waitForNode(
    registry,
    node.name,
    (n) => n.publishes.length === 0 && n.subscribes.length === 0,
  );
  assertEquals(after.services.length, 1);
});

Deno.test("createNode() with a name already live fails with ALREADY_EXISTS", async () => {
  await using server = await startTestRegistry();
  await using first = await createNode("unique", {
    registry: server.endpoint,
    logger: quietLog,
  });
  const e = await assertRejects(
    () => createNode("unique", { registry: server.endpoint }),
    RpcError,
  );
  assertEquals(e.code, "ALREADY_EXISTS");
  assertEquals(
    e.message,
    `Cannot register node "unique": a live node of that name already runs as pid ${Deno.pid} on ${Deno.hostname()} (instance ${first.info.instanceId})`,
  );
});

Deno.test("Node.client() waits for a service that appears later, then calls it", async () => {
  await using server = await startTestRegistry();
  await using caller = await createNode("caller", {
    registry: server.endpoint,
    logger: quietLog,
  });
  await using callee = await createNode("callee", {
    registry: server.endpoint,
    logger: quietLog,
  });
  const pending = caller.client(EchoService);
  let resolved = false;
  pending.then(() => resolved = true, () => {});
  await callee.provide(EchoService, {
    echo: (v: unknown) => v,
    whoami: () => ({ node: callee.name, mode: callee.mode, pid: Deno.pid }),
    async slow(ms: number, ctx: CallContext) {
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, ms);
        ctx.signal.addEventListener("abort", () => {
          clearTimeout(timer);
          resolve(undefined);
        });
      });
      return { node: callee.name, mode: callee.mode, pid: Deno.pid };
    },
    slowOnce: () => STUB_IDENTITY,
    async *count(n: number) {
      for (let i = 0; i < n; i++) yield i;
    },
    burst: () => 0,
  });
  const echo = await pending;
  assert(resolved);
  assertEquals(await echo.echo({ a: [1, 2] }), { a: [1, 2] });
  assertEquals((await echo.whoami()).node, "callee");
  const items: number[] = [];
  for await (const i of echo.count(3)) items.push(i);
  assertEquals(items, [0, 1, 2]);
  // The extra trailing argument is the CallOptions.
  const e = await assertRejects(
    () => echo.slow(2000, { timeout: 20 }),
    RpcError,
  );
  assertEquals(e.code, "DEADLINE_EXCEEDED");
  assertEquals(
    e.message,
    "Call to test.Echo.slow exceeded its deadline of 20 ms",
  );
  assertEquals(rpcClientOf(echo).endpoints, [callee.info.services[0].endpoint]);
  // The same service gives the same client.
  assert((await caller.client(EchoService)) === echo);
});

Deno.test("Node.client() fails with UNAVAILABLE when no instance appears in time", async () => {
  await using server = await startTestRegistry();
  await using node = await createNode("lonely", {
    registry: server.endpoint,
    logger: quietLog,
  });
  const e = await assertRejects(
    () => node.client(EchoService, { timeout: 50 }),
    RpcError,
  );
  assertEquals(e.code, "UNAVAILABLE");
  assertEquals(
    e.message,
    "Cannot make a client of test.Echo: no live instance appeared in the registry within 50 ms",
  );
});

Deno.test("Node.close() drains calls in flight, unregisters, aborts the signal and is idempotent", async () => {
  await using server = await startTestRegistry();
  await using registry = await connectRegistry({ endpoint: server.endpoint });
  await using caller = await createNode("drain-caller", {
    registry: server.endpoint,
    logger: quietLog,
  });
  const callee = await createNode("drain-callee", {
    registry: server.endpoint,
    logger: quietLog,
    drainTimeout: 5000,
  });
  let started = 0;
  await callee.provide(EchoService, {
    echo: (v: unknown) => v,
    whoami: () => STUB_IDENTITY,
    slow: () => STUB_IDENTITY,
    async slowOnce(ms: number) {
      started++;
      await new Promise((r) => setTimeout(r, ms));
      return { node: "drain-callee", mode: "inprocess", pid: Deno.pid };
    },
    async *count() {},
    burst: () => 0,
  });
  const sub = await callee.subscribe(StatusTopic);
  const ended = (async () => {
    for await (const _ of sub) { /* nothing published */ }
    return "ended";
  })();
  const echo = await caller.client(EchoService);
  const inFlight = echo.slowOnce(300);
  await waitFor(() => started === 1, "the call to start");
  const closing = callee.close();
  assert(callee.signal.aborted);
  assertEquals((callee.signal.reason as DOMException).name, "AbortError");
  // The call in flight finishes although its server is closing.
  assertEquals((await inFlight).node, "drain-callee");
  await closing;
  await callee.close();
  assertEquals(await ended, "ended");
  await waitForNodeGone(registry, "drain-callee");
  const e = await assertRejects(
    () => callee.publisher(StatusTopic),
    TypeError,
  );
  assertEquals(
    e.message,
    'Cannot publish on test/status: node "drain-callee" is closed',
  );
  // Its endpoint left the caller's client as the registry reported it.
  await waitFor(
    () => rpcClientOf(echo).endpoints.length === 0,
    "the client to drop the endpoint",
  );
});

Deno.test("createNode({ signal }) aborts node.signal when the stop signal aborts", async () => {
  await using server = await startTestRegistry();
  const stop = new AbortController();
  await using node = await createNode("stoppable", {
    registry: server.endpoint,
    signal: stop.signal,
    logger: quietLog,
  });
  assert(!node.signal.aborted);
  stop.abort("enough");
  assert(node.signal.aborted);
  assertEquals(node.signal.reason, "enough");
});

Deno.test("createNodeLogger() writes one structured line per call, above the level", () => {
  const lines: string[] = [];
  const log = createNodeLogger("talker", {
    level: "info",
    write: (l) => lines.push(l),
  });
  log.debug("hidden");
  log.info("published", { n: 3, big: 2n });
  log.warn("two\nlines");
  const error = new Error("boom");
  error.stack = "Error: boom\n    at here";
  log.error("failed", { error });
  assertEquals(lines, [
    '[talker] info published {"n":3,"big":"2"}',
    "[talker] warn two\\nlines",
    '[talker] error failed {"error":{"name":"Error","message":"boom","stack":"Error: boom\\n    at here"}}',
  ]);
  assertEquals(parseLogLevel("WARN"), "warn");
  assertEquals(parseLogLevel("loud"), undefined);
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assertEquals(stringifyFields({ cyclic }), '{"cyclic":{"self":"[Circular]"}}');
});

Deno.test("createNodeLogger() takes its level from ZMP_LOG_LEVEL", () => {
  const before = Deno.env.get("ZMP_LOG_LEVEL");
  try {
    Deno.env.set("ZMP_LOG_LEVEL", "error");
    const lines: string[] = [];
    const log = createNodeLogger("n", { write: (l) => lines.push(l) });
    log.warn("no");
    log.error("yes");
    assertEquals(lines, ["[n] error yes"]);
  } finally {
    if (before === undefined) Deno.env.delete("ZMP_LOG_LEVEL");
    else Deno.env.set("ZMP_LOG_LEVEL", before);
  }
});

Deno.test("Node.params() sets in one node and watches in another", async () => {
  await using server = await startTestRegistry();
  await using a = await createNode("params-a", {
    registry: server.endpoint,
    logger: quietLog,
  });
  await using b = await createNode("params-b", {
    registry: server.endpoint,
    logger: quietLog,
  });
  await a.params(EchoParams).set("greeting", "hello");
  const seen: string[] = [];
  const watching = (async () => {
    for await (const { key, value } of b.params(EchoParams).watch()) {
      seen.push(`${key}=${value}`);
      if (seen.length === 3) return;
    }
  })();
  await waitFor(() => seen.length === 1, "the current value");
  await a.params(EchoParams).set("rate", 5);
  await a.params(EchoParams).set("greeting", "bye");
  await watching;
  assertEquals(seen, ["greeting=hello", "rate=5", "greeting=bye"]);
  assertEquals(await b.params(EchoParams).get("greeting"), "bye");
  assertStringIncludes(
    (await assertRejects(
      () => a.params(EchoParams).set("rate", "fast" as unknown as number),
      TypeError,
    )).message,
    "expected number",
  );
});

Deno.test("defineNode() marks a module; isNodeModule() recognises it", () => {
  const module = defineNode(() => {});
  assertEquals(module.kind, "zmp.node");
  assert(isNodeModule(module));
  assert(!isNodeModule({ kind: "zmp.node" }));
  assert(!isNodeModule(undefined));
  const e = assertThrows(
    () => defineNode("run" as unknown as () => void),
    TypeError,
  );
  assertEquals(
    e.message,
    "Cannot define a node: expected a function (node, args) => …, got string",
  );
});

Deno.test("Node.client() passes its retry policy to the service client", async () => {
  await using server = await startTestRegistry();
  await using callee = await createNode("flaky-callee", {
    registry: server.endpoint,
    logger: quietLog,
  });
  let calls = 0;
  await callee.provide(EchoService, {
    echo(v: unknown) {
      // Fails twice with INTERNAL (a thrown Error), then answers.
      if (++calls <= 2) throw new Error(`attempt ${calls} fails`);
      return v;
    },
    whoami: () => STUB_IDENTITY,
    slow: () => STUB_IDENTITY,
    slowOnce: () => STUB_IDENTITY,
    async *count() {},
    burst: () => 0,
  });
  await using caller = await createNode("flaky-caller", {
    registry: server.endpoint,
    logger: quietLog,
  });
  // The default policy retries UNAVAILABLE only: INTERNAL reaches the caller.
  const plain = await caller.client(EchoService);
  const e = await assertRejects(() => plain.echo("x"), RpcError);
  assertEquals(e.code, "INTERNAL");
  assertEquals(calls, 1);
  calls = 0;
  const patient = await caller.client(EchoService, {
    retry: { retryOn: ["INTERNAL"], maxAttempts: 3, initialBackoff: 1 },
  });
  assertEquals(await patient.echo("x"), "x");
  assertEquals(calls, 3);
});
