/**
 * The plant: a simulated tank of water with a heater, losing heat to a
 * 20 °C room. Every step it integrates
 *
 *     dT/dt = (20 + 0.8 × power − T) / 2 s
 *
 * with the latest heater power from `control/command` (0 to 100 %), and
 * publishes the temperature on `control/measurement`. With no command for
 * a second it switches the heater off, as a real one would.
 *
 * Arguments: `[rate in Hz]` (default 50).
 *
 * @module
 */

import { defineNode } from "../../mod.ts";
import { CommandTopic, MeasurementTopic } from "./control.api.gen.ts";

const AMBIENT = 20; // °C
const GAIN = 0.8; // °C of steady-state rise per % of power
const TAU = 2; // s

export default defineNode(async (node, args) => {
  const rate = Number(args[0] ?? 50);
  const dt = 1 / rate;
  const measurements = await node.publisher(MeasurementTopic);
  const commands = await node.subscribe(CommandTopic);

  let power = 0;
  let commandAt = 0; // simulated time of the last command
  let seq = 0;
  let value = AMBIENT;
  (async () => {
    for await (const command of commands) {
      power = command.power;
      commandAt = seq * dt;
    }
  })().catch((e) => node.log.warn(`commands ended: ${e}`));

  console.log(
    `simulating a heated tank at ${rate} Hz, publishing control/measurement`,
  );
  const timer = setInterval(() => {
    const t = seq * dt;
    if (t - commandAt > 1) power = 0;
    value += dt * (AMBIENT + GAIN * power - value) / TAU;
    measurements.publish({ seq, t, value, power });
    seq++;
  }, 1000 / rate);
  node.signal.addEventListener("abort", () => clearInterval(timer));
});
