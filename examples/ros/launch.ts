/**
 * The ROS example: the lights service and the ROS 1 bridge, launched
 * together. A ROS master must be running (`rosmaster --core`), at
 * `ROS_MASTER_URI` (default http://localhost:11311/).
 *
 * `deno task zmp launch examples/ros/launch.ts`
 *
 * @module
 */

import { defineLaunch } from "../../mod.ts";

export default defineLaunch({
  registry: { endpoint: "tcp://127.0.0.1:*" },
  nodes: [
    { name: "lights", module: "./lights.ts", restart: "on-failure" },
    {
      name: "ros1_bridge",
      module: "./bridge.ts",
      restart: "on-failure",
      // The bridge speaks XML-RPC and TCPROS (Deno sockets), reads the
      // ROS environment and the .msg/.srv files under /usr/share.
      permissions: { net: true, env: true, read: true, sys: true },
    },
  ],
});
