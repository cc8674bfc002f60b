/**
 * Every node counts what it does and serves it as `zmp.Observe`: real
 * registry, real nodes in this process, real sockets.
 */

import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  waitFor,
} from "../_assert.ts";
import {
  connectRegistry,
  createNode,
  MetricsCollector,
  OBSERVE_SERVICE,
  ObserveService,
  prometheusText,
  quantile,
  RpcClient,
  RpcError,
} from "../../mod.ts";
import type { CallRecord } from "../../mod.ts";
import { CalculatorService } from "../../examples/calculator/calculator.api.gen.ts";
import { calculator } from "../../examples/calculator/calculator.ts";
import {
  FilterParamsParams,
  RawReadingTopic,
} from "../../examples/sensors/sensors.api.gen.ts";
import { quiet, startTestRegistry } from "../node/_helpers.ts";
import { satisfied } from "../../src/launch/_after.ts";
import { collectHealth, healthLines } from "../../src/observe/health.ts";

const silent = { debug() {}, info() {}, warn() {}, error() {} };

Deno.test("zmp.Observe.metrics() counts calls, errors by code, latency, topics, params and the process", async () => {
  await using server = await startTestRegistry();
  await using registry = await connectRegistry({
    endpoint: server.endpoint,
    logger: quiet,
  });
  await using calc = await createNode("calc", {
    registry: server.endpoint,
    logger: silent,
  });
  await calc.provide(CalculatorService, calculator);
  await using user = await createNode("user", {
    registry: server.endpoint,
    logger: silent,
  });
  const client = await user.client(CalculatorService);
  for (let i = 0; i < 20; i++) assertEquals(await client.add(i, 1), i + 1);
  for (let i = 0; i < 3; i++) {
    await assertRejects(() => client.divide(1, 0), RpcError, "divide by zero");
  }
  const counted: number[] = [];
  for await (const n of client.countdown(2)) counted.push(n);
  assertEquals(counted, [2, 1, 0]);

  const pub = await calc.publisher(RawReadingTopic);
  const sub = await user.subscribe(RawReadingTopic);
  await pub.waitForSubscribers(1, { timeout: 5000 });
  for (let seq = 1; seq <= 5; seq++) {
    pub.publish({ sensor: "s", seq, value: seq, at: new Date() });
  }
  const params = user.params(FilterParamsParams);
  await params.set("alpha", 0.5);
  assertEquals(await params.get("alpha"), 0.5);
  await waitFor(() => sub.queued === 5, "5 queued messages");

  await using collector = new MetricsCollector({ registry: server.endpoint });
  const system = await collector.collect(await registry.nodes());
  assertEquals(system.nodes.map((n) => n.node), ["calc", "user"]);
  assertEquals(system.silent, []);
  const [c, u] = system.nodes;
  const byName = Object.fromEntries(
    c.methods.map((m) => [`${m.service}.${m.method}`, m]),
  );
  assertEquals(byName["Calculator.add"].calls, 20);
  assertEquals(byName["Calculator.add"].errors, {});
  assertEquals(byName["Calculator.add"].latency.count, 20);
  assertEquals(byName["Calculator.add"].inFlight, 0);
  assertEquals(byName["Calculator.divide"].errors, { INVALID_ARGUMENT: 3 });
  assertEquals(byName["Calculator.countdown"].kind, "stream");
  assertEquals(byName["Calculator.countdown"].calls, 1);
  // Three items 10 ms apart: the stream's duration covers them.
  assert(quantile(byName["Calculator.countdown"].latency, 0.5)! >= 20);
  const p99 = quantile(byName["Calculator.add"].latency, 0.99)!;
  assert(p99 > 0 && p99 < 1000, `p99 ${p99} ms`);
  // The collector's own call is served, and counted, by the time it answers.
  assertEquals(byName[`${OBSERVE_SERVICE}.metrics`].calls, 1);

  assertEquals(c.topics, [{
    topic: "sensors/raw",
    role: "publisher",
    messages: 5,
    dropped: 0,
    invalid: 0,
    queued: 0,
    subscribers: 1,
    rate: c.topics[0].rate,
  }]);
  assertEquals(u.topics[0].role, "subscriber");
  assertEquals(u.topics[0].queued, 5);
  assertEquals(u.params.set, 1);
  assertEquals(u.params.get, 1);
  assertEquals(u.registry.register, 1);
  assert(u.registry.update >= 2, "subscribing updates the registration");
  assert(c.process.rssBytes > 1_000_000);
  assert(c.process.openSockets >= 4, `${c.process.openSockets} sockets`);
  assertEquals(c.pid, Deno.pid);
  assertEquals(c.ready, true);

  // The registry reports its own operations the same way.
  const reg = system.registry!;
  assertEquals(reg.node, "registry");
  const ops = Object.fromEntries(
    reg.methods.map((m) => [`${m.service}.${m.method}`, m.calls]),
  );
  assertEquals(ops["zmp.Registry.register"], 2);
  assertEquals(ops["zmp.Registry.paramSet"], 1);
  await sub.close();
});

