/**
 * A node as a whole process: runs it until SIGINT or SIGTERM (or, when
 * asked, until standard input ends), then stops it cleanly. Used by the
 * launcher's subprocess entry (`subprocess_main.ts`) and by a node module
 * started on its own with `deno run`.
 *
 * @module
 */

import type { RunMode } from "../registry/types.ts";
import type { NodeModule } from "./types.ts";
import { runNode } from "./run.ts";
import { createNodeLogger } from "./logger.ts";
import type { NodeSecurity } from "./_security.ts";

/** How long a stop may take before the process exits anyway, in ms. */
const HARD_STOP_MS = 15000;

/** Options of {@linkcode runNodeProcess}. */
export interface NodeProcessOptions {
  /** The node name. */
  name: string;
  /** How it runs, as reported to the registry. */
  mode: RunMode;
  /** The arguments given to `run`. */
  args: string[];
  /** The registry endpoint. @default {$ZMP_REGISTRY, else the default} */
  registry?: string;
  /** Stop when standard input ends (unless it is a terminal). */
  watchStdin: boolean;
  /** Secure mode: the node's keys. @default {none} */
  security?: NodeSecurity;
}

/**
 * Reads the keys a secure launcher writes as the first line of a node's
 * standard input: one JSON object (see `NodeSecurity`). The secret never
 * appears in argv or the environment, where `ps` shows them.
 *
 * @returns the keys
 * @throws {TypeError} when the line is missing or not such an object
 */
export async function readSecurityLine(): Promise<NodeSecurity> {
  const reader = Deno.stdin.readable.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
      if (value.includes(10) || size > 65536) break;
    }
  } finally {
    reader.releaseLock();
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.byteLength;
  }
  const text = new TextDecoder().decode(all).split("\n")[0];
  let keys: NodeSecurity;
  try {
    keys = JSON.parse(text);
  } catch {
    throw new TypeError(
      "Cannot start in secure mode: standard input did not begin with the node's keys",
    );
  }
  const z85 = (v: unknown) => typeof v === "string" && v.length === 40;
  if (
    keys === null || typeof keys !== "object" || !z85(keys.publicKey) ||
    !z85(keys.secretKey) || !z85(keys.registryKey) ||
    !(keys.tools ?? []).every(z85)
  ) {
    throw new TypeError(
      "Cannot start in secure mode: the keys on standard input are not publicKey, secretKey, registryKey (and tools) in Z85",
    );
  }
  return keys;
}

/**
 * Runs a node until it is stopped: the first SIGINT or SIGTERM stops it
 * gracefully (drain, unregister), a second one exits at once with code 1,
 * and so does a stop that has not finished after 15 s.
 *
 * @param module the node module, or its URL
 * @param options name, mode, args, registry, and whether standard input
 *   ending stops it
 * @returns the exit code: 0 after a stop, 1 after a failure
 */
export async function runNodeProcess(
  module: string | URL | NodeModule,
  options: NodeProcessOptions,
): Promise<number> {
  const log = createNodeLogger(options.name);
  const stop = new AbortController();
  let hardStop: ReturnType<typeof setTimeout> | undefined;
  const requestStop = (why: string) => {
    if (stop.signal.aborted) return;
    log.debug(`stopping: ${why}`);
    stop.abort(new DOMException(`stop requested: ${why}`, "AbortError"));
    const timer = setTimeout(() => {
      log.error(`stop did not finish within ${HARD_STOP_MS} ms: exiting`);
      Deno.exit(1);
    }, HARD_STOP_MS);
    Deno.unrefTimer(timer);
    hardStop = timer;
  };
  const signals: Deno.Signal[] = Deno.build.os === "windows"
    ? ["SIGINT"]
    : ["SIGTERM", "SIGINT"];
  const handlers = signals.map((signal) => {
    const handler = () => {
      if (stop.signal.aborted) {
        log.warn(`${signal} again: exiting now`);
        Deno.exit(1);
      }
      requestStop(signal);
    };
    Deno.addSignalListener(signal, handler);
    return [signal, handler] as const;
  });
  let stdin: ReadableStreamDefaultReader<Uint8Array> | undefined;
  if (options.watchStdin && !Deno.stdin.isTerminal()) {
    stdin = Deno.stdin.readable.getReader();
    (async () => {
      try {
        while (!(await stdin!.read()).done) {
          // the content is ignored: only the end matters
        }
      } catch {
        // a read error is an end too
      }
      requestStop("standard input closed");
    })();
  }
  try {
    return await runNode(module, {
      name: options.name,
      mode: options.mode,
      args: options.args,
      registry: options.registry,
      signal: stop.signal,
      logger: log,
      security: options.security,
    });
  } finally {
    clearTimeout(hardStop);
    for (const [signal, handler] of handlers) {
      Deno.removeSignalListener(signal, handler);
    }
    stdin?.cancel().catch(() => {});
  }
}
