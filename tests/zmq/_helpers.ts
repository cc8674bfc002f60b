/**
 * Shared helpers for the transport tests: endpoints per transport, fixture
 * subprocesses that are always reaped, and small frame codecs.
 *
 * @module
 */

import { assertEquals, AssertionError } from "../_assert.ts";
import {
  Context,
  type MonitorEvent,
  type MonitorEventType,
  type SocketMonitor,
} from "../../src/zmq/mod.ts";

/** The transports a pattern is tested over. */
export const TRANSPORTS = ["inproc", "ipc", "tcp"] as const;
/** One transport. */
export type Transport = typeof TRANSPORTS[number];
/** The transports that cross a process boundary (and have monitor events). */
export const NETWORK_TRANSPORTS = ["ipc", "tcp"] as const;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** UTF-8 bytes of `s`. */
export function bytes(s: string): Uint8Array {
  return encoder.encode(s);
}

/** The UTF-8 text of each frame. */
export function texts(frames: Uint8Array[]): string[] {
  return frames.map((f) => decoder.decode(f));
}

/** An 4-byte little-endian frame holding `n`. */
export function u32Frame(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n, true);
  return out;
}

/** Reads the number written by {@linkcode u32Frame}. */
export function readU32(frame: Uint8Array): number {
  if (frame.byteLength !== 4) {
    throw new AssertionError(
      `expected a 4-byte frame, got ${frame.byteLength}`,
    );
  }
  return new DataView(frame.buffer, frame.byteOffset, 4).getUint32(0, true);
}

let counter = 0;

/**
 * Addresses to bind, one fresh name per call. ipc sockets live in a private
 * temporary directory, removed on dispose; tcp uses port `*` (read the real
 * one from what `bind()` returns).
 */
export class Endpoints implements AsyncDisposable {
  #dir: string | undefined;

  /** A new address to bind over `transport`. */
  async bindAddress(transport: Transport, name = "t"): Promise<string> {
    const unique = `${name}-${Deno.pid}-${++counter}`;
    switch (transport) {
      case "inproc":
        return `inproc://${unique}`;
      case "ipc":
        this.#dir ??= await Deno.makeTempDir({ prefix: "zmp-test-" });
        return `ipc://${this.#dir}/${unique}.sock`;
      case "tcp":
        return "tcp://127.0.0.1:*";
    }
  }

  /** Removes the ipc directory, if one was made. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#dir !== undefined) {
      await Deno.remove(this.#dir, { recursive: true });
      this.#dir = undefined;
    }
  }
}

/** The path of a fixture script in `tests/zmq/fixtures/`. */
export function fixture(name: string): string {
  return decodeURIComponent(
    new URL(`./fixtures/${name}`, import.meta.url).pathname,
  );
}

/** The root of the repository (where `deno.json` is). */
export const ROOT = decodeURIComponent(
  new URL("../../", import.meta.url).pathname,
);

/** Options for {@linkcode spawnFixture}. */
export interface SpawnOptions {
  /** Arguments after the script path. */
  args?: string[];
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Deno permission flags. @default {["-A"]} */
  permissions?: string[];
  /** How long to wait for the first stdout line, in ms. @default {10000} */
  readyTimeout?: number;
}

/**
 * A fixture running as a Deno subprocess. Its first stdout line is its
 * "ready" line (usually the endpoint it bound). Disposing kills it if it is
 * still running and always reaps it.
 */
export class FixtureProcess implements AsyncDisposable {
  readonly #child: Deno.ChildProcess;
  readonly #lines: AsyncIterator<string>;
  readonly #stdout: ReadableStreamDefaultReader<string>;
  #stderr: Promise<string>;
  #status: Deno.CommandStatus | undefined;

  private constructor(child: Deno.ChildProcess) {
    this.#child = child;
    this.#stdout = child.stdout.pipeThrough(new TextDecoderStream())
      .getReader();
    this.#lines = splitLines(this.#stdout);
    this.#stderr = new Response(child.stderr).text();
  }

  /** Starts `tests/zmq/fixtures/<name>` and waits for its ready line. */
  static async start(
    name: string,
    options: SpawnOptions = {},
  ): Promise<{ process: FixtureProcess; ready: string }> {
    const { args = [], env, permissions = ["-A"], readyTimeout = 10_000 } =
      options;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", ...permissions, fixture(name), ...args],
      cwd: ROOT,
      env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const process = new FixtureProcess(child);
    try {
      const ready = await process.readLine(readyTimeout);
      return { process, ready };
    } catch (e) {
      await process[Symbol.asyncDispose]();
      const stderr = await process.#stderr;
      throw new AssertionError(
        `fixture ${name} did not get ready: ${
          e instanceof Error ? e.message : e
        }\n--- stderr ---\n${stderr}`,
      );
    }
  }

