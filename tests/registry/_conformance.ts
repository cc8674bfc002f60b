/**
 * The conformance suite of registry backends: what every `Registry` and
 * `ParamStore` must do, whichever backend is behind them. `conformance.test.ts`
 * runs it against the embedded registry (a registry process) and etcd (a
 * real etcd member), with nodes in other processes.
 *
 * @module
 */

import { assert, assertEquals, assertRejects, waitFor } from "../_assert.ts";
import {
  connectRegistry,
  NameError,
  type NodeInfo,
  ParamConflictError,
  type ParamEvent,
  type Registry,
  type RegistryEvent,
  RpcError,
  ValidationError,
} from "../../mod.ts";
import { ClientProcess, liveNames, nodeInfo, Recorder } from "./_helpers.ts";

/** A backend under test. */
export interface Backend extends AsyncDisposable {
  /** Its endpoint (`tcp://…` or `etcd://…`). */
  readonly endpoint: string;
  /** The lease ttl its clients get, in ms. */
  readonly ttl: number;
  /** How late after the ttl a removal may come, in ms. */
  readonly slack: number;
  /** Whether params outlive a restart. */
  readonly durable: boolean;
  /** Takes the backend down (SIGKILL) and brings it back. */
  restart(): Promise<void>;
}

/** Connects a client of the backend (its ttl, short timeouts). */
function connect(backend: Backend): Promise<Registry> {
  return connectRegistry({
    endpoint: backend.endpoint,
    ttl: backend.ttl,
    logger: { warn() {}, error() {} },
  });
}

/** Names nobody would choose, that every backend must keep as they are. */
const ODD_NAMES = [
  "slash/in/name",
  "dots.and..more.",
  "_under-score",
  "9lives",
  "x".repeat(255),
];

/** Names that break the rule of `wire/names.ts`: refused by every backend. */
const BAD_NAMES = [
  "with space",
  "ünïcödé-名前-🚀",
  "percent%2Fencoded",
  'quote"and\\backslash',
  "-dash",
  ".dot",
  "/abs",
  "x".repeat(256),
];

/** A subscription entry. */
function topic(name: string) {
  return { topic: name, typeName: "T" };
}

/**
 * Runs the suite as steps of `t`.
 *
 * @param t the test context
 * @param backend the backend, running
 */
export async function registryConformance(
  t: Deno.TestContext,
  backend: Backend,
): Promise<void> {
  const registry = await connect(backend);
  try {
    await nodeSteps(t, backend, registry);
    await paramSteps(t, backend, registry);
    await t.step("survives a restart of the backend", async () => {
      await restartStep(backend, registry);
    });
  } finally {
    await registry.close();
  }
}

