/**
 * The contract between generated code and the RPC runtime: call options on
 * the client, the call context on the server, and the two interfaces that
 * generated stubs and skeletons program against.
 *
 * @module
 */

import type {
  MethodDescriptor,
  ServiceDescriptor,
} from "../wire/descriptors.ts";

/** Per-call options, the last parameter of every generated client method. */
export interface CallOptions {
  /**
   * Milliseconds the whole call may take, retries included. Sent to the
   * server, which stops the handler when it passes. On expiry the call
   * rejects with `RpcError` `DEADLINE_EXCEEDED`.
   * @default {the client's `timeout` option, else none}
   */
  timeout?: number;
  /**
   * Cancels the call: the server's `ctx.signal` aborts, and the call
   * rejects with `signal.reason` (a `DOMException` named `AbortError` unless
   * the caller gave another reason).
   */
  signal?: AbortSignal;
  /** String key/value pairs sent along, read by the server as `ctx.metadata`. */
  metadata?: Record<string, string>;
}

/** A caller authenticated by CURVE. */
export interface CallerIdentity {
  /** Its long-term public key (Z85, 40 characters). */
  readonly publicKey: string;
  /** The node that key belongs to, when known. */
  readonly node?: string;
}

/** What a server-side handler gets as its last argument. */
export interface CallContext {
  /**
   * When the call's deadline passes, in `Date.now()` milliseconds; absent
   * when the caller set none.
   */
  readonly deadline?: number;
  /**
   * Aborts when the client cancels (reason: `RpcError` `CANCELLED`), the
   * deadline passes (`DEADLINE_EXCEEDED`) or the server stops
   * (`UNAVAILABLE`).
   */
  readonly signal: AbortSignal;
  /** The metadata the client sent (empty object when none). */
  readonly metadata: Record<string, string>;
  /** The caller's connection: its ZeroMQ routing id in hex. */
  readonly peer: string;
  /**
   * Who called, on a CURVE server: the public key the caller proved in the
   * handshake, and the node name that key belongs to when the server knows
   * it. Absent on a server without CURVE.
   */
  readonly caller?: CallerIdentity;
  /** The service name. */
  readonly service: string;
  /** The method name. */
  readonly method: string;
}

/**
 * What generated client stubs call: one untyped entry point per call shape.
 * `RpcClient` implements it.
 */
export interface RpcClientLike {
  /**
   * Calls a unary method.
   *
   * @param service the service descriptor
   * @param method one of its methods (`kind: "unary"`)
   * @param args the arguments, in order
   * @param options timeout, signal and metadata
   * @returns the result
   */
  call(
    service: ServiceDescriptor,
    method: MethodDescriptor,
    args: unknown[],
    options?: CallOptions,
  ): Promise<unknown>;
  /**
   * Calls a server-streaming method.
   *
   * @param service the service descriptor
   * @param method one of its methods (`kind: "stream"`)
   * @param args the arguments, in order
   * @param options timeout (for the whole stream), signal and metadata
   * @returns the items; the call starts when iteration starts
   */
  stream(
    service: ServiceDescriptor,
    method: MethodDescriptor,
    args: unknown[],
    options?: CallOptions,
  ): AsyncIterable<unknown>;
}

/**
 * What generated `serveX(server, impl)` functions call. `RpcServer`
 * implements it.
 */
export interface RpcServerLike {
  /**
   * Serves a service: `impl` has one method per descriptor method, taking
   * the arguments then a {@linkcode CallContext}; unary methods return a
   * value or a promise, stream methods an `AsyncIterable`.
   *
   * @param service the service descriptor
   * @param impl the implementation
   */
  register(service: ServiceDescriptor, impl: object): void;
}
