/**
 * `deno task bench:rpc`: a typed unary call between two processes over tcp
 * loopback, zmp RPC (msgpack and superjson) against the raw zmp transport,
 * Node.js `@grpc/grpc-js` and `Deno.serve` + `fetch` (issues #3 and #10).
 * The zmp stacks run on one engine (`--engine`, by default the default
 * engine); the raw echo and msgpack run on the other engine too.
 *
 * Every stack carries the same small object (`_sample.mjs`) and is timed
 * by the same loops (`_measure.mjs`): the median and p99 of sequential
 * calls after a warm-up, then the throughput of a closed loop with 1, 16
 * and 64 calls in flight, each trial bounded by a duration and a count.
 * One stack runs at a time, server and client each in its own process;
 * servers are always killed and reaped. Besides the raw echo of one frame,
 * `raw_frames` echoes the same bytes in zmp's frame layout, to tell the
 * cost of the frames from the cost of `src/rpc`.
 *
 * Each stack gets two process pairs: one for latency, pinned by default to
 * one CPU with `taskset` (on a small VM the round trip otherwise depends
 * on where the scheduler puts the two processes: ~65 µs on one CPU,
 * ~120 µs across two, either from one run to the next), one for
 * throughput, unpinned. Throughput trials also report the CPU time server
 * and client spent (their pids, `/proc`): CPU µs per call, which tells
 * what a call costs from how long it waited, though load moves it too (a
 * busy pair handles more messages per wakeup).
 *
 *     deno task bench:rpc [--json] [--quick] [--only raw,msgpack,...]
 *       [--engine zmtp|libzmq]
 *
 * `--json` prints exactly one JSON object on one line on stdout; progress,
 * and the table, go to stderr.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { curveKeypair } from "../../src/zmq/curve.ts";
import { codecByName } from "../../src/wire/mod.ts";
import { defaultEngine, type EngineName, ENGINES } from "../../src/zmq/mod.ts";
import {
  capture,
  type Command,
  killAll,
  runClient,
  withServer,
} from "../zmq/_process.ts";
import { cpuSnapshot, foreignShare, waitForQuiet } from "../zmq/_machine.ts";
import type { ClientPlan, ClientResult } from "./_measure.mjs";
import { SAMPLE } from "./_sample.mjs";
import {
  denoStacks,
  grpcStack,
  type SkippedStack,
  type Stack,
  type StackName,
  STACKS,
} from "./_stacks.ts";
import {
  check,
  ENGINE_TARGETS,
  ratios,
  type RawFigures,
  type StackResult,
  summariseStack,
  table,
  TARGETS,
  verdicts,
} from "./_report.ts";

const USAGE = `usage: deno task bench:rpc [options]

  --json               print one JSON object on stdout (progress on stderr)
  --quick              a short smoke run
  --only LIST          stacks: raw,raw_frames,msgpack,observed,msgpack_curve,
                       superjson,raw_other,msgpack_other,grpc,http (observed:
                       msgpack with node metrics on; msgpack_curve: over
                       CURVE, throwaway keys) (default: all)
  --engine NAME        the zmp engine measured: zmtp or libzmq (default:
                       the default engine); raw_other and msgpack_other
                       run on the other one
  --calls N            timed sequential calls per stack (default 10000)
  --warmup N           untimed sequential calls first (default 2000)
  --concurrency LIST   calls in flight for throughput (default 1,16,64)
  --seconds S          longest throughput trial (default 1.2)
  --max-calls N        most calls per throughput trial (default 500000)
  --trials N           throughput trials per case, median kept (default 3)
  --rounds N           fresh process pairs per stack, round-robin over the
                       stacks; calls and trials are split (default 1); the
                       metrics on/off ratio is then the median of same-round
                       ratios, msgpack and observed swapping order each round;
                       more, shorter rounds spread a busy moment of the
                       machine over both stacks. Each throughput trial also
                       reports the CPU time of its server and client (all
                       threads, from /proc/PID/task/*/schedstat): CPU per
                       call, off over on, is printed next to the wall-clock
                       ratio; it is what the pair ran, not what it waited,
                       but it still moves with load (a busy pair handles more
                       messages per wakeup): on a shared 2-CPU VM it spread
                       as wide as throughput (0.68-1.47 over 6 rounds); for
                       a 3% budget see bench:observe --callgrind
  --pin-latency MODE   CPU placement of the latency pair, with taskset:
                       same (default: both processes on CPU 0), split
                       (server on CPU 0, client on CPU 1) or none
  --pin-throughput M   the same for the throughput pair (default none)
  --timeout S          seconds allowed per client run (default 120)
  --quiet-wait S       before each process pair, wait up to S seconds for
                       the CPUs to be 90% idle (default 4; 0: never wait)
  -h, --help           this text`;

/** CPU placement of a process pair. */
type Pin = "none" | "same" | "split";

/** What to measure, after defaults. */
interface Plan {
  stacks: StackName[];
  engine: EngineName;
  other: EngineName;
  client: ClientPlan;
  pin: { latency: Pin; throughput: Pin };
  rounds: number;
  timeoutMs: number;
  quietWaitMs: number;
  json: boolean;
}

function parsePlan(args: string[]): Plan {
  const { values } = parseArgs({
    args,
    options: {
      json: { type: "boolean", default: false },
      quick: { type: "boolean", default: false },
      only: { type: "string" },
      calls: { type: "string" },
      warmup: { type: "string" },
      concurrency: { type: "string", default: "1,16,64" },
      seconds: { type: "string" },
      "max-calls": { type: "string", default: "500000" },
      trials: { type: "string" },
      rounds: { type: "string", default: "1" },
      "pin-latency": { type: "string", default: "same" },
      "pin-throughput": { type: "string", default: "none" },
      timeout: { type: "string", default: "120" },
      "quiet-wait": { type: "string" },
      engine: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    Deno.exit(0);
  }
  const num = (name: string, s: string, min: number, integer = true) => {
    const v = Number(s);
    if ((integer && !Number.isInteger(v)) || !(v >= min)) {
      throw new RangeError(
        `Cannot parse --${name}: expected ${
          integer ? "an integer" : "a number"
        } >= ${min}, got "${s}"`,
      );
    }
    return v;
  };
  const list = (s: string) => s.split(",").map((x) => x.trim()).filter(Boolean);
  const only = values.only === undefined ? [...STACKS] : list(values.only);
  for (const s of only) {
    if (!(STACKS as readonly string[]).includes(s)) {
      throw new RangeError(
        `Cannot parse --only: unknown stack "${s}" (${STACKS.join(", ")})`,
      );
    }
  }
  const pin = (name: string, s: string): Pin => {
    if (s === "none" || s === "same" || s === "split") return s;
    throw new RangeError(`Cannot parse --${name}: unknown mode "${s}"`);
  };
  const engine = values.engine ?? defaultEngine();
  if (!(ENGINES as readonly string[]).includes(engine)) {
    throw new RangeError(
      `Cannot parse --engine: unknown engine "${engine}" (${
        ENGINES.join(", ")
      })`,
    );
  }
  const quick = values.quick;
  const rounds = num("rounds", values.rounds, 1);
  const calls = num("calls", values.calls ?? (quick ? "1000" : "10000"), 1);
  const trials = num("trials", values.trials ?? (quick ? "1" : "3"), 1);
  return {
    stacks: STACKS.filter((s) => only.includes(s)),
    engine: engine as EngineName,
    other: ENGINES.find((e) => e !== engine)!,
    client: {
      warmup: Math.ceil(
        num("warmup", values.warmup ?? (quick ? "300" : "2000"), 0) / rounds,
      ),
      calls: Math.ceil(calls / rounds),
      concurrency: list(values.concurrency).map((s) =>
        num("concurrency", s, 1)
      ),
      seconds: num(
        "seconds",
        values.seconds ?? (quick ? "0.3" : "1.2"),
        0.01,
        false,
      ),
      maxCalls: num("max-calls", values["max-calls"], 1),
      trials: Math.ceil(trials / rounds),
      warmupSeconds: quick ? 0.1 : 0.3,
    },
    pin: {
      latency: pin("pin-latency", values["pin-latency"]),
      throughput: pin("pin-throughput", values["pin-throughput"]),
    },
    rounds,
    timeoutMs: num("timeout", values.timeout, 1) * 1000,
    quietWaitMs:
      num("quiet-wait", values["quiet-wait"] ?? (quick ? "2" : "4"), 0) *
      1000,
    json: values.json,
  };
}

const log = (line: string) => console.error(`[bench:rpc] ${line}`);

/** One process pair: a fresh server, one client run against it. */
/** Prefixes a command with `taskset` for a CPU placement. */
function pinned(
  command: Command,
  pin: Pin,
  role: "server" | "client",
): Command {
  if (pin === "none") return command;
  const cpu = pin === "same" || role === "server" ? "0" : "1";
  return {
    ...command,
    cmd: "taskset",
    args: ["-c", cpu, command.cmd, ...command.args],
  };
}

/** The two process pairs of a stack: sequential latency, then throughput. */
type Phase = "latency" | "throughput";

/** One process pair: a fresh server, one client run against it. */
async function runOnce(
  stack: Stack,
  plan: Plan,
  phase: Phase,
): Promise<ClientResult> {
  const client: ClientPlan = phase === "latency"
    ? { ...plan.client, concurrency: [] }
    : { ...plan.client, calls: 0, warmup: Math.min(plan.client.warmup, 500) };
  const pin = plan.pin[phase];
  return await withServer(
    pinned(stack.server, pin, "server"),
    async (ready) => {
      // With the server's pid, each trial reports the pair's CPU time.
      const serverPid = typeof ready.pid === "number" ? ready.pid : undefined;
      const planArg = JSON.stringify(
        phase === "throughput" && serverPid !== undefined
          ? { ...client, serverPid }
          : client,
      );
      const command = stack.client(String(ready.endpoint), planArg);
      return await runClient(pinned(command, pin, "client"), {
        timeout: plan.timeoutMs,
      }) as unknown as ClientResult;
    },
  );
}

function brief(out: ClientResult, phase: Phase): string {
  const r = summariseStack(out);
  if (phase === "latency") {
    return `median ${r.rtt_median_us} µs, p99 ${r.rtt_p99_us} µs`;
  }
  return Object.entries(r.throughput ?? {})
    .map(([k, v]) => `${k} in flight ${v.toLocaleString("en-US")}/s`)
    .join(", ");
}

/**
 * Runs every stack `rounds` times, round-robin, one process pair at a time,
 * so that slow drifts of the machine spread over all stacks alike.
 */
async function runAll(
  stacks: Stack[],
  plan: Plan,
): Promise<{
  results: Map<StackName, StackResult>;
  rounds: Map<StackName, Record<string, number>[]>;
  cpuRounds: Map<StackName, Record<string, number>[]>;
}> {
  const raw = new Map<StackName, RawFigures>();
  // Each round's median throughput per stack, for same-round ratios.
  const perRound = new Map<StackName, Record<string, number>[]>();
  // And its median CPU µs per call (server + client), when known.
  const perRoundCpu = new Map<StackName, Record<string, number>[]>();
  const errors = new Map<StackName, string[]>();
  const foreign = new Map<StackName, number[]>();
  const phases: Phase[] = [];
  if (plan.client.calls > 0) phases.push("latency");
  if (plan.client.concurrency.length > 0) phases.push("throughput");
  for (let round = 1; round <= plan.rounds; round++) {
    for (const stack of abOrder(stacks, round)) {
      for (const phase of phases) {
        if (errors.has(stack.name)) continue;
        if (plan.quietWaitMs > 0) {
          const idle = await waitForQuiet({ maxWaitMs: plan.quietWaitMs });
          if (idle !== null && idle < 0.9) {
            log(`machine still busy (${Math.round(idle * 100)}% idle)`);
          }
        }
        const started = performance.now();
        const before = await cpuSnapshot();
        try {
          const out = await runOnce(stack, plan, phase);
          const share = foreignShare(before, await cpuSnapshot());
          if (share !== null) {
            foreign.set(stack.name, [...foreign.get(stack.name) ?? [], share]);
          }
          const acc = raw.get(stack.name) ?? { rtt_us: [], throughput: {} };
          raw.set(stack.name, acc);
          for (const v of out.rtt_us) acc.rtt_us.push(v);
          for (const [k, trials] of Object.entries(out.throughput)) {
            (acc.throughput[k] ??= []).push(...trials);
          }
          if (phase === "throughput") {
            const summary = summariseStack({
              rtt_us: [],
              throughput: out.throughput,
            });
            const rounds = perRound.get(stack.name) ?? [];
            perRound.set(stack.name, rounds);
            rounds[round - 1] = summary.throughput ?? {};
            const cpus = perRoundCpu.get(stack.name) ?? [];
            perRoundCpu.set(stack.name, cpus);
            cpus[round - 1] = summary.cpu_us_per_call ?? {};
          }
          log(
            `round ${round}/${plan.rounds} ${stack.label}, ${phase}: ${
              brief(out, phase)
            } (${((performance.now() - started) / 1000).toFixed(1)} s${
              share !== null && share > 0.05
                ? `, ${Math.round(share * 100)}% of the CPU went elsewhere`
                : ""
            })`,
          );
        } catch (e) {
          const msg = e instanceof Error ? e.message : String(e);
          log(`${stack.label} failed: ${msg}`);
          errors.set(stack.name, [msg]);
        }
      }
    }
  }
  const out = new Map<StackName, StackResult>();
  for (const stack of stacks) {
    const figures = raw.get(stack.name);
    const result: StackResult = {
      label: stack.label,
      runtime: stack.runtime,
      ...(figures !== undefined ? summariseStack(figures) : {}),
    };
    const shares = foreign.get(stack.name);
    if (shares !== undefined) {
      result.foreign_cpu_max = Math.round(Math.max(...shares) * 100) / 100;
    }
    const errs = errors.get(stack.name);
    if (errs !== undefined) result.errors = errs;
    out.set(stack.name, result);
  }
  return { results: out, rounds: perRound, cpuRounds: perRoundCpu };
}

/**
 * The stacks of a round: in their order, except that `msgpack` and
 * `observed` (the A/B pair of the metrics budget) swap places every other
 * round, so that a drift of the machine during a round weighs on both
 * alike.
 */
function abOrder(stacks: Stack[], round: number): Stack[] {
  if (round % 2 === 1) return stacks;
  const a = stacks.findIndex((s) => s.name === "msgpack");
  const b = stacks.findIndex((s) => s.name === "observed");
  if (a < 0 || b < 0) return stacks;
  const swapped = [...stacks];
  [swapped[a], swapped[b]] = [swapped[b], swapped[a]];
  return swapped;
}

/** Falls back to no pinning where `taskset` is missing. */
async function checkPinning(plan: Plan): Promise<void> {
  if (plan.pin.latency === "none" && plan.pin.throughput === "none") return;
  if ((await capture({ cmd: "taskset", args: ["-V"] })).success) return;
  log("taskset not found (Debian: util-linux): running unpinned");
  plan.pin = { latency: "none", throughput: "none" };
}

async function main(): Promise<number> {
  let plan: Plan;
  try {
    plan = parsePlan(Deno.args);
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    console.error(USAGE);
    return 2;
  }
  await checkPinning(plan);
  const started = performance.now();
  const args = [SAMPLE];
  const payload = {
    sample: SAMPLE,
    msgpack_bytes: codecByName("msgpack").encode(args).byteLength,
    superjson_bytes: codecByName("superjson").encode(args).byteLength,
    json_bytes: new TextEncoder().encode(JSON.stringify(SAMPLE)).byteLength,
  };
  const curveKeys = JSON.stringify({
    server: await curveKeypair(),
    client: await curveKeypair(),
  });
  const prepared: (Stack | SkippedStack)[] = denoStacks(
    payload.msgpack_bytes,
    plan.engine,
    plan.other,
    curveKeys,
  ).filter((s) => plan.stacks.includes(s.name));
  if (plan.stacks.includes("grpc")) prepared.push(await grpcStack(log));
  const order = (s: { name: StackName }) => STACKS.indexOf(s.name);
  prepared.sort((a, b) => order(a) - order(b));

  const results = new Map<StackName, StackResult>();
  const runnable: Stack[] = [];
  for (const s of prepared) {
    if ("skipped" in s) {
      log(`${s.name} skipped: ${s.skipped}`);
      results.set(s.name, { skipped: s.skipped });
    } else {
      runnable.push(s);
    }
  }
  let rounds = new Map<StackName, Record<string, number>[]>();
  let cpuRounds = new Map<StackName, Record<string, number>[]>();
  try {
    const ran = await runAll(runnable, plan);
    for (const [k, v] of ran.results) results.set(k, v);
    rounds = ran.rounds;
    cpuRounds = ran.cpuRounds;
  } finally {
    killAll();
  }

  const others = Object.fromEntries(results);
  const detail: Record<string, Record<string, number | null>> = {
    msgpack: ratios(results.get("msgpack"), others),
    superjson: ratios(results.get("superjson"), others),
    // Typed against raw on the same engine.
    msgpack_other: ratios(results.get("msgpack_other"), {
      ...others,
      raw: results.get("raw_other"),
      raw_frames: undefined,
    }),
  };
  const { latency_vs_raw, throughput64_vs_grpc, throughput64_vs_http } =
    detail.msgpack;
  const headline = {
    latency_vs_raw,
    throughput64_vs_grpc,
    throughput64_vs_http,
  };
  const met = verdicts(headline);
  const engineTargets = (codec: string) => {
    const verdict = check(detail[codec], ENGINE_TARGETS);
    return Object.fromEntries(
      Object.entries(ENGINE_TARGETS).map(([k, t]) => [
        k,
        { ...t, value: detail[codec][k] ?? null, met: verdict[k] },
      ]),
    );
  };
  const observeCost = observeOverhead(
    results.get("msgpack"),
    results.get("observed"),
    {
      plain: rounds.get("msgpack"),
      observed: rounds.get("observed"),
      plainCpu: cpuRounds.get("msgpack"),
      observedCpu: cpuRounds.get("observed"),
    },
  );
  // The same ratios as observing's, without its budget: CURVE has none.
  const { budget: _budget, within_budget: _within, ...curveCost } =
    observeOverhead(results.get("msgpack"), results.get("msgpack_curve"));
  const config = {
    warmup: plan.client.warmup * plan.rounds,
    calls: plan.client.calls * plan.rounds,
    concurrency: plan.client.concurrency,
    seconds: plan.client.seconds,
    max_calls: plan.client.maxCalls,
    trials: plan.client.trials * plan.rounds,
    rounds: plan.rounds,
    pin_latency: plan.pin.latency,
    pin_throughput: plan.pin.throughput,
    engine: plan.engine,
    transport: "tcp loopback",
    cpus: navigator.hardwareConcurrency,
    os: `${Deno.build.os}-${Deno.build.arch}`,
    elapsed_s: Math.round((performance.now() - started) / 100) / 10,
  };
  const skipped = (name: StackName): StackResult =>
    results.get(name) ?? { skipped: "not selected with --only" };
  const json = {
    zmp: {
      engine: plan.engine,
      msgpack: skipped("msgpack"),
      observed: skipped("observed"),
      superjson: skipped("superjson"),
    },
    zmp_other_engine: {
      engine: plan.other,
      msgpack: skipped("msgpack_other"),
      raw: skipped("raw_other"),
    },
    observe_overhead: observeCost,
    curve_overhead: curveCost,
    zmp_curve: skipped("msgpack_curve"),
    raw_zmq: skipped("raw"),
    raw_zmq_frames: skipped("raw_frames"),
    grpc_js: skipped("grpc"),
    http: skipped("http"),
    ratio: headline,
    ratio_detail: detail,
    targets: Object.fromEntries(
      Object.entries(TARGETS).map(([k, t]) => [
        k,
        { ...t, met: met[k as keyof typeof met] },
      ]),
    ),
    targets_issue10: {
      [plan.engine]: engineTargets("msgpack"),
      [plan.other]: engineTargets("msgpack_other"),
    },
    payload,
    config,
  };
  const text = table({
    engines: { engine: plan.engine, other: plan.other },
    stacks: STACKS.filter((s) => results.has(s)).map((s) => [
      s,
      results.get(s)!,
    ]),
    concurrency: plan.client.concurrency,
    headline,
    detail,
    payload,
    config,
  });
  const overheadText = observeText(observeCost) + curveText(curveCost);
  if (plan.json) {
    // The table still goes to stderr, with the progress, for logs.
    console.error(text + overheadText);
    console.log(JSON.stringify(json));
  } else {
    console.log(text + overheadText);
  }
  log(`done in ${config.elapsed_s} s`);
  const failed = [...results.values()].some((r) => r.errors !== undefined);
  return failed ? 1 : 0;
}

/** The budget of issue #17: node metrics cost at most 3% of throughput. */
const OBSERVE_BUDGET = 0.03;

/**
 * What observing costs: the observed stack's figures over plain msgpack's,
 * same run, and whether the throughput at the most calls in flight is
 * within the budget. With rounds, each throughput ratio is the median of
 * the ratios of the same round (interleaved A/B, the order alternating):
 * a round's drift cancels out instead of landing on one stack.
 */
function observeOverhead(
  plain: StackResult | undefined,
  observed: StackResult | undefined,
  rounds: {
    plain?: Record<string, number>[];
    observed?: Record<string, number>[];
    plainCpu?: Record<string, number>[];
    observedCpu?: Record<string, number>[];
  } = {},
): Record<string, number | boolean | null> {
  const out: Record<string, number | boolean | null> = {};
  const r = (a?: number, b?: number) =>
    a === undefined || b === undefined || !(b > 0)
      ? null
      : Math.round((a / b) * 1000) / 1000;
  out.latency_ratio = r(observed?.rtt_median_us, plain?.rtt_median_us);
  const keys = Object.keys(plain?.throughput ?? {});
  for (const k of keys) {
    const paired = (rounds.plain ?? []).flatMap((p, i) => {
      const o = rounds.observed?.[i]?.[k];
      return o !== undefined && p?.[k] > 0 ? [o / p[k]] : [];
    });
    out[`throughput${k}_ratio`] = paired.length >= 2
      ? Math.round(median(paired) * 1000) / 1000
      : r(observed?.throughput?.[k], plain?.throughput?.[k]);
    if (paired.length >= 2) {
      out[`throughput${k}_rounds`] = paired.length;
      out[`throughput${k}_ratio_min`] = Math.round(Math.min(...paired) * 1000) /
        1000;
      out[`throughput${k}_ratio_max`] = Math.round(Math.max(...paired) * 1000) /
        1000;
    }
  }
  // CPU per call, off over on (a throughput-like ratio: below 1, metrics
  // cost CPU), same-round medians: what the pair ran, not what it waited.
  for (const k of keys) {
    const paired = (rounds.plainCpu ?? []).flatMap((p, i) => {
      const o = rounds.observedCpu?.[i]?.[k];
      return o !== undefined && o > 0 && p?.[k] > 0 ? [p[k] / o] : [];
    });
    if (paired.length === 0) continue;
    const round3 = (x: number) => Math.round(x * 1000) / 1000;
    out[`cpu${k}_us_off`] = plain?.cpu_us_per_call?.[k] ?? null;
    out[`cpu${k}_us_on`] = observed?.cpu_us_per_call?.[k] ?? null;
    out[`cpu${k}_ratio`] = round3(median(paired));
    out[`cpu${k}_rounds`] = paired.length;
    out[`cpu${k}_ratio_min`] = round3(Math.min(...paired));
    out[`cpu${k}_ratio_max`] = round3(Math.max(...paired));
  }
  const top = keys.at(-1);
  const headline = top === undefined ? null : out[`throughput${top}_ratio`];
  out.budget = OBSERVE_BUDGET;
  out.within_budget = typeof headline === "number"
    ? headline >= 1 - OBSERVE_BUDGET
    : null;
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** CURVE against plain msgpack, same run (no budget: a cost to know). */
function curveText(o: Record<string, number | boolean | null>): string {
  if (o.latency_ratio === null) return "";
  const parts = Object.entries(o)
    .filter(([k]) => k.endsWith("_ratio"))
    .map(([k, v]) => `${k.replace("_ratio", "")} ${v ?? "-"}x`);
  return `\nCURVE on / off (msgpack, same run): ${parts.join(", ")}`;
}

function observeText(o: Record<string, number | boolean | null>): string {
  if (o.latency_ratio === null) return "";
  const parts = Object.entries(o)
    .filter(([k]) => k.endsWith("_ratio"))
    .map(([k, v]) => {
      const name = k.replace("_ratio", "");
      const range = o[`${k}_min`] === undefined
        ? ""
        : ` (median of ${o[`${name}_rounds`]} rounds, ${o[`${k}_min`]}–${
          o[`${k}_max`]
        })`;
      const cpu = name.startsWith("cpu")
        ? ` [${o[`${name}_us_off`]} → ${o[`${name}_us_on`]} µs per call]`
        : "";
      return `${
        name.replace(/^cpu(\d+)$/, "CPU per call ($1 in flight), off/on")
      } ${v ?? "-"}x${range}${cpu}`;
    });
  return `\nnode metrics on / off (same run): ${parts.join(", ")}; ` +
    `budget ${(OBSERVE_BUDGET * 100).toFixed(0)}% of throughput: ${
      o.within_budget === null ? "unknown" : o.within_budget ? "met" : "MISSED"
    }\n`;
}

Deno.exit(await main());
