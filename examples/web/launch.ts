/**
 * A system to look at from a browser: a calculator server, the sensors
 * pipeline (producer → filter → sink, without an end), and the HTTP
 * gateway on port 8080.
 *
 * `deno task zmp launch examples/web/launch.ts`, then open
 * http://127.0.0.1:8080/ (docs/web.md walks through it with curl).
 *
 * @module
 */

import { defineLaunch } from "../../mod.ts";
import { gatewayNode } from "../../src/bridge/gateway/mod.ts";

export default defineLaunch({
  // docs/web.md runs this beside docs/guide.md's system: its own port.
  registry: { endpoint: "tcp://127.0.0.1:7452" },
  nodes: [
    {
      name: "calc",
      module: "../calculator/server_node.ts",
      restart: "on-failure",
    },
    { name: "filter", module: "../sensors/filter.ts", restart: "on-failure" },
    { name: "sink", module: "../sensors/sink.ts", args: ["1000000000"] },
    {
      name: "producer",
      module: "../sensors/producer.ts",
      args: ["greenhouse", "200"],
      after: [{ node: "sink" }],
    },
    // Serves once what it shows is live: curl can start at once.
    {
      ...gatewayNode({ port: 8080 }),
      after: [{ service: "Calculator" }, { topic: "sensors/filtered" }],
    },
  ],
});
