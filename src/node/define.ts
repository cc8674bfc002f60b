/**
 * `defineNode`: what a node module exports, so that the same module runs
 * as a subprocess, a Worker or in-process.
 *
 * @module
 */

import type { Node, NodeModule } from "./types.ts";

/**
 * Defines a node module. Its `run` gets the created node and the
 * command-line arguments; when it returns, the node stays up (serving,
 * publishing) until asked to stop, then closes.
 *
 * @param run the node's body
 * @returns the module's default export
 * @throws {TypeError} when `run` is not a function
 * @example
 * ```ts
 * import { defineNode } from "../../mod.ts";
 *
 * export default defineNode(async (node, args) => {
 *   node.log.info("started", { args });
 * });
 * ```
 */
export function defineNode(
  run: (node: Node, args: string[]) => Promise<void> | void,
): NodeModule {
  if (typeof run !== "function") {
    throw new TypeError(
      `Cannot define a node: expected a function (node, args) => …, got ${typeof run}`,
    );
  }
  return Object.freeze({ kind: "zmp.node" as const, run });
}

/**
 * Whether a value is what {@linkcode defineNode} returns.
 *
 * @param value e.g. a module's default export
 * @returns `true` for a node module
 */
export function isNodeModule(value: unknown): value is NodeModule {
  return typeof value === "object" && value !== null &&
    (value as { kind?: unknown }).kind === "zmp.node" &&
    typeof (value as { run?: unknown }).run === "function";
}
