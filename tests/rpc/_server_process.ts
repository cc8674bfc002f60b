/**
 * Starts the fixture server as a separate Deno process and reaps it.
 *
 * @module
 */

const FIXTURE = new URL("./fixtures/server.ts", import.meta.url).pathname;

/** A running fixture server. Dispose it (or `kill`) to stop and reap it. */
export class ServerProcess implements AsyncDisposable {
  readonly endpoint: string;
  readonly pid: number;
  readonly #child: Deno.ChildProcess;
  readonly #reader: ReadableStreamDefaultReader<string>;
  #status: Promise<Deno.CommandStatus> | undefined;

  private constructor(
    child: Deno.ChildProcess,
    reader: ReadableStreamDefaultReader<string>,
    endpoint: string,
    pid: number,
  ) {
    this.#child = child;
    this.#reader = reader;
    this.endpoint = endpoint;
    this.pid = pid;
  }

  /**
   * Spawns `deno run -A tests/rpc/fixtures/server.ts …flags` and waits for
   * its endpoint line.
   *
   * @param flags server flags
   * @param timeout how long to wait for readiness, in ms
   * @returns the running server
   */
  static async start(
    flags: string[] = [],
    timeout = 20000,
  ): Promise<ServerProcess> {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", FIXTURE, ...flags],
      stdin: "null",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const reader = child.stdout.pipeThrough(new TextDecoderStream())
      .getReader();
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const line = await Promise.race([
        readLine(reader),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(new Error(`fixture server not ready after ${timeout} ms`)),
            timeout,
          );
        }),
      ]);
      const { endpoint, pid } = JSON.parse(line);
      return new ServerProcess(child, reader, endpoint, pid);
    } catch (e) {
      child.kill("SIGKILL");
      await child.status;
      await reader.cancel().catch(() => {});
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Sends a signal and waits for the process to exit.
   *
   * @param signal the signal
   * @returns the exit status
   */
  kill(signal: Deno.Signal = "SIGKILL"): Promise<Deno.CommandStatus> {
    if (this.#status === undefined) {
      try {
        this.#child.kill(signal);
      } catch {
        // already gone
      }
      this.#status = this.#child.status.finally(() =>
        this.#reader.cancel().catch(() => {})
      );
    }
    return this.#status;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.kill();
  }
}

async function readLine(
  reader: ReadableStreamDefaultReader<string>,
): Promise<string> {
  let text = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) {
      throw new Error(`fixture server exited before it was ready: ${text}`);
    }
    text += value;
    const nl = text.indexOf("\n");
    if (nl >= 0) return text.slice(0, nl);
  }
}
