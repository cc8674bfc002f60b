/**
 * `deno task bench:observe`: what node metrics cost per call, measured so
 * that a busy machine does not decide the answer. Issue #17's budget is 3%
 * of `bench:rpc` throughput; on a shared 2-CPU VM, `bench:rpc`'s observed
 * vs msgpack throughput ratio moves by more than that from run to run
 * (1.002, 0.88, 0.935, 0.84 in four quiet runs). So the cost is measured
 * here in **CPU time** (`process.cpuUsage()`: time the process ran, not
 * time it waited for a CPU), in **interleaved A/B rounds** (off, on, then
 * on, off …), medians over rounds:
 *
 * - `interceptors`: what the observed stack adds to a call, without
 *   sockets — the client's chain with the node's client interceptor and
 *   the server's chain with the node's server interceptor (metrics, call
 *   taps, tracing off), built as `RpcClient.call()` and `RpcServer` build
 *   them, around a handler that answers at once — against the same calls
 *   without: ns per call off and on, and the difference;
 * - `stack`: what a call costs without metrics — `bench:rpc`'s zmp msgpack
 *   stack in one process, an `RpcServer` and an `RpcClient` over tcp
 *   loopback, 64 calls in flight: CPU µs per call.
 *
 * `throughput_ratio` = stack / (stack + difference): the throughput a
 * CPU-bound `bench:rpc` run keeps with metrics on. (Comparing two whole
 * stacks in one process instead is biased: an A/A run, both off, gave
 * 0.93–0.95, the second stack made being the slower.)
 *
 * `--callgrind` adds instruction counts under valgrind, of the
 * `interceptors` loop and of the whole `stack` (the real `RpcServer` and
 * `RpcClient` in one process over tcp, 64 in flight, the metrics' timer
 * off), metrics off and on: the difference of two runs' counts over the
 * difference of their calls, start-up cancelled out (V8 single-threaded).
 * The interceptors' counts repeat whatever else the machine does; the
 * stack's do not, quite: how many messages a turn of the event loop takes
 * depends on timing, and the off stack measured 105k and 128k
 * instructions per call in two runs — good for large differences only.
 * Valgrind needs minutes per run (eight runs: ~25 minutes).
 *
 * `--root DIR` measures the zmp checked out in DIR (e.g. `git archive` of
 * an older commit) with this bench: before and after a change, same code
 * measuring. `--loop on|off|stack-on|stack-off --calls N` is one run of
 * one loop, what `--callgrind` runs under valgrind.
 *
 *     deno task bench:observe [--rounds N] [--calls N] [--stack-calls N]
 *       [--callgrind] [--root DIR] [--json]
 *
 * @module
 */

import process from "node:process";
import { parseArgs } from "node:util";
import type {
  ClientCall,
  ServerCall,
  UnaryWatch,
  WatchedCall,
} from "../../src/rpc/interceptors.ts";
import type { CallContext, CallOptions } from "../../src/rpc/context.ts";
import { reply, SAMPLE } from "./_sample.mjs";

/**
 * The zmp measured: this checkout, or the one `--root DIR` names (e.g. an
 * export of an older commit, to measure before and after a change with the
 * same bench).
 */
const ROOT = (() => {
  const i = Deno.args.indexOf("--root");
  const dir = i >= 0 ? Deno.args[i + 1] : undefined;
  return dir === undefined
    ? new URL("../../", import.meta.url)
    : new URL(`file://${Deno.realPathSync(dir)}/`);
})();
const load = (rel: string) => import(new URL(rel, ROOT).href);
const { NodeObserver }: typeof import("../../src/observe/node_observer.ts") =
  await load("src/observe/node_observer.ts");
