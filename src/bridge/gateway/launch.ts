/**
 * `gatewayNode`: the gateway as one node of a launch file.
 *
 * @module
 */

import type { NodeSpec, RestartPolicy } from "../../launch/types.ts";

/** What the gateway node reads from its argument. */
export interface GatewayNodeArgs {
  /** The TCP port; 0 picks a free one (printed). @default {8080} */
  port?: number;
  /** The address to listen on. @default {"127.0.0.1"} */
  hostname?: string;
  /** Origins other pages may call from (CORS); `["*"]` for any. @default {[]} */
  cors?: string[];
  /** Host names it answers to besides loopback names. @default {[]} */
  allowedHosts?: string[];
  /** Largest request body, in bytes. @default {1048576} */
  maxBodyBytes?: number;
  /** Deadline of a call without `X-Zmp-Timeout`, in ms. @default {30000} */
  callTimeout?: number;
  /** Most event streams open at once. @default {256} */
  maxStreams?: number;
}

/** Options of {@linkcode gatewayNode}. */
export interface GatewayNodeOptions extends GatewayNodeArgs {
  /** The node's name in the launch. @default {"gateway"} */
  name?: string;
  /** Its restart policy. @default {"on-failure"} */
  restart?: RestartPolicy;
}

/** The module a gateway node runs. */
export const GATEWAY_NODE_MODULE: string =
  new URL("./node.ts", import.meta.url).href;

const KEYS: readonly (keyof GatewayNodeArgs)[] = [
  "port",
  "hostname",
  "cors",
  "allowedHosts",
  "maxBodyBytes",
  "callTimeout",
  "maxStreams",
];

/**
 * A launch file's node spec for the gateway: a subprocess allowed to
 * listen on `hostname` and nothing more than any node.
 *
 * @example
 * ```ts
 * import { defineLaunch } from "../../../mod.ts";
 * import { gatewayNode } from "./mod.ts";
 *
 * const launch = defineLaunch({
 *   nodes: [
 *     { name: "filter", module: "./filter.ts" },
 *     gatewayNode({ port: 8080 }),
 *   ],
 * });
 * console.log(launch.nodes[1].permissions); // { net: ["127.0.0.1"] }
 * ```
 *
 * @param options name, port, address, CORS, limits
 * @returns the node spec
 */
export function gatewayNode(options: GatewayNodeOptions = {}): NodeSpec {
  const args: GatewayNodeArgs = {};
  for (const key of KEYS) {
    if (options[key] !== undefined) {
      (args as Record<string, unknown>)[key] = options[key];
    }
  }
  return {
    name: options.name ?? "gateway",
    module: GATEWAY_NODE_MODULE,
    args: [JSON.stringify(args)],
    restart: options.restart ?? "on-failure",
    permissions: { net: [options.hostname ?? "127.0.0.1"] },
  };
}

/**
 * Reads the gateway node's arguments.
 *
 * @param args the node's arguments: none, or one JSON object
 * @returns the options
 * @throws {TypeError} for anything else, naming what was wrong
 */
export function readGatewayNodeArgs(args: string[]): GatewayNodeArgs {
  if (args.length === 0) return {};
  let value: unknown;
  try {
    if (args.length !== 1) throw new SyntaxError(`${args.length} arguments`);
    value = JSON.parse(args[0]);
  } catch (e) {
    throw new TypeError(
      `Cannot start the gateway node: its argument must be one JSON object of options (${
        (e as Error).message
      })`,
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(
      "Cannot start the gateway node: its argument must be a JSON object of options",
    );
  }
  const unknown = Object.keys(value).filter((k) =>
    !(KEYS as readonly string[]).includes(k)
  );
  if (unknown.length > 0) {
    throw new TypeError(
      `Cannot start the gateway node: unknown option ${
        unknown.join(", ")
      } (options: ${KEYS.join(", ")})`,
    );
  }
  return value as GatewayNodeArgs;
}
