/**
 * Tracing across processes: launches with Deno's built-in OpenTelemetry
 * on, their spans sent as OTLP/JSON to a receiver in this test. Each call
 * of the proxy example's client is one trace client → proxy → worker; each
 * message of a traced topic is one trace publisher → subscriber → the call
 * its handler makes → the worker; with the right parent/child links.
 */

import { assert, assertEquals } from "../_assert.ts";
import { fixture, ROOT_PATH, Zmp } from "./_helpers.ts";

interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: { key: string; value: { stringValue?: string } }[];
}

const SERVER = 2;
const CLIENT = 3;
const PRODUCER = 4;
const CONSUMER = 5;

function attribute(span: Span, key: string): string | undefined {
  return span.attributes.find((a) => a.key === key)?.value.stringValue;
}

/** Runs a launch file with OpenTelemetry on; returns the spans it sent. */
async function launchTraced(
  launchFile: string,
  service: string,
  check: (text: string) => void,
): Promise<Span[]> {
  const spans: Span[] = [];
  const receiver = Deno.serve(
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
  try {
    const { port } = receiver.addr as Deno.NetAddr;
    await using launch = new Zmp(["launch", launchFile], {
      env: {
        OTEL_DENO: "true",
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
        OTEL_SERVICE_NAME: service,
      },
    });
    assertEquals(await launch.exited(120000), 0, launch.text);
    check(launch.text);
  } finally {
    await receiver.shutdown();
  }
  // Each process sends what it has left when it exits.
  return spans;
}

Deno.test("a call of the proxy example is one trace: client → proxy → worker, linked parent to child", async () => {
  const spans = await launchTraced(
    fixture("proxy.launch.ts"),
    "zmp-proxy-example",
    (text) => assert(text.includes("done: 12 calls, 12 answered once"), text),
  );
  const zmp = spans.filter((s) => attribute(s, "rpc.system") === "zmp");
  const find = (kind: number, name: string, node: string) =>
    zmp.filter((s) =>
      s.kind === kind && s.name === name && attribute(s, "zmp.node") === node
    );
  const clientCalls = find(CLIENT, "Front/square", "client");
  assertEquals(
    clientCalls.length,
    12,
    JSON.stringify(zmp.map((s) => s.name)),
  );
  const byId = new Map(zmp.map((s) => [s.spanId, s]));
  const childrenOf = (span: Span) =>
    zmp.filter((s) => s.parentSpanId === span.spanId);
  for (const call of clientCalls) {
    const [front] = childrenOf(call);
    assertEquals(front?.name, "Front/square");
    assertEquals(front.kind, SERVER);
    assertEquals(attribute(front, "zmp.node"), "proxy");
    assertEquals(front.traceId, call.traceId);
    const [out] = childrenOf(front);
    assertEquals(out?.name, "Worker/square");
    assertEquals(out.kind, CLIENT);
    assertEquals(attribute(out, "zmp.node"), "proxy");
    const [worker] = childrenOf(out);
    assertEquals(worker?.name, "Worker/square");
    assertEquals(worker.kind, SERVER);
    assert(/^worker-[12]$/.test(attribute(worker, "zmp.node") ?? ""));
    assertEquals(worker.traceId, call.traceId);
    assertEquals(byId.get(worker.parentSpanId!), out);
  }
  // Twelve traces, one per call.
  assertEquals(new Set(clientCalls.map((s) => s.traceId)).size, 12);
});

Deno.test("a traced topic message is one trace: publish → process → the handler's call → worker, linked parent to child", async () => {
  const spans = await launchTraced(
    `${ROOT_PATH}examples/observe/traced_topic.launch.ts`,
    "zmp-traced-topic",
    (text) => assert(text.includes("handled 5 readings"), text),
  );
  const node = (s: Span) => attribute(s, "zmp.node");
  const producers = spans.filter((s) =>
    s.kind === PRODUCER && s.name === "publish sensors/raw"
  );
  assertEquals(
    producers.length,
    5,
    JSON.stringify(spans.map((s) => [s.name, s.kind])),
  );
  const childrenOf = (span: Span) =>
    spans.filter((s) => s.parentSpanId === span.spanId);
  for (const publish of producers) {
    assertEquals(node(publish), "producer");
    assertEquals(
      attribute(publish, "messaging.destination.name"),
      "sensors/raw",
    );
    const [process] = childrenOf(publish);
    assertEquals(process?.name, "process sensors/raw");
    assertEquals(process.kind, CONSUMER);
    assertEquals(node(process), "listener");
    const [call] = childrenOf(process);
    assertEquals(call?.name, "Worker/square");
    assertEquals(call.kind, CLIENT);
    assertEquals(node(call), "listener");
    const [served] = childrenOf(call);
    assertEquals(served?.name, "Worker/square");
    assertEquals(served.kind, SERVER);
    assertEquals(node(served), "worker");
    for (const s of [process, call, served]) {
      assertEquals(s.traceId, publish.traceId);
    }
  }
  // Five traces, one per message.
  assertEquals(new Set(producers.map((s) => s.traceId)).size, 5);
});
