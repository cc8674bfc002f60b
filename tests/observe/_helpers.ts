/**
 * What the observe tests share: a `zmp` subprocess that runs until
 * stopped (a launch, `zmp record`, `zmp play --serve`), with its output
 * read line by line, stopped with SIGINT and killed (with the nodes it
 * started) if it outlives the test.
 *
 * @module
 */

import { waitFor } from "../_assert.ts";
import { alive } from "../launch/_harness.ts";
import { forEachLine } from "../_lines.ts";

const ROOT = new URL("../../", import.meta.url);
const CLI = new URL("src/cli/main.ts", ROOT).pathname;

/** The zmp checkout, as a path. */
export const ROOT_PATH = decodeURIComponent(ROOT.pathname);

/** A fixture's path. */
export function fixture(name: string): string {
  return decodeURIComponent(
    new URL(`fixtures/${name}`, import.meta.url).pathname,
  );
}

/** A running `zmp <args>`. */
export class Zmp implements AsyncDisposable {
  readonly child: Deno.ChildProcess;
  readonly lines: string[] = [];
  readonly #pumps: Promise<void>;
  readonly status: Promise<Deno.CommandStatus>;

  /**
   * @param args what follows `zmp`
   * @param options extra environment, working folder
   */
  constructor(
    args: string[],
    options: { env?: Record<string, string>; cwd?: string } = {},
  ) {
    this.child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", CLI, ...args],
      cwd: options.cwd ?? ROOT_PATH,
      env: { NO_COLOR: "1", ZMP_REGISTRY: "", ...options.env },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#pumps = Promise.all([
      this.#pump(this.child.stdout),
      this.#pump(this.child.stderr),
    ]).then(() => {});
    this.status = this.child.status;
  }

  #pump(stream: ReadableStream<Uint8Array>): Promise<void> {
    return forEachLine(stream, (line) => this.lines.push(line));
  }

  /** Every line so far. */
  get text(): string {
    return this.lines.join("\n");
  }

  /** Waits for a line matching `re`; returns its match. */
  async line(re: RegExp, timeout = 30000): Promise<RegExpExecArray> {
    let m: RegExpExecArray | null = null;
    await waitFor(
      () => this.lines.some((l) => (m = re.exec(l)) !== null),
      `a line matching ${re}; output so far:\n${this.text}`,
      { timeout },
    );
    return m!;
  }

  /** The registry endpoint a launch printed. */
  async registry(): Promise<string> {
    return (await this.line(/registry listening on (tcp:\/\/\S+)/))[1];
  }

  /** Sends SIGINT and waits for the exit code (SIGKILL after `timeout`). */
  async stop(timeout = 20000): Promise<number> {
    try {
      this.child.kill("SIGINT");
    } catch {
      // already gone
    }
    return await this.exited(timeout);
  }

  /** Waits for the exit code (SIGKILL after `timeout`). */
  async exited(timeout = 60000): Promise<number> {
    const timer = setTimeout(() => {
      try {
        this.child.kill("SIGKILL");
      } catch {
        // gone meanwhile
      }
    }, timeout);
    try {
      const status = await this.status;
      await this.#pumps;
      return status.code;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Kills it and the node subprocesses it printed as started. */
  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.child.kill("SIGKILL");
    } catch {
      // already gone
    }
    await this.status;
    await this.#pumps;
    for (const l of this.lines) {
      const m = /started (\S+) \(subprocess, pid (\d+)/.exec(l);
      if (m && alive(Number(m[2]))) {
        try {
          Deno.kill(Number(m[2]), "SIGKILL");
        } catch {
          // gone meanwhile
        }
      }
    }
  }
}
