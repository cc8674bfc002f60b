/**
 * `runNode`: runs a node module in this JS realm. The subprocess entry
 * (`subprocess_main.ts`) and the Worker entry (`worker_main.ts`) both call
 * it, so a module behaves the same in the three run modes.
 *
 * The life of a run:
 *
 * 1. import the module; its default export must be `defineNode(…)`;
 * 2. create the node (registered in the registry);
 * 3. call `run(node, args)`; when it returns, the node stays up;
 * 4. on a stop request (`signal`, or the node closing itself), close the
 *    node (drain, unregister), and give `run` up to `stopTimeout` ms to
 *    return.
 *
 * A stop before the node exists (while the module loads, its top-level
 * `await` included) ends the run at once with code 0, registering nothing.
 * The exit code is 0 after a stop, 1 when loading, creating the node, or
 * `run` (before the stop) failed, each with one log line. Errors `run`
 * throws after the stop request (typically because what it used closed)
 * are logged as warnings and do not change the code.
 *
 * @module
 */

import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Registry, RunMode } from "../registry/types.ts";
import type { Node, NodeLogger, NodeModule } from "./types.ts";
import { createNode } from "./node.ts";
import type { NodeSecurity } from "./_security.ts";
import { isNodeModule } from "./define.ts";
import { createNodeLogger } from "./logger.ts";
import { importAsRunner } from "./_standalone.ts";

/** Options of {@linkcode runNode}. */
export interface RunNodeOptions {
  /** The node name. */
  name: string;
  /** How the node runs. @default {"inprocess"} */
  mode?: RunMode;
  /** The arguments given to `run`. @default {[]} */
  args?: string[];
  /**
   * The registry or its endpoint.
   * @default {the `ZMP_REGISTRY` environment variable, else "tcp://127.0.0.1:7350"}
   */
  registry?: Registry | string;
  /** The stop request. */
  signal?: AbortSignal;
  /** The logger. @default {createNodeLogger(name)} */
  logger?: NodeLogger;
  /** Called once the node is registered, before `run`. */
  onReady?: (node: Node) => void;
  /**
   * How long `run` may take to return after the node closed, in ms.
   * @default {5000}
   */
  stopTimeout?: number;
  /** How long closing lets calls in flight finish, in ms. @default {5000} */
  drainTimeout?: number;
  /** Secure mode: the node's keys (see `createNode`). @default {none} */
  security?: NodeSecurity;
  /**
   * The secret token of the node's registration (see
   * `CreateNodeOptions.registryToken`).
   * @default {none: the registry makes one}
   */
  registryToken?: string;
}

/**
 * Resolves a module given on a command line: a URL (`file:`, `https:`…) as
 * is, anything else as a path relative to the working directory.
 *
 * @param specifier a URL or a path
 * @returns the module URL
 */
export function resolveModuleUrl(specifier: string | URL): URL {
  if (specifier instanceof URL) return specifier;
  // A scheme of two letters or more: a URL (one letter is a Windows drive).
  if (/^[a-z][a-z0-9+.-]+:/i.test(specifier)) return new URL(specifier);
  return pathToFileURL(resolve(specifier));
}

/**
 * Imports a node module.
 *
 * @param url the module
 * @returns its default export
 * @throws {TypeError} when the default export is not `defineNode(…)`
 * @throws whatever the import throws (not found, syntax error…)
 */
export async function loadNodeModule(url: string | URL): Promise<NodeModule> {
  const module = await importAsRunner(resolveModuleUrl(url).href);
  if (!isNodeModule(module.default)) {
    throw new TypeError(
      `Cannot run ${url}: its default export is not a node (export default defineNode(async (node, args) => { … }))`,
    );
  }
  return module.default;
}

/**
 * Imports a node module, unless `signal` aborts first: a module whose
 * top-level `await` holds its import does not hold up a stop. (The import
 * itself cannot be cancelled; its outcome is then ignored.)
 *
 * @returns its default export, or `undefined` after a stop
 */
