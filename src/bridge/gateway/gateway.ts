/**
 * `createGateway`: an HTTP/JSON door into a running zmp system, and the
 * live page. It joins the system as a node (to call services and follow
 * topics), follows the registry live, and serves with `Deno.serve`,
 * routed by Hono (npm `hono`).
 *
 * | route | what |
 * |---|---|
 * | `POST /rpc/<Service>/<method>` | a call; JSON array or object of arguments; SSE for stream methods |
 * | `GET /topics/<name>` | a topic's messages as SSE |
 * | `GET /params`, `GET|PUT|DELETE /params/<key>` | params, checked against their types |
 * | `GET /openapi.json` | the OpenAPI 3.1 document of the live system |
 * | `GET /system`, `GET /system/events` | the live system as JSON, and as SSE |
 * | `GET /` | the live page |
 *
 * @module
 */

import { Hono } from "hono";
import { cors } from "hono/cors";
import { createNode } from "../../node/node.ts";
import type { NodeSecurity } from "../../node/_security.ts";
import { RegistryView } from "../../registry/view.ts";
import type { Node, NodeLogger } from "../../node/types.ts";
import { connectRegistry } from "../../registry/client.ts";
import type { Registry } from "../../registry/types.ts";
import { RpcError } from "../../wire/errors.ts";
import { stringifyJson } from "../../wire/json_schema.ts";
import {
  type GatewayContext,
  type ResolvedOptions,
  streamCounter,
} from "./_context.ts";
import { PageFeed } from "./_feed.ts";
import { failure, hostAllowed, jsonResponse } from "./_http.ts";
import { loadPage, pageFile } from "./_page.ts";
import { deleteParam, getParam, listParams, putParam } from "./_params.ts";
import { handleRpc } from "./_rpc.ts";
import { PushStream } from "./_sse.ts";
import { TopicHub } from "./_topics.ts";
import { errorResponse } from "./errors.ts";
import { openApiDocument } from "./openapi.ts";
import { type SystemSnapshot, systemSnapshot } from "./system.ts";

/** Options of {@linkcode createGateway}. */
export interface GatewayOptions {
  /** The TCP port; 0 picks a free one. @default {8080} */
  port?: number;
  /**
   * The address to listen on. Anything but loopback exposes every service,
   * topic and param to the network: there is no authentication.
   * @default {"127.0.0.1"}
   */
  hostname?: string;
  /**
   * The registry: a connection (left open on close) or its endpoint.
   * @default {`node`'s connection when `node` is given, else the `ZMP_REGISTRY` environment variable, else "tcp://127.0.0.1:7350"}
   */
  registry?: Registry | string;
  /**
   * The node the gateway calls and subscribes through (a launched node
   * running the gateway passes its own; left open on close). Absent: the
   * gateway creates one named `name`.
   */
  node?: Node;
  /**
   * The name of the node the gateway creates.
   * @default {"_zmp_gateway_<pid>" (hidden from listings, like CLI tools;
   *   `_<n>` is appended for the n-th gateway of a process)}
   */
  name?: string;
  /**
   * Origins other web pages may call from (CORS), e.g.
   * `["http://localhost:5173"]`; `["*"]` for any. Empty: same origin only.
   * @default {[]}
   */
  cors?: readonly string[];
  /**
   * Host names (without port) the gateway answers to besides loopback
   * names, when it listens on loopback; when it listens elsewhere and this
   * is empty, any host.
   * @default {[]}
   */
  allowedHosts?: readonly string[];
  /** Largest request body, in bytes. @default {1048576} */
  maxBodyBytes?: number;
  /**
   * The most values a reply (or stream item) of a service may hold before
   * the gateway refuses it unread, with 502: the `maxElements` of the node
   * it makes (ignored when it is given `node`, whose own setting holds).
   * @default {32768}
   */
  maxElements?: number;
  /**
   * Deadline of a unary call that sends no `X-Zmp-Timeout`, in ms.
   * @default {30000}
   */
  callTimeout?: number;
  /** Most event streams open at once. @default {256} */
  maxStreams?: number;
  /**
   * Events a slow client may leave unread on a topic or page stream
   * before new ones are dropped.
   * @default {256}
   */
  streamQueue?: number;
  /** Keep-alive comment period of event streams, in ms. @default {15000} */
  keepAlive?: number;
  /**
   * Secure mode: the keys of the node the gateway creates (and of its own
   * registry connection, when `registry` is an endpoint). The gateway is a
   * node of the system: name it (`name`) in the launch's `security.allow`,
   * and give it a policy, since whoever reaches its HTTP port acts with
   * its rights (docs/security.md). A `registry` connection passed in must
   * be made with the same key.
   * @default {none: plain TCP}
   */
  security?: NodeSecurity;
  /** Closes the gateway when it aborts. */
  signal?: AbortSignal;
  /**
   * Where warnings go.
   * @default {the node's logger}
   */
  logger?: NodeLogger;
}

