/**
 * The embedded registry against real processes: the registry runs as
 * `src/registry/main.ts`, nodes as `fixtures/client_process.ts`.
 */

import { assert, assertEquals, assertRejects, waitFor } from "../_assert.ts";
import {
  connectRegistry,
  createNode,
  type NodeInfo,
  type RegistryEvent,
  RegistryUnavailableError,
  RpcClient,
  RpcError,
  startRegistry,
  ValidationError,
} from "../../mod.ts";
import { RegistryService } from "../../src/registry/_service.ts";
import { CalculatorService } from "../../examples/calculator/calculator.api.gen.ts";
import { calculator } from "../../examples/calculator/calculator.ts";
import {
  ClientProcess,
  freeEndpoint,
  liveNames,
  nodeInfo,
  Recorder,
  RegistryProcess,
} from "./_helpers.ts";

const TTL = 1000;
/** Timer and scheduling slack allowed on top of the ttl. */
const SLACK = 600;

Deno.test("connectRegistry() rejects with RegistryUnavailableError within its timeout when nobody listens", async () => {
  const endpoint = await freeEndpoint();
  const started = performance.now();
  const error = await assertRejects(
    () => connectRegistry({ endpoint, timeout: 500 }),
    RegistryUnavailableError,
  );
  const elapsed = performance.now() - started;
  assert(elapsed >= 450 && elapsed < 1500, `rejected after ${elapsed} ms`);
  assertEquals(error.name, "RegistryUnavailableError");
  assertEquals(
    error.message,
    `Cannot reach the zmp registry at ${endpoint} (waited 500 ms): start one with "deno task zmp registry" or "zmp launch <file>", or set ZMP_REGISTRY`,
  );
  assert(!error.message.includes("\n"));
  assertEquals(error.endpoint, endpoint);
  assertEquals(error.timeout, 500);
  assert(error.cause instanceof RpcError);
});

Deno.test("connectRegistry() rejects a malformed endpoint with TypeError", async () => {
  await assertRejects(
    () => connectRegistry({ endpoint: "foo", timeout: 200 }),
    TypeError,
    'Cannot connect to the registry: "foo" is not a valid endpoint (connect "foo" failed: Invalid argument (EINVAL))',
  );
  await assertRejects(
    () => connectRegistry({ endpoint: "tcp://127.0.0.1:1", timeout: 0 }),
    RangeError,
    "Cannot connect to the registry: timeout must be a finite number > 0, got 0",
  );
});

Deno.test("connectRegistry() uses ZMP_REGISTRY when no endpoint is given", async () => {
  const endpoint = await freeEndpoint();
  const before = Deno.env.get("ZMP_REGISTRY");
  Deno.env.set("ZMP_REGISTRY", endpoint);
  try {
    const error = await assertRejects(
      () => connectRegistry({ timeout: 200 }),
      RegistryUnavailableError,
    );
    assertEquals(error.endpoint, endpoint);
    assert(
      error.message.startsWith(
        `Cannot reach the zmp registry at ${endpoint} (waited 200 ms)`,
      ),
    );
  } finally {
    if (before === undefined) Deno.env.delete("ZMP_REGISTRY");
    else Deno.env.set("ZMP_REGISTRY", before);
  }
});

