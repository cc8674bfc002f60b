/**
 * The filter: subscribes to `sensors/raw`, smooths each sensor's readings
 * with an exponential moving average, and publishes them on
 * `sensors/filtered`, with an alarm flag above the threshold.
 *
 * `alpha` and `threshold` are params (`filter.alpha`, `filter.threshold`):
 * the filter sets defaults when they are unset and follows every change
 * live, whoever makes it.
 *
 * @module
 */

import { defineNode } from "../../mod.ts";
import {
  FilteredReadingTopic,
  FilterParamsParams,
  RawReadingTopic,
} from "./sensors.api.gen.ts";
import type { FilterParams } from "./sensors.api.ts";

const DEFAULTS: FilterParams = { alpha: 0.05, threshold: 28 };

export default defineNode(async (node) => {
  const params = node.params(FilterParamsParams);
  const settings: FilterParams = { ...DEFAULTS };
  for (const key of ["alpha", "threshold"] as const) {
    const value = await params.get(key);
    if (value === undefined) await params.set(key, DEFAULTS[key]);
    else settings[key] = value;
  }
  // Follow changes: the current values first, then every change.
  (async () => {
    for await (const { key, value } of params.watch({ signal: node.signal })) {
      if (value === undefined || settings[key] === value) continue;
      console.log(
        `${FilterParamsParams.namespace}.${key}: ${settings[key]} → ${value}`,
      );
      settings[key] = value;
    }
  })().catch((e) => node.log.warn(`params watch ended: ${e}`));

  const filtered = await node.publisher(FilteredReadingTopic);
  const raw = await node.subscribe(RawReadingTopic);
  console.log(
    `smoothing sensors/raw into sensors/filtered (alpha ${settings.alpha}, threshold ${settings.threshold} °C)`,
  );
  const state = new Map<string, number>();
  for await (const reading of raw) {
    const { alpha, threshold } = settings;
    const previous = state.get(reading.sensor) ?? reading.value;
    const value = alpha * reading.value + (1 - alpha) * previous;
    state.set(reading.sensor, value);
    filtered.publish({
      sensor: reading.sensor,
      seq: reading.seq,
      raw: reading.value,
      value: Math.round(value * 100) / 100,
      alpha,
      alarm: value > threshold,
    });
  }
});
