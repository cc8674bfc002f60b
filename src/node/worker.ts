/**
 * `spawnWorkerNode`: runs a node module in a Deno Worker of this process,
 * speaking the protocol of `worker_main.ts`.
 *
 * @module
 */

import type { WorkerCommand, WorkerReport } from "./worker_main.ts";
import { resolveModuleUrl } from "./run.ts";
import type { LogLevel } from "./logger.ts";
import type { NodeSecurity } from "./_security.ts";

/** Options of {@linkcode spawnWorkerNode}. */
export interface SpawnWorkerNodeOptions {
  /** The node name. */
  name: string;
  /**
   * The registry endpoint.
   * @default {the `ZMP_REGISTRY` environment variable, else "tcp://127.0.0.1:7350"}
   */
  registry?: string;
  /** The arguments given to `run`. @default {[]} */
  args?: string[];
  /**
   * The node's log level.
   * @default {the `ZMP_LOG_LEVEL` environment variable, else "info"}
   */
  logLevel?: LogLevel;
  /**
   * The secret token of the node's registration (posted to the Worker,
   * never in its environment).
   * @default {none: the registry makes one}
   */
  registryToken?: string;
  /**
   * Secure mode: the node's keys, posted to the Worker (same process:
   * never in argv or the environment).
   * @default {none: plain TCP}
   */
  security?: NodeSecurity;
}

/** Options of {@linkcode WorkerNode.stop}. */
export interface WorkerStopOptions {
  /**
   * How long to wait for the node to close before terminating the Worker,
   * in ms.
   * @default {10000}
   */
  timeout?: number;
}

/** A node running in a Worker. */
export interface WorkerNode extends AsyncDisposable {
  /** The node name. */
  readonly name: string;
  /**
   * Resolves once the node is registered.
   * @throws {Error} when the Worker exits or fails before that
   */
  readonly ready: Promise<void>;
  /** The exit code, once the Worker is gone: 0 after a stop, else 1. */
  readonly exited: Promise<number>;
  /**
   * Asks the node to stop, waits for it, and terminates the Worker.
   *
   * @param options how long to wait before terminating anyway
   * @returns the exit code (1 when it had to be terminated)
   */
  stop(options?: WorkerStopOptions): Promise<number>;
  /** Terminates the Worker at once (no drain, no unregistering). */
  terminate(): void;
}

/**
 * Starts a node module in a new Worker (same permissions as this process).
 *
 * @param moduleUrl the module (URL or path)
 * @param options name, registry endpoint, args
 * @returns the running node; `await stop()` or `await using` it
 * @example
 * ```ts
 * import { spawnWorkerNode } from "zmp";
 *
 * await using node = spawnWorkerNode("./talker.ts", { name: "talker" });
 * await node.ready;
 * console.log(await node.stop()); // 0
 * ```
 */
export function spawnWorkerNode(
  moduleUrl: string | URL,
  options: SpawnWorkerNodeOptions,
): WorkerNode {
  const url = resolveModuleUrl(moduleUrl).href;
  const worker = new Worker(new URL("./worker_main.ts", import.meta.url), {
    type: "module",
    name: `zmp node ${options.name}`,
  });
  let gone = false;
  let resolveExit!: (code: number) => void;
  const exited = new Promise<number>((resolve) => resolveExit = resolve);
  let resolveReady!: () => void;
  let rejectReady!: (e: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  ready.catch(() => {});
  const finish = (code: number) => {
    if (gone) return;
    gone = true;
    worker.terminate();
    rejectReady(
      new Error(
        `Node "${options.name}" exited with code ${code} before it was ready`,
      ),
    );
    resolveExit(code);
  };
  worker.onmessage = (event: MessageEvent<WorkerReport>) => {
    const report = event.data;
    if (report?.type === "ready") resolveReady();
    else if (report?.type === "exit") finish(report.code);
  };
  worker.onerror = (event) => {
    event.preventDefault();
    console.error(
      `[${options.name}] error worker failed: ${event.message ?? event}`,
    );
    finish(1);
  };
  const start: WorkerCommand = {
    type: "start",
    moduleUrl: url,
    name: options.name,
    registry: options.registry,
    registryToken: options.registryToken,
    security: options.security,
    args: options.args ?? [],
    logLevel: options.logLevel,
  };
  worker.postMessage(start);
  const stop = async (stopOptions: WorkerStopOptions = {}) => {
    if (!gone) worker.postMessage({ type: "stop" } satisfies WorkerCommand);
    const timeout = stopOptions.timeout ?? 10000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeout);
    });
    await Promise.race([exited, late]);
    clearTimeout(timer);
    finish(1);
    return exited;
  };
  return {
    name: options.name,
    ready,
    exited,
    stop,
    terminate: () => finish(1),
    [Symbol.asyncDispose]: async () => {
      await stop();
    },
  };
}