Deno.test("prometheusText() writes every family with a node label and cumulative histogram buckets", async () => {
  await using server = await startTestRegistry();
  await using registry = await connectRegistry({
    endpoint: server.endpoint,
    logger: quiet,
  });
  await using calc = await createNode("calc", {
    registry: server.endpoint,
    logger: silent,
  });
  await calc.provide(CalculatorService, calculator);
  const rpc = new RpcClient({ endpoints: [calc.info.services[0].endpoint] });
  try {
    for (let i = 0; i < 10; i++) {
      await rpc.call(CalculatorService, CalculatorService.methods.add, [i, i]);
    }
  } finally {
    await rpc.close();
  }
  await using collector = new MetricsCollector({ registry: server.endpoint });
  const text = prometheusText(
    await collector.collect([
      ...await registry.nodes(),
      { ...calc.info, name: "ghost", observe: undefined },
    ]),
  );
  const lines = text.trimEnd().split("\n");
  for (const line of lines) {
    assertMatch(
      line,
      /^(# (HELP|TYPE) zmp_\w+ .+|zmp_\w+(\{(\w+="[^"]*",?)+\})? [-+0-9.eInfNa]+)$/,
    );
  }
  assert(
    lines.includes(
      'zmp_rpc_server_calls_total{node="calc",service="Calculator",method="add"} 10',
    ),
    text,
  );
  assert(lines.includes('zmp_up{node="ghost"} 0'));
  assert(lines.includes('zmp_up{node="registry"} 1'));
  assert(lines.includes("# TYPE zmp_rpc_server_duration_seconds histogram"));
  const buckets = lines.filter((l) =>
    l.startsWith(
      'zmp_rpc_server_duration_seconds_bucket{node="calc",service="Calculator",method="add"',
    )
  ).map((l) => Number(l.split(" ")[1]));
  assert(buckets.length > 20);
  for (let i = 1; i < buckets.length; i++) {
    assert(buckets[i] >= buckets[i - 1], "cumulative");
  }
  assertEquals(buckets.at(-1), 10);
  // Each family's samples follow its HELP and TYPE lines, once.
  const types = lines.filter((l) => l.startsWith("# TYPE "));
  assertEquals(new Set(types).size, types.length);
});

Deno.test("zmp.Observe.calls() hands a recorder each call with its arguments, result or error, and ends when the node closes", async () => {
  await using server = await startTestRegistry();
  const calc = await createNode("calc", {
    registry: server.endpoint,
    logger: silent,
  });
  try {
    await calc.provide(CalculatorService, calculator);
    const rpc = new RpcClient({
      endpoints: [calc.info.observe!],
      logger: quiet,
    });
    const records: CallRecord[] = [];
    const reading = (async () => {
      for await (
        const r of rpc.stream(
          ObserveService,
          ObserveService.methods.calls,
          [["Calculator"]],
        )
      ) records.push(r as CallRecord);
    })();
    const user = new RpcClient({ endpoints: [calc.info.services[0].endpoint] });
    try {
      // The tap opens when the stream's request arrives.
      await waitFor(async () => {
        await user.call(CalculatorService, CalculatorService.methods.add, [
          0,
          0,
        ]);
        return records.length > 0;
      }, "the first record");
      await user.call(
        CalculatorService,
        CalculatorService.methods.add,
        [2, 3],
        {
          metadata: { who: "test" },
        },
      );
      await assertRejects(
        () =>
          user.call(CalculatorService, CalculatorService.methods.divide, [
            1,
            0,
          ]),
        RpcError,
      );
      await waitFor(() => records.at(-1)?.method === "divide", "two records");
    } finally {
      await user.close();
    }
    // The probes of the wait were add(0, 0).
    records.splice(0, records.findIndex((r) => r.args[0] === 2));
    assertEquals(records[0].service, "Calculator");
    assertEquals(records[0].method, "add");
    assertEquals(records[0].args, [2, 3]);
    assertEquals(records[0].result, 5);
    assertEquals(records[0].metadata, { who: "test" });
    assertEquals(records[0].node, "calc");
    assert(records[0].durationMs >= 0 && records[0].at > 0);
    assertEquals(records[1].error?.code, "INVALID_ARGUMENT");
    assertEquals(records[1].error?.message, "Cannot divide by zero");
    // Closing the node ends the stream at once: no drain wait for it.
    const started = performance.now();
    await calc.close();
    await reading;
    assert(performance.now() - started < 2000, "closed without waiting");
    await rpc.close();
  } finally {
    await calc.close();
  }
});

Deno.test("createNode({ readiness }) registers as not ready until the check passes; clients and after conditions wait", async () => {
  await using server = await startTestRegistry();
  await using registry = await connectRegistry({
    endpoint: server.endpoint,
    logger: quiet,
  });
  let ready: boolean | string = "warming up";
  await using calc = await createNode("calc", {
    registry: server.endpoint,
    logger: silent,
    readiness: () => ready,
    readinessInterval: 50,
  });
  await calc.provide(CalculatorService, calculator);
  let info = (await registry.nodes())[0];
  assertEquals(info.ready, false);
  assertEquals(info.notReady, "warming up");
  assertEquals(satisfied({ node: "calc" }, [info]), false);
  assertEquals(satisfied({ service: "Calculator" }, [info]), false);
  await using user = await createNode("user", {
    registry: server.endpoint,
    logger: silent,
  });
  await assertRejects(
    () => user.client(CalculatorService, { timeout: 300 }),
    RpcError,
    "no live instance",
  );
  ready = true;
  await waitFor(async () => {
    info = (await registry.nodes()).find((n) => n.name === "calc")!;
    return info.ready === undefined;
  }, "calc ready");
  assertEquals(satisfied({ node: "calc" }, [info]), true);
  const client = await user.client(CalculatorService, { timeout: 5000 });
  assertEquals(await client.add(1, 2), 3);
  ready = false;
  await waitFor(async () => {
    info = (await registry.nodes()).find((n) => n.name === "calc")!;
    return info.ready === false;
  }, "calc not ready again");
  assertEquals(info.notReady, "its readiness check returned false");
});

Deno.test("collectHealth() names silent and unready nodes, failed calls and lost messages", async () => {
  await using server = await startTestRegistry();
  await using registry = await connectRegistry({
    endpoint: server.endpoint,
    logger: quiet,
  });
  await using calc = await createNode("calc", {
    registry: server.endpoint,
    logger: silent,
    readiness: () => "the cache is cold",
  });
  await calc.provide(CalculatorService, calculator);
  const rpc = new RpcClient({ endpoints: [calc.info.services[0].endpoint] });
  try {
    await rpc.call(CalculatorService, CalculatorService.methods.add, [1, 1]);
    await assertRejects(() =>
      rpc.call(CalculatorService, CalculatorService.methods.divide, [1, 0])
    );
  } finally {
    await rpc.close();
  }
  // A node registered by hand, serving no zmp.Observe.
  await using mute = await registry.register({
    ...calc.info,
    name: "mute",
    instanceId: "x",
    observe: undefined,
    ready: undefined,
    notReady: undefined,
    services: [],
  });
  const health = await collectHealth(registry);
  assertEquals(health.ok, false);
  assertEquals(health.answering, 2);
  assertEquals(health.silent, [{
    node: "mute",
    reason: "serves no zmp.Observe",
  }]);
  assertEquals(health.notReady, [{
    node: "calc",
    reason: "the cache is cold",
  }]);
  assertEquals(health.problems, [
    "calc: Calculator.divide failed 1 of 1 calls (INVALID_ARGUMENT 1)",
  ]);
  assertEquals(healthLines(health), [
    "2 processes answer, 1 silent, 1 not ready",
    "mute is silent: serves no zmp.Observe",
    "calc is not ready: the cache is cold",
    "calc: Calculator.divide failed 1 of 1 calls (INVALID_ARGUMENT 1)",
  ]);
  assert(mute.info.name === "mute");
});