const {
  chainClient,
  runServerChain,
}: typeof import("../../src/rpc/interceptors.ts") = await load(
  "src/rpc/interceptors.ts",
);
const { RpcClient }: typeof import("../../src/rpc/client.ts") = await load(
  "src/rpc/client.ts",
);
const { RpcServer }: typeof import("../../src/rpc/server.ts") = await load(
  "src/rpc/server.ts",
);
const {
  BenchMsgpackClient,
  BenchMsgpackService,
  serveBenchMsgpack,
}: typeof import("./bench.api.gen.ts") = await load(
  "bench/rpc/bench.api.gen.ts",
);

const service = BenchMsgpackService;
const method = service.methods.echo;

const log = (line: string) => console.error(`[bench:observe] ${line}`);

/** CPU time of this process so far, µs (user + system, all threads). */
function cpu(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/**
 * One call's way through both ends' chains, with or without a node's. The
 * server side is done as `RpcServer` does it: a watch (`UnaryWatch`, what
 * node metrics are since issue #17) told of the outcome on the settle path,
 * or — for a zmp from before watches (`--root`) — the `unary` chain.
 */
function interceptorCall(on: boolean): () => Promise<unknown> {
  const observer = on ? new NodeObserver("bench") : undefined;
  observer?.metrics.close(); // its timer is not part of a call
  const serverInterceptors = observer ? [observer.serverInterceptor] : [];
  const clientInterceptors = observer ? [observer.clientInterceptor] : [];
  const watch = (serverInterceptors[0] as { watch?: UnaryWatch } | undefined)
    ?.watch;
  const signal = new AbortController().signal;
  const handler = (sample: typeof SAMPLE) => reply(sample);
  const invoke = (call: ServerCall) => handler(call.args[0] as typeof SAMPLE);
  // As `RpcServer`: the handler straight, the watch around it, or the
  // chain around it; what the client awaits is one promise in every case.
  const serve = (args: unknown[]): Promise<unknown> => {
    const context: CallContext = {
      signal,
      metadata: {},
      peer: "00",
      service: service.name,
      method: method.name,
    };
    if (serverInterceptors.length === 0) {
      return Promise.resolve(handler(args[0] as typeof SAMPLE));
    }
    if (watch !== undefined) {
      const call: WatchedCall = {
        service,
        method,
        args,
        context,
        failed: false,
        outcome: undefined,
      };
      const token = watch.start(call);
      let result: unknown;
      try {
        result = watch.run === undefined
          ? invoke(call)
          : watch.run(call, invoke);
      } catch (e) {
        call.failed = true;
        call.outcome = e;
        watch.end(call, token);
        return Promise.reject(e);
      }
      // The handler answers at once, as `bench:rpc`'s does.
      call.outcome = result;
      watch.end(call, token);
      return Promise.resolve(result);
    }
    const call: ServerCall = { service, method, args, context };
    return runServerChain(serverInterceptors, "unary", call, () => {
      try {
        return Promise.resolve(handler(args[0] as typeof SAMPLE));
      } catch (e) {
        return Promise.reject(e);
      }
    });
  };
  // As `RpcClient.call()`: the chain is made once per client.
  const unary = (c: ClientCall) => serve(c.args);
  const chained = chainClient(clientInterceptors, "unary", unary);
  return () => {
    const args = [SAMPLE];
    const options = undefined as CallOptions | undefined;
    if (clientInterceptors.length === 0) {
      return unary({ service, method, args, options: options ?? {} });
    }
    return chained({ service, method, args, options: { ...options } });
  };
}

/** `n` calls, one at a time. */
async function sequential(
  call: () => Promise<unknown>,
  n: number,
): Promise<void> {
  for (let i = 0; i < n; i++) await call();
}

/** A server and a client over tcp loopback, as `bench:rpc`'s peers. */
async function stack(on: boolean, options = { slow: false }) {
  const observer = on ? new NodeObserver("bench") : undefined;
  if (options.slow) observer?.metrics.close();
  // Under valgrind, ZMTP heartbeats of 1 s would find the peer gone.
  const heartbeat = options.slow ? { heartbeat: 0 } : {};
  const server = new RpcServer({
    interceptors: observer ? [observer.serverInterceptor] : [],
    ...heartbeat,
  });
  observer?.serve(server);
  serveBenchMsgpack(server, { echo: (sample) => reply(sample) });
  const endpoint = server.bind("tcp://127.0.0.1:*");
  const rpc = new RpcClient({
    endpoints: [endpoint],
    interceptors: observer ? [observer.clientInterceptor] : [],
    ...heartbeat,
  });
  const client = new BenchMsgpackClient(rpc);
  await client.echo(SAMPLE);
  return {
    /** `n` calls, `inFlight` at a time. */
    async run(n: number, inFlight = 64): Promise<void> {
      let left = n;
      const worker = async () => {
        while (left-- > 0) await client.echo(SAMPLE);
      };
      await Promise.all(Array.from({ length: inFlight }, worker));
    },
    async close(): Promise<void> {
      rpc.close();
      await server.close();
      await observer?.close();
    },
  };
}

/**
 * Interleaved A/B rounds of `run(on, n)`: CPU µs per call off and on, and
 * the median ratio.
 */
async function abRounds(
  run: (on: boolean) => Promise<void>,
  calls: number,
  rounds: number,
) {
  const off: number[] = [];
  const on: number[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const which of r % 2 === 0 ? [false, true] : [true, false]) {
      const before = cpu();
      await run(which);
      (which ? on : off).push((cpu() - before) / calls);
    }
  }
  const ratios = off.map((o, i) => o / on[i]);
  return {
    off_cpu_us: round3(median(off)),
    on_cpu_us: round3(median(on)),
    ratio: round3(median(ratios)),
    ratio_min: round3(Math.min(...ratios)),
    ratio_max: round3(Math.max(...ratios)),
  };
}

