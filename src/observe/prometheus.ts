/**
 * Metrics in the Prometheus text format (version 0.0.4), written from the
 * snapshots the processes of a system report, and an HTTP endpoint that
 * serves them for the whole system: `zmp launch --metrics-port`.
 *
 * Written here rather than with `prom-client`: the figures are already
 * counted by `NodeMetrics` in every process and gathered over the wire, so
 * what is left is the text format, a few dozen lines; `prom-client` would
 * hold a second copy of every figure in a registry of its own.
 *
 * Every metric has a `node` label (`registry` for the registry). The names
 * are listed in `docs/observe.md`.
 *
 * @module
 */

import { bucketBound, BUCKETS, STEPS_PER_DOUBLING } from "./histogram.ts";
import type { MetricsSnapshot } from "./metrics.ts";
import type { SystemMetrics } from "./collect.ts";
import type { NodeInfo } from "../registry/types.ts";
import { MetricsCollector } from "./collect.ts";

type Labels = Record<string, string>;

interface Family {
  help: string;
  type: "counter" | "gauge" | "histogram";
  samples: string[];
}

/** Escapes a label value: backslash, double quote, newline. */
function escape(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(
    /\n/g,
    "\\n",
  );
}

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escape(v)}"`);
  return parts.length === 0 ? "" : `{${parts.join(",")}}`;
}

function number(value: number): string {
  if (value === Infinity) return "+Inf";
  if (Number.isNaN(value)) return "NaN";
  return String(value);
}

class Exposition {
  readonly #families = new Map<string, Family>();

  add(
    name: string,
    family: Omit<Family, "samples">,
    labels: Labels,
    value: number,
    suffix = "",
  ): void {
    let f = this.#families.get(name);
    if (f === undefined) {
      f = { ...family, samples: [] };
      this.#families.set(name, f);
    }
    f.samples.push(`${name}${suffix}${labelText(labels)} ${number(value)}`);
  }

  text(): string {
    const lines: string[] = [];
    for (const [name, f] of this.#families) {
      lines.push(`# HELP ${name} ${f.help}`, `# TYPE ${name} ${f.type}`);
      lines.push(...f.samples);
    }
    return lines.join("\n") + "\n";
  }
}

const C = (help: string) => ({ help, type: "counter" as const });
const G = (help: string) => ({ help, type: "gauge" as const });

/** The `le` bounds exported, in ms: every doubling, 0.01 ms to ~84 s. */
const EXPORTED = Array.from(
  { length: Math.floor((BUCKETS - 1) / STEPS_PER_DOUBLING) },
  (_, k) => k * STEPS_PER_DOUBLING,
);

function addProcess(out: Exposition, s: MetricsSnapshot): void {
  const node = { node: s.node };
  const p = s.process;
  out.add("zmp_up", G("1 when the process answered the last scrape"), node, 1);
  out.add(
    "zmp_ready",
    G("1 when the node's readiness check passes"),
    node,
    s.ready ? 1 : 0,
  );
  out.add(
    "zmp_process_resident_memory_bytes",
    G("Resident set size"),
    node,
    p.rssBytes,
  );
  out.add(
    "zmp_process_heap_used_bytes",
    G("V8 heap in use"),
    node,
    p.heapUsedBytes,
  );
  out.add(
    "zmp_process_event_loop_lag_seconds",
    G("Longest event-loop delay over the last second"),
    node,
    p.eventLoopLagMs / 1000,
  );
  out.add(
    "zmp_process_open_sockets",
    G("Open ZeroMQ sockets"),
    node,
    p.openSockets,
  );
  out.add(
    "zmp_process_uptime_seconds",
    G("Seconds since the process started observing"),
    node,
    p.uptimeSeconds,
  );
}

function addMethods(out: Exposition, s: MetricsSnapshot): void {
  for (const m of s.methods) {
    const labels = { node: s.node, service: m.service, method: m.method };
    out.add(
      "zmp_rpc_server_calls_total",
      C("Calls that reached the handler"),
      labels,
      m.calls,
    );
    out.add(
      "zmp_rpc_server_in_flight",
      G("Calls whose handler runs now"),
      labels,
      m.inFlight,
    );
    for (const [code, n] of Object.entries(m.errors)) {
      out.add(
        "zmp_rpc_server_errors_total",
        C("Failed calls by status code"),
        { ...labels, code },
        n,
      );
    }
    const counts = new Map(m.latency.buckets);
    const family = {
      help: "Handler duration (a stream's: until its last item)",
      type: "histogram" as const,
    };
    let cumulative = 0;
    let next = 0;
    for (const i of EXPORTED) {
      for (; next <= i; next++) cumulative += counts.get(next) ?? 0;
      out.add(
        "zmp_rpc_server_duration_seconds",
        family,
        { ...labels, le: String(bucketBound(i) / 1000) },
        cumulative,
        "_bucket",
      );
    }
    out.add(
      "zmp_rpc_server_duration_seconds",
      family,
      { ...labels, le: "+Inf" },
      m.latency.count,
      "_bucket",
    );
    out.add(
      "zmp_rpc_server_duration_seconds",
      family,
      labels,
      m.latency.sumMs / 1000,
      "_sum",
    );
    out.add(
      "zmp_rpc_server_duration_seconds",
      family,
      labels,
      m.latency.count,
      "_count",
    );
  }
}

