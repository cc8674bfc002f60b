/**
 * A sensor pipeline: producer → filter → sink over two topics, and a tuner
 * that changes a filter param while it runs.
 *
 * `deno task zmp launch examples/sensors/launch.ts`
 *
 * The sink is `required`: when it has printed its readings and exits, the
 * launch stops the others in reverse order and exits 0.
 *
 * @module
 */

import { defineLaunch } from "../../mod.ts";

export default defineLaunch({
  // A free port, printed at start; without this line: tcp://127.0.0.1:7350.
  registry: { endpoint: "tcp://127.0.0.1:*" },
  nodes: [
    { name: "filter", module: "./filter.ts", restart: "on-failure" },
    {
      name: "sink",
      module: "./sink.ts",
      args: ["80"],
      after: [{ topic: "sensors/filtered" }],
      required: true,
    },
    {
      name: "tuner",
      module: "./tuner.ts",
      args: ["40", "0.5"],
      after: [{ topic: "sensors/filtered" }],
    },
    {
      name: "producer",
      module: "./producer.ts",
      args: ["greenhouse", "50"],
      // Start publishing once someone listens to the filter's output.
      after: [{ node: "sink" }, { node: "tuner" }],
    },
  ],
});