Deno.test("Registry against a registry process", async (t) => {
  await using registry = await RegistryProcess.start(["--ttl", String(TTL)]);
  await using camera = await ClientProcess.start(registry.endpoint, "camera");
  await using client = await connectRegistry({ endpoint: registry.endpoint });

  await t.step(
    "Registry.nodes() lists a node registered by another process",
    async () => {
      const nodes = await client.nodes();
      assertEquals(nodes.map((n) => n.name), ["camera"]);
      assertEquals(nodes[0], camera.info);
      assertEquals(nodes[0].pid, camera.pid);
    },
  );

  await t.step(
    "Registry.register() refuses a live duplicate name with ALREADY_EXISTS naming its pid and host",
    async () => {
      const other = camera.info;
      const error = await assertRejects(
        () => client.register(nodeInfo("camera")),
        RpcError,
      );
      assertEquals(error.code, "ALREADY_EXISTS");
      assertEquals(
        error.message,
        `Cannot register node "camera": a live node of that name already runs as pid ${other.pid} on ${other.host} (instance ${other.instanceId})`,
      );
      assertEquals(error.details, {
        name: "camera",
        pid: other.pid,
        host: other.host,
        instanceId: other.instanceId,
      });
      assertEquals((await client.nodes()).length, 1);
    },
  );

  await t.step(
    "Registry.register() rejects a malformed NodeInfo with ValidationError",
    async () => {
      const bad = {
        ...nodeInfo("bad"),
        pid: -1,
        mode: "thread",
      } as unknown as NodeInfo;
      const error = await assertRejects(
        () => client.register(bad),
        ValidationError,
      );
      assertEquals(
        error.message,
        'Invalid NodeInfo: info.pid: must be >= 0, got -1; info.mode: expected RunMode, got string "thread"',
      );
      assertEquals((await client.nodes()).length, 1);
    },
  );

  await t.step(
    "Registry.register() of the same instance again, with its token, re-registers it",
    async () => {
      const info = nodeInfo("lidar");
      const first = await client.register(info);
      const services = [{ name: "Lidar", endpoint: "tcp://127.0.0.1:1" }];
      const again = await client.register({ ...info, services }, {
        token: first.token,
      });
      try {
        const lidar = (await client.nodes()).find((n) => n.name === "lidar");
        assertEquals(lidar?.services, services);
      } finally {
        await again.close();
        await first.close();
      }
      assertEquals((await client.nodes()).map((n) => n.name), ["camera"]);
    },
  );

  await t.step(
    "Registration.close() unregisters; a second close() does nothing",
    async () => {
      const reg = await client.register(nodeInfo("gripper"));
      assertEquals((await client.nodes()).map((n) => n.name), [
        "camera",
        "gripper",
      ]);
      await reg.close();
      await reg.close();
      assertEquals((await client.nodes()).map((n) => n.name), ["camera"]);
      await assertRejects(
        () => reg.update(reg.info),
        TypeError,
        'Cannot update node "gripper": its registration is closed',
      );
    },
  );

  await t.step(
    "Registry.watch() pushes a snapshot, then added, updated and removed events",
    async () => {
      await using watch = new Recorder<RegistryEvent>((signal) =>
        client.watch({ signal })
      );
      await waitFor(() => watch.items.length >= 1, "the snapshot");
      assertEquals(watch.items[0], {
        type: "snapshot",
        nodes: [camera.info],
      });
      await using arm = await ClientProcess.start(registry.endpoint);
      const info = await arm.request("register", { name: "arm" }) as ReturnType<
        typeof nodeInfo
      >;
      const services = [{ name: "Arm", endpoint: "tcp://127.0.0.1:2" }];
      await arm.request("update", { services });
      await arm.request("unregister");
      await waitFor(() => watch.items.length >= 4, "four events");
      assertEquals(watch.items.slice(1), [
        { type: "added", node: info },
        { type: "updated", node: { ...info, services } },
        {
          type: "removed",
          name: "arm",
          instanceId: info.instanceId,
          reason: "unregistered",
        },
      ]);
      assertEquals(watch.error, undefined);
    },
  );

  await t.step(
    "Registration.update() rejects a different name with TypeError",
    async () => {
      const reg = await client.register(nodeInfo("wrist"));
      try {
        await assertRejects(
          () => reg.update({ ...reg.info, name: "elbow" }),
          TypeError,
          'Cannot update node "wrist": the new info has name "elbow"',
        );
      } finally {
        await reg.close();
      }
    },
  );
});

