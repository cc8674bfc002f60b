/**
 * `zmp top`: a live view of a running system in the terminal, like `top`:
 * per node, service method and topic, rates, p50/p99 latency, errors and
 * drops, refreshed in place. Keys sort it; `--json` prints one snapshot.
 * It asks each process's `zmp.Observe` service, found in the registry.
 *
 * @module
 */

import { MetricsCollector, type SystemMetrics } from "../observe/collect.ts";
import {
  renderTop,
  SORTS,
  topSnapshot,
  type TopSort,
} from "../observe/top_view.ts";
import {
  cliKeys,
  interruptSignal,
  millis,
  openRegistry,
  parse,
  REGISTRY_HELP,
  REGISTRY_OPTIONS,
  runCommand,
  UsageError,
} from "./_common.ts";

/** The help text of `zmp top`. */
export const USAGE = `Usage: zmp top [options]

Shows the running system live: per node its calls and errors per second,
memory, event-loop lag and sockets; per service method its calls per
second, p50 and p99 latency over the last interval, errors by code and
calls in flight; per topic and node the messages per second, drops, queue
depth and subscribers. Refreshed in place until q or Ctrl-C.

Keys: n sort by name, r by rate, l by latency (p99), e by errors, d by
drops, q quit.

Options:
  --interval <ms>        time between refreshes (default: 1000)
  --sort <key>           name, rate, p99, errors or drops (default: name)
  --all                  show tool nodes (_zmp_…) and the tools' own calls
                         (zmp.Observe)
  --json                 print one snapshot (two rounds --interval apart)
                         as one JSON object, and exit
${REGISTRY_HELP}
  -h, --help             show this help

Exit codes: 0 on q, Ctrl-C or after --json, 1 when the registry is down,
2 bad usage.

Examples:
  zmp top
  zmp top --sort rate --interval 500
  zmp top --json | jq '.methods[] | {method, p99Ms}'`;

/**
 * Runs `zmp top` with the arguments after `top`.
 *
 * @param args the command-line arguments
 * @returns the exit code
 */
export function main(args: string[]): Promise<number> {
  return runCommand({ name: "top", usage: USAGE }, args, async () => {
    const { values, positionals } = parse(args, {
      ...REGISTRY_OPTIONS,
      interval: { type: "string" },
      sort: { type: "string" },
      all: { type: "boolean" },
      json: { type: "boolean" },
    });
    if (positionals.length > 0) {
      throw new UsageError(`unexpected argument "${positionals[0]}"`);
    }
    const interval = millis("interval", values.interval, 1000);
    let sort: TopSort = "name";
    if (values.sort !== undefined) {
      const names = Object.values(SORTS) as string[];
      if (!names.includes(values.sort)) {
        throw new UsageError(
          `--sort must be one of ${names.join(", ")}, got ${
            JSON.stringify(values.sort)
          }`,
        );
      }
      sort = values.sort as TopSort;
    }
    const all = values.all === true;
    await using registry = await openRegistry(values);
    const keys = await cliKeys(values);
    await using collector = new MetricsCollector({
      registry: registry.endpoint,
      timeout: millis("timeout", values.timeout, 3000),
      ...(keys === undefined ? {} : {
        curve: {
          publicKey: keys.publicKey,
          secretKey: keys.secretKey,
          registryKey: keys.registryKey,
        },
      }),
    });
    const round = async () => collector.collect(await registry.nodes());
    if (values.json) {
      const first = await round();
      await new Promise((r) => setTimeout(r, interval));
      const frame = topSnapshot(await round(), first, { all, sort });
      console.log(JSON.stringify({ registry: registry.endpoint, ...frame }));
      return 0;
    }
    return await live(round, {
      interval,
      sort,
      all,
      registry: registry.endpoint,
    });
  });
}

/** The live view: alternate screen, redraw in place, keys from a raw stdin. */
async function live(
  round: () => Promise<SystemMetrics>,
  options: { interval: number; sort: TopSort; all: boolean; registry: string },
): Promise<number> {
  const interrupt = interruptSignal();
  const stop = new AbortController();
  const signal = AbortSignal.any([interrupt.signal, stop.signal]);
  const tty = Deno.stdout.isTerminal();
  const encoder = new TextEncoder();
  const write = (text: string) => Deno.stdout.writeSync(encoder.encode(text));
  let sort = options.sort;
  let before: SystemMetrics | undefined;
  let now: SystemMetrics | undefined;
  const draw = () => {
    if (now === undefined) return;
    const frame = topSnapshot(now, before, { all: options.all, sort });
    const time = new Date(now.at).toTimeString().slice(0, 8);
    const header = `zmp top  ${options.registry}  ${time}  ` +
      `${frame.nodes.length} processes  sort: ${sort}  ` +
      `keys: n r l e d sort, q quit`;
    const lines = renderTop(frame, header);
    if (tty) {
      const rows = Deno.consoleSize().rows;
      write(
        "\x1b[H" + lines.slice(0, rows - 1).map((l) =>
          `${l}\x1b[K`
        ).join("\n") +
          "\x1b[J",
      );
    } else {
      write(lines.join("\n") + "\n\n");
    }
  };
  const keys = readKeys(signal, (key) => {
    if (key === "q" || key === "\x03") stop.abort();
    const s = SORTS[key as keyof typeof SORTS];
    if (s !== undefined) {
      sort = s;
      draw();
    }
  });
  if (tty) write("\x1b[?1049h\x1b[?25l\x1b[H\x1b[2J");
  try {
    while (!signal.aborted) {
      const next = await round();
      if (signal.aborted) break;
      before = now;
      now = next;
      draw();
      await sleep(options.interval, signal);
    }
  } finally {
    if (tty) write("\x1b[?25h\x1b[?1049l");
    stop.abort();
    await keys;
    interrupt.dispose();
  }
  return 0;
}

/** Reads single keys from a terminal stdin until `signal` aborts. */
async function readKeys(
  signal: AbortSignal,
  onKey: (key: string) => void,
): Promise<void> {
  if (!Deno.stdin.isTerminal()) return;
  Deno.stdin.setRaw(true, { cbreak: true });
  const reader = Deno.stdin.readable.getReader();
  const cancel = () => reader.cancel().catch(() => {});
  signal.addEventListener("abort", cancel, { once: true });
  try {
    const decoder = new TextDecoder();
    while (!signal.aborted) {
      const { value, done } = await reader.read();
      if (done) break;
      for (const key of decoder.decode(value)) onKey(key);
    }
  } catch {
    // stdin closed
  } finally {
    signal.removeEventListener("abort", cancel);
    reader.releaseLock();
    Deno.stdin.setRaw(false);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
