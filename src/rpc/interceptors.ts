/**
 * Interceptors: middleware around calls, on either side. Each one gets the
 * call and a `next` function and may change the call, short-circuit it,
 * observe or transform the outcome. They run in array order: the first one
 * is the outermost.
 *
 * @module
 */

import type {
  MethodDescriptor,
  ServiceDescriptor,
} from "../wire/descriptors.ts";
import type { CallContext, CallOptions } from "./context.ts";

/** A client call as interceptors see it; they may replace `args`/`options`. */
export interface ClientCall {
  /** The service descriptor. */
  readonly service: ServiceDescriptor;
  /** The method descriptor. */
  readonly method: MethodDescriptor;
  /** The arguments. */
  args: unknown[];
  /** The options (`metadata` may be added to). */
  options: CallOptions;
}

/** A client-side interceptor; implement `unary`, `stream` or both. */
export interface ClientInterceptor {
  /**
   * Wraps a unary call.
   *
   * @param call the call
   * @param next runs the rest of the chain and the call itself
   * @returns the result
   */
  unary?(
    call: ClientCall,
    next: (call: ClientCall) => Promise<unknown>,
  ): Promise<unknown>;
  /**
   * Wraps a stream call.
   *
   * @param call the call
   * @param next runs the rest of the chain and returns the items
   * @returns the items
   */
  stream?(
    call: ClientCall,
    next: (call: ClientCall) => AsyncIterable<unknown>,
  ): AsyncIterable<unknown>;
}

/** A server call as interceptors see it, after validation. */
export interface ServerCall {
  /** The service descriptor. */
  readonly service: ServiceDescriptor;
  /** The method descriptor. */
  readonly method: MethodDescriptor;
  /** The validated arguments. */
  readonly args: readonly unknown[];
  /** The handler's context. */
  readonly context: CallContext;
}

/** A server-side interceptor; implement `unary`, `stream` or both. */
export interface ServerInterceptor {
  /**
   * Wraps a unary handler. Throw an `RpcError` to answer with its status.
   *
   * @param call the call
   * @param next runs the rest of the chain and the handler
   * @returns the result to send
   */
  unary?(call: ServerCall, next: () => Promise<unknown>): Promise<unknown>;
  /**
   * Wraps a stream handler.
   *
   * @param call the call
   * @param next runs the rest of the chain and the handler
   * @returns the items to send
   */
  stream?(
    call: ServerCall,
    next: () => AsyncIterable<unknown>,
  ): AsyncIterable<unknown>;
}

/**
 * Composes client interceptors around a terminal function.
 *
 * @param interceptors outermost first
 * @param kind which hook to chain
 * @param terminal the call itself
 * @returns a function running the whole chain
 */
export function chainClient<K extends "unary" | "stream">(
  interceptors: readonly ClientInterceptor[],
  kind: K,
  terminal: K extends "unary" ? (call: ClientCall) => Promise<unknown>
    : (call: ClientCall) => AsyncIterable<unknown>,
): typeof terminal {
  // deno-lint-ignore no-explicit-any
  let next: any = terminal;
  for (let i = interceptors.length - 1; i >= 0; i--) {
    const hook = interceptors[i][kind];
    if (hook === undefined) continue;
    const inner = next;
    const self = interceptors[i];
    next = (call: ClientCall) =>
      // deno-lint-ignore no-explicit-any
      (hook as any).call(self, call, inner);
  }
  return next;
}

/**
 * Composes server interceptors around a terminal function.
 *
 * @param interceptors outermost first
 * @param kind which hook to chain
 * @param call the call being served
 * @param terminal runs the handler
 * @returns what the chain returns
 */
export function runServerChain<K extends "unary" | "stream">(
  interceptors: readonly ServerInterceptor[],
  kind: K,
  call: ServerCall,
  terminal: K extends "unary" ? () => Promise<unknown>
    : () => AsyncIterable<unknown>,
): ReturnType<typeof terminal> {
  // The outermost hook is called here, not through a closure of its own:
  // one interceptor (a node's) costs no allocation beyond the terminal.
  // deno-lint-ignore no-explicit-any
  let next: any = terminal;
  let first = 0;
  while (first < interceptors.length && !interceptors[first][kind]) first++;
  for (let i = interceptors.length - 1; i > first; i--) {
    const hook = interceptors[i][kind];
    if (hook === undefined) continue;
    const inner = next;
    const self = interceptors[i];
    // deno-lint-ignore no-explicit-any
    next = () => (hook as any).call(self, call, inner);
  }
  if (first === interceptors.length) return next();
  // deno-lint-ignore no-explicit-any
  return (interceptors[first][kind] as any).call(
    interceptors[first],
    call,
    next,
  );
}
