/**
 * The producer: publishes a raw reading every `period` ms on
 * `sensors/raw`. The signal is a step from 20 °C to 30 °C at reading 20,
 * with ±2 °C of noise (a fixed pseudo-random sequence, so runs repeat).
 *
 * Arguments: `[sensor name] [period in ms]`.
 *
 * @module
 */

import { defineNode } from "../../mod.ts";
import { RawReadingTopic } from "./sensors.api.gen.ts";

/** A small deterministic pseudo-random sequence in [-1, 1). */
function noise(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 1073741824 - 1;
  };
}

export default defineNode(async (node, args) => {
  const sensor = args[0] ?? "greenhouse";
  const period = Number(args[1] ?? 50);
  const raw = await node.publisher(RawReadingTopic);
  const next = noise(7);
  console.log(
    `publishing ${sensor} readings on sensors/raw every ${period} ms`,
  );
  let seq = 0;
  const timer = setInterval(() => {
    const base = seq < 20 ? 20 : 30;
    const value = Math.round((base + 2 * next()) * 10) / 10;
    raw.publish({ sensor, seq, value, at: new Date() });
    seq++;
  }, period);
  node.signal.addEventListener("abort", () => clearInterval(timer));
});
