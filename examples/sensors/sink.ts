/**
 * The sink: subscribes to `sensors/filtered` and prints every fifth reading
 * and every alarm change. After `count` readings it closes itself, which
 * ends the node with exit code 0 (the launch file marks it `required`, so
 * the whole launch then stops).
 *
 * Arguments: `[count]` (default 80).
 *
 * @module
 */

import { defineNode } from "../../mod.ts";
import { FilteredReadingTopic } from "./sensors.api.gen.ts";

export default defineNode(async (node, args) => {
  const count = Number(args[0] ?? 80);
  const filtered = await node.subscribe(FilteredReadingTopic);
  let seen = 0;
  let alarm = false;
  for await (const r of filtered) {
    seen++;
    const bar = "█".repeat(Math.max(0, Math.round(r.value - 15)));
    if (r.seq % 5 === 0) {
      console.log(
        `#${String(r.seq).padStart(3)}  raw ${
          r.raw.toFixed(1).padStart(4)
        } °C  ` +
          `filtered ${r.value.toFixed(1).padStart(4)} °C ${
            bar.padEnd(16)
          } alpha ${r.alpha}`,
      );
    }
    if (r.alarm !== alarm) {
      alarm = r.alarm;
      console.log(
        `#${String(r.seq).padStart(3)}  alarm ${alarm ? "ON" : "off"}`,
      );
    }
    if (seen >= count) break;
  }
  const { delivered, dropped } = filtered.counters;
  console.log(`done: ${delivered} readings received, ${dropped} lost`);
  await node.close();
});
