/**
 * Child processes for the benchmark: a server that is always killed and
 * reaped, a client with a deadline, and a registry so that Ctrl-C kills
 * whatever is still running.
 *
 * Peers also exit on their own when their standard input closes (the C peer
 * asks the kernel for `SIGKILL` when its parent dies), so nothing outlives
 * the driver even if it is killed itself.
 *
 * @module
 */

/** A command line and its environment. */
export interface Command {
  /** The program. */
  cmd: string;
  /** Its arguments. */
  args: string[];
  /** Extra environment variables. */
  env?: Record<string, string>;
}

const live = new Set<Deno.ChildProcess>();
let signalsHooked = false;

function hookSignals(): void {
  if (signalsHooked) return;
  signalsHooked = true;
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(sig, () => {
      killAll();
      Deno.exit(130);
    });
  }
}

/** Kills every child still running (used on Ctrl-C and on exit). */
export function killAll(): void {
  for (const child of live) kill(child);
}

function kill(child: Deno.ChildProcess): void {
  try {
    child.kill("SIGKILL");
  } catch {
    // already gone
  }
}

function spawn(command: Command): Deno.ChildProcess {
  hookSignals();
  const child = new Deno.Command(command.cmd, {
    args: command.args,
    env: command.env,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  live.add(child);
  child.status.finally(() => live.delete(child));
  return child;
}

/** Reads a whole stream as text. */
async function text(stream: ReadableStream<Uint8Array>): Promise<string> {
  let out = "";
  const decoder = new TextDecoder();
  for await (const chunk of stream) {
    out += decoder.decode(chunk, { stream: true });
  }
  return out + decoder.decode();
}

/** Reads the first line of a stream, then keeps draining the rest. */
async function firstLine(
  stream: ReadableStream<Uint8Array>,
): Promise<string | undefined> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return undefined;
    buf += value;
    const nl = buf.indexOf("\n");
    if (nl >= 0) {
      (async () => {
        while (!(await reader.read()).done) {
          // drain
        }
      })().catch(() => {});
      return buf.slice(0, nl);
    }
  }
}

function deadline(ms: number, what: string): {
  promise: Promise<never>;
  cancel(): void;
} {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const promise = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new DOMException(`${what} timed out after ${ms} ms`, "TimeoutError"),
        ),
      ms,
    );
  });
  promise.catch(() => {});
  return { promise, cancel: () => clearTimeout(timer) };
}

/**
 * Starts a server, waits for its first stdout line (JSON), runs `body`, and
 * kills and reaps the server whatever happens.
 *
 * @param command the server's command line
 * @param body what to do while it runs; gets the parsed ready line
 * @param options how long to wait for the ready line
 * @returns what `body` returns
 * @throws {Error} when the server exits or stays silent before it is ready
 */
export async function withServer<T>(
  command: Command,
  body: (ready: Record<string, unknown>) => Promise<T>,
  options: { readyTimeout?: number } = {},
): Promise<T> {
  const child = spawn(command);
  const stderr = text(child.stderr).catch(() => "");
  const limit = deadline(options.readyTimeout ?? 20_000, "server start");
  try {
    const line = await Promise.race([firstLine(child.stdout), limit.promise]);
    limit.cancel();
    if (line === undefined) {
      const status = await child.status;
      throw new Error(
        `Cannot start server: exited with code ${status.code}\n${await stderr}`,
      );
    }
    return await body(JSON.parse(line));
  } finally {
    limit.cancel();
    kill(child);
    await child.status;
    try {
      await child.stdin.close();
    } catch {
      // already closed by the exit
    }
  }
}

/**
 * Runs a client to completion and parses the last line of its stdout as
 * JSON; kills it at the deadline.
 *
 * @param command the client's command line
 * @param options the deadline in milliseconds
 * @returns the parsed JSON
 * @throws {Error} when the client fails, times out or prints no JSON
 */
export async function runClient(
  command: Command,
  options: { timeout: number },
): Promise<Record<string, unknown>> {
  const child = spawn(command);
  const stdout = text(child.stdout);
  stdout.catch(() => {});
  const stderr = text(child.stderr).catch(() => "");
  const limit = deadline(options.timeout, "client");
  try {
    const status = await Promise.race([child.status, limit.promise]);
    const out = await stdout;
    if (!status.success) {
      throw new Error(
        `Client failed with code ${status.code}: ${(await stderr).trim()}`,
      );
    }
    const line = out.trim().split("\n").pop() ?? "";
    try {
      return JSON.parse(line);
    } catch {
      throw new Error(
        `Client printed no JSON: ${JSON.stringify(out.slice(0, 200))} ${
          (await stderr).trim()
        }`,
      );
    }
  } finally {
    limit.cancel();
    kill(child);
    await child.status;
    try {
      await child.stdin.close();
    } catch {
      // already closed by the exit
    }
  }
}

/**
 * Runs a short command and returns its output (for builds and probes).
 *
 * @param command the command line
 * @returns exit success, stdout and stderr
 */
export async function capture(
  command: Command,
): Promise<{ success: boolean; stdout: string; stderr: string }> {
  try {
    const out = await new Deno.Command(command.cmd, {
      args: command.args,
      env: command.env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const d = new TextDecoder();
    return {
      success: out.success,
      stdout: d.decode(out.stdout),
      stderr: d.decode(out.stderr),
    };
  } catch (e) {
    return {
      success: false,
      stdout: "",
      stderr: e instanceof Error ? e.message : String(e),
    };
  }
}
