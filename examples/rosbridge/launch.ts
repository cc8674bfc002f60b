/**
 * A zmp system served to rosbridge clients (roslib, ROS web tools): the
 * calculator service, the sensors filter with its params, and a rosbridge
 * v2 server on a free port (it logs `rosbridge listening on ws://…`).
 *
 * `deno task zmp launch examples/rosbridge/launch.ts`, then
 * `deno run -A examples/rosbridge/client.ts ws://127.0.0.1:<port>`.
 *
 * @module
 */

import { defineLaunch } from "../../mod.ts";
import { ROSBRIDGE_NODE_MODULE } from "../../src/bridge/mod.ts";

export default defineLaunch({
  registry: { endpoint: "tcp://127.0.0.1:*" },
  nodes: [
    {
      name: "calc",
      module: "../calculator/server_node.ts",
      restart: "on-failure",
    },
    { name: "filter", module: "../sensors/filter.ts", restart: "on-failure" },
    {
      name: "rosbridge",
      module: ROSBRIDGE_NODE_MODULE,
      // Port 0 picks a free port; 9090 is rosbridge's usual one.
      args: [
        "--port",
        "0",
        "--api",
        new URL("./browser.api.gen.ts", import.meta.url).href,
      ],
      restart: "on-failure",
      permissions: { net: true, read: true, env: true },
    },
  ],
});