  /** The next stdout line; fails after `timeout` ms or at end of output. */
  async readLine(timeout = 10_000): Promise<string> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new AssertionError(`no stdout line in ${timeout} ms`)),
        timeout,
      );
    });
    try {
      const r = await Promise.race([this.#lines.next(), expired]);
      if (r.done) throw new AssertionError("the fixture closed its stdout");
      return r.value;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends the process a signal (e.g. `SIGUSR1`, which a fixture may use). */
  signal(signal: Deno.Signal): void {
    this.#child.kill(signal);
  }

  /** Waits for the process to exit (at most `timeout` ms) and returns why. */
  async exited(timeout = 10_000): Promise<Deno.CommandStatus> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new AssertionError(`the fixture did not exit in ${timeout} ms`),
          ),
        timeout,
      );
    });
    try {
      this.#status = await Promise.race([this.#child.status, expired]);
      return this.#status;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Everything the fixture wrote on stderr (once it has exited). */
  stderr(): Promise<string> {
    return this.#stderr;
  }

  /** Kills the process if it still runs, then reaps it and its pipes. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#status === undefined) {
      try {
        this.#child.kill("SIGKILL");
      } catch {
        // already exited
      }
      this.#status = await this.#child.status;
    }
    await this.#stdout.cancel().catch(() => {});
    await this.#stderr.catch(() => "");
  }
}

async function* splitLines(
  reader: ReadableStreamDefaultReader<string>,
): AsyncGenerator<string> {
  let buffered = "";
  for (;;) {
    const nl = buffered.indexOf("\n");
    if (nl >= 0) {
      yield buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      continue;
    }
    const { value, done } = await reader.read();
    if (done) return;
    buffered += value;
  }
}

/**
 * Runs a fixture to completion and returns its exit code and output.
 * The child is reaped even if the wait times out.
 */
export async function runFixture(
  name: string,
  options: Omit<SpawnOptions, "readyTimeout"> & { timeout?: number } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { args = [], env, permissions = ["-A"], timeout = 20_000 } = options;
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeout);
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", ...permissions, fixture(name), ...args],
      cwd: ROOT,
      env,
      stdin: "null",
      signal: ac.signal,
    }).output();
    if (ac.signal.aborted) {
      throw new AssertionError(`fixture ${name} ran longer than ${timeout} ms`);
    }
    return {
      code: out.code,
      stdout: decoder.decode(out.stdout),
      stderr: decoder.decode(out.stderr),
    };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Reads monitor events until one of `types` arrives; fails after `timeout`
 * ms. Returns the matching event and every event seen before it.
 */
export async function nextEventOf(
  monitor: SocketMonitor,
  types: MonitorEventType[],
  timeout = 5000,
): Promise<{ event: MonitorEvent; seen: MonitorEventType[] }> {
  const deadline = Date.now() + timeout;
  const seen: MonitorEventType[] = [];
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    let event: MonitorEvent | undefined;
    try {
      event = await monitor.next({ timeout: left });
    } catch (e) {
      if (e instanceof DOMException && e.name === "TimeoutError") break;
      throw e;
    }
    if (event === undefined) {
      throw new AssertionError(
        `the monitor ended before any of ${types.join(", ")} (seen: ${
          seen.join(", ")
        })`,
      );
    }
    if (types.includes(event.type)) return { event, seen };
    seen.push(event.type);
  }
  throw new AssertionError(
    `no ${types.join(" or ")} event in ${timeout} ms (seen: ${
      seen.join(", ") || "nothing"
    })`,
  );
}

/**
 * Whether `p` has settled after the current microtasks ran (a send that
 * libzmq took at once settles here; a parked one does not).
 */
export async function isSettled(p: Promise<unknown>): Promise<boolean> {
  let settled = false;
  p.then(() => settled = true, () => settled = true);
  for (let i = 0; i < 10; i++) await undefined;
  return settled;
}

/** Resolves after one macrotask turn of the event loop. */
export function nextTick(ms = 0): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Registers a last test in the calling file that fails if a socket (or a
 * monitor) of the default context is still open: Deno's sanitizers do not
 * see libzmq sockets or the reactor's off-thread poll.
 */
export function testNoSocketLeft(file: string): void {
  Deno.test(`${file} leaves no socket open in the default context`, () => {
    assertEquals(Context.default.sockets, 0, "sockets still open");
  });
}