function loadUnlessStopped(
  url: string | URL,
  signal: AbortSignal | undefined,
): Promise<NodeModule | undefined> {
  const loading = loadNodeModule(url);
  if (signal === undefined) return loading;
  return new Promise((resolve, reject) => {
    const stopped = () => resolve(undefined);
    signal.addEventListener("abort", stopped, { once: true });
    loading.then(resolve, reject).finally(() =>
      signal.removeEventListener("abort", stopped)
    );
  });
}

/**
 * Runs a node module until it is asked to stop.
 *
 * @param moduleUrl the module (URL or path), or what it exports
 * @param options name, mode, args, registry, stop signal …
 * @returns the exit code: 0 after a clean stop, 1 after a failure
 * @example
 * ```ts
 * import { runNode } from "zmp";
 *
 * const stop = new AbortController();
 * const exited = runNode("./talker.ts", { name: "talker", signal: stop.signal });
 * // … later
 * stop.abort();
 * console.log(await exited); // 0
 * ```
 */
export async function runNode(
  moduleUrl: string | URL | NodeModule,
  options: RunNodeOptions,
): Promise<number> {
  const log = options.logger ?? createNodeLogger(options.name);
  const { signal } = options;
  let module: NodeModule | undefined;
  if (isNodeModule(moduleUrl)) module = moduleUrl;
  else if (!signal?.aborted) {
    try {
      module = await loadUnlessStopped(moduleUrl, signal);
    } catch (e) {
      log.error(`cannot load ${moduleUrl}: ${(e as Error).message}`);
      return 1;
    }
  }
  // A stop before the node exists ends the run as cleanly as any other:
  // nothing was registered, nothing is left to close.
  if (module === undefined || signal?.aborted) {
    log.debug("stopped before it started");
    return 0;
  }
  let node: Node;
  try {
    node = await createNode(options.name, {
      registry: options.registry,
      mode: options.mode ?? "inprocess",
      logger: log,
      signal,
      drainTimeout: options.drainTimeout,
      security: options.security,
      registryToken: options.registryToken,
      ...(module.readiness === undefined ? {} : {
        readiness: module.readiness,
        readinessInterval: module.readinessInterval,
      }),
    });
  } catch (e) {
    if (options.signal?.aborted) return 0;
    log.error(`cannot start: ${(e as Error).message}`);
    return 1;
  }
  try {
    options.onReady?.(node);
  } catch (e) {
    log.warn(`onReady failed: ${(e as Error).message}`);
  }
  const stopped = new Promise<"stopped">((resolve) => {
    if (node.signal.aborted) resolve("stopped");
    else {
      node.signal.addEventListener("abort", () => resolve("stopped"), {
        once: true,
      });
    }
  });
  const running = (async () => await module.run(node, options.args ?? []))();
  const outcome = running.then(
    () => "returned" as const,
    (error: unknown) => ({ error }),
  );
  const first = await Promise.race([outcome, stopped]);
  if (typeof first === "object") {
    if (node.signal.aborted) {
      log.warn(`run() failed while stopping: ${message(first.error)}`);
    } else {
      log.error(`run() failed: ${message(first.error)}`, {
        error: first.error,
      });
      await node.close();
      return 1;
    }
  } else if (first === "returned") {
    await stopped;
  }
  await node.close();
  const stopTimeout = options.stopTimeout ?? 5000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = await Promise.race([
    outcome,
    new Promise<"late">((resolve) => {
      timer = setTimeout(() => resolve("late"), stopTimeout);
    }),
  ]);
  clearTimeout(timer);
  if (late === "late") {
    log.warn(`run() had not returned ${stopTimeout} ms after the stop`);
  } else if (typeof late === "object" && typeof first !== "object") {
    log.warn(`run() failed while stopping: ${message(late.error)}`);
  }
  return 0;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
