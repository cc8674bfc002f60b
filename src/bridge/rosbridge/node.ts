/**
 * A rosbridge v2 server as a launch-file node, whose module is
 * `ROSBRIDGE_NODE_MODULE`:
 *
 * ```ts
 * import { defineLaunch } from "zmp";
 * import { ROSBRIDGE_NODE_MODULE } from "zmp/bridge";
 *
 * export default defineLaunch({
 *   nodes: [{
 *     name: "rosbridge",
 *     module: ROSBRIDGE_NODE_MODULE,
 *     args: ["--port", "9090", "--api", new URL("./browser.api.gen.ts", import.meta.url).href],
 *     permissions: { net: true, read: true, env: true },
 *   }],
 * });
 * ```
 *
 * Arguments: `--port <n>` (default 9090; 0 picks a free port),
 * `--host <address>` (default 127.0.0.1), `--api <module>` (repeatable:
 * generated modules whose `…Service` descriptors clients may advertise),
 * `--max-message <bytes>` (default 1048576). It logs
 * `rosbridge listening on ws://…` once it listens.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { defineNode } from "../../node/define.ts";
import { connectRegistry } from "../../registry/client.ts";
import { loadServiceDescriptors } from "./apis.ts";
import { startRosbridgeServer } from "./server.ts";

/**
 * Reads the node's arguments.
 *
 * @param args `--port`, `--host`, `--api`, `--max-message`
 * @returns the server options they give
 * @throws {TypeError} for an unknown option or a bad number
 */
export function rosbridgeArgs(args: string[]): {
  port: number;
  hostname: string;
  apis: string[];
  maxMessageBytes: number;
} {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: "string" },
      host: { type: "string" },
      api: { type: "string", multiple: true },
      "max-message": { type: "string" },
    },
    strict: true,
    allowPositionals: false,
  });
  const number = (name: string, text: string | undefined, fallback: number) => {
    if (text === undefined) return fallback;
    if (!/^\d+$/.test(text)) {
      throw new TypeError(
        `--${name} must be a whole number, got ${JSON.stringify(text)}`,
      );
    }
    return Number(text);
  };
  const port = number("port", values.port, 9090);
  if (port > 65535) {
    throw new TypeError(`--port must be at most 65535, got ${port}`);
  }
  return {
    port,
    hostname: values.host ?? "127.0.0.1",
    apis: values.api ?? [],
    maxMessageBytes: number("max-message", values["max-message"], 1024 * 1024),
  };
}

export default defineNode(async (node, args) => {
  const options = rosbridgeArgs(args);
  const apis = await loadServiceDescriptors(options.apis);
  const registry = await connectRegistry({ signal: node.signal });
  const server = await startRosbridgeServer({
    node,
    registry,
    port: options.port,
    hostname: options.hostname,
    apis,
    maxMessageBytes: options.maxMessageBytes,
  }).catch(async (e) => {
    await registry.close();
    throw e;
  });
  node.log.info(`rosbridge listening on ${server.url}`);
  node.signal.addEventListener("abort", () => {
    server.close().finally(() => registry.close());
  }, { once: true });
});