Deno.test("registry removes a node killed with SIGKILL within the ttl, reason expired", async () => {
  await using registry = await RegistryProcess.start(["--ttl", String(TTL)]);
  await using client = await connectRegistry({ endpoint: registry.endpoint });
  await using node = await ClientProcess.start(registry.endpoint, "doomed");
  await using watch = new Recorder<RegistryEvent>((signal) =>
    client.watch({ signal })
  );
  await waitFor(() => watch.items.length >= 1, "the snapshot");
  assertEquals(liveNames(watch.items), ["doomed"]);
  const killed = performance.now();
  await node.kill("SIGKILL");
  await waitFor(
    () => watch.items.some((e) => e.type === "removed"),
    "the removal",
    { timeout: TTL + SLACK + 2000 },
  );
  const elapsed = performance.now() - killed;
  assertEquals(watch.items.at(-1), {
    type: "removed",
    name: "doomed",
    instanceId: node.info.instanceId,
    reason: "expired",
  });
  assert(elapsed <= TTL + SLACK, `removed ${elapsed} ms after the kill`);
  assertEquals(await client.nodes(), []);
});

Deno.test("registry removes a hung (SIGSTOPped) node, which registers again once resumed", async () => {
  await using registry = await RegistryProcess.start(["--ttl", String(TTL)]);
  await using client = await connectRegistry({ endpoint: registry.endpoint });
  await using node = await ClientProcess.start(registry.endpoint, "frozen");
  await using watch = new Recorder<RegistryEvent>((signal) =>
    client.watch({ signal })
  );
  await waitFor(() => watch.items.length >= 1, "the snapshot");
  const stopped = performance.now();
  node.signal("SIGSTOP");
  try {
    await waitFor(
      () => watch.items.some((e) => e.type === "removed"),
      "the removal",
      { timeout: TTL + SLACK + 2000 },
    );
    const elapsed = performance.now() - stopped;
    assert(elapsed <= TTL + SLACK, `removed ${elapsed} ms after SIGSTOP`);
    assertEquals(watch.items.at(-1), {
      type: "removed",
      name: "frozen",
      instanceId: node.info.instanceId,
      reason: "expired",
    });
  } finally {
    node.signal("SIGCONT");
  }
  // Soft state: its next heartbeat gets NOT_FOUND and it registers again.
  await waitFor(
    () => liveNames(watch.items).includes("frozen"),
    "the node to register again",
    { timeout: 5000 },
  );
  assertEquals(watch.items.at(-1), { type: "added", node: node.info });
});

Deno.test("registry restarted on the same endpoint is refilled by the clients, and watchers get a fresh snapshot", async () => {
  const first = await RegistryProcess.start(["--ttl", String(TTL)]);
  const endpoint = first.endpoint;
  let second: RegistryProcess | undefined;
  try {
    await using n1 = await ClientProcess.start(endpoint, "n1");
    await using n2 = await ClientProcess.start(endpoint, "n2");
    await using client = await connectRegistry({ endpoint });
    await using n3 = await client.register(nodeInfo("n3"));
    await using watch = new Recorder<RegistryEvent>((signal) =>
      client.watch({ signal })
    );
    await waitFor(
      () => liveNames(watch.items).length === 3,
      "the first snapshot",
    );
    assertEquals(watch.items.filter((e) => e.type === "snapshot").length, 1);

    await first.kill("SIGKILL");
    second = await RegistryProcess.start([
      "--endpoint",
      endpoint,
      "--ttl",
      String(TTL),
    ]);
    assertEquals(second.endpoint, endpoint);

    await waitFor(
      async () => (await client.nodes()).length === 3,
      "the clients to register again",
      { timeout: 10000 },
    );
    assertEquals((await client.nodes()).map((n) => n.name), ["n1", "n2", "n3"]);
    assertEquals(
      (await client.nodes()).map((n) => n.instanceId),
      [n1.info.instanceId, n2.info.instanceId, n3.info.instanceId],
    );
    await waitFor(
      () =>
        watch.items.filter((e) => e.type === "snapshot").length === 2 &&
        liveNames(watch.items).length === 3,
      "a fresh snapshot and the nodes",
      { timeout: 10000 },
    );
    assertEquals(liveNames(watch.items), ["n1", "n2", "n3"]);
    assertEquals(watch.error, undefined);
  } finally {
    await first.kill();
    await second?.kill();
  }
});

