/**
 * The `zmp.Observe` service every node serves beside its own, on the same
 * `RpcServer`, and the registry too: how tools (`zmp top`, `zmp record`,
 * the Prometheus endpoint, `zmp doctor`) ask any process of a system what
 * it does. A node registers where it answers as `NodeInfo.observe`.
 *
 * A hand-written descriptor, like `zmp.Registry`'s: this is part of the
 * runtime, not of a user's API. It uses the readable `superjson` codec.
 *
 * - `metrics(): MetricsSnapshot` — everything `NodeMetrics` knows.
 * - `calls(services: string[]): AsyncIterable<CallRecord>` — the calls it
 *   serves of these services (all when empty), as they finish, until the
 *   caller stops reading (see `tap.ts`).
 *
 * @module
 */

import type {
  MethodDescriptor,
  ServiceDescriptor,
} from "../wire/descriptors.ts";
import { validatorFromSchema } from "../wire/json_schema.ts";
import type { CallContext, RpcServerLike } from "../rpc/context.ts";
import type { MetricsSnapshot, NodeMetrics } from "./metrics.ts";
import type { CallRecord, CallTaps } from "./tap.ts";

/** The wire name of the service. */
export const OBSERVE_SERVICE = "zmp.Observe";

function method(
  name: string,
  kind: "unary" | "stream",
  params: { name: string; schema: Record<string, unknown> }[],
  result: Record<string, unknown>,
  doc: string,
): MethodDescriptor {
  const argsSchema = {
    type: "array",
    prefixItems: params.map((p) => ({ title: p.name, ...p.schema })),
    minItems: params.length,
    maxItems: params.length,
  };
  return {
    name,
    kind,
    idempotent: kind === "unary",
    params: params.map((p) => p.name),
    requiredParams: params.length,
    validateArgs: validatorFromSchema(argsSchema),
    validateResult: validatorFromSchema(result),
    argsSchema,
    resultSchema: result,
    doc,
  };
}

/** The descriptor of `zmp.Observe`. */
export const ObserveService: ServiceDescriptor<ObserveHandlers> = {
  name: OBSERVE_SERVICE,
  codec: "superjson",
  source: "src/observe/service.ts",
  doc:
    "What a zmp process reports about itself: metrics, and its calls while a recorder listens.",
  methods: {
    metrics: method(
      "metrics",
      "unary",
      [],
      { type: "object", required: ["node", "methods", "topics", "process"] },
      "Everything the node counts: methods, topics, registry, params, process.",
    ),
    calls: method(
      "calls",
      "stream",
      [{
        name: "services",
        schema: { type: "array", items: { type: "string" } },
      }],
      { type: "object", required: ["service", "method", "args", "at"] },
      "The calls it serves of these services (all when empty), as they finish.",
    ),
  },
};

/** What serves `zmp.Observe`. */
export interface ObserveHandlers {
  /**
   * The process's figures now.
   *
   * @param ctx the call's context
   * @returns the snapshot
   */
  metrics(ctx: CallContext): MetricsSnapshot;
  /**
   * The calls the process serves, each sent as it finishes, until the
   * caller cancels.
   *
   * @param services the service names to tap (all when empty)
   * @param ctx the call's context (its signal ends the stream)
   * @returns the calls as they finish
   */
  calls(services: string[], ctx: CallContext): AsyncIterable<CallRecord>;
}

/**
 * Serves `zmp.Observe` for a process.
 *
 * @param server the process's server
 * @param parts its metrics and call taps
 */
export function serveObserve(
  server: RpcServerLike,
  parts: { metrics: NodeMetrics; taps: CallTaps },
): void {
  const handlers: ObserveHandlers = {
    metrics: () => parts.metrics.snapshot(),
    calls: (services, ctx) => parts.taps.open(services, ctx.signal),
  };
  server.register(ObserveService as ServiceDescriptor, handlers);
}
