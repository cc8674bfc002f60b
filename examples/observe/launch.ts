/**
 * A small system to observe (docs/observe.md): the calculator service and
 * the sensors pipeline without its sink, running until stopped.
 *
 * `deno task zmp launch examples/observe/launch.ts --metrics-port 9464`
 *
 * @module
 */

import { defineLaunch } from "../../mod.ts";

export default defineLaunch({
  // A free port, printed at start.
  registry: { endpoint: "tcp://127.0.0.1:*" },
  nodes: [
    { name: "calc", module: "../calculator/server_node.ts" },
    { name: "filter", module: "../sensors/filter.ts" },
    {
      name: "producer",
      module: "../sensors/producer.ts",
      args: ["greenhouse", "50"],
      after: [{ node: "filter" }],
    },
  ],
});
