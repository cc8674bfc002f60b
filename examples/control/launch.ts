/**
 * A feedback loop: `deno task zmp launch examples/control/launch.ts`.
 *
 * `plant` simulates a heated tank at 50 Hz and publishes its temperature
 * on `control/measurement`; `controller` (PI) answers every sample with a
 * heater power on `control/command`. The controller prints once per
 * simulated second: watch the temperature climb from 20 °C and settle at
 * the 40 °C setpoint within a few seconds.
 *
 * It runs until Ctrl-C. Meanwhile, in another terminal, with the registry
 * endpoint the launch printed (`launch │ registry listening on …`):
 *
 * ```sh
 * deno task zmp param set control.setpoint 50 --registry tcp://127.0.0.1:<port>
 * deno task zmp param set control.kp 1 --registry tcp://127.0.0.1:<port>   # slower
 * deno task zmp echo control/measurement --registry tcp://127.0.0.1:<port>
 * ```
 *
 * The controller follows each change at once and the loop settles at the
 * new setpoint.
 *
 * @module
 */

import { defineLaunch } from "../../mod.ts";

export default defineLaunch({
  // A free port, printed at start; without this line: tcp://127.0.0.1:7350.
  registry: { endpoint: "tcp://127.0.0.1:*" },
  nodes: [
    {
      name: "plant",
      module: "./plant.ts",
      args: ["50"],
      restart: "on-failure",
    },
    {
      name: "controller",
      module: "./controller.ts",
      restart: "on-failure",
      after: [{ topic: "control/measurement" }],
    },
  ],
});
