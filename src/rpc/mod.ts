/**
 * Services over ZeroMQ: `RpcClient` (DEALER) and `RpcServer` (ROUTER),
 * speaking the zmp wire protocol (`docs/PROTOCOL.md`). Generated code
 * programs against {@linkcode RpcClientLike} and {@linkcode RpcServerLike}.
 *
 * @module
 */

export {
  type CallContext,
  type CallerIdentity,
  type CallOptions,
  type RpcClientLike,
  type RpcServerLike,
} from "./context.ts";
export {
  type PingOptions,
  type RemoveEndpointOptions,
  type RetryOptions,
  RpcClient,
  type RpcClientOptions,
} from "./client.ts";
export {
  type CloseOptions,
  RpcServer,
  type RpcServerOptions,
  type ServiceRegisterOptions,
} from "./server.ts";
export {
  type ClientCall,
  type ClientInterceptor,
  type ServerCall,
  type ServerInterceptor,
  type UnaryWatch,
  type WatchedCall,
} from "./interceptors.ts";
export {
  consoleLogger,
  escapeText,
  type Logger,
  LogLimiter,
  type LogLimiterOptions,
  quote,
} from "./logger.ts";
export {
  type ClientClass,
  clientClass,
  type ClientOf,
  type FilledParameters,
  type HandlersOf,
} from "./typed.ts";
