/**
 * `deno task bench:web`: what the HTTP gateway costs (issue #16), measured
 * in one run against two baselines:
 *
 * - `http`: a plain `Deno.serve` JSON echo (`bench/rpc/http_peer.ts`), the
 *   floor of any HTTP service on this machine;
 * - `zmp`: a direct zmp call, msgpack over ZeroMQ
 *   (`bench/rpc/zmp_peer.ts`);
 * - `gateway`: the same echo as a zmp service behind the gateway
 *   (`gateway_peer.ts`): HTTP in, JSON checked against the schema, zmp
 *   out and back.
 *
 * Every stack moves bench:rpc's sample and is timed by the same loops
 * (`bench/rpc/_measure.mjs`): sequential calls (latency), then closed loops
 * with 1 and 64 calls in flight (throughput), each trial bounded by a
 * duration and a count. Headline figures: gateway calls/s at 64 in flight
 * over the plain HTTP echo's, and the gateway's added latency (median) over
 * a direct zmp call.
 *
 *     deno task bench:web [--json] [--quick]
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  capture,
  type Command,
  killAll,
  runClient,
  withServer,
} from "../zmq/_process.ts";
import { waitForQuiet } from "../zmq/_machine.ts";
import type { ClientPlan, ClientResult } from "../rpc/_measure.mjs";
import { type StackResult, summariseStack } from "../rpc/_report.ts";

const USAGE = `usage: deno task bench:web [options]

  --json        print one JSON object on stdout (progress on stderr)
  --quick       a short smoke run
  -h, --help    this text`;

const here = new URL(".", import.meta.url);
const path = (rel: string) => decodeURIComponent(new URL(rel, here).pathname);
const HOST = "127.0.0.1";

function deno(script: string, args: string[]): Command {
  return {
    cmd: Deno.execPath(),
    args: ["run", "--allow-all", "--quiet", path(script), ...args],
  };
}

interface Stack {
  name: "http" | "zmp" | "gateway";
  label: string;
  server: Command;
  client(endpoint: string, plan: string): Command;
}

const STACKS: Stack[] = [
  {
    name: "http",
    label: "Deno.serve JSON echo + fetch",
    server: deno("../rpc/http_peer.ts", ["server", HOST]),
    client: (url, plan) => deno("../rpc/http_peer.ts", ["client", url, plan]),
  },
  {
    name: "zmp",
    label: "direct zmp call, msgpack",
    server: deno("../rpc/zmp_peer.ts", ["server", `tcp://${HOST}:*`]),
    client: (endpoint, plan) =>
      deno("../rpc/zmp_peer.ts", ["client", endpoint, "msgpack", plan]),
  },
  {
    name: "gateway",
    label: "fetch → zmp gateway → zmp service",
    server: deno("gateway_peer.ts", ["server", HOST]),
    client: (url, plan) => deno("gateway_peer.ts", ["client", url, plan]),
  },
];

const log = (line: string) => console.error(`[bench:web] ${line}`);

async function pinLatency(command: Command): Promise<Command> {
  // Both processes of the latency pair on one CPU, as bench:rpc does: on a
  // small VM the round trip otherwise depends on where they land.
  if (!(await capture({ cmd: "taskset", args: ["-V"] })).success) {
    return command;
  }
  return {
    ...command,
    cmd: "taskset",
    args: ["-c", "0", command.cmd, ...command.args],
  };
}

async function run(
  stack: Stack,
  plan: ClientPlan,
  phase: "latency" | "throughput",
): Promise<ClientResult> {
  const client: ClientPlan = phase === "latency"
    ? { ...plan, concurrency: [] }
    : { ...plan, calls: 0, warmup: Math.min(plan.warmup, 500) };
  const pin = phase === "latency"
    ? pinLatency
    : (c: Command) => Promise.resolve(c);
  await waitForQuiet({ maxWaitMs: 3000 });
  return await withServer(
    await pin(stack.server),
    async (ready) =>
      await runClient(
        await pin(stack.client(String(ready.endpoint), JSON.stringify(client))),
        { timeout: 120_000 },
      ) as unknown as ClientResult,
  );
}

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: Deno.args,
      options: {
        json: { type: "boolean", default: false },
        quick: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
    }));
  } catch (e) {
    console.error((e as Error).message);
    console.error(USAGE);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const quick = values.quick;
  const plan: ClientPlan = {
    warmup: quick ? 200 : 1000,
    calls: quick ? 500 : 3000,
    concurrency: [1, 64],
    seconds: quick ? 0.4 : 1.5,
    maxCalls: 200_000,
    trials: quick ? 1 : 3,
    warmupSeconds: quick ? 0.1 : 0.3,
  };
  const started = performance.now();
  const results: Record<string, StackResult> = {};
  try {
    for (const stack of STACKS) {
      const raw = { rtt_us: [] as number[], throughput: {} } as {
        rtt_us: number[];
        throughput: ClientResult["throughput"];
      };
      try {
        const latency = await run(stack, plan, "latency");
        raw.rtt_us.push(...latency.rtt_us);
        const throughput = await run(stack, plan, "throughput");
        raw.throughput = throughput.throughput;
        results[stack.name] = { label: stack.label, ...summariseStack(raw) };
        const r = results[stack.name];
        log(
          `${stack.label}: median ${r.rtt_median_us} µs, p99 ${r.rtt_p99_us} µs; ${
            Object.entries(r.throughput ?? {}).map(([k, v]) =>
              `${k} in flight ${v.toLocaleString("en-US")}/s`
            ).join(", ")
          }`,
        );
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        log(`${stack.label} failed: ${message}`);
        results[stack.name] = { label: stack.label, errors: [message] };
      }
    }
  } finally {
    killAll();
  }
  const { http, zmp, gateway } = results;
  const ratio = (a?: number, b?: number) =>
    a === undefined || b === undefined || b === 0
      ? null
      : Math.round((a / b) * 100) / 100;
  const headline = {
    throughput64_gateway_vs_http: ratio(
      gateway.throughput?.["64"],
      http.throughput?.["64"],
    ),
    throughput1_gateway_vs_http: ratio(
      gateway.throughput?.["1"],
      http.throughput?.["1"],
    ),
    added_latency_vs_zmp_us:
      gateway.rtt_median_us === undefined || zmp.rtt_median_us === undefined
        ? null
        : Math.round(gateway.rtt_median_us - zmp.rtt_median_us),
    added_latency_vs_http_us:
      gateway.rtt_median_us === undefined || http.rtt_median_us === undefined
        ? null
        : Math.round(gateway.rtt_median_us - http.rtt_median_us),
  };
  const out = {
    http,
    zmp,
    gateway,
    ratio: headline,
    config: {
      ...plan,
      transport: "tcp loopback",
      cpus: navigator.hardwareConcurrency,
      elapsed_s: Math.round((performance.now() - started) / 100) / 10,
    },
  };
  const rows = STACKS.map((s) => {
    const r = results[s.name];
    return `  ${s.label.padEnd(36)} ${
      String(r.rtt_median_us ?? "-").padStart(8)
    } µs ${
      String(r.throughput?.["1"]?.toLocaleString("en-US") ?? "-").padStart(9)
    }/s ${
      String(r.throughput?.["64"]?.toLocaleString("en-US") ?? "-").padStart(9)
    }/s`;
  });
  console.error(
    [
      "",
      `  ${"stack".padEnd(36)} ${"median".padStart(11)} ${
        "1 in flight".padStart(11)
      } ${"64 in flight".padStart(11)}`,
      ...rows,
      "",
      `  gateway vs plain HTTP at 64 in flight: ${
        headline.throughput64_gateway_vs_http ?? "-"
      }×`,
      `  gateway's added latency: +${
        headline.added_latency_vs_zmp_us ?? "-"
      } µs over a direct zmp call, +${
        headline.added_latency_vs_http_us ?? "-"
      } µs over plain HTTP`,
      "",
    ].join("\n"),
  );
  if (values.json) console.log(JSON.stringify(out));
  return Object.values(results).some((r) => r.errors) ? 1 : 0;
}

Deno.exit(await main());
