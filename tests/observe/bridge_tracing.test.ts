/**
 * The bridges' own spans, with OpenTelemetry on in a bridge run as
 * `zmp bridge`, its spans sent to a receiver in this test.
 *
 * rosbridge carries trace context: a client's `traceparent` is the parent
 * of the bridge's PRODUCER span (a `publish` op) or CLIENT span (a
 * `call_service` op), and zmp gets the bridge span's `traceparent`.
 *
 * ROS 1 is where trace context stops: TCPROS has no field for it, so with
 * OpenTelemetry on, the ROS 1 bridge starts a trace for each ROS message it
 * publishes in zmp (a PRODUCER span with no parent, whose `traceparent` the
 * zmp subscribers get) and ends the trace of each traced zmp message it
 * sends to ROS (a CONSUMER span, child of the publisher's). The ROS side is
 * a real rosmaster and rospy peers.
 */

import { assert, assertEquals, waitFor } from "../_assert.ts";
import { type CallContext, createNode } from "../../mod.ts";
import { CalculatorService } from "../../examples/calculator/calculator.api.gen.ts";
import { RawReadingTopic } from "../../examples/sensors/sensors.api.gen.ts";
import {
  RosChatterTopic,
  RosCommandsTopic,
} from "../../examples/ros/ros.api.gen.ts";
import { parseTraceparent } from "../../src/observe/trace.ts";
import { RegistryProcess } from "../registry/_helpers.ts";
import { requireRos, RosMaster } from "../bridge/_ros.ts";
import { ROOT_PATH, Zmp } from "./_helpers.ts";

interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: { key: string; value: { stringValue?: string } }[];
}

const CLIENT = 3;
const PRODUCER = 4;
const CONSUMER = 5;
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

function attribute(span: Span, key: string): string | undefined {
  return span.attributes.find((a) => a.key === key)?.value.stringValue;
}

