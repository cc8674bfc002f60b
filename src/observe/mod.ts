/**
 * Observing a running system: every node (and the registry) counts its
 * calls, topics, registry and params operations and process figures
 * (`NodeMetrics`), serves them as the `zmp.Observe` service found through
 * `NodeInfo.observe`, traces calls with W3C `traceparent` through
 * OpenTelemetry, and lets recorders tap the calls it serves. Tools read
 * all of it: `zmp top`, `zmp record`, `zmp play`, the Prometheus endpoint
 * of `zmp launch --metrics-port`.
 *
 * @example Reading every node's figures
 * ```ts
 * import { connectRegistry, MetricsCollector, quantile } from "zmp";
 *
 * export async function slowest(): Promise<string | undefined> {
 *   await using registry = await connectRegistry();
 *   await using collector = new MetricsCollector({ registry: registry.endpoint });
 *   const system = await collector.collect(await registry.nodes());
 *   let worst: { name: string; p99: number } | undefined;
 *   for (const node of system.nodes) {
 *     for (const m of node.methods) {
 *       const p99 = quantile(m.latency, 0.99) ?? 0;
 *       if (worst === undefined || p99 > worst.p99) {
 *         worst = { name: `${node.node}: ${m.service}.${m.method}`, p99 };
 *       }
 *     }
 *   }
 *   return worst?.name;
 * }
 * ```
 *
 * @module
 */

export {
  bucketBound,
  histogramDelta,
  type HistogramSnapshot,
  LatencyHistogram,
  quantile,
} from "./histogram.ts";
export type {
  MethodMetrics,
  MetricsSnapshot,
  ProcessMetrics,
  TopicMetrics,
} from "./metrics.ts";
export {
  MetricsCollector,
  type MetricsCollectorOptions,
  type SystemMetrics,
} from "./collect.ts";
export {
  type PrometheusServer,
  prometheusText,
  servePrometheus,
  type ServePrometheusOptions,
} from "./prometheus.ts";
export {
  OBSERVE_SERVICE,
  type ObserveHandlers,
  ObserveService,
} from "./service.ts";
export type { CallRecord } from "./tap.ts";
export {
  collectHealth,
  healthLines,
  type SystemHealth,
  systemHealth,
} from "./health.ts";
export {
  parseTraceparent,
  TRACEPARENT,
  type TraceParent,
  tracingEnabled,
} from "./trace.ts";
