/**
 * A tiny OpenTelemetry collector for trying tracing out: it receives spans
 * as OTLP/JSON (`OTEL_EXPORTER_OTLP_PROTOCOL=http/json`) at `/v1/traces`
 * and prints traces as trees at `/traces`: the last one whose root span
 * is named `?name=` (any name when absent).
 *
 *     deno run -A examples/observe/trace_printer.ts [port]
 *
 * Real systems send their spans to a real collector (Jaeger, Tempo, an
 * OpenTelemetry Collector): the same variables point Deno at it.
 *
 * @module
 */

interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes?: { key: string; value: { stringValue?: string } }[];
}

const spans: Span[] = [];

function tree(traceId: string): string[] {
  const mine = spans.filter((s) => s.traceId === traceId)
    .sort((a, b) =>
      Number(BigInt(a.startTimeUnixNano) - BigInt(b.startTimeUnixNano))
    );
  const ids = new Set(mine.map((s) => s.spanId));
  const lines: string[] = [];
  const walk = (span: Span, depth: number) => {
    const node = span.attributes?.find((a) => a.key === "zmp.node")?.value
      .stringValue ?? "?";
    const ms =
      Number(BigInt(span.endTimeUnixNano) - BigInt(span.startTimeUnixNano)) /
      1e6;
    lines.push(
      `${"  ".repeat(depth)}${span.name} on ${node} (${ms.toFixed(1)} ms)`,
    );
    for (const child of mine.filter((s) => s.parentSpanId === span.spanId)) {
      walk(child, depth + 1);
    }
  };
  for (const root of mine.filter((s) => !ids.has(s.parentSpanId ?? ""))) {
    walk(root, 0);
  }
  return lines;
}

const server = Deno.serve({
  hostname: "127.0.0.1",
  port: Number(Deno.args[0] ?? 0),
  onListen: ({ port }) =>
    console.log(`trace printer listening on http://127.0.0.1:${port}`),
}, async (request) => {
  const url = new URL(request.url);
  if (url.pathname === "/v1/traces") {
    const body = await request.json();
    for (const r of body.resourceSpans ?? []) {
      for (const s of r.scopeSpans ?? []) spans.push(...(s.spans ?? []));
    }
    return Response.json({});
  }
  if (url.pathname === "/traces") {
    const name = url.searchParams.get("name");
    const root = spans.findLast((s) =>
      !s.parentSpanId && (name === null || s.name === name)
    );
    return new Response(
      root === undefined
        ? "no trace yet\n"
        : `${tree(root.traceId).join("\n")}\n`,
    );
  }
  await request.body?.cancel();
  return new Response("{}", {
    headers: { "content-type": "application/json" },
  });
});

Deno.addSignalListener("SIGTERM", () => server.shutdown());
await server.finished;