async function nodeSteps(
  t: Deno.TestContext,
  backend: Backend,
  registry: Registry,
): Promise<void> {
  const opts = { ttl: backend.ttl };
  await t.step(
    "nodes() lists a node another process registered; a duplicate name is ALREADY_EXISTS",
    async () => {
      await using camera = await ClientProcess.start(
        backend.endpoint,
        "camera",
        opts,
      );
      assertEquals(await registry.nodes(), [camera.info]);
      const error = await assertRejects(
        () => registry.register(nodeInfo("camera")),
        RpcError,
      );
      assertEquals(error.code, "ALREADY_EXISTS");
      const other = camera.info;
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
      await camera.kill("SIGTERM");
      await waitFor(
        async () => (await registry.nodes()).length === 0,
        "camera to unregister on SIGTERM",
      );
    },
  );

  await t.step(
    "register() rejects a malformed NodeInfo, storing nothing",
    async () => {
      const bad = { ...nodeInfo("bad"), pid: -1 } as NodeInfo;
      await assertRejects(() => registry.register(bad), ValidationError);
      assertEquals(await registry.nodes(), []);
    },
  );

  await t.step(
    "watch(): a snapshot, then added, updated, removed (unregistered); the same instance registering again with its token is an update",
    async () => {
      await using watch = new Recorder<RegistryEvent>((signal) =>
        registry.watch({ signal })
      );
      await waitFor(() => watch.items.length >= 1, "the snapshot");
      assertEquals(watch.items[0], { type: "snapshot", nodes: [] });
      await using arm = await ClientProcess.start(
        backend.endpoint,
        undefined,
        opts,
      );
      const info = await arm.request("register", { name: "arm" }) as NodeInfo;
      const services = [{ name: "Arm", endpoint: "tcp://127.0.0.1:2" }];
      await arm.request("update", { services });
      const token = await arm.request("token") as string;
      const again = await registry.register({ ...info, services: [] }, {
        token,
      });
      assertEquals(again.token, token);
      await again.close();
      await arm.request("unregister");
      await waitFor(() => watch.items.length >= 5, "four more events");
      assertEquals(watch.items.slice(1), [
        { type: "added", node: info },
        { type: "updated", node: { ...info, services } },
        { type: "updated", node: info },
        {
          type: "removed",
          name: "arm",
          instanceId: info.instanceId,
          reason: "unregistered",
        },
      ]);
      assertEquals(await registry.nodes(), []);
      assertEquals(watch.error, undefined);
    },
  );

  await t.step(
    "Registration.close() twice is fine; update() after it is a TypeError",
    async () => {
      const reg = await registry.register(nodeInfo("gripper"));
      await reg.close();
      await reg.close();
      await assertRejects(
        () => reg.update(reg.info),
        TypeError,
        'Cannot update node "gripper": its registration is closed',
      );
      assertEquals(await registry.nodes(), []);
    },
  );

  await t.step(
    "a node whose process is SIGKILLed is removed within the ttl, reason expired",
    async () => {
      await using watch = new Recorder<RegistryEvent>((signal) =>
        registry.watch({ signal })
      );
      await using doomed = await ClientProcess.start(
        backend.endpoint,
        "doomed",
        opts,
      );
      await waitFor(() => liveNames(watch.items).includes("doomed"), "doomed");
      const killed = performance.now();
      await doomed.kill("SIGKILL");
      await waitFor(
        () => watch.items.some((e) => e.type === "removed"),
        "the removal",
        { timeout: backend.ttl + backend.slack + 3000 },
      );
      const elapsed = performance.now() - killed;
      assertEquals(watch.items.at(-1), {
        type: "removed",
        name: "doomed",
        instanceId: doomed.info.instanceId,
        reason: "expired",
      });
      assert(
        elapsed <= backend.ttl + backend.slack,
        `removed ${Math.round(elapsed)} ms after the kill (ttl ${backend.ttl})`,
      );
    },
  );

  await t.step(
    "register() of a live name with its public instanceId but without its token is ALREADY_EXISTS; nothing changes",
    async () => {
      await using watch = new Recorder<RegistryEvent>((signal) =>
        registry.watch({ signal })
      );
      await using owner = await ClientProcess.start(
        backend.endpoint,
        "owner",
        opts,
      );
      await waitFor(() => liveNames(watch.items).includes("owner"), "owner");
      const impostor = {
        ...owner.info,
        services: [{ name: "Calculator", endpoint: "tcp://127.0.0.1:9" }],
      };
      for (const token of [undefined, "x".repeat(43)]) {
        const error = await assertRejects(
          () => registry.register(impostor, { token }),
          RpcError,
        );
        assertEquals(error.code, "ALREADY_EXISTS");
      }
      assertEquals(await registry.nodes(), [owner.info]);
      const token = await owner.request("token") as string;
      assert(/^[A-Za-z0-9_-]{43}$/.test(token), token);
      const listed = JSON.stringify(await registry.nodes()) +
        JSON.stringify(watch.items);
      assert(!listed.includes(token), "the token is listed");
      assertEquals(
        watch.items.slice(1).map((e) => e.type),
        ["added"],
      );
      await assertRejects(
        () => registry.register(owner.info, { token: "short" }),
        ValidationError,
      );
    },
  );

  await t.step(
    "a just-killed node's name: a squatter is refused until the lease expires; its restart with the token takes it at once",
    async () => {
      await using watch = new Recorder<RegistryEvent>((signal) =>
        registry.watch({ signal })
      );
      const token = "launcher-made-token-" + crypto.randomUUID();
      await using first = await ClientProcess.start(
        backend.endpoint,
        "worker1",
        { ...opts, token },
      );
      await waitFor(() => liveNames(watch.items).includes("worker1"), "it");
      await first.kill("SIGKILL");
      const killed = performance.now();
      const error = await assertRejects(
        () => registry.register(nodeInfo("worker1")),
        RpcError,
      );
      assertEquals(error.code, "ALREADY_EXISTS");
      const restart = nodeInfo("worker1");
      const second = await registry.register(restart, { token });
      try {
        const elapsed = performance.now() - killed;
        assert(elapsed < backend.ttl, `took over after ${elapsed} ms`);
        assertEquals(second.token, token);
        await waitFor(
          () =>
            watch.items.some((e) =>
              e.type === "added" && e.node.instanceId === restart.instanceId
            ),
          "the restart to be listed",
        );
        // The earlier step's node may still be leaving (etcd revokes its
        // lease after close() returns).
        await waitFor(
          () => liveNames(watch.items).join() === "worker1",
          "worker1 alone",
        );
        assertEquals(await registry.nodes(), [restart]);
        // Still refused: the name is the restart's, with the same token.
        const again = await assertRejects(
          () => registry.register(nodeInfo("worker1")),
          RpcError,
        );
        assertEquals(again.code, "ALREADY_EXISTS");
      } finally {
        await second.close();
      }
      assertEquals(await registry.nodes(), []);
    },
  );

  await t.step(
    "node names: odd but valid ones are kept as they are; the rest are refused with NameError naming info.name",
    async () => {
      const regs = [];
      try {
        for (const name of ODD_NAMES) {
          regs.push(await registry.register(nodeInfo(name)));
        }
        assertEquals(
          (await registry.nodes()).map((n) => n.name),
          [...ODD_NAMES].sort(),
        );
      } finally {
        for (const r of regs) await r.close();
      }
      for (const name of BAD_NAMES) {
        const e = await assertRejects(
          () => registry.register(nodeInfo(name)),
          NameError,
        );
        assertEquals(e.field, "info.name", name);
      }
      assertEquals(await registry.nodes(), []);
    },
  );

  await t.step(
    "register() and update() refuse what breaks the rule of names and sizes, naming the field, and keep serving",
    async () => {
      const method = {
        name: "m",
        kind: "unary" as const,
        idempotent: false,
        params: [],
        requiredParams: 0,
        args: { type: "array" },
        result: {},
      };
      const svc = (name: string, more: object = {}) => ({
        name,
        endpoint: "tcp://127.0.0.1:1",
        ...more,
      });
      const cases: [Partial<NodeInfo>, string][] = [
        // `S…S.m` would be 256 bytes: over the method frame.
        [{ services: [svc("S".repeat(129))] }, "info.services[0].name"],
        [
          { services: [svc("S", { methods: [{ ...method, name: "a.b" }] })] },
          "info.services[0].methods[0].name",
        ],
        [
          {
            publishes: [{
              ...topic("a b"),
              endpoint: "tcp://127.0.0.1:1",
              latched: false,
            }],
          },
          "info.publishes[0].topic",
        ],
        [{ subscribes: [topic("x".repeat(256))] }, "info.subscribes[0].topic"],
        [{ params: ["a/b"] }, "info.params[0]"],
        [
          { services: Array.from({ length: 1025 }, (_, i) => svc(`S${i}`)) },
          "info.services",
        ],
        [
          {
            services: [svc("S", {
              methods: [{ ...method, args: { doc: "d".repeat(70000) } }],
            })],
          },
          "info.services[0].methods[0].args",
        ],
        [
          {
            services: Array.from(
              { length: 300 },
              (_, i) => svc(`S${i}`, { doc: "d".repeat(4000) }),
            ),
          },
          "info",
        ],
      ];
      for (const [more, field] of cases) {
        const e = await assertRejects(
          () => registry.register(nodeInfo("limits", more)),
          NameError,
        );
        assertEquals(e.field, field);
      }
      assertEquals(await registry.nodes(), []);
      await using reg = await registry.register(nodeInfo("limits"));
      const e = await assertRejects(
        () =>
          reg.update({
            ...reg.info,
            publishes: [],
            subscribes: [topic("/abs")],
          }),
        NameError,
      );
      assertEquals(e.field, "info.subscribes[0].topic");
      assertEquals((await registry.nodes()).map((n) => n.name), ["limits"]);
    },
  );

  await t.step(
    "unknown NodeInfo fields are neither stored nor sent to watchers, at any level",
    async () => {
      await using watch = new Recorder<RegistryEvent>((signal) =>
        registry.watch({ signal })
      );
      await waitFor(() => watch.items.length >= 1, "the snapshot");
      const clean = nodeInfo("future", {
        services: [{ name: "svc.S", endpoint: "tcp://127.0.0.1:1" }],
        subscribes: [topic("news")],
      });
      const extra = {
        ...clean,
        fromTheFuture: { big: "x".repeat(1000) },
        services: [{ ...clean.services[0], color: "blue" }],
        subscribes: [{ ...clean.subscribes[0], qos: 2 }],
      } as unknown as NodeInfo;
      await using reg = await registry.register(extra);
      assertEquals(await registry.nodes(), [clean]);
      await reg.update(
        { ...extra, ready: false, again: 1 } as unknown as NodeInfo,
      );
      await waitFor(
        () => watch.items.some((e) => e.type === "updated"),
        "the update",
      );
      const sent = watch.items.flatMap((e) =>
        e.type === "added" || e.type === "updated" ? [e.node] : []
      );
      assertEquals(sent, [clean, { ...clean, ready: false }]);
    },
  );

  await t.step(
    "a big NodeInfo (300 services) registers and reads back",
    async () => {
      const services = Array.from({ length: 300 }, (_, i) => ({
        name: `svc.S${i}`,
        endpoint: `tcp://127.0.0.1:${10000 + i}`,
        doc: "d".repeat(200),
      }));
      const info = nodeInfo("big", { services });
      await using _reg = await registry.register(info);
      assertEquals((await registry.nodes())[0], info);
    },
  );
}

