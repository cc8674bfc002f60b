/**
 * Real processes for the registry tests: the registry (`src/registry/main.ts`)
 * and registry clients (`fixtures/client_process.ts`), each spawned with
 * `Deno.execPath()`, read line by line, and always killed and reaped.
 *
 * @module
 */

import SuperJSON from "superjson";
import { AssertionError } from "../_assert.ts";
import { forEachLine } from "../_lines.ts";
import type { NodeInfo, RegistryEvent } from "../../mod.ts";

const MAIN = new URL("../../src/registry/main.ts", import.meta.url).pathname;
const CLIENT = new URL("./fixtures/client_process.ts", import.meta.url)
  .pathname;

/** A child process whose stdout is read line by line. */
export class Child implements AsyncDisposable {
  readonly pid: number;
  /** Every stdout line so far. */
  readonly lines: string[] = [];
  readonly #child: Deno.ChildProcess;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array> | undefined;
  readonly #pumps: Promise<void>;
  #stderr = "";
  #wake: (() => void) | undefined;
  #exited = false;
  #status: Promise<Deno.CommandStatus> | undefined;

  constructor(args: string[], options: { stdin?: boolean } = {}) {
    this.#child = new Deno.Command(Deno.execPath(), {
      args,
      stdin: options.stdin ? "piped" : "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.pid = this.#child.pid;
    this.#stdin = options.stdin ? this.#child.stdin.getWriter() : undefined;
    this.#pumps = Promise.all([
      this.#pumpStdout(),
      this.#pumpStderr(),
    ]).then(() => {});
  }

  async #pumpStdout(): Promise<void> {
    await forEachLine(this.#child.stdout, (line) => {
      this.lines.push(line);
      this.#notify();
    });
    this.#exited = true;
    this.#notify();
  }

  async #pumpStderr(): Promise<void> {
    for await (
      const chunk of this.#child.stderr.pipeThrough(new TextDecoderStream())
    ) {
      this.#stderr += chunk;
    }
  }

  #notify(): void {
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
  }

  /** Everything written to stderr so far. */
  get stderr(): string {
    return this.#stderr;
  }

  /**
   * Waits for a stdout line matching `match` (searched from the start).
   *
   * @returns the line
   */
  async waitLine(
    match: (line: string) => boolean,
    what: string,
    timeout = 20000,
  ): Promise<string> {
    const deadline = Date.now() + timeout;
    for (;;) {
      const found = this.lines.find(match);
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (this.#exited || left <= 0) {
        throw new AssertionError(
          `${
            this.#exited ? "process exited" : `timed out after ${timeout} ms`
          } waiting for ${what}; stdout: ${
            this.lines.join(" | ")
          }; stderr: ${this.#stderr}`,
        );
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        timer = setTimeout(resolve, Math.min(left, 200));
      });
      clearTimeout(timer);
    }
  }

  /** Writes a line to stdin. */
  async writeLine(line: string): Promise<void> {
    await this.#stdin!.write(new TextEncoder().encode(line + "\n"));
  }

  /** Sends a signal (ignored when the process is gone). */
  signal(signal: Deno.Signal): void {
    try {
      this.#child.kill(signal);
    } catch {
      // already gone
    }
  }

  /** Waits for the exit (and the end of its output). */
  status(): Promise<Deno.CommandStatus> {
    return this.#status ??= (async () => {
      const status = await this.#child.status;
      await this.#stdin?.close().catch(() => {});
      await this.#pumps;
      return status;
    })();
  }

  /** Kills (SIGKILL unless given) and reaps. */
  async kill(signal: Deno.Signal = "SIGKILL"): Promise<Deno.CommandStatus> {
    if (!this.#exited) this.signal(signal);
    return await this.status();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.signal("SIGCONT");
    await this.kill();
  }
}

/** A registry process. */
export class RegistryProcess extends Child {
  endpoint = "";

  /**
   * Starts `src/registry/main.ts` and waits until it listens.
   *
   * @param flags e.g. `["--ttl", "1000"]`; `--endpoint tcp://127.0.0.1:*`
   *   unless an endpoint is given
   */
  static async start(flags: string[] = []): Promise<RegistryProcess> {
    const args = flags.includes("--endpoint")
      ? flags
      : ["--endpoint", "tcp://127.0.0.1:*", ...flags];
    const p = new RegistryProcess(["run", "-A", MAIN, ...args]);
    try {
      const line = await p.waitLine(
        (l) => l.startsWith("zmp registry listening on "),
        "the registry to listen",
      );
      p.endpoint = line.slice("zmp registry listening on ".length).trim();
      return p;
    } catch (e) {
      await p.kill();
      throw e;
    }
  }
}