Deno.test("registry releases the watch of a client that vanished (keepalive)", async () => {
  const logs: string[] = [];
  await using server = await startRegistry({
    endpoint: "tcp://127.0.0.1:*",
    keepalive: 100,
    logger: { warn: (m) => logs.push(m), error: (m) => logs.push(m) },
  });
  await using watcher = await ClientProcess.start(server.endpoint);
  const id = await watcher.startWatch("watch");
  await waitFor(() => watcher.events(id).length >= 1, "the snapshot");
  assertEquals(server.watchers, 1);
  await watcher.kill("SIGKILL");
  await waitFor(() => server.watchers === 0, "the watch to be released", {
    timeout: 6000,
  });
  // The keepalive to the vanished peer is what found it gone.
  assert(logs.every((l) => l.includes("dropped a reply")), logs.join("\n"));
});

Deno.test("Registry.register() gives the name of a process that died to its restart with the token at once, not after the ttl, and refuses a squatter", async () => {
  // A ttl far beyond the test: only the token can free the name.
  await using registry = await startRegistry({
    endpoint: "tcp://127.0.0.1:*",
    ttl: 60000,
  });
  await using client = await connectRegistry({ endpoint: registry.endpoint });
  const token = crypto.randomUUID().replaceAll("-", "");
  const crashed = await ClientProcess.start(registry.endpoint, "phoenix", {
    token,
  });
  const dead = crashed.info;
  await using events = new Recorder((signal) => client.watch({ signal }));
  await crashed.kill("SIGKILL");

  const squat = await assertRejects(
    () => client.register(nodeInfo("phoenix", { mode: "subprocess" })),
    RpcError,
  );
  assertEquals(squat.code, "ALREADY_EXISTS");
  await using restarted = await client.register(
    nodeInfo("phoenix", { mode: "subprocess" }),
    { token },
  );
  const [live] = await client.nodes();
  assertEquals(live.instanceId, restarted.info.instanceId);
  await waitFor(
    () =>
      events.items.some((e) =>
        e.type === "removed" && e.instanceId === dead.instanceId &&
        e.reason === "expired"
      ),
    "the dead instance's lease to end as expired",
  );
  // The restart keeps its name.
  const error = await assertRejects(
    () => client.register(nodeInfo("phoenix")),
    RpcError,
  );
  assertEquals(error.code, "ALREADY_EXISTS");
});

