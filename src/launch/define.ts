/**
 * `defineLaunch`: the default export of a launch file.
 *
 * @module
 */

import type { LaunchDefinition, LaunchSpec } from "./types.ts";

/**
 * Marks a launch spec as the default export of a launch file. The type
 * checker sees every field (`deno check` and `zmp launch` refuse a file
 * with a type error); `zmp launch` checks the values again at run time.
 *
 * @param spec the registry, the grace period and the nodes
 * @returns the same spec, marked as a zmp launch definition
 *
 * @example A launch file
 * ```ts
 * import { defineLaunch } from "zmp";
 *
 * export default defineLaunch({
 *   nodes: [
 *     { name: "calc-1", module: "./server_node.ts", restart: "on-failure" },
 *     {
 *       name: "client",
 *       module: "./client_node.ts",
 *       after: [{ service: "Calculator" }],
 *       required: true,
 *     },
 *   ],
 * });
 * ```
 */
export function defineLaunch(spec: LaunchSpec): LaunchDefinition {
  return { ...spec, kind: "zmp.launch" };
}