/** A running gateway. */
export interface Gateway extends AsyncDisposable {
  /** Its base URL, e.g. `http://127.0.0.1:8080/`. */
  readonly url: string;
  /** The address it listens on. */
  readonly hostname: string;
  /** The port it listens on. */
  readonly port: number;
  /** The node it calls and subscribes through. */
  readonly node: Node;
  /** Resolves once it is closed. */
  readonly finished: Promise<void>;
  /**
   * Stops: ends event streams, lets requests in flight finish, closes the
   * node and registry it opened. Idempotent.
   */
  close(): Promise<void>;
}

function positiveInteger(name: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isInteger(value) || value <= 0)) {
    throw new RangeError(
      `Cannot create the gateway: ${name} must be a whole number > 0, got ${value}`,
    );
  }
}

function resolve(options: GatewayOptions): ResolvedOptions {
  for (
    const name of [
      "maxBodyBytes",
      "callTimeout",
      "maxStreams",
      "streamQueue",
      "keepAlive",
    ] as const
  ) positiveInteger(name, options[name]);
  const port = options.port ?? 8080;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(
      `Cannot create the gateway: port must be a whole number from 0 to 65535, got ${port}`,
    );
  }
  return {
    maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
    callTimeout: options.callTimeout ?? 30000,
    maxStreams: options.maxStreams ?? 256,
    streamQueue: options.streamQueue ?? 256,
    keepAlive: options.keepAlive ?? 15000,
  };
}

let gateways = 0;

/** `_zmp_gateway_<pid>`, then `_zmp_gateway_<pid>_2`… in one process. */
function defaultName(): string {
  gateways++;
  return `_zmp_gateway_${Deno.pid}${gateways === 1 ? "" : `_${gateways}`}`;
}

const silent: NodeLogger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * Starts a gateway.
 *
 * @example
 * ```ts
 * import { createGateway } from "./mod.ts";
 *
 * await using gateway = await createGateway({ port: 8080 });
 * console.log(`open ${gateway.url}`);
 * await gateway.finished;
 * ```
 *
 * @param options port, address, registry, CORS, limits
 * @returns the gateway, listening
 * @throws {RangeError} for a bad option
 * @throws {RegistryUnavailableError} when no registry answers
 * @throws {Deno.errors.AddrInUse} when the port is taken
 */
export async function createGateway(
  options: GatewayOptions = {},
): Promise<Gateway> {
  const resolved = resolve(options);
  const hostname = options.hostname ?? "127.0.0.1";
  await loadPage();
  const cleanup: (() => Promise<void>)[] = [];
  const undo = async () => {
    for (const step of cleanup.reverse()) await step().catch(() => {});
  };
  try {
    let registry: Registry;
    if (typeof options.registry === "object") registry = options.registry;
    else if (options.node !== undefined && options.registry === undefined) {
      // A launched gateway: the node's own connection (its key, in secure
      // mode), left open, as the node is.
      registry = options.node.registry;
    } else {
      registry = await connectRegistry({
        endpoint: options.registry,
        signal: options.signal,
        logger: options.logger ?? silent,
        ...(options.security?.registryKey === undefined ? {} : {
          curve: {
            publicKey: options.security.publicKey,
            secretKey: options.security.secretKey,
            serverKey: options.security.registryKey,
          },
        }),
      });
      cleanup.push(() => registry.close());
    }
    let node: Node;
    if (options.node !== undefined) node = options.node;
    else {
      node = await createNode(options.name ?? defaultName(), {
        registry,
        signal: options.signal,
        logger: options.logger,
        security: options.security,
        maxElements: options.maxElements,
      });
      cleanup.push(() => node.close());
    }
    const log = options.logger ?? node.log;
    const view = new RegistryView(registry, {
      logger: { error: (m) => log.error(m) },
    });
    cleanup.push(() => view.close());
    await view.start();
    const gateway = new GatewayImpl({
      registry,
      node,
      view,
      log,
      options: resolved,
      hostname,
      port: options.port ?? 8080,
      cors: options.cors ?? [],
      allowedHosts: (options.allowedHosts ?? []).map((h) => h.toLowerCase()),
      owned: [...cleanup],
      signal: options.signal,
    });
    cleanup.length = 0;
    return gateway;
  } catch (e) {
    await undo();
    throw e;
  }
}

