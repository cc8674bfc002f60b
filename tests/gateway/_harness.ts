/**
 * A launched system with a gateway node, for the gateway tests: a launch
 * file written in a temporary folder outside the checkout (importing zmp by
 * URL, as a user's project would), `zmp launch` run as a real subprocess,
 * the gateway's URL read from its output. Everything is reaped on dispose.
 *
 * @module
 */

import { waitFor } from "../_assert.ts";
import { Launcher, ROOT } from "../launch/_harness.ts";

export { ROOT };

/** The URL of a file of the checkout. */
export function repo(path: string): string {
  return new URL(path, `file://${ROOT}`).href;
}

/** A launched system. */
export interface LaunchedSystem extends AsyncDisposable {
  /** The launcher. */
  launcher: Launcher;
  /** The gateway's base URL, ending with `/`. */
  url: string;
  /** The registry endpoint. */
  registry: string;
  /** The temporary folder (the launch file; screenshots go here too). */
  dir: string;
  /** Stops the launch with SIGTERM and returns its exit code. */
  stop(): Promise<number>;
}

/**
 * Launches `nodes` (TypeScript source of node specs) and a gateway node,
 * and waits for the gateway to serve and for `ready` to hold.
 *
 * @param nodes the node specs, e.g. `{ name: "lab", module: "…" },`
 * @param options `gateway`: the `gatewayNode` options as source;
 *   `services` and `topics` to wait for in `/system`
 * @returns the running system
 */
export async function launchSystem(
  nodes: string,
  options: { gateway?: string; services?: string[]; topics?: string[] } = {},
): Promise<LaunchedSystem> {
  const dir = await Deno.makeTempDir({ prefix: "zmp-gateway-test-" });
  const file = `${dir}/launch.ts`;
  await Deno.writeTextFile(
    file,
    `import { defineLaunch } from "${repo("mod.ts")}";
import { gatewayNode } from "${repo("src/bridge/gateway/mod.ts")}";

export default defineLaunch({
  registry: { endpoint: "tcp://127.0.0.1:*" },
  nodes: [
${nodes}
    gatewayNode(${options.gateway ?? "{ port: 0 }"}),
  ],
});
`,
  );
  const launcher = new Launcher(["--no-check", file]);
  const dispose = async () => {
    await launcher[Symbol.asyncDispose]();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  try {
    const registry =
      (await launcher.line(/registry listening on (\S+)/, 30000))[1];
    const url = (await launcher.line(/gateway: serving (\S+)/, 30000))[1];
    await waitFor(
      async () => {
        const system = await (await fetch(`${url}system`)).json();
        const services = new Set(
          system.services.map((s: { name: string }) => s.name),
        );
        const topics = new Set(
          system.topics.filter((t: { publishers: string[] }) =>
            t.publishers.length > 0
          )
            .map((t: { name: string }) => t.name),
        );
        return (options.services ?? []).every((s) => services.has(s)) &&
          (options.topics ?? []).every((t) => topics.has(t));
      },
      `the gateway to show ${
        [...options.services ?? [], ...options.topics ?? []].join(", ")
      }; output:\n${launcher.text}`,
      { timeout: 30000, interval: 100 },
    );
    return {
      launcher,
      url,
      registry,
      dir,
      async stop() {
        launcher.child.kill("SIGTERM");
        return await launcher.exited(30000);
      },
      [Symbol.asyncDispose]: dispose,
    };
  } catch (e) {
    await dispose();
    throw e;
  }
}

/** The lab node of `fixtures/lab_node.ts`, as a launch file's node spec. */
export const LAB_NODE = `    { name: "lab", module: "${
  repo("tests/gateway/fixtures/lab_node.ts")
}" },\n`;

/** POSTs JSON; returns the status and the parsed body. */
/**
 * A `Lab.echo` argument as JSON, with `tags` tags: its size in elements
 * grows with them (for the element-limit tests).
 */
export function labSample(tags: number): Record<string, unknown> {
  return {
    id: "1",
    at: "2026-01-02T03:04:05.678Z",
    bytes: "AA==",
    tags: Array.from({ length: tags }, (_, i) => `t${i}`),
    counts: {},
  };
}

export async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
  // deno-lint-ignore no-explicit-any
): Promise<{ status: number; body: any; headers: Headers }> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text === "" ? undefined : JSON.parse(text),
    headers: response.headers,
  };
}

/** One Server-Sent Event. */
export interface SseEvent {
  event: string;
  data: string;
  id?: string;
  /** Its `traceparent` field, if it had one (a traced topic message). */
  traceparent?: string;
  /** The event's text as sent, without the blank line that ends it. */
  raw: string;
}

/**
 * Reads events from a `text/event-stream` response until `until` says
 * stop (or the stream ends), then cancels the body.
 *
 * @param response the response
 * @param until called after each event with all so far
 * @returns the events read
 */
export async function readEvents(
  response: Response,
  until: (events: SseEvent[]) => boolean = () => false,
): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  const reader = response.body!.pipeThrough(new TextDecoderStream())
    .getReader();
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return events;
      buffer += value;
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event: SseEvent = { event: "message", data: "", raw: block };
        const data: string[] = [];
        for (const line of block.split("\n")) {
          if (line.startsWith("event: ")) event.event = line.slice(7);
          else if (line.startsWith("data: ")) data.push(line.slice(6));
          else if (line.startsWith("id: ")) event.id = line.slice(4);
          else if (line.startsWith("traceparent: ")) {
            event.traceparent = line.slice(13);
          }
        }
        if (data.length === 0) continue;
        event.data = data.join("\n");
        events.push(event);
        if (until(events)) return events;
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}
