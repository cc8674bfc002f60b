/**
 * The embedded registry server: the `zmp.Registry` service on an
 * `RpcServer`, like a roscore that the launcher (or `zmp registry`) starts.
 * State is in memory and soft: nodes refill it when it restarts. Params can
 * be kept in a file.
 *
 * @module
 */

import type { Context } from "../zmq/mod.ts";
import { RegistryGate, type RegistrySecurity } from "./security.ts";
import { RpcServer } from "../rpc/server.ts";
import { NodeObserver } from "../observe/node_observer.ts";
import type { CallContext } from "../rpc/context.ts";
import { consoleLogger, type Logger } from "../rpc/logger.ts";
import { DEFAULT_REGISTRY_ENDPOINT, DEFAULT_TTL_MS } from "./types.ts";
import type { NodeInfo } from "./types.ts";
import { RegistryState } from "./_state.ts";
import { admitNodeInfo } from "./_node_info.ts";
import { RpcError } from "../wire/errors.ts";
import { checkName, NameError } from "../wire/names.ts";
import { REGISTRY_MAX_ELEMENTS } from "../wire/limits.ts";
import { loadParams, ParamsFileWriter } from "./_params_file.ts";
import {
  REGISTRY_SERVICE_VERSION,
  type RegistryFacts,
  RegistryService,
} from "./_service.ts";

/**
 * The methods that keep nodes alive: served before any limit applies, so
 * that no flood of watches or queries can expire a healthy node's lease.
 */
export const PRIORITY_METHODS: readonly string[] = [
  "register",
  "heartbeat",
  "update",
  "unregister",
];

/** Options of {@linkcode startRegistry}. */
export interface RegistryServerOptions {
  /**
   * Where to listen; `tcp://127.0.0.1:*` picks a free port (read the real
   * one from {@linkcode RegistryServer.endpoint}).
   * @default {"tcp://127.0.0.1:7350"}
   */
  endpoint?: string;
  /**
   * Lease time-to-live in ms: a node that has not heartbeated for this long
   * is removed (reason `expired`). Clients heartbeat every `ttl / 3`.
   * @default {3000}
   */
  ttl?: number;
  /**
   * Keep the params in this file (superjson): loaded at start, rewritten
   * atomically after every change.
   * @default {none: params live in memory only}
   */
  paramsFile?: string;
  /**
   * How often a watch stream that has had nothing to send gets a keepalive
   * item, in ms, so that the watchers of vanished clients are released.
   * @default {10000}
   */
  keepalive?: number;
  /** Where failures are reported. @default {consoleLogger} */
  logger?: Logger;
  /** The ZeroMQ context. @default {Context.default} */
  context?: Context;
  /**
   * Secure mode: serve over CURVE, accept only the keys listed, each node
   * name only from its own key, and what the policy grants.
   * @default {none: plain TCP, anyone may do anything}
   */
  security?: RegistrySecurity;
  /**
   * The most elements of one request the registry decodes (the
   * `RpcServer` option of the same name): a larger `register`, `update`
   * or param value is refused with `RESOURCE_EXHAUSTED` before decoding.
   * @default {REGISTRY_MAX_ELEMENTS: 131,072, room for a NodeInfo of 1 MiB}
   */
  maxElements?: number;
}

/** A running embedded registry. */
export interface RegistryServer extends AsyncDisposable {
  /** Where it listens, with the real port. */
  readonly endpoint: string;
  /** The lease time-to-live, in ms. */
  readonly ttl: number;
  /** How many watch streams (of nodes and of params) are open now. */
  readonly watchers: number;
  /**
   * Stops: watch streams end (their clients reconnect to the next
   * registry), params are flushed to the file, the socket closes.
   * Idempotent.
   */
  close(): Promise<void>;
}

/**
 * Starts an embedded registry in this process.
 *
 * @example
 * ```ts
 * import { connectRegistry, startRegistry } from "zmp";
 *
 * await using registry = await startRegistry({ endpoint: "tcp://127.0.0.1:*" });
 * await using client = await connectRegistry({ endpoint: registry.endpoint });
 * console.log(await client.nodes()); // []
 * ```
 *
 * @param options endpoint, ttl, params file, logger
 * @returns the running registry
 * @throws {RangeError} for a ttl or keepalive that is not a number of ms
 *   from 10 to 2³¹−1
 * @throws {TypeError} for an endpoint that is not a non-empty string
 * @throws {SyntaxError} when the params file is corrupt (the message names it)
 * @throws {Error} when the params file cannot be read or written (named too)
 * @throws {ZmqError} when the endpoint cannot be bound, e.g. `EADDRINUSE`
 */
