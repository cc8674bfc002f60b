/**
 * `startRosbridgeServer`: a rosbridge v2 WebSocket server (JSON text
 * frames) over a zmp system, so that `roslib` and other rosbridge clients
 * subscribe, publish, call and offer services, and read params, by the
 * naming rules of `names.ts`. Each connection is a `Session`; browser-side
 * services of a connection are provided by a zmp node of its own.
 *
 * @module
 */

import type { Node } from "../../node/types.ts";
import type { Registry } from "../../registry/types.ts";
import type { ServiceDescriptor } from "../../wire/descriptors.ts";
import { Session, type SessionContext } from "./_session.ts";
import { LiveNodes } from "./_live.ts";

/**
 * The module of the rosbridge node (`rosbridge/node.ts`), for a launch
 * file's `module`: it runs {@linkcode startRosbridgeServer} through the
 * node the launcher started.
 */
export const ROSBRIDGE_NODE_MODULE: string =
  new URL("./node.ts", import.meta.url).href;

/** Options of {@linkcode startRosbridgeServer}. */
export interface RosbridgeServerOptions {
  /** The zmp node the server subscribes, publishes and calls through. */
  node: Node;
  /** The registry: live nodes, and params for `rosapi`. */
  registry: Registry;
  /**
   * The TCP port; 0 picks a free one.
   * @default {9090}
   */
  port?: number;
  /**
   * The address to listen on.
   * @default {"127.0.0.1"}
   */
  hostname?: string;
  /**
   * Service types clients may advertise (generated `…Service`
   * descriptors), besides those of live zmp services.
   * @default {[]}
   */
  apis?: readonly ServiceDescriptor[];
  /**
   * The largest text frame accepted, in bytes; a larger one gets a
   * `status` error.
   * @default {1048576}
   */
  maxMessageBytes?: number;
  /**
   * Deadline of a service call without its own `timeout`, in ms.
   * @default {10000}
   */
  callTimeout?: number;
}

/** A running rosbridge server. */
export interface RosbridgeServer extends AsyncDisposable {
  /** Where clients connect, e.g. `ws://127.0.0.1:9090`. */
  readonly url: string;
  /** The port it listens on. */
  readonly port: number;
  /** Open connections. */
  readonly connections: number;
  /** Closes every connection and stops listening. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts a rosbridge v2 server.
 *
 * @param options the zmp node and registry, port, service types, limits
 * @returns the running server; close it when done
 * @throws {Deno.errors.AddrInUse} when the port is taken
 * @example
 * ```ts
 * import { connectRegistry, createNode } from "zmp";
 * import { startRosbridgeServer } from "zmp/bridge";
 *
 * await using registry = await connectRegistry();
 * await using node = await createNode("rosbridge", { registry });
 * await using server = await startRosbridgeServer({ node, registry, port: 9090 });
 * console.log(server.url); // ws://127.0.0.1:9090
 * ```
 */
export async function startRosbridgeServer(
  options: RosbridgeServerOptions,
): Promise<RosbridgeServer> {
  const sessions = new Set<Session>();
  const sockets = new Set<WebSocket>();
  let clients = 0;
  const ctx: SessionContext = {
    node: options.node,
    registry: options.registry,
    live: new LiveNodes(options.registry),
    apis: options.apis ?? [],
    log: options.node.log,
    maxMessageBytes: options.maxMessageBytes ?? 1024 * 1024,
    callTimeout: options.callTimeout ?? 10000,
    advertised: new Map(),
    clientNodeName: () => `${options.node.name}_client_${++clients}`,
  };
  const hostname = options.hostname ?? "127.0.0.1";
  const listening = Promise.withResolvers<Deno.NetAddr>();
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({
      port: options.port ?? 9090,
      hostname,
      onListen: (addr) => listening.resolve(addr as Deno.NetAddr),
      onError: (e) => {
        options.node.log.warn("rosbridge request failed", {
          error: (e as Error).message,
        });
        return new Response("internal error", { status: 500 });
      },
    }, (request) => {
      if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
        return new Response(
          "zmp rosbridge v2 server: connect with a WebSocket (roslib)\n",
          { status: 426, headers: { upgrade: "websocket" } },
        );
      }
      const { socket, response } = Deno.upgradeWebSocket(request, {
        idleTimeout: 0,
      });
      const session = new Session(ctx, socket);
      sessions.add(session);
      sockets.add(socket);
      // One frame at a time, in order, as rosbridge handles them.
      let queue = Promise.resolve();
      socket.onmessage = (event) => {
        queue = queue.then(() => session.handle(event.data));
      };
      socket.onclose = () => {
        sockets.delete(socket);
        queue = queue.then(() => session.close()).finally(() =>
          sessions.delete(session)
        );
      };
      socket.onerror = () => {};
      return response;
    });
  } catch (e) {
    // The port is taken, most likely: stop following the registry.
    await ctx.live.close();
    throw e;
  }
  const addr = await listening.promise;
  let closing: Promise<void> | undefined;
  const close = () =>
    closing ??= (async () => {
      await Promise.allSettled([...sessions].map((s) => s.close()));
      for (const socket of sockets) {
        try {
          socket.close(1001, "server closing");
        } catch {
          // not open yet, or closed
        }
      }
      await server.shutdown();
      await ctx.live.close();
    })();
  return {
    url: `ws://${hostname}:${addr.port}`,
    port: addr.port,
    get connections() {
      return sessions.size;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
