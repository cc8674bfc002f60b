/**
 * Runs `zmp launch` as a real subprocess for the launcher tests: writes a
 * launch file, collects output lines as they come, finds node pids, and
 * always reaps everything.
 *
 * @module
 */

import { waitFor } from "../_assert.ts";
import type { LaunchSpec } from "../../src/launch/types.ts";
import { forEachLine } from "../_lines.ts";

const root = new URL("../../", import.meta.url);
/** The repository root, as a path. */
export const ROOT = decodeURIComponent(root.pathname);
const CLI = new URL("src/cli/main.ts", root).pathname;

/** The URL of a fixture node module. */
export function fixture(name: string): string {
  return new URL(`fixtures/${name}`, import.meta.url).href;
}

/** A temporary folder, removed on dispose. */
export async function tempDir(): Promise<
  { path: string } & AsyncDisposable
> {
  const path = await Deno.makeTempDir({ prefix: "zmp-launch-test-" });
  return {
    path,
    [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }),
  };
}

/**
 * Writes a launch file holding `spec` (or the source `text`) into `dir`.
 *
 * @returns its path
 */
export async function writeLaunch(
  dir: string,
  spec: LaunchSpec | string,
  name = "launch.ts",
): Promise<string> {
  const mod = new URL("mod.ts", root).href;
  const body = typeof spec === "string"
    ? spec
    : `export default defineLaunch(${JSON.stringify(spec, null, 2)});\n`;
  const file = `${dir}/${name}`;
  await Deno.writeTextFile(
    file,
    `import { defineLaunch } from "${mod}";\n\n${body}`,
  );
  return file;
}

/** One line of the launcher's output. */
export interface Line {
  stream: "stdout" | "stderr";
  text: string;
  /** `performance.now()` when the test read it. */
  at: number;
}

/** A running `zmp launch`. */
export class Launcher implements AsyncDisposable {
  readonly child: Deno.ChildProcess;
  readonly lines: Line[] = [];
  readonly #pumps: Promise<void>;
  readonly status: Promise<Deno.CommandStatus>;

  /**
   * Runs `zmp launch <args>`. Unless the args say otherwise (or
   * `defaultParams`), params stay in memory (`--no-params`), so that no
   * test leaves a params file beside a launch file of the repository, or
   * reads another run's.
   */
  constructor(
    args: string[],
    env: Record<string, string> = {},
    options: { defaultParams?: boolean } = {},
  ) {
    const params = options.defaultParams ||
        args.some((a) => a === "--params" || a === "--no-params")
      ? []
      : ["--no-params"];
    this.child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", CLI, "launch", ...params, ...args],
      cwd: ROOT,
      env: { NO_COLOR: "1", ...env },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#pumps = Promise.all([
      this.#pump(this.child.stdout, "stdout"),
      this.#pump(this.child.stderr, "stderr"),
    ]).then(() => {});
    this.status = this.child.status;
  }

  #pump(
    stream: ReadableStream<Uint8Array>,
    which: "stdout" | "stderr",
  ): Promise<void> {
    return forEachLine(stream, (text) => {
      this.lines.push({ stream: which, text, at: performance.now() });
    });
  }

  /** Every line so far, as text. */
  get text(): string {
    return this.lines.map((l) => l.text).join("\n");
  }

  /**
   * Waits for a line matching `re`; returns its match. The default allows
   * for a cold `deno check` of the launch file in a fresh clone while the
   * rest of the suite runs in parallel (15 s was not always enough in CI).
   */
  async line(re: RegExp, timeout = 45_000): Promise<RegExpExecArray> {
    let m: RegExpExecArray | null = null;
    await waitFor(
      () => this.lines.some((l) => (m = re.exec(l.text)) !== null),
      `a line matching ${re}; output so far:\n${this.text}`,
      { timeout },
    );
    return m!;
  }

  /** The index of the first line matching `re`, or -1. */
  indexOf(re: RegExp): number {
    return this.lines.findIndex((l) => re.test(l.text));
  }

  /** The pids of subprocess nodes, from the "started" lines. */
  pids(): Map<string, number> {
    const pids = new Map<string, number>();
    for (const l of this.lines) {
      const m = /started (\S+) \(subprocess, pid (\d+)/.exec(l.text);
      if (m) pids.set(m[1], Number(m[2]));
    }
    return pids;
  }

  /** Waits for the launcher to exit and for its output to end. */
  async exited(timeout = 30000): Promise<number> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<"late">((resolve) => {
      timer = setTimeout(() => resolve("late"), timeout);
    });
    const status = await Promise.race([this.status, late]);
    clearTimeout(timer);
    if (status === "late") {
      throw new Error(
        `the launcher did not exit within ${timeout} ms; output:\n${this.text}`,
      );
    }
    await this.#pumps;
    return status.code;
  }

  /** Kills the launcher and every node pid it printed, then waits. */
  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.child.kill("SIGKILL");
    } catch {
      // already gone
    }
    await this.status;
    await this.#pumps;
    for (const pid of this.pids().values()) {
      if (alive(pid)) {
        try {
          Deno.kill(pid, "SIGKILL");
        } catch {
          // gone meanwhile
        }
      }
    }
  }
}

/**
 * Whether process `pid` still runs: it has a `/proc` entry that is not a
 * zombie (a zombie has exited; only its parent's reaping is left).
 */
export function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const state = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/** What a finished `zmp` command printed. */
export interface ZmpOutput {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `zmp <args>` to its end, killing it after `timeout` ms.
 *
 * @returns its exit code and output
 */
export async function runZmp(
  args: string[],
  timeout = 60000,
): Promise<ZmpOutput> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch {
      // exited meanwhile
    }
  }, timeout);
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
