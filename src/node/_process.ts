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
  /**
   * Read the registration's secret token from the first line of standard
   * input (how the launcher hands it over: never in argv or the
   * environment). @default {false}
   */
  tokenFromStdin?: boolean;
  /**
   * Secure mode: read the node's keys from standard input, the line after
   * the token (how the launcher hands them over: never in argv or the
   * environment). @default {false}
   */
  securityFromStdin?: boolean;
}

/**
 * The longest line read for a token or the keys, in bytes: with etcd, the
 * keys carry the system's allow-list and policy.
 */
const MAX_LINE = 1024 * 1024;

/**
 * Reads standard input line by line, keeping what follows a line for the
 * next one.
 *
 * @param reader standard input
 * @returns a function giving the next line without its newline, or
 *   `undefined` when input ended (or ran past {@linkcode MAX_LINE}) first
 */
function lineReader(
  reader: ReadableStreamDefaultReader<Uint8Array>,
): () => Promise<string | undefined> {
  let bytes = new Uint8Array(0);
  return async () => {
    while (bytes.length <= MAX_LINE) {
      const newline = bytes.indexOf(10);
      if (newline >= 0) {
        const line = new TextDecoder().decode(bytes.subarray(0, newline));
        bytes = bytes.slice(newline + 1);
        return line;
      }
      const { value, done } = await reader.read().catch(() => ({
        value: undefined,
        done: true,
      }));
      if (done || value === undefined) return undefined;
      const next = new Uint8Array(bytes.length + value.length);
      next.set(bytes);
      next.set(value, bytes.length);
      bytes = next;
    }
    return undefined;
  };
}

/**
 * Reads the keys a secure launcher writes on a node's standard input: one
 * JSON object (see `NodeSecurity`) on one line. The secret never appears in
 * argv or the environment, where `ps` shows them.
 *
 * @param line the line
 * @returns the keys
 * @throws {TypeError} when the line is missing or not such an object
 */
export function parseSecurityLine(line: string | undefined): NodeSecurity {
  let keys: NodeSecurity;
  try {
    keys = JSON.parse(line ?? "");
  } catch {
    throw new TypeError(
      "Cannot start in secure mode: standard input did not carry the node's keys",
    );
  }
  const z85 = (v: unknown) => typeof v === "string" && v.length === 40;
  const peers = keys?.peers;
  if (
    keys === null || typeof keys !== "object" || !z85(keys.publicKey) ||
    !z85(keys.secretKey) ||
    !(z85(keys.registryKey) ||
      (keys.registryKey === undefined && peers !== undefined)) ||
    !(keys.tools ?? []).every(z85) ||
    (peers !== undefined &&
      (typeof peers !== "object" || peers === null ||
        !Object.values(peers).every(z85)))
  ) {
    throw new TypeError(
      "Cannot start in secure mode: the keys on standard input are not publicKey, secretKey, registryKey or peers (and tools) in Z85",
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
  let registryToken: string | undefined;
  let security: NodeSecurity | undefined;
  const readStdin = options.watchStdin || options.tokenFromStdin === true ||
    options.securityFromStdin === true;
  if (readStdin && !Deno.stdin.isTerminal()) {
    stdin = Deno.stdin.readable.getReader();
    const nextLine = lineReader(stdin);
    if (options.tokenFromStdin) {
      registryToken = (await nextLine()) || undefined;
    }
    if (options.securityFromStdin) {
      try {
        security = parseSecurityLine(await nextLine());
      } catch (e) {
        log.error((e as Error).message);
        stdin.cancel().catch(() => {});
        for (const [signal, handler] of handlers) {
          Deno.removeSignalListener(signal, handler);
        }
        return 1;
      }
    }
  }
  if (stdin !== undefined && options.watchStdin) {
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
      registryToken,
      security,
      signal: stop.signal,
      logger: log,
    });
  } finally {
    clearTimeout(hardStop);
    for (const [signal, handler] of handlers) {
      Deno.removeSignalListener(signal, handler);
    }
    stdin?.cancel().catch(() => {});
  }
}