Deno.test("embedded registry: an impostor's update, heartbeat and unregister with the public instanceId are PERMISSION_DENIED; calls still reach the real node", async () => {
  await using registry = await startRegistry({
    endpoint: "tcp://127.0.0.1:*",
    ttl: TTL,
    logger: { warn() {}, error() {} },
  });
  await using real = await createNode("calc", { registry: registry.endpoint });
  await real.provide(CalculatorService, calculator);
  await using caller = await createNode("caller", {
    registry: registry.endpoint,
  });
  const calc = await caller.client(CalculatorService);
  assertEquals(await calc.add(1, 2), 3);
  await using watcher = await connectRegistry({ endpoint: registry.endpoint });
  const listed = (await watcher.nodes()).find((n) => n.name === "calc")!;
  // The impostor serves Calculator too: a call reaching it would hang.
  const fake = {
    ...listed,
    services: listed.services.map((s) => ({
      ...s,
      endpoint: "tcp://127.0.0.1:9",
    })),
  };
  await using impostor = new RpcClient({ endpoints: [registry.endpoint] });
  const M = RegistryService.methods;
  const wrong = "w".repeat(43);
  const attempts: [string, () => Promise<unknown>][] = [
    ["update", () => impostor.call(RegistryService, M.update, [fake, wrong])],
    [
      "heartbeat",
      () =>
        impostor.call(RegistryService, M.heartbeat, [
          "calc",
          listed.instanceId,
          wrong,
        ]),
    ],
    [
      "unregister",
      () =>
        impostor.call(RegistryService, M.unregister, [
          "calc",
          listed.instanceId,
          wrong,
        ]),
    ],
  ];
  for (const [what, attempt] of attempts) {
    const error = await assertRejects(attempt, RpcError);
    assertEquals(error.code, "PERMISSION_DENIED", what);
    assertEquals(
      error.message,
      `Cannot ${what} node "calc": the registration token is wrong`,
    );
  }
  // Without a token at all, the call does not pass validation.
  const missing = await assertRejects(
    () => impostor.call(RegistryService, M.update, [fake]),
    RpcError,
  );
  assertEquals(missing.code, "INVALID_ARGUMENT");
  // Re-registering with the public instanceId is no way in either.
  const taken = await assertRejects(
    () => impostor.call(RegistryService, M.register, [fake]),
    RpcError,
  );
  assertEquals(taken.code, "ALREADY_EXISTS");
  assertEquals(
    (await watcher.nodes()).find((n) => n.name === "calc"),
    listed,
  );
  for (let i = 0; i < 40; i++) {
    assertEquals(await calc.add(i, 1), i + 1, `call ${i}`);
  }
});

Deno.test("embedded registry: a raw client's register/update/paramSet that breaks the rule of names is INVALID_ARGUMENT naming the field; unknown fields are dropped; the registry keeps serving", async () => {
  await using registry = await startRegistry({
    endpoint: "tcp://127.0.0.1:*",
    ttl: TTL,
    logger: { warn() {}, error() {} },
  });
  await using raw = new RpcClient({ endpoints: [registry.endpoint] });
  await using watcher = await connectRegistry({ endpoint: registry.endpoint });
  const M = RegistryService.methods;
  const register = (info: unknown) =>
    raw.call(RegistryService, M.register, [info]);
  const svc = { endpoint: "tcp://127.0.0.1:1" };
  const cases: [Partial<NodeInfo>, string][] = [
    [{ name: "a b" }, "info.name"],
    // "S…S.m" would be a 257-byte method frame: the service is never callable.
    [
      { services: [{ ...svc, name: "S".repeat(200) }] },
      "info.services[0].name",
    ],
    [{ uses: ["x/y"] }, "info.uses[0]"],
  ];
  for (const [more, field] of cases) {
    const e = await assertRejects(
      () => register(nodeInfo("raw", more)),
      RpcError,
    );
    assertEquals(e.code, "INVALID_ARGUMENT");
    assertEquals(e.details, { field });
    assert(e.message.startsWith(`Invalid ${field} `), e.message);
  }
  const clean = nodeInfo("raw", { services: [{ ...svc, name: "Calc" }] });
  const reply = await register({
    ...clean,
    extra: "kept nowhere",
    services: [{ ...clean.services[0], extra: 1 }],
  }) as { token: string };
  assertEquals(await watcher.nodes(), [clean]);
  const e = await assertRejects(
    () =>
      raw.call(RegistryService, M.update, [
        {
          ...clean,
          publishes: [],
          subscribes: [{ topic: "/abs", typeName: "T" }],
        },
        reply.token,
      ]),
    RpcError,
  );
  assertEquals(e.code, "INVALID_ARGUMENT");
  assertEquals(e.details, { field: "info.subscribes[0].topic" });
  const key = await assertRejects(
    () => raw.call(RegistryService, M.paramSet, ["é".repeat(600), 1]),
    RpcError,
  );
  assertEquals(key.code, "INVALID_ARGUMENT");
  assertEquals(key.details, { field: "key" });
  assertEquals(await watcher.nodes(), [clean]);
});
