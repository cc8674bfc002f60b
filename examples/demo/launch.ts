/**
 * The demo system (`deno task demo`): the calculator and the sensor
 * pipeline in one launch.
 *
 * - services: `calc-1` and `calc-2` provide `Calculator`; `client` finds
 *   them through the registry and calls them (balanced over both);
 * - topics: `producer` → `sensors/raw` → `filter` → `sensors/filtered` →
 *   `sink` and `tuner`;
 * - params: `filter.alpha` and `filter.threshold`; `tuner` changes alpha
 *   while the filter runs, and the filter follows.
 *
 * The sink is `required`: when it is done, everything stops in reverse
 * order and the launch exits 0.
 *
 * @module
 */

import { defineLaunch } from "../../mod.ts";

export default defineLaunch({
  registry: { endpoint: "tcp://127.0.0.1:*" },
  gracePeriod: 3000,
  nodes: [
    {
      name: "calc-1",
      module: "../calculator/server_node.ts",
      restart: "on-failure",
    },
    {
      name: "calc-2",
      module: "../calculator/server_node.ts",
      restart: "on-failure",
    },
    {
      name: "client",
      module: "../calculator/client_node.ts",
      after: [{ service: "Calculator" }],
    },
    { name: "filter", module: "../sensors/filter.ts", restart: "on-failure" },
    {
      name: "sink",
      module: "../sensors/sink.ts",
      args: ["60"],
      after: [{ topic: "sensors/filtered" }],
      required: true,
    },
    {
      name: "tuner",
      module: "../sensors/tuner.ts",
      args: ["30", "0.5"],
      after: [{ topic: "sensors/filtered" }],
    },
    {
      name: "producer",
      module: "../sensors/producer.ts",
      args: ["greenhouse", "50"],
      after: [{ node: "sink" }, { node: "tuner" }],
    },
  ],
});