function addTopics(out: Exposition, s: MetricsSnapshot): void {
  for (const t of s.topics) {
    const labels = { node: s.node, topic: t.topic, role: t.role };
    out.add(
      "zmp_topic_messages_total",
      C("Messages published (publisher) or delivered (subscriber)"),
      labels,
      t.messages,
    );
    out.add(
      "zmp_topic_dropped_total",
      C("Messages lost: sequence gaps or a full queue"),
      labels,
      t.dropped,
    );
    out.add(
      "zmp_topic_invalid_total",
      C("Messages that failed validation"),
      labels,
      t.invalid,
    );
    out.add(
      "zmp_topic_rate",
      G("Messages per second over the last second"),
      labels,
      t.rate,
    );
    if (t.role === "subscriber") {
      out.add(
        "zmp_topic_queued",
        G("Messages waiting for the reader"),
        labels,
        t.queued,
      );
    } else {
      out.add(
        "zmp_topic_subscribers",
        G("Connected subscribers"),
        labels,
        t.subscribers,
      );
    }
  }
}

function addOperations(out: Exposition, s: MetricsSnapshot): void {
  for (const [op, n] of Object.entries(s.registry)) {
    out.add(
      "zmp_registry_operations_total",
      C("Registry operations the process made"),
      { node: s.node, op },
      n,
    );
  }
  for (const [op, n] of Object.entries(s.params)) {
    out.add(
      "zmp_params_operations_total",
      C("Params operations the process made"),
      { node: s.node, op },
      n,
    );
  }
}

/**
 * The Prometheus text of a system's metrics.
 *
 * @param system what the processes answered
 * @returns the text, one family after the other, ending with a newline
 */
export function prometheusText(system: SystemMetrics): string {
  const out = new Exposition();
  const all = system.registry === undefined
    ? system.nodes
    : [system.registry, ...system.nodes];
  for (const s of all) addProcess(out, s);
  for (const { node } of system.silent) {
    out.add(
      "zmp_up",
      G("1 when the process answered the last scrape"),
      { node },
      0,
    );
  }
  for (const s of all) addMethods(out, s);
  for (const s of all) addTopics(out, s);
  for (const s of all) addOperations(out, s);
  return out.text();
}

/** Options of {@linkcode servePrometheus}. */
export interface ServePrometheusOptions {
  /** The port; 0 picks a free one. */
  port: number;
  /** Where to listen. @default {"127.0.0.1"} */
  hostname?: string;
  /** The live nodes, asked at each scrape (e.g. `registry.nodes()`). */
  nodes: () => Promise<NodeInfo[]>;
  /** The registry's endpoint, asked too. */
  registry?: string;
  /** How long each process may take to answer, in ms. @default {1000} */
  timeout?: number;
}

/** A running Prometheus endpoint. */
export interface PrometheusServer extends AsyncDisposable {
  /** Its URL, e.g. `http://127.0.0.1:9464/metrics`. */
  readonly url: string;
  /** Stops serving. Idempotent. */
  close(): Promise<void>;
}

/**
 * Serves a whole system's metrics at `/metrics`, asking every process at
 * each scrape.
 *
 * @param options port, host, where the nodes are listed
 * @returns the server; close it when done
 * @throws {Deno.errors.AddrInUse} when the port is taken
 */
export function servePrometheus(
  options: ServePrometheusOptions,
): PrometheusServer {
  const collector = new MetricsCollector({
    registry: options.registry,
    timeout: options.timeout,
  });
  // One scrape at a time: the collector's clients are shared.
  let scraping = Promise.resolve("");
  const scrape = () =>
    scraping = scraping.catch(() => "").then(async () =>
      prometheusText(await collector.collect(await options.nodes()))
    );
  const server = Deno.serve({
    port: options.port,
    hostname: options.hostname ?? "127.0.0.1",
    onListen() {},
  }, async (request) => {
    const { pathname } = new URL(request.url);
    if (pathname !== "/metrics") {
      return new Response("Not found: the metrics are at /metrics\n", {
        status: 404,
      });
    }
    try {
      return new Response(await scrape(), {
        headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
      });
    } catch (e) {
      return new Response(`Cannot collect metrics: ${(e as Error).message}\n`, {
        status: 503,
      });
    }
  });
  const { hostname, port } = server.addr as Deno.NetAddr;
  let closing: Promise<void> | undefined;
  const close = () =>
    closing ??= (async () => {
      await server.shutdown();
      await scraping.catch(() => {});
      await collector.close();
    })();
  return {
    url: `http://${hostname}:${port}/metrics`,
    close,
    [Symbol.asyncDispose]: close,
  };
}
