/**
 * Discovery, liveness and params storage, on one of two backends chosen
 * by the endpoint: the embedded registry (`tcp://…`, one machine, zero
 * set-up) or etcd (`etcd://host:2379,…`, many machines, Raft-replicated).
 *
 * Nodes register what they provide and keep a lease alive with heartbeats;
 * watchers get changes pushed (a snapshot first). A node that stops
 * heartbeating is removed after the ttl. State is soft: when the registry
 * restarts empty, the nodes' clients register again by themselves, and
 * watches start over with a fresh snapshot.
 *
 * - {@linkcode startRegistry} runs a registry in this process (the launcher
 *   does, and so does `zmp registry`);
 * - {@linkcode connectRegistry} gives a {@linkcode Registry}: `register`,
 *   `nodes`, `watch`, and `params` (a {@linkcode ParamStore}).
 *
 * @example
 * ```ts
 * import { connectRegistry, startRegistry } from "zmp";
 *
 * await using server = await startRegistry({ endpoint: "tcp://127.0.0.1:*" });
 * await using registry = await connectRegistry({ endpoint: server.endpoint });
 * await using reg = await registry.register({
 *   name: "camera", instanceId: crypto.randomUUID(), pid: Deno.pid,
 *   host: Deno.hostname(), mode: "subprocess", services: [], publishes: [],
 *   subscribes: [], params: [], startedAt: Date.now(),
 * });
 * await registry.params.set("camera.fps", 30);
 * console.log(await registry.nodes()); // [{ name: "camera", … }]
 * ```
 *
 * @module
 */

export {
  DEFAULT_REGISTRY_ENDPOINT,
  DEFAULT_TTL_MS,
  type JsonSchema,
  type MethodEntry,
  type NodeInfo,
  type ParamEntry,
  type ParamEvent,
  type ParamGroupEntry,
  type ParamKeyEntry,
  type ParamSetOptions,
  type ParamStore,
  type ParamUpdateOptions,
  type PublicationEntry,
  type RegisterOptions,
  type Registration,
  type Registry,
  type RegistryCount,
  type RegistryEvent,
  type RegistryKey,
  type RegistryName,
  type RegistryText,
  type RegistryWaitOptions,
  RUN_MODES,
  type RunMode,
  type ServiceEntry,
  type SubscriptionEntry,
} from "./types.ts";
export {
  type RegistryServer,
  type RegistryServerOptions,
  startRegistry,
} from "./server.ts";
export {
  type NodePolicy,
  type RegistrySecurity,
  type SecurityPolicy,
} from "./security.ts";
export {
  connectRegistry,
  type ConnectRegistryOptions,
  defaultRegistryEndpoint,
} from "./client.ts";
export type { EtcdTlsOptions } from "./_etcd_tls.ts";
export {
  type EtcdAuthOptions,
  type EtcdGrant,
  setupEtcdAuth,
} from "./etcd_auth.ts";
export {
  ParamConflictError,
  RegistryUnavailableError,
  type RegistryUnavailableErrorOptions,
} from "./errors.ts";
export {
  RegistryView,
  type RegistryViewOptions,
  type UntilOptions,
  type ViewChange,
} from "./view.ts";
