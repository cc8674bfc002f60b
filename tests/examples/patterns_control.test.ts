/**
 * The control example (`examples/control/`): a simulated plant and a PI
 * controller closing a loop over two topics, launched with `zmp launch`.
 * The tests watch `control/measurement` from a node of their own, change
 * the `control.setpoint` param while the loop runs, and stop the launch.
 *
 * @module
 */

import {
  assert,
  assertEquals,
  assertStringIncludes,
  waitFor,
} from "../_assert.ts";
import { connectRegistry } from "../../mod.ts";
import { Launcher, runZmp } from "../launch/_harness.ts";
import { MeasurementTopic } from "../../examples/control/control.api.gen.ts";
import type { Measurement } from "../../examples/control/control.api.ts";
import { collect, registryEndpoint, testNode } from "./_patterns.ts";

/** How close counts as settled, in °C. */
const TOLERANCE = 0.5;
/** For how long (in samples, 50 per second) it must stay that close. */
const HOLD = 25;

/** Waits until the last `HOLD` measurements are all near `setpoint`. */
function settles(
  samples: Measurement[],
  setpoint: number,
  timeout: number,
): Promise<void> {
  return waitFor(
    () => {
      const recent = samples.slice(-HOLD);
      return recent.length === HOLD &&
        recent.every((m) => Math.abs(m.value - setpoint) <= TOLERANCE);
    },
    `the temperature to settle at ${setpoint} ± ${TOLERANCE} °C (last: ${
      samples.at(-1)?.value
    })`,
    { timeout },
  );
}

/**
 * Launches the example, waits until the loop holds 40 °C, changes the
 * setpoint to 50 with `setSetpoint`, waits until it holds 50 °C, then
 * stops the launch with SIGTERM.
 */
async function changeSetpoint(
  setSetpoint: (registry: string) => Promise<void>,
): Promise<void> {
  await using launcher = new Launcher(["examples/control/launch.ts"]);
  const endpoint = await registryEndpoint(launcher);
  {
    await using node = await testNode("test-probe", endpoint);
    await using measurements = collect(
      await node.subscribe(MeasurementTopic),
    );
    const samples = measurements.messages;
    await waitFor(() => samples.length > 0, "a first measurement", {
      timeout: 15_000,
    });
    await settles(samples, 40, 15_000);
    // The controller's heater power holds it there: 20 + 0.8 × 25 = 40 °C.
    const power = samples.at(-1)!.power;
    assert(Math.abs(power - 25) < 5, `heater at ${power} %`);

    await setSetpoint(endpoint);
    await launcher.line(/^controller +│ control\.setpoint: 40 → 50$/);
    await settles(samples, 50, 10_000);
    assert(
      samples.every((m) => m.value < 50 + 5),
      `no more than 5 °C of overshoot: ${
        Math.max(...samples.map((m) => m.value))
      }`,
    );
  }

  launcher.child.kill("SIGTERM");
  assertEquals(await launcher.exited(), 0, launcher.text);
  const text = launcher.text;
  assertStringIncludes(text, "launch     │ stopping: asked to stop\n");
  assertStringIncludes(text, "launch     │ stopped controller (exit code 0)\n");
  assertStringIncludes(text, "launch     │ stopped plant (exit code 0)\n");
}

Deno.test("examples/control/launch.ts: the loop settles at the setpoint, and at a new one set with params.set()", async () => {
  await changeSetpoint(async (endpoint) => {
    await using registry = await connectRegistry({ endpoint });
    await registry.params.set("control.setpoint", 50);
  });
});

Deno.test("examples/control/launch.ts: the loop follows `zmp param set control.setpoint 50`", async () => {
  await changeSetpoint(async (endpoint) => {
    const out = await runZmp(
      ["param", "set", "control.setpoint", "50", "--registry", endpoint],
      30_000,
    );
    assertEquals(out.code, 0, `${out.stdout}${out.stderr}`);
  });
});