/** A reply or event line of a client process. */
// deno-lint-ignore no-explicit-any
export type ClientLine = Record<string, any>;

/** A registry client in its own process (`fixtures/client_process.ts`). */
export class ClientProcess extends Child {
  #nextId = 0;

  /**
   * Starts a client of `registry`; with `name`, it registers a node.
   */
  static async start(
    registry: string,
    name?: string,
    options: { ttl?: number; token?: string } = {},
  ): Promise<ClientProcess> {
    const p = new ClientProcess([
      "run",
      "-A",
      CLIENT,
      "--registry",
      registry,
      ...(name === undefined ? [] : ["--name", name]),
      ...(options.ttl === undefined ? [] : ["--ttl", String(options.ttl)]),
      ...(options.token === undefined ? [] : ["--token", options.token]),
    ], { stdin: true });
    try {
      await p.waitLine(
        (l) => l.startsWith('{"json":{"registered"') || l.includes('"ready"'),
        "the client process to start",
      );
      return p;
    } catch (e) {
      await p.kill();
      throw e;
    }
  }

  /** The node it registered at start. */
  get info(): NodeInfo {
    const line = this.lines.find((l) => l.startsWith('{"json":{"registered"'));
    return (SuperJSON.parse(line!) as ClientLine).registered;
  }

  /** Every parsed stdout line. */
  parsed(): ClientLine[] {
    return this.lines.map((l) => SuperJSON.parse(l) as ClientLine);
  }

  /**
   * Sends a request and waits for its reply.
   *
   * @returns the `ok` value
   * @throws {AssertionError} with the remote error when it failed
   */
  async request(op: string, fields: ClientLine = {}): Promise<unknown> {
    const id = ++this.#nextId;
    await this.writeLine(SuperJSON.stringify({ id, op, ...fields }));
    const line = await this.waitLine((l) => {
      const v = SuperJSON.parse(l) as ClientLine;
      return v.id === id && ("ok" in v || "error" in v);
    }, `the reply to ${op}`);
    const reply = SuperJSON.parse(line) as ClientLine;
    if ("error" in reply) {
      throw new AssertionError(
        `${op} failed in the client process: ${JSON.stringify(reply.error)}`,
      );
    }
    return reply.ok;
  }

  /** Starts a watch in the process; returns its id (events carry it). */
  async startWatch(op: "watch" | "watchParams", prefix?: string) {
    const id = this.#nextId + 1;
    await this.request(op, { prefix });
    return id;
  }

  /** The events received so far for the watch `id`. */
  events(id: number): ClientLine[] {
    return this.parsed().filter((v) => v.id === id && "event" in v).map((v) =>
      v.event
    );
  }
}

/**
 * Consumes an async iterable in the background, keeping every item, until
 * `stop()`.
 */
export class Recorder<T> implements AsyncDisposable {
  readonly items: T[] = [];
  error: unknown = undefined;
  readonly #controller = new AbortController();
  readonly #done: Promise<void>;

  constructor(make: (signal: AbortSignal) => AsyncIterable<T>) {
    this.#done = (async () => {
      try {
        for await (const item of make(this.#controller.signal)) {
          this.items.push(item);
        }
      } catch (e) {
        if (!this.#controller.signal.aborted) this.error = e;
      }
    })();
  }

  /** Stops consuming and waits for the loop to end. */
  async stop(): Promise<void> {
    this.#controller.abort();
    await this.#done;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

/**
 * Replays registry events into the set of live node names (a snapshot
 * resets it).
 */
export function liveNames(events: readonly RegistryEvent[]): string[] {
  const live = new Set<string>();
  for (const e of events) {
    if (e.type === "snapshot") {
      live.clear();
      for (const n of e.nodes) live.add(n.name);
    } else if (e.type === "added") live.add(e.node.name);
    else if (e.type === "removed") live.delete(e.name);
  }
  return [...live].sort();
}

/** A node info for tests. */
export function nodeInfo(
  name: string,
  more: Partial<NodeInfo> = {},
): NodeInfo {
  return {
    name,
    instanceId: crypto.randomUUID(),
    pid: Deno.pid,
    host: Deno.hostname(),
    mode: "inprocess",
    services: [],
    publishes: [],
    subscribes: [],
    params: [],
    startedAt: Date.now(),
    ...more,
  };
}

/** A TCP endpoint on which nothing listens (bound, then released). */
export async function freeEndpoint(): Promise<string> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  await Promise.resolve();
  return `tcp://127.0.0.1:${port}`;
}
