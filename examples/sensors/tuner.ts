/**
 * The tuner: plays an operator who finds the filter too sluggish. It
 * watches `sensors/filtered`, and at reading `at` sets the `filter.alpha`
 * param to `alpha`. The filter follows at once: its output catches up with
 * the raw signal.
 *
 * Arguments: `[at] [alpha]` (default 40 and 0.5).
 *
 * @module
 */

import { defineNode } from "../../mod.ts";
import { FilteredReadingTopic, FilterParamsParams } from "./sensors.api.gen.ts";

export default defineNode(async (node, args) => {
  const at = Number(args[0] ?? 40);
  const alpha = Number(args[1] ?? 0.5);
  const params = node.params(FilterParamsParams);
  const filtered = await node.subscribe(FilteredReadingTopic);
  for await (const r of filtered) {
    if (r.seq < at) continue;
    console.log(
      `reading #${r.seq} is ${r.value} °C while the sensor says ${r.raw} °C: too slow; setting filter.alpha = ${alpha}`,
    );
    // Typed: params.set("alpha", "fast") would not compile.
    await params.set("alpha", alpha);
    break;
  }
  await filtered.close();
});