/** A local OTLP/JSON receiver, and the environment that sends it spans. */
function otlpReceiver(service: string) {
  const spans: Span[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (request) => {
      const body = await request.json().catch(() => ({}));
      if (new URL(request.url).pathname === "/v1/traces") {
        for (const r of body.resourceSpans ?? []) {
          for (const s of r.scopeSpans ?? []) spans.push(...(s.spans ?? []));
        }
      }
      return Response.json({});
    },
  );
  const env = {
    OTEL_DENO: "true",
    OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${
      (server.addr as Deno.NetAddr).port
    }`,
    OTEL_SERVICE_NAME: service,
  };
  return {
    spans,
    env,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

Deno.test("rosbridge: a client's traceparent is the parent of the bridge's PRODUCER and CLIENT spans", async () => {
  await using receiver = otlpReceiver("zmp-rosbridge");
  await using registry = await RegistryProcess.start();
  const fromClient = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  const callFrom = "00-11111111111111111111111111111111-2222222222222222-01";
  const heard: (string | undefined)[] = [];
  const metadata: Record<string, string>[] = [];
  {
    await using node = await createNode("lab", {
      registry: registry.endpoint,
      logger: quiet,
    });
    await node.provide(CalculatorService, {
      add: (a: number, b: number, ctx: CallContext) => {
        metadata.push(ctx.metadata);
        return a + b;
      },
      divide: (a: number, b: number) => a / b,
      sum: (values: number[]) => values.reduce((x, y) => x + y, 0),
      async *countdown() {},
      evaluate: () => 0,
    } as never);
    const raw = await node.subscribe(RawReadingTopic);
    const reading = (async () => {
      for await (const { traceparent } of raw.messages()) {
        heard.push(traceparent);
      }
    })();
    await using bridge = new Zmp([
      "bridge",
      "rosbridge",
      "--port",
      "0",
      "--registry",
      registry.endpoint,
    ], { env: receiver.env });
    const [, url] = await bridge.line(/rosbridge listening on (ws:\S+);/);
    const ws = new WebSocket(url);
    const got: Record<string, unknown>[] = [];
    ws.onmessage = (e) => got.push(JSON.parse(e.data));
    const closed = new Promise((resolve) => ws.onclose = resolve);
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = reject;
    });
    try {
      await waitFor(
        () => {
          ws.send(JSON.stringify({
            op: "publish",
            topic: "/sensors/raw",
            msg: {
              sensor: "web",
              seq: 0,
              value: 1,
              at: "2026-01-01T00:00:00Z",
            },
            traceparent: fromClient,
          }));
          return heard.length > 0;
        },
        "a message through the bridge",
        { timeout: 15000, interval: 100 },
      );
      ws.send(JSON.stringify({
        op: "call_service",
        id: "traced",
        service: "/Calculator/add",
        args: { a: 2, b: 3 },
        traceparent: callFrom,
      }));
      await waitFor(() => got.some((m) => m.id === "traced"), "the answer");
    } finally {
      ws.close();
      await closed;
      await raw.close();
      await reading;
    }
    assertEquals(await bridge.stop(), 0, bridge.text);
  }
  const bridgeSpans = receiver.spans.filter((s) =>
    attribute(s, "zmp.node") === "rosbridge"
  );
  const names = JSON.stringify(bridgeSpans.map((s) => [s.name, s.kind]));
  const client = parseTraceparent(fromClient)!;
  for (const traceparent of heard) {
    const parts = parseTraceparent(traceparent ?? "");
    assert(parts !== undefined, `a traceparent: ${JSON.stringify(heard)}`);
    const span = bridgeSpans.find((s) => s.spanId === parts.spanId);
    assert(span !== undefined, `the span of ${traceparent}: ${names}`);
    assertEquals([span.name, span.kind], ["publish sensors/raw", PRODUCER]);
    assertEquals(span.traceId, client.traceId);
    assertEquals(span.parentSpanId, client.spanId);
  }
  const call = parseTraceparent(callFrom)!;
  const served = parseTraceparent(metadata.at(-1)?.traceparent ?? "");
  assert(served !== undefined, JSON.stringify(metadata));
  const span = bridgeSpans.find((s) => s.spanId === served.spanId);
  assert(span !== undefined, `the CLIENT span of the call: ${names}`);
  assertEquals([span.name, span.kind], ["Calculator/add", CLIENT]);
  assertEquals(span.traceId, call.traceId);
  assertEquals(span.parentSpanId, call.spanId);
});

Deno.test("ROS 1 bridge: a ROS message starts a trace in zmp; a traced zmp message's trace ends at the bridge", async () => {
  await requireRos();
  await using receiver = otlpReceiver("zmp-ros1-bridge");
  const spans = receiver.spans;
  await using master = await RosMaster.start();
  await using registry = await RegistryProcess.start();
  const sent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  const heard: { data: string; traceparent?: string }[] = [];
  {
    await using bridge = new Zmp([
      "bridge",
      "ros1",
      `${ROOT_PATH}examples/ros/bridge.ts`,
      "--master",
      master.uri,
      "--registry",
      registry.endpoint,
    ], {
      env: { ...receiver.env, ROS_MASTER_URI: master.uri },
    });
    await bridge.line(/ROS bridge started/);
    await using node = await createNode("traced", {
      registry: registry.endpoint,
      logger: quiet,
    });

    // ROS → zmp: each message comes with the bridge's PRODUCER span.
    const chatter = await node.subscribe(RosChatterTopic);
    const reading = (async () => {
      for await (const { message, traceparent } of chatter.messages()) {
        heard.push({ data: message.data, traceparent });
      }
    })();
    await using talker = master.peer("talker", "/chatter", "100", "0.05", "1");
    await waitFor(
      () => heard.length >= 3,
      "the talker's messages in zmp",
      { timeout: 20000 },
    );
    await chatter.close();
    await reading;
    try {
      talker.child.kill("SIGTERM");
    } catch {
      // it may have finished
    }

    // zmp → ROS: a traced message reaches a rospy listener.
    await using listener = master.peer("listener", "/commands", "1000");
    await listener.line(/ready/);
    const commands = await node.publisher(RosCommandsTopic);
    await commands.waitForSubscribers(1, { timeout: 10000 });
    await waitFor(
      () => {
        commands.publish({ data: "go" }, { traceparent: sent });
        return listener.lines.some((l) => l === "heard go");
      },
      "the rospy listener to hear zmp",
      { timeout: 15000, interval: 100 },
    );
    // Its spans go out when it exits.
    assertEquals(await bridge.stop(), 0, bridge.text);
  }

  const bridgeSpans = spans.filter((s) =>
    attribute(s, "zmp.node") === "ros1_bridge"
  );
  const producers = new Map(
    bridgeSpans
      .filter((s) => s.kind === PRODUCER && s.name === "publish ros/chatter")
      .map((s) => [s.spanId, s]),
  );
  for (const { traceparent } of heard) {
    const parts = parseTraceparent(traceparent ?? "");
    assert(parts !== undefined, `a traceparent: ${JSON.stringify(heard)}`);
    const span = producers.get(parts.spanId);
    assert(
      span !== undefined,
      `the PRODUCER span of ${traceparent}; spans: ${
        JSON.stringify(bridgeSpans.map((s) => [s.name, s.kind, s.spanId]))
      }`,
    );
    assertEquals(span.traceId, parts.traceId);
    assertEquals(span.parentSpanId ?? "", "", "a trace starts at the bridge");
  }
  assertEquals(
    new Set(heard.map((h) => h.traceparent!.slice(3, 35))).size,
    heard.length,
    "one trace per ROS message",
  );

  const consumers = bridgeSpans.filter((s) =>
    s.kind === CONSUMER && s.name === "process ros/commands"
  );
  assert(consumers.length >= 1, JSON.stringify(bridgeSpans.map((s) => s.name)));
  const { traceId, spanId } = parseTraceparent(sent)!;
  for (const span of consumers) {
    assertEquals(span.traceId, traceId);
    assertEquals(span.parentSpanId, spanId);
    // The trace ends here: nothing in the bridge is its child.
    assertEquals(spans.filter((s) => s.parentSpanId === span.spanId), []);
  }
});
