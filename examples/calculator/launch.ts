/**
 * Two calculator servers and a client that finds them through the
 * registry: `deno task zmp launch examples/calculator/launch.ts`.
 *
 * The launch ends when the client is done (it is `required`): the servers
 * are then stopped in reverse order and the launcher exits 0.
 *
 * @module
 */

import { defineLaunch } from "../../mod.ts";

export default defineLaunch({
  // A free port, printed at start; without this line: tcp://127.0.0.1:7350.
  registry: { endpoint: "tcp://127.0.0.1:*" },
  nodes: [
    { name: "calc-1", module: "./server_node.ts", restart: "on-failure" },
    { name: "calc-2", module: "./server_node.ts", restart: "on-failure" },
    {
      name: "client",
      module: "./client_node.ts",
      // Both servers, so that the client balances over them from its first
      // call.
      after: [{ service: "Calculator", count: 2 }],
      required: true,
    },
  ],
});
