/**
 * The sensors example: a producer publishes raw readings, a filter smooths
 * them (an exponential moving average) and raises alarms, a sink prints
 * them, and a tuner changes the filter's params while it runs.
 *
 * `deno task codegen` turns this file into `sensors.api.gen.ts` (topic and
 * params descriptors with their validators) and `sensors.api.schema.json`.
 *
 * @module
 */

/**
 * One raw reading, as the sensor measured it.
 * @topic sensors/raw
 */
export interface RawReading {
  /** Which sensor. */
  sensor: string;
  /** Counts from 0 for each sensor. */
  seq: number;
  /** The measured value, in °C. */
  value: number;
  /** When it was measured. */
  at: Date;
}

/**
 * One reading after the filter.
 * @topic sensors/filtered
 */
export interface FilteredReading {
  /** Which sensor. */
  sensor: string;
  /** The raw reading's `seq`. */
  seq: number;
  /** The raw value. */
  raw: number;
  /** The smoothed value. */
  value: number;
  /** The `alpha` the filter used for this reading. */
  alpha: number;
  /** Whether `value` is above the threshold. */
  alarm: boolean;
}

/**
 * The filter's settings, shared through the registry; the filter follows
 * changes live.
 * @params filter
 */
export interface FilterParams {
  /**
   * Smoothing factor in (0, 1]: 1 follows the raw value, 0.1 is sluggish.
   * @exclusiveMinimum 0
   * @maximum 1
   */
  alpha: number;
  /** A smoothed value above this raises an alarm, in °C. */
  threshold: number;
}
