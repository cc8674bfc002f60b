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

/**
 * A unary call as a {@linkcode UnaryWatch} sees it: the call, and its
 * outcome once the server knows it.
 */
export interface WatchedCall extends ServerCall {
  /** Whether the call failed (set before `end`). */
  failed: boolean;
  /** The result, or what was thrown (set before `end`). */
  outcome: unknown;
}

/**
 * Watches a server's unary calls without wrapping them: what node metrics
 * use to stay on. A `unary` hook costs every call a promise, its closures
 * and a turn of the microtask queue, even around a handler that answers at
 * once; a watch is called by the server from the path it takes anyway
 * (`start` as the call reaches the interceptors, `end` when the server
 * learns the outcome, before the reply is encoded), so a call watched costs
 * no promise and no turn. A watch sees the call outside every `unary` hook:
 * their failures, thrown or rejected, are the call's.
 *
 * `start`, `run` and `end` must not throw.
 *
 * @typeParam T what `start` hands to `end` (e.g. a start time)
 */
export interface UnaryWatch<T = unknown> {
  /**
   * A call is about to run.
   *
   * @param call the call
   * @returns what `end` gets back
   */
  start(call: WatchedCall): T;
  /**
   * Runs the call (the `unary` hooks and the handler), e.g. inside a
   * context; absent: the server runs it.
   *
   * @param call the call
   * @param invoke runs it; returns the handler's value or promise, or
   *   throws
   * @returns what `invoke` returns, as it is: no promise added
   */
  run?(call: WatchedCall, invoke: (call: ServerCall) => unknown): unknown;
  /**
   * The call's outcome is known (`call.failed`, `call.outcome`): called
   * once per `start`, in the turn it settles.
   *
   * @param call the call
   * @param token what `start` returned
   */
  end(call: WatchedCall, token: T): void;
}

/** A server-side interceptor; implement `unary`, `stream` or both. */
export interface ServerInterceptor {
  /**
   * Watches unary calls instead of wrapping them (see
   * {@linkcode UnaryWatch}); outside every `unary` hook, whatever the
   * interceptor's place in the array.
   */
  readonly watch?: UnaryWatch;
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

/**
 * The watches of some interceptors as one: `start` and `run` outermost
 * first, `end` innermost first.
 *
 * @param interceptors outermost first
 * @returns one watch, or `undefined` when none has one
 */
export function composeWatches(
  interceptors: readonly ServerInterceptor[],
): UnaryWatch | undefined {
  const watches = interceptors.flatMap((i) =>
    i.watch === undefined ? [] : [i.watch]
  );
  if (watches.length < 2) return watches[0];
  // Rare (a node's interceptor is the one watch there is): an array of
  // tokens per call is fine here.
  return {
    start: (call) => watches.map((w) => w.start(call)),
    run: (call, invoke) => {
      let run = invoke;
      for (let i = watches.length - 1; i >= 0; i--) {
        const w = watches[i];
        const inner = run;
        if (w.run !== undefined) run = () => w.run!(call, inner);
      }
      return run(call);
    },
    end: (call, tokens) => {
      for (let i = watches.length - 1; i >= 0; i--) {
        watches[i].end(call, (tokens as unknown[])[i]);
      }
    },
  };
}
