/**
 * The controller: a PID (PI by default) that subscribes to
 * `control/measurement` and answers each sample with a heater power on
 * `control/command`.
 *
 * Its setpoint and gains are the `control.*` params: it sets defaults when
 * they are unset and follows every change live, whoever makes it
 * (`zmp param set control.setpoint 50`). The integral is clamped to the
 * heater's range so it does not wind up while the heater is saturated, and
 * the derivative acts on the measurement, so a setpoint change gives no
 * kick.
 *
 * It prints the loop's state once per simulated second.
 *
 * @module
 */

import { defineNode } from "../../mod.ts";
import {
  CommandTopic,
  ControlParams,
  MeasurementTopic,
} from "./control.api.gen.ts";
import type { Control, Measurement } from "./control.api.ts";

const DEFAULTS: Control = { setpoint: 40, kp: 4, ki: 2, kd: 0 };

const clamp = (x: number) => Math.min(100, Math.max(0, x));

export default defineNode(async (node) => {
  const params = node.params(ControlParams);
  const settings: Control = { ...DEFAULTS };
  for (const key of ["setpoint", "kp", "ki", "kd"] as const) {
    const value = await params.get(key);
    if (value === undefined) await params.set(key, DEFAULTS[key]);
    else settings[key] = value;
  }
  // Follow changes: the current values first, then every change.
  (async () => {
    for await (const { key, value } of params.watch({ signal: node.signal })) {
      if (value === undefined || settings[key] === value) continue;
      console.log(`control.${key}: ${settings[key]} → ${value}`);
      settings[key] = value;
    }
  })().catch((e) => node.log.warn(`params watch ended: ${e}`));

  const commands = await node.publisher(CommandTopic);
  const measurements = await node.subscribe(MeasurementTopic);
  console.log(
    `holding ${settings.setpoint} °C (kp ${settings.kp}, ki ${settings.ki}, kd ${settings.kd})`,
  );
  let integral = 0;
  let last: Measurement | undefined;
  let printedAt = -Infinity;
  for await (const m of measurements) {
    const { setpoint, kp, ki, kd } = settings;
    const error = setpoint - m.value;
    // A gap (lost samples) or a restarted plant (time going back) resets dt.
    const dt = last !== undefined && m.t > last.t && m.t - last.t < 1
      ? m.t - last.t
      : 0;
    const slope = dt > 0 ? (m.value - last!.value) / dt : 0;
    integral = clamp(integral + ki * error * dt);
    const power = clamp(kp * error + integral - kd * slope);
    commands.publish({ seq: m.seq, power, setpoint });
    last = m;
    if (m.t - printedAt >= 1) {
      printedAt = m.t;
      console.log(
        `t=${m.t.toFixed(1).padStart(5)} s  setpoint ${setpoint} °C  measured ${
          m.value.toFixed(2).padStart(6)
        } °C  heater ${power.toFixed(1).padStart(5)} %`,
      );
    }
  }
});
