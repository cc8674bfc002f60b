/**
 * Where trace context stops: TCPROS has no field for it, so with
 * OpenTelemetry on, the ROS 1 bridge starts a trace for each ROS message it
 * publishes in zmp (a PRODUCER span with no parent, whose `traceparent` the
 * zmp subscribers get) and ends the trace of each traced zmp message it
 * sends to ROS (a CONSUMER span, child of the publisher's). The bridge runs
 * as `zmp bridge ros1` with its spans sent to a receiver in this test; the
 * ROS side is a real rosmaster and rospy peers.
 */

import { assert, assertEquals, waitFor } from "../_assert.ts";
import { createNode } from "../../mod.ts";
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

const PRODUCER = 4;
const CONSUMER = 5;
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

function attribute(span: Span, key: string): string | undefined {
  return span.attributes.find((a) => a.key === key)?.value.stringValue;
}

Deno.test("ROS 1 bridge: a ROS message starts a trace in zmp; a traced zmp message's trace ends at the bridge", async () => {
  await requireRos();
  const spans: Span[] = [];
  await using receiver = Deno.serve(
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
      env: {
        OTEL_DENO: "true",
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${
          (receiver.addr as Deno.NetAddr).port
        }`,
        OTEL_SERVICE_NAME: "zmp-ros1-bridge",
        ROS_MASTER_URI: master.uri,
      },
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