async function paramSteps(
  t: Deno.TestContext,
  _backend: Backend,
  registry: Registry,
): Promise<void> {
  const params = registry.params;
  await t.step(
    "params: get, set, list by prefix, delete; Dates, Maps, Sets and bigints survive",
    async () => {
      const start = new Date("2024-05-01T12:00:00Z");
      await params.set("robot.maxSpeed", 1.5);
      await params.set("robot.start", start);
      await params.set("robotics.arm", "left");
      const limits = { m: new Map([["x", 1n]]), s: new Set(["a"]) };
      await params.set("robot.limits", limits);
      assertEquals(await params.get("robot.start"), start);
      assertEquals(await params.get("robot.limits"), limits);
      assertEquals(Object.keys(await params.list("robot")), [
        "robot.limits",
        "robot.maxSpeed",
        "robot.start",
      ]);
      assertEquals(Object.keys(await params.list("rob")), []);
      assertEquals(Object.keys(await params.list("robot.")), [
        "robot.limits",
        "robot.maxSpeed",
        "robot.start",
      ]);
      assertEquals(await params.delete("robot.limits"), true);
      assertEquals(await params.delete("robot.limits"), false);
      assertEquals(await params.get("robot.limits"), undefined);
      assertEquals(await params.getEntry("never.set"), undefined);
    },
  );

  await t.step(
    "params: watch() gets a snapshot, then set and deleted under its prefix; setting the same value is no event",
    async () => {
      await using watch = new Recorder<ParamEvent>((signal) =>
        params.watch("robot", { signal })
      );
      await waitFor(() => watch.items.length >= 1, "the snapshot");
      assertEquals(watch.items[0], {
        type: "snapshot",
        values: {
          "robot.maxSpeed": 1.5,
          "robot.start": new Date("2024-05-01T12:00:00Z"),
        },
      });
      await using other = await ClientProcess.start(registry.endpoint);
      await other.request("set", { key: "robot.maxSpeed", value: 2 });
      await other.request("set", { key: "robotics.arm", value: "right" });
      await other.request("set", { key: "robot.maxSpeed", value: 2 });
      await other.request("delete", { key: "robot.start" });
      await other.request("set", { key: "robot.end", value: "x" });
      await waitFor(() => watch.items.length >= 4, "three events");
      assertEquals(watch.items.slice(1), [
        { type: "set", key: "robot.maxSpeed", value: 2 },
        { type: "deleted", key: "robot.start" },
        { type: "set", key: "robot.end", value: "x" },
      ]);
    },
  );

  await t.step(
    "params: revisions and compare-and-set (ifRevision), ParamConflictError when someone else won",
    async () => {
      const r1 = await params.set("cas.x", 1, { ifRevision: 0 });
      assert(r1 > 0, `revision ${r1}`);
      assertEquals(await params.getEntry("cas.x"), { value: 1, revision: r1 });
      const conflict = await assertRejects(
        () => params.set("cas.x", 2, { ifRevision: 0 }),
        ParamConflictError,
      );
      assertEquals(conflict.code, "ABORTED");
      assertEquals([conflict.key, conflict.expected, conflict.actual], [
        "cas.x",
        0,
        r1,
      ]);
      assertEquals(
        conflict.message,
        `Cannot set param "cas.x": it is set (revision ${r1}), not unset`,
      );
      const r2 = await params.set("cas.x", 2, { ifRevision: r1 });
      assert(r2 > r1, `${r2} > ${r1}`);
      const stale = await assertRejects(
        () => params.set("cas.x", 3, { ifRevision: r1 }),
        ParamConflictError,
      );
      assertEquals(
        stale.message,
        `Cannot set param "cas.x": its revision is ${r2}, not ${r1} (someone else changed it)`,
      );
      assertEquals(await params.get("cas.x"), 2);
      // The same value again: no new revision.
      assertEquals(await params.set("cas.x", 2), r2);
      await assertRejects(
        () => params.set("cas.missing", 1, { ifRevision: r2 }),
        ParamConflictError,
        `Cannot set param "cas.missing": it is unset, not at revision ${r2}`,
      );
      await assertRejects(
        () => params.set("cas.x", 1, { ifRevision: -1 }),
        TypeError,
        'Cannot set param "cas.x": ifRevision must be a whole number >= 0, got -1',
      );
      assertEquals(await params.delete("cas.x"), true);
    },
  );

  await t.step(
    "params: update() from three processes at once loses no increment",
    async () => {
      const workers = await Promise.all(
        [0, 1, 2].map(() => ClientProcess.start(registry.endpoint)),
      );
      try {
        await Promise.all(
          workers.map((w) =>
            w.request("increment", { key: "cas.counter", times: 30 })
          ),
        );
      } finally {
        for (const w of workers) await w.kill();
      }
      assertEquals(await params.get("cas.counter"), 90);
      assertEquals(
        await params.update("cas.counter", (n) => (n as number) * 2),
        180,
      );
      assertEquals(await params.update("cas.counter", () => undefined), 180);
      await params.delete("cas.counter");
    },
  );

  await t.step("params: a 512 KiB value and odd keys", async () => {
    const big = { text: "z".repeat(512 * 1024), list: [1, 2, 3] };
    await params.set("big.value", big);
    assertEquals(await params.get("big.value"), big);
    await params.delete("big.value");
    const keys = [...ODD_NAMES, ...BAD_NAMES, "x".repeat(1024)].map((n) =>
      `odd.${n}`.slice(0, 1024)
    );
    for (const key of keys) await params.set(key, key);
    const listed = await params.list("odd");
    assertEquals(Object.keys(listed), [...keys].sort());
    for (const key of keys) {
      assertEquals(listed[key], key);
      assertEquals(await params.delete(key), true);
    }
  });
}

