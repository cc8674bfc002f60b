/**
 * zmp: typed services, topics and params over ZeroMQ, for Deno.
 *
 * This is what a zmp system is written against: nodes and launch files,
 * service clients and servers, topics, params, the registry, and the
 * descriptors that generated code (`*.api.gen.ts`) builds on. The lower
 * layers have their own entry points: `zmp/zmq` (ZeroMQ sockets over
 * libzmq), `zmp/wire` (frames, codecs, JSON Schema), `zmp/codegen` (the
 * code generator as a library) and `zmp/bridge` (the ROS 1, rosbridge and
 * HTTP bridges, with the npm packages only they need).
 *
 * Nothing here loads native code at import time: libzmq is opened on the
 * first socket.
 *
 * @example
 * ```ts
 * import { defineLaunch } from "zmp";
 *
 * const system = defineLaunch({
 *   nodes: [
 *     { name: "greeter", module: "./greeter.ts", restart: "on-failure" },
 *     { name: "listener", module: "./listener.ts", after: [{ service: "Greeter" }] },
 *   ],
 * });
 * console.log(system.nodes.length); // 2
 * ```
 *
 * @module
 */

// Nodes: define, run, and the node API.
export {
  createNode,
  createNodeLogger,
  type CreateNodeOptions,
  defineNode,
  type DefineNodeOptions,
  isNodeModule,
  type LogLevel,
  type Node,
  type NodeClientOptions,
  type NodeLogger,
  type NodeLoggerOptions,
  type NodeModule,
  type NodeSecurity,
  type ParamsGroup,
  type PublisherOptions,
  type PublishOptions,
  type ReadinessResult,
  rpcClientOf,
  runNode,
  type RunNodeOptions,
  type ServiceClient,
  type ServiceHandlers,
  spawnWorkerNode,
  type SpawnWorkerNodeOptions,
  type SubscribeOptions,
  type TopicCounters,
  type TopicHandler,
  type TopicMessage,
  type TopicPublisher,
  type TopicSubscription,
  type WorkerNode,
  type WorkerStopOptions,
} from "./src/node/mod.ts";

// Launch files and the launcher.
export {
  type AfterCondition,
  consoleLaunchLogger,
  type ConsoleLaunchLoggerOptions,
  defineLaunch,
  type EmbeddedRegistrySpec,
  type EtcdRegistrySpec,
  type ExternalRegistrySpec,
  launch,
  type LaunchDefinition,
  LaunchError,
  type LaunchErrorOptions,
  type LaunchLogger,
  type LaunchLogLevel,
  type LaunchOptions,
  type LaunchResult,
  type LaunchSpec,
  type LoadedLaunchFile,
  loadLaunchFile,
  type LoadLaunchFileOptions,
  type NodeOutcome,
  type NodePermissions,
  type NodeSpec,
  type NodeStream,
  type PermissionValue,
  type RestartOptions,
  type RestartPolicy,
  type RestartPolicyName,
  type RunningLaunch,
  type SecuritySpec,
  startLaunch,
} from "./src/launch/mod.ts";

// Services: clients, servers, calls, interceptors.
export {
  type CallContext,
  type CallerIdentity,
  type CallOptions,
  type ClientCall,
  type ClientClass,
  clientClass,
  type ClientInterceptor,
  type ClientOf,
  type CloseOptions,
  consoleLogger,
  escapeText,
  type FilledParameters,
  type HandlersOf,
  type Logger,
  LogLimiter,
  type LogLimiterOptions,
  type PingOptions,
  quote,
  type RemoveEndpointOptions,
  type RetryOptions,
  RpcClient,
  type RpcClientLike,
  type RpcClientOptions,
  RpcServer,
  type RpcServerLike,
  type RpcServerOptions,
  type ServerCall,
  type ServerInterceptor,
  type ServiceRegisterOptions,
  type UnaryWatch,
  type WatchedCall,
} from "./src/rpc/mod.ts";

// Topics without a node.
export {
  consoleTopicLogger,
  createPublisher,
  type CreatePublisherOptions,
  createSubscription,
  type CreateSubscriptionOptions,
  type SocketPublisher,
  type SocketSubscription,
  type TopicLogger,
} from "./src/topics/mod.ts";

// Params without a node.
export {
  paramsGroup,
  type ParamsGroupChange,
  type ParamsGroupOptions,
} from "./src/params/mod.ts";

// The registry: discovery, liveness, params storage.
export {
  connectRegistry,
  type ConnectRegistryOptions,
  DEFAULT_REGISTRY_ENDPOINT,
  DEFAULT_TTL_MS,
  defaultRegistryEndpoint,
  type EtcdAuthOptions,
  type EtcdGrant,
  type EtcdTlsOptions,
  type MethodEntry,
  type NodeInfo,
  type NodePolicy,
  ParamConflictError,
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
  type RegistrySecurity,
  type RegistryServer,
  type RegistryServerOptions,
  type RegistryText,
  RegistryUnavailableError,
  type RegistryUnavailableErrorOptions,
  RegistryView,
  type RegistryViewOptions,
  type RegistryWaitOptions,
  RUN_MODES,
  type RunMode,
  type SecurityPolicy,
  type ServiceEntry,
  setupEtcdAuth,
  startRegistry,
  type SubscriptionEntry,
  type UntilOptions,
  type ViewChange,
} from "./src/registry/mod.ts";

// Observing a running system: metrics, traces, health.
export {
  type CallRecord,
  collectHealth,
  healthLines,
  type HistogramSnapshot,
  type MethodMetrics,
  MetricsCollector,
  type MetricsCollectorOptions,
  type MetricsSnapshot,
  OBSERVE_SERVICE,
  type ObserveHandlers,
  ObserveService,
  type ProcessMetrics,
  type PrometheusServer,
  prometheusText,
  quantile,
  servePrometheus,
  type ServePrometheusOptions,
  type SystemHealth,
  type SystemMetrics,
  type TopicMetrics,
  TRACEPARENT,
  tracingEnabled,
} from "./src/observe/mod.ts";

// Descriptors, validation and errors: what generated code builds on.
export {
  assertValid,
  checkName,
  type CheckNameOptions,
  type CodecName,
  type CompiledSchema,
  compileSchema,
  describe,
  documentChanges,
  type ErrorDetails,
  isStatusName,
  issueText,
  isValidName,
  type JsonSchema,
  type MethodDescriptor,
  type MethodKind,
  NameError,
  type NameKind,
  type ParamDescriptor,
  type ParamsDescriptor,
  paramsFromSchema,
  RpcError,
  type RpcErrorOptions,
  type SchemaChange,
  type SchemaDocument,
  schemaHash,
  type ServiceDescriptor,
  serviceFromSchema,
  STATUS,
  type StatusName,
  type TopicDescriptor,
  topicFromSchema,
  ValidationError,
  type ValidationIssue,
  type Validator,
  withDefs,
} from "./src/wire/mod.ts";

// The ZeroMQ context (an option of clients, servers and nodes), its engine,
// its error, and the CURVE keys of secure mode.
export {
  Context,
  type ContextOptions,
  type CurveAuthenticator,
  type CurveClientSecurity,
  type CurveKeyPair,
  type CurvePeer,
  type CurveServerSecurity,
  defaultEngine,
  type EngineName,
  ENGINES,
  ZmqError,
  type ZmqErrorOptions,
} from "./src/zmq/mod.ts";