export async function startRegistry(
  options: RegistryServerOptions = {},
): Promise<RegistryServer> {
  const endpoint = options.endpoint ?? DEFAULT_REGISTRY_ENDPOINT;
  if (typeof endpoint !== "string" || endpoint === "") {
    throw new TypeError(
      `Cannot start the registry: endpoint must be a non-empty string, got ${
        JSON.stringify(endpoint)
      }`,
    );
  }
  const ttl = checkMs(options.ttl ?? DEFAULT_TTL_MS, "ttl");
  const keepalive = checkMs(options.keepalive ?? 10000, "keepalive");
  const logger = options.logger ?? consoleLogger;
  const loaded = options.paramsFile === undefined
    ? undefined
    : await loadParams(options.paramsFile);
  let writer: ParamsFileWriter | undefined;
  const state = new RegistryState({
    ttl,
    params: loaded?.params,
    revision: loaded?.revision,
    keepalive,
    onParamsChanged: () => writer?.schedule(),
  });
  if (options.paramsFile !== undefined) {
    writer = new ParamsFileWriter(
      options.paramsFile,
      () => ({ params: state.params, revision: state.revision }),
      logger,
    );
    await writer.writeNow();
  }
  const facts: RegistryFacts = {
    version: REGISTRY_SERVICE_VERSION,
    ttl,
    pid: Deno.pid,
    host: hostname(),
    startedAt: Date.now(),
  };
  const gate = options.security === undefined
    ? undefined
    : new RegistryGate(options.security, (line) => logger.warn(line));
  // Its operations are counted and served as zmp.Observe, like a node's.
  const observer = new NodeObserver("registry");
  // Every open watch holds a call slot for as long as it lives; watches get
  // half the slots, one client at most 64 of them. Registrations and
  // heartbeats are served with priority: never refused for lack of room.
  const server = new RpcServer({
    logger,
    context: options.context,
    maxConcurrency: 16384,
    maxElements: options.maxElements ?? REGISTRY_MAX_ELEMENTS,
    interceptors: [observer.serverInterceptor],
    ...(gate === undefined ? {} : {
      curve: {
        publicKey: options.security!.publicKey,
        secretKey: options.security!.secretKey,
        authenticate: gate.authenticate,
        identify: gate.identify,
      },
    }),
  });
  observer.serve(server);
  const live = (name: string | undefined) =>
    name === undefined ? undefined : state.nodes().find((n) => n.name === name);
  server.register(RegistryService, {
    info: () => facts,
    register: (
      given: NodeInfo,
      token: string | undefined,
      ctx: CallContext,
    ) => {
      const info = admit(given);
      return state.register(gate?.admit(info, ctx.caller) ?? info, token);
    },
    heartbeat: (
      name: string,
      instanceId: string,
      token: string,
      ctx: CallContext,
    ) => {
      gate?.checkOwner(name, "heartbeat", ctx.caller);
      state.heartbeat(name, instanceId, token);
    },
    update: (given: NodeInfo, token: string, ctx: CallContext) => {
      const info = admit(given);
      state.update(gate?.admit(info, ctx.caller) ?? info, token);
    },
    unregister: (
      name: string,
      instanceId: string,
      token: string,
      ctx: CallContext,
    ) => {
      gate?.checkOwner(name, "unregister", ctx.caller);
      return state.unregister(name, instanceId, token);
    },
    nodes: () => state.nodes(),
    watch: (ctx: CallContext) => state.watchNodes(ctx.signal),
    paramGet: (key: string) => state.paramGet(key),
    paramGetEntry: (key: string) => state.paramGetEntry(key),
    paramSet: async (
      key: string,
      value: unknown,
      ifRevision: number | undefined,
      ctx: CallContext,
    ) => {
      refuse(() => checkName("paramKey", key, { field: "key" }));
      gate?.checkParam(key, "paramSet", ctx.caller, live(ctx.caller?.node));
      const revision = state.paramSet(key, value, ifRevision);
      await writer?.flush();
      return revision;
    },
    paramDelete: async (key: string, ctx: CallContext) => {
      gate?.checkParam(key, "paramDelete", ctx.caller, live(ctx.caller?.node));
      const existed = state.paramDelete(key);
      await writer?.flush();
      return existed;
    },
    paramList: (prefix: string | undefined) => state.paramList(prefix ?? ""),
    paramWatch: (prefix: string | undefined, ctx: CallContext) =>
      state.watchParams(prefix ?? "", ctx.signal),
  }, { priority: PRIORITY_METHODS });
  let bound: string;
  try {
    bound = server.bind(endpoint);
  } catch (e) {
    state.close();
    await observer.close();
    await server.close({ drainTimeout: 0 });
    throw e;
  }
  let closing: Promise<void> | undefined;
  const close = () =>
    closing ??= (async () => {
      state.close();
      await observer.close();
      await server.close({ drainTimeout: 1000 });
      await writer?.flush();
    })();
  return {
    endpoint: bound,
    ttl,
    get watchers() {
      return state.watchers;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/**
 * Runs a check of `wire/names.ts`: its `NameError` becomes
 * `INVALID_ARGUMENT`, with the field in the details.
 */
function refuse<T>(check: () => T): T {
  try {
    return check();
  } catch (e) {
    if (!(e instanceof NameError)) throw e;
    throw new RpcError("INVALID_ARGUMENT", e.message, {
      details: { field: e.field },
      cause: e,
    });
  }
}

/** A node's info as the registry stores it (see `_node_info.ts`). */
function admit(info: NodeInfo): NodeInfo {
  return refuse(() => admitNodeInfo(info));
}

function checkMs(value: number, name: string): number {
  if (
    typeof value !== "number" || !Number.isFinite(value) || value < 10 ||
    value > 2 ** 31 - 1
  ) {
    throw new RangeError(
      `Cannot start the registry: ${name} must be a number of ms from 10 to 2147483647, got ${
        String(value)
      }`,
    );
  }
  return value;
}

function hostname(): string {
  try {
    return Deno.hostname();
  } catch {
    return "unknown";
  }
}
