/**
 * The entry of a node run as a Deno Worker. Use
 * {@linkcode spawnWorkerNode} (in `worker.ts`) rather than this file
 * directly; the message protocol, for other launchers, is:
 *
 * | direction | message | meaning |
 * |---|---|---|
 * | launcher → worker | `{ type: "start", moduleUrl, name, registry?, registryToken?, security?, args?, logLevel? }` | run the module (once); `security` is the node's keys in secure mode (`NodeSecurity`) |
 * | launcher → worker | `{ type: "stop" }` | stop gracefully: drain, unregister |
 * | worker → launcher | `{ type: "ready" }` | the node is registered |
 * | worker → launcher | `{ type: "exit", code }` | the node is closed; terminate the worker |
 *
 * `code` is 0 after a stop, 1 after a failure (logged in one line). The
 * Worker has its own JS realm, so its own ZeroMQ reactor and default
 * context; the context is closed before `exit` is posted.
 *
 * @module
 */

import { Context } from "../zmq/context.ts";
import { runNode } from "./run.ts";
import { createNodeLogger, type LogLevel } from "./logger.ts";
import type { NodeSecurity } from "./_security.ts";

/** What the launcher posts to a node Worker. */
export type WorkerCommand =
  | {
    type: "start";
    moduleUrl: string;
    name: string;
    registry?: string;
    registryToken?: string;
    security?: NodeSecurity;
    args?: string[];
    logLevel?: LogLevel;
  }
  | { type: "stop" };

/** What a node Worker posts to the launcher. */
export type WorkerReport =
  | { type: "ready" }
  | { type: "exit"; code: number };

/**
 * The worker's global scope, typed here rather than with a triple-slash
 * `deno.worker` reference, which would change the globals of every module
 * that imports zmp.
 */
interface WorkerScope {
  postMessage(message: WorkerReport): void;
  onmessage: ((event: MessageEvent<WorkerCommand>) => void) | null;
  close(): void;
}

const scope = globalThis as unknown as WorkerScope;
const stop = new AbortController();
let started = false;

function post(report: WorkerReport): void {
  scope.postMessage(report);
}

async function start(
  command: Extract<WorkerCommand, { type: "start" }>,
): Promise<void> {
  const code = await runNode(command.moduleUrl, {
    name: command.name,
    mode: "worker",
    args: command.args ?? [],
    registry: command.registry,
    registryToken: command.registryToken,
    security: command.security,
    signal: stop.signal,
    logger: createNodeLogger(command.name, { level: command.logLevel }),
    onReady: () => post({ type: "ready" }),
  });
  try {
    await Context.default.close();
  } catch {
    // nothing left to release
  }
  post({ type: "exit", code });
  scope.close();
}

scope.onmessage = (event: MessageEvent<WorkerCommand>) => {
  const command = event.data;
  if (command?.type === "start" && !started) {
    started = true;
    start(command).catch((e) => {
      console.error(`[${command.name}] error worker failed: ${e}`);
      post({ type: "exit", code: 1 });
      scope.close();
    });
  } else if (command?.type === "stop") {
    stop.abort(new DOMException("stop requested", "AbortError"));
  }
};
