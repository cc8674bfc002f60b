/**
 * Helpers for node tests: a real registry in this process, node
 * subprocesses started through `src/node/subprocess_main.ts` (always
 * killed and reaped), and small waiting helpers.
 *
 * @module
 */

import { AssertionError, waitFor } from "../_assert.ts";
import {
  type NodeInfo,
  type Registry,
  type RegistryServer,
  startRegistry,
} from "../../mod.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const SUBPROCESS_MAIN = new URL(
  "../../src/node/subprocess_main.ts",
  import.meta.url,
).pathname;

/** The shared fixture node module. */
export const ECHO_NODE = new URL("./fixtures/echo_node.ts", import.meta.url)
  .href;

/** A logger that keeps quiet (registry chatter about vanished clients). */
export const quiet = { warn() {}, error() {} };

/**
 * Starts a registry on a free port of this process.
 *
 * @param ttl lease time-to-live in ms (short ones make expiry tests fast)
 * @returns the registry; close it when done
 */
export function startTestRegistry(ttl = 3000): Promise<RegistryServer> {
  return startRegistry({
    endpoint: "tcp://127.0.0.1:*",
    ttl,
    logger: quiet,
  });
}

/** Waits until the registry lists a node for which `ok` holds. */
export async function waitForNode(
  registry: Registry,
  name: string,
  ok: (info: NodeInfo) => boolean = () => true,
  timeout = 15000,
): Promise<NodeInfo> {
  let found: NodeInfo | undefined;
  await waitFor(
    async () => {
      found = (await registry.nodes()).find((n) => n.name === name && ok(n));
      return found !== undefined;
    },
    `node "${name}" in the registry`,
    { timeout, interval: 20 },
  );
  return found!;
}

/** Waits until the registry no longer lists `name`. */
export async function waitForNodeGone(
  registry: Registry,
  name: string,
  timeout = 15000,
): Promise<void> {
  await waitFor(
    async () => !(await registry.nodes()).some((n) => n.name === name),
    `node "${name}" to leave the registry`,
    { timeout, interval: 20 },
  );
}

/** Options of {@linkcode NodeProcess.start}. */
export interface NodeProcessOptions {
  /** `ZMP_NODE_NAME`. */
  name: string;
  /** `ZMP_REGISTRY`. */
  registry: string;
  /** Arguments after the module. */
  args?: string[];
  /** More environment variables. */
  env?: Record<string, string>;
}

/** A node running as a subprocess, as the launcher would start it. */
export class NodeProcess implements AsyncDisposable {
  readonly pid: number;
  readonly status: Promise<Deno.CommandStatus>;
  readonly #child: Deno.ChildProcess;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  readonly #stderr: Promise<void>;
  #stderrText = "";

  private constructor(child: Deno.ChildProcess) {
    this.#child = child;
    this.pid = child.pid;
    this.#stdin = child.stdin.getWriter();
    this.#stderr = (async () => {
      for await (
        const chunk of child.stderr.pipeThrough(new TextDecoderStream())
      ) this.#stderrText += chunk;
    })();
    this.status = child.status;
  }

  /**
   * Spawns `deno run -A src/node/subprocess_main.ts <module> [args…]`.
   *
   * @param module the node module URL
   * @param options name, registry, args, env
   * @returns the process (not yet registered: see `waitForNode`)
   */
  static start(module: string, options: NodeProcessOptions): NodeProcess {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", SUBPROCESS_MAIN, module, ...(options.args ?? [])],
      cwd: ROOT,
      env: {
        ZMP_NODE_NAME: options.name,
        ZMP_REGISTRY: options.registry,
        ZMP_RUN_MODE: "subprocess",
        ...options.env,
      },
      stdin: "piped",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    return new NodeProcess(child);
  }

  /** Everything the node wrote to stderr so far. */
  get stderr(): string {
    return this.#stderrText;
  }

  /** Closes the node's standard input, as a dying launcher would. */
  async closeStdin(): Promise<void> {
    await this.#stdin.close().catch(() => {});
  }

  /** Sends a signal (ignored when the process is gone). */
  kill(signal: Deno.Signal = "SIGKILL"): void {
    try {
      this.#child.kill(signal);
    } catch {
      // already exited
    }
  }

  /**
   * Waits for the exit, failing after `timeout` ms.
   *
   * @returns the status, with stderr read to the end
   */
  async exited(timeout = 15000): Promise<Deno.CommandStatus> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const status = await Promise.race([
        this.status,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new AssertionError(
                  `node process ${this.pid} still running after ${timeout} ms; stderr:\n${this.#stderrText}`,
                ),
              ),
            timeout,
          );
        }),
      ]);
      await this.#stderr;
      return status;
    } finally {
      clearTimeout(timer);
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.kill("SIGKILL");
    await this.status;
    await this.#stdin.close().catch(() => {});
    await this.#stderr;
  }
}