async function restartStep(backend: Backend, registry: Registry) {
  await using node = await ClientProcess.start(backend.endpoint, "survivor", {
    ttl: backend.ttl,
  });
  await registry.params.set("keep.a", 1);
  await using nodes = new Recorder<RegistryEvent>((signal) =>
    registry.watch({ signal })
  );
  await using params = new Recorder<ParamEvent>((signal) =>
    registry.params.watch("keep", { signal })
  );
  await waitFor(
    () => nodes.items.length >= 1 && params.items.length >= 1,
    "the snapshots",
  );
  await backend.restart();
  await registry.params.set("keep.b", 2, { timeout: 10000 });
  // The node's registration comes back by itself.
  await waitFor(
    async () =>
      (await registry.nodes()).some((n) =>
        n.instanceId === node.info.instanceId
      ),
    "the node to be registered again",
    { timeout: 15000 },
  );
  const expected = backend.durable ? { "keep.a": 1, "keep.b": 2 } : {
    "keep.b": 2,
  };
  await waitFor(
    () =>
      JSON.stringify(replayParams(params.items)) === JSON.stringify(expected),
    "the params watch to catch up",
    { timeout: 15000 },
  );
  await waitFor(
    () => liveNames(nodes.items).includes("survivor"),
    "the nodes watch to catch up",
    { timeout: 15000 },
  );
  assertEquals(nodes.error, undefined);
  assertEquals(params.error, undefined);
  if (backend.durable) {
    // Resumed where it was: no second snapshot, every change once.
    assertEquals(params.items.filter((e) => e.type === "snapshot").length, 1);
    assertEquals(params.items.slice(1), [
      { type: "set", key: "keep.b", value: 2 },
    ]);
  }
  await registry.params.delete("keep.a");
  await registry.params.delete("keep.b");
}

/** The params a watch's events add up to. */
function replayParams(events: ParamEvent[]): Record<string, unknown> {
  let state: Record<string, unknown> = {};
  for (const e of events) {
    if (e.type === "snapshot") state = { ...e.values };
    else if (e.type === "set") state[e.key] = e.value;
    else delete state[e.key];
  }
  return Object.fromEntries(Object.entries(state).sort());
}
