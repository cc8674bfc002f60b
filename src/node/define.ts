/**
 * `defineNode`: what a node module exports, so that the same module runs
 * as a subprocess, a Worker or in-process.
 *
 * @module
 */

import type { Node, NodeModule, ReadinessResult } from "./types.ts";
import { runIfMain } from "./_standalone.ts";

/** Options of {@linkcode defineNode}. */
export interface DefineNodeOptions {
  /**
   * When the node is ready, checked at start and every
   * `readinessInterval` ms: `true` (or nothing) when ready, `false` or a
   * reason when not; throwing counts as not ready. Until it passes, the
   * registry shows the node as not ready: service clients and the
   * launcher's `after` conditions pass it over.
   * @default {none: ready once registered}
   */
  readiness?: (node: Node) => ReadinessResult | Promise<ReadinessResult>;
  /** How often `readiness` runs, in ms. @default {1000} */
  readinessInterval?: number;
}

/**
 * Defines a node module. Its `run` gets the created node and the
 * command-line arguments; when it returns, the node stays up (serving,
 * publishing) until asked to stop, then closes.
 *
 * The same module runs four ways: launched (`zmp launch`, as a subprocess,
 * a Worker or in-process), or on its own with `deno run -A node.ts
 * [--name <name>] [args…]`: it then joins the registry at `ZMP_REGISTRY`
 * (default `tcp://127.0.0.1:7350`), is named by `--name`, else
 * `ZMP_NODE_NAME`, else its file name, and stops cleanly on Ctrl-C.
 *
 * @param run the node's body
 * @param options a readiness check
 * @returns the module's default export
 * @throws {TypeError} when `run` is not a function
 * @example
 * ```ts
 * import { defineNode } from "zmp";
 *
 * export default defineNode(async (node, args) => {
 *   node.log.info("started", { args });
 * });
 * ```
 */
export function defineNode(
  run: (node: Node, args: string[]) => Promise<void> | void,
  options: DefineNodeOptions = {},
): NodeModule {
  if (typeof run !== "function") {
    throw new TypeError(
      `Cannot define a node: expected a function (node, args) => …, got ${typeof run}`,
    );
  }
  if (
    options.readiness !== undefined && typeof options.readiness !== "function"
  ) {
    throw new TypeError(
      `Cannot define a node: readiness must be a function (node) => …, got ${typeof options
        .readiness}`,
    );
  }
  const node = Object.freeze({
    kind: "zmp.node" as const,
    run,
    ...(options.readiness === undefined ? {} : {
      readiness: options.readiness,
      readinessInterval: options.readinessInterval,
    }),
  });
  runIfMain(node);
  return node;
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
