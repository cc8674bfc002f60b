/**
 * A proxy in front of three workers:
 * `deno task zmp launch examples/proxy/launch.ts`.
 *
 * `worker-1` … `worker-3` provide `Worker.square`; `proxy` provides `Front`,
 * the service callers use, and spreads calls over the live workers;
 * `client` makes 600 calls, 8 at a time, and prints every 50 answers how
 * many each worker gave, then checks that none was lost.
 *
 * Try killing a worker while it runs, with the pid from its
 * `launch │ started worker-2 (subprocess, pid N)` line: `kill -9 N`. Its
 * calls in flight fail over to the other workers (`square` is
 * `@idempotent`), the client still gets every answer, and the launcher
 * restarts the worker once the registry has dropped its lease.
 *
 * The client is `required`: when it is done, the launch stops. Make it
 * `required: false` to keep the proxy up, then, with the registry endpoint
 * the launch printed:
 *
 * ```sh
 * deno task zmp call Front.stats --registry tcp://127.0.0.1:<port>
 * deno task zmp call Front.square 12 --registry tcp://127.0.0.1:<port>
 * ```
 *
 * @module
 */

import { defineLaunch } from "../../mod.ts";

export default defineLaunch({
  // A free port, printed at start; without this line: tcp://127.0.0.1:7350.
  registry: { endpoint: "tcp://127.0.0.1:*" },
  nodes: [
    // The same module three times; 25 ms of work per call.
    ...["worker-1", "worker-2", "worker-3"].map((name) => ({
      name,
      module: "./worker.ts",
      args: ["25"],
      restart: "on-failure" as const,
    })),
    {
      name: "proxy",
      module: "./proxy.ts",
      args: ["6"],
      restart: "on-failure",
      after: [{ service: "Worker" }],
    },
    {
      name: "client",
      module: "./client.ts",
      args: ["600", "8"],
      after: [{ service: "Front" }],
      required: true,
    },
  ],
});
