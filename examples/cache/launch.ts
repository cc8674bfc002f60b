/**
 * A cache in front of a slow service:
 * `deno task zmp launch examples/cache/launch.ts`.
 *
 * `origin` answers `WeatherOrigin.forecast` in 200–500 ms; `cache` provides
 * `Weather`, the service callers use, from an LRU cache (5 entries, fresh
 * for 30 s) and asks the origin on a miss; `client` makes 40 calls and
 * prints, for each, whether the cache or the origin answered and how long
 * it took, then the cache's counters. Look at how few `origin │ looking
 * up` lines there are, and at the latencies.
 *
 * The client is `required`: when it is done, the launch stops. Make it
 * `required: false` to keep the cache up, then, with the registry endpoint
 * the launch printed:
 *
 * ```sh
 * deno task zmp call CacheAdmin.stats --registry tcp://127.0.0.1:<port>
 * deno task zmp call Weather.forecast Oslo --registry tcp://127.0.0.1:<port>
 * deno task zmp echo cache/stats --registry tcp://127.0.0.1:<port>
 * deno task zmp call CacheAdmin.clear --registry tcp://127.0.0.1:<port>
 * ```
 *
 * @module
 */

import { defineLaunch } from "../../mod.ts";

export default defineLaunch({
  // A free port, printed at start; without this line: tcp://127.0.0.1:7350.
  registry: { endpoint: "tcp://127.0.0.1:*" },
  nodes: [
    { name: "origin", module: "./origin.ts", restart: "on-failure" },
    {
      name: "cache",
      module: "./cache.ts",
      args: ["5", "30000"],
      restart: "on-failure",
      after: [{ service: "WeatherOrigin" }],
    },
    {
      name: "client",
      module: "./client.ts",
      args: ["40"],
      after: [{ service: "Weather" }, { service: "CacheAdmin" }],
      required: true,
    },
  ],
});