interface GatewayInit {
  registry: Registry;
  node: Node;
  view: RegistryView;
  log: NodeLogger;
  options: ResolvedOptions;
  hostname: string;
  port: number;
  cors: readonly string[];
  allowedHosts: readonly string[];
  owned: (() => Promise<void>)[];
  signal: AbortSignal | undefined;
}

class GatewayImpl implements Gateway {
  readonly url: string;
  readonly hostname: string;
  readonly port: number;
  readonly node: Node;
  readonly finished: Promise<void>;
  readonly #init: GatewayInit;
  readonly #abort = new AbortController();
  readonly #server: Deno.HttpServer<Deno.NetAddr>;
  readonly #hub: TopicHub;
  readonly #feed: PageFeed;
  readonly #streams = new Set<PushStream>();
  readonly #unlisten: () => void;
  #snapshot: SystemSnapshot | undefined;
  #closing: Promise<void> | undefined;
  #resolveFinished!: () => void;

  constructor(init: GatewayInit) {
    this.#init = init;
    this.node = init.node;
    this.finished = new Promise((r) => this.#resolveFinished = r);
    this.#hub = new TopicHub(init.node, init.log);
    const ctx: GatewayContext = {
      node: init.node,
      registry: init.registry,
      log: init.log,
      options: init.options,
      snapshot: () =>
        this.#snapshot ??= systemSnapshot(init.view.nodes, {
          hide: [init.node.name],
        }),
      hub: this.#hub,
      signal: this.#abort.signal,
      openStream: streamCounter(init.options.maxStreams),
    };
    this.#feed = new PageFeed(ctx);
    this.#unlisten = init.view.listen(() => {
      this.#snapshot = undefined;
      this.#feed.systemChanged();
    });
    const app = this.#routes(ctx);
    try {
      this.#server = Deno.serve({
        hostname: init.hostname,
        port: init.port,
        onListen: () => {},
        onError: (e) => errorResponse(e),
      }, app.fetch);
    } catch (e) {
      this.#unlisten();
      if (e instanceof Deno.errors.AddrInUse) {
        throw new Deno.errors.AddrInUse(
          `Cannot listen on ${init.hostname}:${init.port}: the address is in use`,
        );
      }
      throw e;
    }
    this.hostname = this.#server.addr.hostname;
    this.port = this.#server.addr.port;
    const host = this.hostname.includes(":")
      ? `[${this.hostname}]`
      : this.hostname;
    this.url = `http://${host}:${this.port}/`;
    const signal = init.signal;
    if (signal !== undefined) {
      if (signal.aborted) this.close();
      else signal.addEventListener("abort", () => this.close(), { once: true });
    }
  }

  #routes(ctx: GatewayContext): Hono {
    const app = new Hono();
    const init = this.#init;
    const loopback = /^(127\.|localhost$|::1$)/.test(init.hostname);
    app.use(async (c, next) => {
      if (
        !hostAllowed(c.req.header("host") ?? null, loopback, init.allowedHosts)
      ) {
        return errorResponse(
          new RpcError(
            "PERMISSION_DENIED",
            `this gateway does not answer to host ${
              JSON.stringify(c.req.header("host") ?? "")
            } (allowed: loopback names${
              init.allowedHosts.length
                ? `, ${init.allowedHosts.join(", ")}`
                : ""
            })`,
          ),
        );
      }
      await next();
      return undefined;
    });
    if (init.cors.length > 0) {
      app.use(cors({
        origin: init.cors.includes("*") ? "*" : [...init.cors],
        allowMethods: ["GET", "POST", "PUT", "DELETE"],
        allowHeaders: [
          "content-type",
          "accept",
          "x-zmp-timeout",
          "traceparent",
          "tracestate",
        ],
        maxAge: 600,
      }));
    }
    app.post(
      "/rpc/:service/:method",
      (c) =>
        handleRpc(
          ctx,
          c.req.raw,
          c.req.param("service"),
          c.req.param("method"),
        ),
    );
    app.all("/rpc/*", (c) =>
      errorResponse(
        new RpcError(
          "UNIMPLEMENTED",
          `${c.req.method} ${
            pathOf(c.req.raw)
          }: calls are POST /rpc/<Service>/<method>`,
        ),
        { status: 405, headers: { allow: "POST" } },
      ));
    app.get("/topics/*", (c) => this.#topic(ctx, c.req.raw));
    app.get("/params", (c) => listParams(ctx, c.req.raw));
    app.get("/params/*", (c) => getParam(ctx, keyOf(c.req.raw)));
    app.put("/params/*", (c) => putParam(ctx, c.req.raw, keyOf(c.req.raw)));
    app.delete("/params/*", (c) => deleteParam(ctx, keyOf(c.req.raw)));
    app.get("/system", () => jsonResponse(ctx.snapshot()));
    app.get("/system/events", () => this.#feed.open());
    app.get("/openapi.json", (c) =>
      jsonResponse(
        openApiDocument(ctx.snapshot(), {
          serverUrl: new URL(c.req.url).origin,
        }),
      ));
    app.get(
      "*",
      async (c) =>
        (await pageFile(new URL(c.req.url).pathname)) ?? notFound(c.req.raw),
    );
    app.notFound((c) => notFound(c.req.raw));
    app.onError((e) => failure(e));
    return app;
  }

  #topic(ctx: GatewayContext, request: Request): Response {
    const name = pathOf(request).slice("/topics/".length);
    const topics = ctx.snapshot().topics;
    const topic = topics.find((t) => t.name === name);
    if (topic === undefined) {
      return errorResponse(
        new RpcError(
          "NOT_FOUND",
          `no live node publishes or subscribes to topic "${name}" (${
            topics.length === 0
              ? "no topics are live"
              : `live topics: ${topics.map((t) => t.name).join(", ")}`
          })`,
        ),
      );
    }
    let closeStream: () => void;
    try {
      closeStream = ctx.openStream();
    } catch (e) {
      return failure(e);
    }
    let unlisten = () => {};
    const stream: PushStream = new PushStream({
      queue: ctx.options.streamQueue,
      keepAlive: ctx.options.keepAlive,
      onClose: () => {
        unlisten();
        closeStream();
        this.#streams.delete(stream);
      },
    });
    if (stream.closed) return stream.response;
    this.#streams.add(stream);
    let n = 0;
    unlisten = this.#hub.listen(topic, (message, traceparent) => {
      stream.send(stringifyJson(message), { id: n++, traceparent });
    });
    return stream.response;
  }

  close(): Promise<void> {
    return this.#closing ??= this.#close();
  }

  async #close(): Promise<void> {
    this.#abort.abort();
    this.#unlisten();
    await this.#feed.close();
    for (const stream of [...this.#streams]) stream.close();
    await this.#server.shutdown();
    await this.#hub.close();
    for (const step of this.#init.owned.reverse()) {
      try {
        await step();
      } catch (e) {
        this.#init.log.warn("cannot close part of the gateway", {
          error: (e as Error).message,
        });
      }
    }
    this.#resolveFinished();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** The request's path, each segment percent-decoded. */
function pathOf(request: Request): string {
  const raw = new URL(request.url).pathname;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

function keyOf(request: Request): string {
  return pathOf(request).slice("/params/".length);
}

function notFound(request: Request): Response {
  return errorResponse(
    new RpcError(
      "NOT_FOUND",
      `no route for ${request.method} ${
        new URL(request.url).pathname
      } (routes: POST /rpc/<Service>/<method>, GET /topics/<name>, GET /params, GET|PUT|DELETE /params/<key>, GET /openapi.json, GET /system, GET /system/events, GET /)`,
    ),
  );
}