/** The loops `--loop` runs, one per process, for `--callgrind`. */
const LOOPS = ["off", "on", "stack-off", "stack-on"] as const;
type Loop = typeof LOOPS[number];

/** Instructions of one `--loop` run of `n` calls under callgrind. */
async function instructions(
  loop: Loop,
  n: number,
  root: string | undefined,
): Promise<number> {
  const out = await Deno.makeTempFile({ prefix: "zmp-callgrind-" });
  try {
    const { success, stderr } = await new Deno.Command("valgrind", {
      args: [
        "--tool=callgrind",
        "--smc-check=all-non-file",
        `--callgrind-out-file=${out}`,
        Deno.execPath(),
        "run",
        "--allow-all",
        // One thread, fixed seeds: the counts repeat from run to run.
        "--v8-flags=--single-threaded,--hash-seed=1,--random-seed=1",
        new URL(import.meta.url).pathname,
        "--loop",
        loop,
        "--calls",
        String(n),
        ...(root === undefined ? [] : ["--root", root]),
      ],
      stdout: "null",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(stderr);
    const m = /Collected : (\d+)/.exec(text);
    if (!success || m === null) {
      throw new Error(`valgrind failed: ${text.trim().slice(-400)}`);
    }
    return Number(m[1]);
  } finally {
    await Deno.remove(out).catch(() => {});
  }
}

/** One `--loop` run: `n` calls, then exit (start-up cancels out). */
async function loop(which: Loop, n: number): Promise<never> {
  if (which === "on" || which === "off") {
    await sequential(interceptorCall(which === "on"), n);
  } else {
    // Under valgrind a process runs ~50 times slower: the metrics' timer
    // would fire 50 times as often per call as it does, so it is off, and
    // so are heartbeats.
    const s = await stack(which === "stack-on", { slow: true });
    await s.run(n);
    await s.close();
  }
  Deno.exit(0);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      rounds: { type: "string", default: "15" },
      calls: { type: "string", default: "50000" },
      "stack-calls": { type: "string", default: "10000" },
      callgrind: { type: "boolean", default: false },
      loop: { type: "string" },
      root: { type: "string" },
      json: { type: "boolean", default: false },
    },
    strict: true,
  });
  const int = (name: string, s: string) => {
    const v = Number(s);
    if (!Number.isInteger(v) || v < 1) {
      throw new RangeError(
        `Cannot parse --${name}: expected an integer >= 1, got "${s}"`,
      );
    }
    return v;
  };
  const calls = int("calls", values.calls);
  const stackCalls = int("stack-calls", values["stack-calls"]);
  const rounds = int("rounds", values.rounds);
  if (values.loop !== undefined) {
    if (!(LOOPS as readonly string[]).includes(values.loop)) {
      throw new RangeError(
        `Cannot parse --loop: expected one of ${
          LOOPS.join(", ")
        }, got "${values.loop}"`,
      );
    }
    await loop(values.loop as Loop, calls);
  }
  const result: Record<string, unknown> = {};

  log(`stack: ${rounds} rounds of ${stackCalls} calls, metrics off`);
  const plain = await stack(false);
  const perCall: number[] = [];
  try {
    await plain.run(stackCalls);
    for (let r = 0; r < rounds; r++) {
      const before = cpu();
      await plain.run(stackCalls);
      perCall.push((cpu() - before) / stackCalls);
    }
  } finally {
    await plain.close();
  }
  const stackUs = median(perCall);
  result.stack = {
    cpu_us: round3(stackUs),
    cpu_us_min: round3(Math.min(...perCall)),
    cpu_us_max: round3(Math.max(...perCall)),
  };

  log(`interceptors: ${rounds} rounds of ${calls} calls, off and on`);
  const paths = { off: interceptorCall(false), on: interceptorCall(true) };
  for (const p of [paths.off, paths.on]) await sequential(p, calls);
  const ab = await abRounds(
    (on) => sequential(on ? paths.on : paths.off, calls),
    calls,
    rounds,
  );
  const costUs = ab.on_cpu_us - ab.off_cpu_us;
  result.interceptors = {
    off_ns: Math.round(ab.off_cpu_us * 1000),
    on_ns: Math.round(ab.on_cpu_us * 1000),
    cost_ns: Math.round(costUs * 1000),
  };
  const ratio = round3(stackUs / (stackUs + costUs));

  if (values.callgrind) {
    // Two runs per loop, few and many calls: their difference over the
    // difference of calls is per call, start-up cancelled out.
    const per = async (which: Loop, small: number, large: number) => {
      log(`callgrind: ${which}, ${small} then ${large} calls`);
      const a = await instructions(which, small, values.root);
      const b = await instructions(which, large, values.root);
      return Math.round((b - a) / (large - small));
    };
    const off = await per("off", 2_000, 12_000);
    const on = await per("on", 2_000, 12_000);
    const stackOff = await per("stack-off", 1_000, 6_000);
    const stackOn = await per("stack-on", 1_000, 6_000);
    result.instructions = {
      interceptors: { off_per_call: off, on_per_call: on, cost: on - off },
      stack: {
        off_per_call: stackOff,
        on_per_call: stackOn,
        cost: stackOn - stackOff,
        ratio: round3(stackOff / stackOn),
      },
    };
  }
  const within = ratio >= 0.97;
  result.throughput_ratio = ratio;
  result.budget = { throughput_ratio_at_least: 0.97, met: within };
  if (values.json) console.log(JSON.stringify(result));
  else {
    const s = result.stack as Record<string, number>;
    const i = result.interceptors as Record<string, number>;
    console.log(
      `node metrics, CPU per call (medians of ${rounds} rounds; interceptors in interleaved A/B rounds):\n` +
        `  interceptors: ${i.off_ns} ns off, ${i.on_ns} ns on: +${i.cost_ns} ns per call\n` +
        `  a call, metrics off (RPC over tcp, 64 in flight): ${s.cpu_us} µs (${s.cpu_us_min}–${s.cpu_us_max})\n` +
        `  throughput kept with metrics on: ${ratio}; budget 3%: ${
          within ? "met" : "MISSED"
        }` +
        (result.instructions === undefined
          ? ""
          : `\n  instructions: ${JSON.stringify(result.instructions)}`),
    );
  }
}

await main();
