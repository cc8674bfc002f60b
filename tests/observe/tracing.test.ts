/**
 * Tracing across processes: the proxy example launched with Deno's
 * built-in OpenTelemetry on, its spans sent as OTLP/JSON to a receiver in
 * this test; each call of the client is one trace client → proxy → worker
 * with the right parent/child links.
 */

import { assert, assertEquals } from "../_assert.ts";
import { fixture, Zmp } from "./_helpers.ts";

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

function attribute(span: Span, key: string): string | undefined {
  return span.attributes.find((a) => a.key === key)?.value.stringValue;
}

Deno.test("a call of the proxy example is one trace: client → proxy → worker, linked parent to child", async () => {
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
    await using launch = new Zmp(["launch", fixture("proxy.launch.ts")], {
      env: {
        OTEL_DENO: "true",
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
        OTEL_SERVICE_NAME: "zmp-proxy-example",
      },
    });
    assertEquals(await launch.exited(120000), 0, launch.text);
    assert(
      launch.text.includes("done: 12 calls, 12 answered once"),
      launch.text,
    );
    // Each process sends what it has left when it exits.
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
  } finally {
    await receiver.shutdown();
  }
});
