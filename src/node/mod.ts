/**
 * Nodes: the unit a zmp system is made of. A node has a unique name,
 * registers in the registry, provides services, makes clients that follow
 * every live instance of a service, publishes and subscribes to topics,
 * reads params, logs in one structured line per event, and stops cleanly.
 *
 * Write a node module once and run it three ways: in-process
 * ({@linkcode runNode}), in a Worker ({@linkcode spawnWorkerNode}), or as a
 * subprocess (`src/node/subprocess_main.ts`, what the launcher spawns).
 *
 * @example
 * ```ts
 * // filter.ts
 * import { defineNode } from "zmp";
 * import { FilteredReadingTopic, RawReadingTopic } from "../../examples/sensors/sensors.api.gen.ts";
 *
 * export default defineNode(async (node) => {
 *   const out = await node.publisher(FilteredReadingTopic, { latched: true });
 *   for await (const raw of await node.subscribe(RawReadingTopic)) {
 *     out.publish({ ...raw, raw: raw.value, alpha: 1, alarm: false });
 *   }
 * });
 * ```
 *
 * @module
 */

export type {
  Node,
  NodeClientOptions,
  NodeLogger,
  NodeModule,
  ParamsGroup,
  PublisherOptions,
  PublishOptions,
  ReadinessResult,
  ServiceClient,
  ServiceHandlers,
  SubscribeOptions,
  TopicCounters,
  TopicHandler,
  TopicMessage,
  TopicPublisher,
  TopicSubscription,
} from "./types.ts";
export { checkNodeName, createNode, type CreateNodeOptions } from "./node.ts";
export type { NodeSecurity } from "./_security.ts";
export { defineNode, type DefineNodeOptions, isNodeModule } from "./define.ts";
export { rpcClientOf } from "./service_client.ts";
export {
  loadNodeModule,
  resolveModuleUrl,
  runNode,
  type RunNodeOptions,
} from "./run.ts";
export {
  spawnWorkerNode,
  type SpawnWorkerNodeOptions,
  type WorkerNode,
  type WorkerStopOptions,
} from "./worker.ts";
export type { WorkerCommand, WorkerReport } from "./worker_main.ts";
export {
  createNodeLogger,
  type LogLevel,
  logLevelFromEnv,
  type NodeLoggerOptions,
  parseLogLevel,
  stringifyFields,
} from "./logger.ts";
