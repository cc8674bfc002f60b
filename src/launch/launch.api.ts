/**
 * The launch file's shape, as zmp's own codegen reads it:
 * `launch.api.schema.json` (generated) is what the launcher checks a
 * launch file's default export with, before the checks a schema cannot say
 * (unique names, cycles, paths). The types themselves are in `types.ts`.
 *
 * Regenerate with `deno task codegen src/launch/launch.api.ts`.
 *
 * @module
 */

import type { LaunchSpec } from "./types.ts";

/** What a launch file exports: a spec, marked by `defineLaunch` or not. */
export type LaunchInput = LaunchSpec & {
  /** Set by `defineLaunch`. */
  kind?: "zmp.launch";
};
