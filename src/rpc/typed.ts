/**
 * Typed clients and handler types from a service's own interface: what a
 * generated module builds with one line each. The user's `@service`
 * interface is the source of the method signatures (parameter names, doc
 * comments and all); the descriptor carries the schemas that check them.
 *
 * @module
 */

import type {
  MethodDescriptor,
  ServiceDescriptor,
} from "../wire/descriptors.ts";
import type { CallContext, CallOptions, RpcClientLike } from "./context.ts";

/**
 * What a typed client of service `T` offers: each method of `T` with
 * `options?: CallOptions` after its parameters.
 */
export type ClientOf<T> =
  & {
    readonly [K in keyof T]: T[K] extends (...args: infer A) => infer R
      ? (...args: [...A, options?: CallOptions]) => R
      : never;
  }
  & {
    /** The untyped client that carries the calls. */
    readonly rpc: RpcClientLike;
  };

/**
 * What an implementation of service `T` provides: one handler per method,
 * called with every parameter (optional ones as `T | undefined`) and then
 * the call context; a unary handler may answer with a value or a promise.
 */
export type HandlersOf<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => Promise<infer R>
    ? (...args: [...FilledParameters<A>, ctx: CallContext]) => Promise<R> | R
    : T[K] extends (...args: infer A) => AsyncIterable<infer R> ? (
        ...args: [...FilledParameters<A>, ctx: CallContext]
      ) => AsyncIterable<R>
    : never;
};

/**
 * A parameter list with every position present: optional parameters as
 * `T | undefined`, so that the call context can follow them.
 */
export type FilledParameters<A extends unknown[]> = {
  [I in keyof A]-?: undefined extends A[I] ? A[I] | undefined : A[I];
};

/** The constructor {@linkcode clientClass} returns. */
export type ClientClass<T> = new (rpc: RpcClientLike) => ClientOf<T>;

/**
 * A typed client class for a service: one method per method of the
 * descriptor, forwarding to the untyped client given to the constructor.
 *
 * @example
 * ```ts
 * import { clientClass, RpcClient, serviceFromSchema } from "zmp";
 * interface Echo { echo(text: string): Promise<string> }
 * const EchoService = serviceFromSchema<Echo>({
 *   services: { Echo: { methods: { echo: {
 *     kind: "unary",
 *     args: { type: "array", prefixItems: [{ title: "text", type: "string" }], minItems: 1, maxItems: 1 },
 *     result: { type: "string" },
 *   } } } },
 * }, "Echo");
 * const EchoClient = clientClass(EchoService);
 * await using rpc = new RpcClient({ endpoints: [] });
 * const echo = new EchoClient(rpc);
 * console.log(typeof echo.echo); // "function"
 * ```
 *
 * @param service the service descriptor
 * @returns the class
 */
export function clientClass<T>(service: ServiceDescriptor<T>): ClientClass<T> {
  class Client {
    readonly rpc: RpcClientLike;
    constructor(rpc: RpcClientLike) {
      this.rpc = rpc;
    }
  }
  for (const method of Object.values(service.methods)) {
    Object.defineProperty(Client.prototype, method.name, {
      value: forward(service, method),
      writable: true,
      configurable: true,
    });
  }
  Object.defineProperty(Client, "name", {
    value: `${service.name.replace(/[^\w$]/g, "_")}Client`,
  });
  return Client as unknown as ClientClass<T>;
}

function forward(service: ServiceDescriptor, method: MethodDescriptor) {
  const n = method.params.length;
  const call = method.kind === "unary" ? "call" : "stream";
  return function (this: { rpc: RpcClientLike }, ...all: unknown[]) {
    const args = new Array<unknown>(n);
    for (let i = 0; i < n; i++) args[i] = all[i];
    const options = all[n] as CallOptions | undefined;
    return this.rpc[call](service, method, args, options);
  };
}
