/**
 * Helpers for tests that work as a user does, in a folder outside the
 * checkout: run a command to its end, or start one and read its lines.
 *
 * @module
 */

import { waitFor } from "../_assert.ts";
import { forEachLine } from "../_lines.ts";

/** The checkout's root, as a path (no trailing slash). */
export const ZMP = decodeURIComponent(
  new URL("../../", import.meta.url).pathname,
)
  .replace(/\/$/, "");
/** The `zmp` command's entry. */
export const CLI = `${ZMP}/src/cli/main.ts`;

/** What a finished command printed. */
export interface Output {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Sends SIGKILL to the process group that `child` leads: the command and
 * everything it started. `deno task` starts the command as its child, and
 * `zmp launch` re-runs itself (src/cli/_rerun.ts), so killing the first
 * process alone can leave a launcher that holds the output pipes open, and
 * the test would hang instead of failing.
 */
function killGroup(child: Deno.ChildProcess): void {
  try {
    Deno.kill(-child.pid, "SIGKILL");
  } catch {
    // the whole group has exited
  }
}

/** Where and how a command runs. */
export interface RunOptions {
  cwd: string;
  env?: Record<string, string>;
  /** Killed (SIGKILL) after this many ms. @default {240000} */
  timeout?: number;
}

/**
 * Runs `command args…` to its end.
 *
 * @returns its exit code and output
 */
export async function run(
  command: string,
  args: string[],
  options: RunOptions,
): Promise<Output> {
  const child = new Deno.Command(command, {
    args,
    cwd: options.cwd,
    env: { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1", ...options.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    // a process group of its own, so that killGroup reaches all of it
    detached: true,
  }).spawn();
  const timer = setTimeout(() => killGroup(child), options.timeout ?? 240_000);
  try {
    const out = await child.output();
    const dec = new TextDecoder();
    return {
      code: out.code,
      stdout: dec.decode(out.stdout),
      stderr: dec.decode(out.stderr),
    };
  } finally {
    clearTimeout(timer);
  }
}

/** A command left running, its lines collected as they come. */
export class Running implements AsyncDisposable {
  readonly child: Deno.ChildProcess;
  readonly lines: string[] = [];
  readonly #pumps: Promise<void>;

  constructor(command: string, args: string[], options: RunOptions) {
    this.child = new Deno.Command(command, {
      args,
      cwd: options.cwd,
      env: { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1", ...options.env },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      // a process group of its own, so that killGroup reaches all of it
      detached: true,
    }).spawn();
    this.#pumps = Promise.all([
      this.#pump(this.child.stdout),
      this.#pump(this.child.stderr),
    ]).then(() => {});
  }

  #pump(stream: ReadableStream<Uint8Array>): Promise<void> {
    return forEachLine(stream, (line) => this.lines.push(line));
  }

  /** Everything printed so far. */
  get text(): string {
    return this.lines.join("\n");
  }

  /** Waits for a line matching `re`. */
  async line(re: RegExp, timeout = 60_000): Promise<string> {
    let found: string | undefined;
    await waitFor(
      () => (found = this.lines.find((l) => re.test(l))) !== undefined,
      `a line matching ${re}; output so far:\n${this.text}`,
      { timeout },
    );
    return found!;
  }

  /** Sends `signal` and waits for the exit code and the output's end. */
  async stop(signal: Deno.Signal, timeout = 30_000): Promise<number> {
    this.child.kill(signal);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<"late">((resolve) => {
      timer = setTimeout(() => resolve("late"), timeout);
    });
    const status = await Promise.race([this.child.status, late]);
    clearTimeout(timer);
    if (status === "late") {
      killGroup(this.child);
      throw new Error(`no exit ${timeout} ms after ${signal}:\n${this.text}`);
    }
    await this.#pumps;
    return status.code;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    killGroup(this.child);
    await this.child.status;
    await this.#pumps;
  }
}

/** A TCP port nobody listens on right now, on 127.0.0.1. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** A temporary folder outside the checkout, removed on dispose. */
export async function outsideFolder(): Promise<
  { path: string } & AsyncDisposable
> {
  const path = await Deno.makeTempDir({ prefix: "zmp-project-" });
  if (path.startsWith(`${ZMP}/`)) throw new Error(`${path} is in the checkout`);
  return {
    path,
    [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }),
  };
}
