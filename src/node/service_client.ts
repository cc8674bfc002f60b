/**
 * The typed client of a service, built at run time from its descriptor: one
 * function per method over an untyped {@linkcode RpcClientLike}.
 *
 * @module
 */

import type { CallOptions, RpcClientLike } from "../rpc/context.ts";
import type { RpcClient } from "../rpc/client.ts";
import type {
  MethodDescriptor,
  ServiceDescriptor,
} from "../wire/descriptors.ts";
import type { RpcError } from "../wire/errors.ts";
import type { ServiceClient } from "./types.ts";

/**
 * Builds `ServiceClient<T>`: unary methods call `rpc.call`, stream methods
 * `rpc.stream`. An argument beyond the method's declared parameters is its
 * `CallOptions`.
 *
 * @param rpc the untyped client
 * @param service the service descriptor
 * @param check run before each call: an error refuses the call (a server
 *   whose definition differs in a breaking way)
 * @returns a frozen object with one function per method
 */
export function serviceClient<T>(
  rpc: RpcClientLike,
  service: ServiceDescriptor<T>,
  check?: (method: MethodDescriptor) => RpcError | undefined,
): ServiceClient<T> {
  const client: Record<string, unknown> = {};
  for (const [key, method] of Object.entries(service.methods)) {
    const arity = method.params.length;
    const split = (args: unknown[]): [unknown[], CallOptions | undefined] =>
      args.length > arity
        ? [args.slice(0, arity), args[arity] as CallOptions | undefined]
        : [args, undefined];
    client[key] = method.kind === "stream"
      ? (...args: unknown[]) => {
        const refused = check?.(method);
        if (refused) return refusedStream(refused);
        const [a, options] = split(args);
        return rpc.stream(service, method, a, options);
      }
      : (...args: unknown[]) => {
        const refused = check?.(method);
        if (refused) return Promise.reject(refused);
        const [a, options] = split(args);
        return rpc.call(service, method, a, options);
      };
  }
  Object.freeze(client);
  underlying.set(client, rpc);
  return client as ServiceClient<T>;
}

/** A stream that fails with `error` when iterated. */
function refusedStream(error: RpcError): AsyncIterable<unknown> {
  return {
    [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(error) }),
  };
}

const underlying = new WeakMap<object, RpcClientLike>();

/**
 * The untyped client under a typed client that a node made: its current
 * `endpoints` (which follow the registry), `connectedEndpoints`, `pending`
 * calls, and `ping()`.
 *
 * @param client a client returned by `node.client()`
 * @returns its `RpcClient`
 * @throws {TypeError} for any other object
 * @example
 * ```ts
 * import { createNode, rpcClientOf } from "zmp";
 * import { CalculatorService } from "../../examples/calculator/calculator.api.gen.ts";
 *
 * await using node = await createNode("asker");
 * const calc = await node.client(CalculatorService);
 * console.log(rpcClientOf(calc).endpoints); // every live instance
 * ```
 */
export function rpcClientOf(client: object): RpcClient {
  const rpc = underlying.get(client);
  if (rpc === undefined) {
    throw new TypeError(
      "Cannot find the RpcClient: the object is not a client made by node.client()",
    );
  }
  return rpc as RpcClient;
}
