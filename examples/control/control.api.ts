/**
 * The control example: a feedback loop over two topics. A simulated plant
 * (a heated tank) publishes its temperature; a PI controller reads it,
 * compares it with the setpoint param and publishes the heater power,
 * which the plant applies.
 *
 * `deno task codegen` turns this file into `control.api.gen.ts` and
 * `control.api.schema.json`.
 *
 * @module
 */

/**
 * One sample of the plant, taken every simulation step.
 * @topic control/measurement
 */
export interface Measurement {
  /** Counts steps from 0. */
  seq: number;
  /** Simulated time, in s. */
  t: number;
  /** The temperature, in °C. */
  value: number;
  /** The heater power the plant applied during the step, in %. */
  power: number;
}

/**
 * What the controller asks of the plant.
 * @topic control/command
 */
export interface Command {
  /** The `seq` of the measurement it answers. */
  seq: number;
  /** Heater power, 0 to 100 %. */
  power: number;
  /** The setpoint it aimed at, in °C. */
  setpoint: number;
}

/**
 * The controller's settings, shared through the registry; the controller
 * follows changes live.
 * @params control
 */
export interface Control {
  /** The temperature to hold, in °C. */
  setpoint: number;
  /** Proportional gain, in % per °C. */
  kp: number;
  /** Integral gain, in % per °C per s. */
  ki: number;
  /** Derivative gain, in % per °C/s; 0 makes it a PI controller. */
  kd: number;
}
