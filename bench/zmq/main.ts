/**
 * `deno task bench:zmq`: DEALER -> ROUTER echo between two processes, over
 * tcp loopback and ipc, for zmp, Node.js + zeromq.js and C (issue #2).
 *
 * For each stack, transport and payload size: the median and p99 of
 * sequential round trips, and the throughput of pipelined echo with a
 * bounded window (so that nothing is ever dropped). One stack runs at a
 * time, each peer in its own process; servers are always killed and reaped.
 *
 *     deno task bench:zmq [--json] [--quick] [--only zmp,node,c]
 *       [--transports tcp,ipc] [--sizes 16,1024] [--rtt N] [--msgs N]
 *       [--window N] [--trials N]
 *
 * `--json` prints exactly one JSON object on one line on stdout; progress
 * always goes to stderr.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { type Command, killAll, runClient, withServer } from "./_process.ts";
import {
  cStack,
  denoTcpStack,
  type NodeProbe,
  nodeStack,
  type PreparedStack,
  probeNode,
  type SkippedStack,
  STACK_ALIASES,
  type StackName,
  STACKS,
  zmpStack,
} from "./_stacks.ts";
import { type CaseSummary, summarise, type Trial } from "./_stats.ts";
import { cpuSnapshot, foreignShare, waitForQuiet } from "./_machine.ts";
import { curveKeypair } from "../../src/zmq/mod.ts";
import {
  curveCost,
  HEADLINE,
  type Ratios,
  ratios,
  type StackResult,
  table,
  TARGETS,
  verdicts,
} from "./_report.ts";

const USAGE = `usage: deno task bench:zmq [options]

  --json               print one JSON object on stdout (progress and the
                       table on stderr)
  --quick              fewer iterations, for a smoke run
  --only LIST          stacks to run: zmtp,libzmq,zmtp_curve,libzmq_curve,
                       node,c,tcp (default: all)
  --transports LIST    tcp,ipc (default: both)
  --sizes LIST         payload sizes in bytes (default: 16,1024)
  --rtt N              timed sequential round trips per case (default 20000)
  --msgs N             messages per throughput trial (default 200000)
  --window N           most messages in flight when pipelining (default 500)
  --trials N           throughput trials per case, median kept (default 6)
  --rounds N           fresh process pairs per case, run round-robin over
                       the stacks; round trips and trials are split
                       between them (default 3)
  --pin MODE           CPU placement with taskset: none (default), split
                       (server on CPU 0, client on CPU 1) or same (both on 0)
  --timeout S          seconds allowed per client run (default 120)
  --quiet-wait S       before each process pair, wait up to S seconds for
                       the CPUs to be 90% idle (default 15; 0: never wait)
  --busy-retries N      repeat a process pair during which other processes
                       took over 10% of the CPU, at most N times in all
                       (default 4)
  --zmp-module PATH    benchmark another copy of zmp (its mod.ts), e.g. a
                       scratch variant of the hot path under bench/.work/
  -h, --help           this text`;

/** What to measure, after defaults. */
interface Plan {
  stacks: StackName[];
  transports: string[];
  sizes: number[];
  rtt: number;
  warmup: number;
  msgs: number;
  window: number;
  trials: number;
  rounds: number;
  timeoutMs: number;
  pin: "none" | "split" | "same";
  zmpModule: string | undefined;
  quietWaitMs: number;
  busyRetries: number;
  json: boolean;
}

function parsePlan(args: string[]): Plan {
  const { values } = parseArgs({
    args,
    options: {
      json: { type: "boolean", default: false },
      quick: { type: "boolean", default: false },
      only: { type: "string" },
      transports: { type: "string", default: "tcp,ipc" },
      sizes: { type: "string", default: "16,1024" },
      rtt: { type: "string" },
      msgs: { type: "string" },
      window: { type: "string", default: "500" },
      trials: { type: "string" },
      rounds: { type: "string" },
      timeout: { type: "string", default: "120" },
      pin: { type: "string", default: "none" },
      "zmp-module": { type: "string" },
      "quiet-wait": { type: "string", default: "15" },
      "busy-retries": { type: "string", default: "4" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    Deno.exit(0);
  }
  const int = (name: string, s: string, min: number) => {
    const v = Number(s);
    if (!Number.isInteger(v) || v < min) {
      throw new RangeError(
        `Cannot parse --${name}: expected an integer >= ${min}, got "${s}"`,
      );
    }
    return v;
  };
  const list = (s: string) => s.split(",").map((x) => x.trim()).filter(Boolean);
  const stacks = values.only === undefined ? [...STACKS] : list(values.only)
    .map((s) => {
      const name = STACK_ALIASES[s.toLowerCase()];
      if (name === undefined) {
        throw new RangeError(
          `Cannot parse --only: unknown stack "${s}" (zmtp, libzmq, zmtp_curve, libzmq_curve, node, c, tcp)`,
        );
      }
      return name;
    });
  const transports = list(values.transports);
  for (const t of transports) {
    if (t !== "tcp" && t !== "ipc") {
      throw new RangeError(`Cannot parse --transports: unknown "${t}"`);
    }
  }
  const pin = values.pin;
  if (pin !== "none" && pin !== "split" && pin !== "same") {
    throw new RangeError(`Cannot parse --pin: unknown mode "${pin}"`);
  }
  const quick = values.quick;
  const rtt = int("rtt", values.rtt ?? (quick ? "2000" : "20000"), 1);
  return {
    stacks: STACKS.filter((s) => stacks.includes(s)),
    transports,
    sizes: list(values.sizes).map((s) => int("sizes", s, 0)),
    rtt,
    warmup: Math.max(200, Math.round(rtt / 10)),
    msgs: int("msgs", values.msgs ?? (quick ? "20000" : "200000"), 1),
    window: int("window", values.window, 1),
    trials: int("trials", values.trials ?? (quick ? "1" : "6"), 1),
    rounds: int("rounds", values.rounds ?? (quick ? "1" : "3"), 1),
    timeoutMs: int("timeout", values.timeout, 1) * 1000,
    pin,
    zmpModule: values["zmp-module"],
    quietWaitMs: int("quiet-wait", values["quiet-wait"], 0) * 1000,
    busyRetries: int("busy-retries", values["busy-retries"], 0),
    json: values.json,
  };
}

const log = (line: string) => console.error(`[bench:zmq] ${line}`);

interface ClientOutput {
  libzmq: { path: string; version: string };
  results: Record<string, { rtt_us: number[]; trials: Trial[] }>;
}

/** Prefixes a command with `taskset` for the chosen CPU placement. */
function pinned(
  command: Command,
  pin: Plan["pin"],
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

/** The raw figures of one stack, per transport and size, over rounds. */
type RawResults = Record<
  string,
  Record<string, { rtt_us: number[]; trials: Trial[] }>
>;

/**
 * One round of one stack over one transport: a fresh server and client,
 * with this round's share of the round trips and trials.
 */
async function runOnce(
  stack: PreparedStack,
  transport: string,
  plan: Plan,
  ipcDir: string,
): Promise<ClientOutput> {
  const args = [
    plan.sizes.join(","),
    String(Math.ceil(plan.rtt / plan.rounds)),
    String(plan.warmup),
    String(plan.msgs),
    String(plan.window),
    String(Math.ceil(plan.trials / plan.rounds)),
  ];
  const bindTo = transport === "tcp"
    ? "tcp://127.0.0.1:*"
    : `ipc://${ipcDir}/${stack.name}.ipc`;
  const server = pinned(stack.server(bindTo), plan.pin, "server");
  return await withServer(server, async (ready) => {
    const endpoint = String(ready.endpoint);
    const client = pinned(stack.client(endpoint, args), plan.pin, "client");
    return await runClient(client, {
      timeout: plan.timeoutMs,
    }) as unknown as ClientOutput;
  });
}

/** Turns the raw figures of one stack into its result object. */
function stackResult(
  stack: PreparedStack,
  raw: RawResults,
  libzmq: ClientOutput["libzmq"] | undefined,
  errors: Record<string, string>,
): StackResult {
  const result: StackResult = { runtime: stack.runtime };
  if (libzmq !== undefined) {
    result.libzmq = { ...libzmq, note: stack.libzmqNote };
  }
  for (const [transport, sizes] of Object.entries(raw)) {
    const byTransport: Record<string, CaseSummary> = {};
    for (const [size, r] of Object.entries(sizes)) {
      byTransport[size] = summarise(r.rtt_us, r.trials);
    }
    result[transport] = byTransport;
  }
  if (Object.keys(errors).length > 0) result.errors = errors;
  const head = (result[HEADLINE.transport] as
    | Record<string, CaseSummary>
    | undefined)?.[HEADLINE.size];
  if (head !== undefined) {
    result.rtt_median_us = head.rtt_median_us;
    result.rtt_p99_us = head.rtt_p99_us;
    result.throughput_msgs = head.throughput_msgs;
  }
  return result;
}

/** Above this share of the CPU going elsewhere, a run is suspect. */
const BUSY = 0.1;

/**
 * Runs `fn` once the machine is quiet (within `--quiet-wait`), and measures
 * the share of the CPU that other processes took meanwhile.
 */
async function measured<T>(
  fn: () => Promise<T>,
  quietWaitMs: number,
): Promise<{ out: T; share: number | null; seconds: number }> {
  if (quietWaitMs > 0) {
    const idle = await waitForQuiet({ maxWaitMs: quietWaitMs });
    if (idle !== null && idle < 0.9) {
      log(`machine still busy (${Math.round(idle * 100)}% idle)`);
    }
  }
  const started = performance.now();
  const before = await cpuSnapshot();
  const out = await fn();
  const share = foreignShare(before, await cpuSnapshot());
  return { out, share, seconds: (performance.now() - started) / 1000 };
}

/**
 * Runs every stack over every transport, `rounds` times round-robin (one
 * process pair at a time), so that slow drifts of the machine and the luck
 * of thread placement spread over all stacks alike.
 */
async function runAll(
  stacks: PreparedStack[],
  plan: Plan,
  ipcDir: string,
): Promise<{
  results: Partial<Record<StackName, StackResult>>;
  retriesUsed: number;
}> {
  const raw = new Map<StackName, RawResults>();
  const libzmq = new Map<StackName, ClientOutput["libzmq"]>();
  const errors = new Map<StackName, Record<string, string>>();
  const foreign = new Map<StackName, number[]>();
  for (const s of stacks) {
    raw.set(s.name, {});
    errors.set(s.name, {});
    foreign.set(s.name, []);
  }
  let retriesLeft = plan.busyRetries;
  for (let round = 1; round <= plan.rounds; round++) {
    for (const stack of stacks) {
      for (const transport of plan.transports) {
        const errs = errors.get(stack.name)!;
        if (errs[transport] !== undefined) continue;
        const where =
          `round ${round}/${plan.rounds} ${stack.name} ${transport}`;
        try {
          let run = await measured(
            () => runOnce(stack, transport, plan, ipcDir),
            plan.quietWaitMs,
          );
          while (
            run.share !== null && run.share > BUSY && retriesLeft > 0
          ) {
            retriesLeft--;
            log(
              `${where}: ${Math.round(run.share * 100)}% of the CPU went to ` +
                `other processes, run discarded and repeated`,
            );
            run = await measured(
              () => runOnce(stack, transport, plan, ipcDir),
              plan.quietWaitMs,
            );
          }
          const { out, share, seconds } = run;
          if (share !== null) foreign.get(stack.name)!.push(share);
          if (!libzmq.has(stack.name)) libzmq.set(stack.name, out.libzmq);
          const into = raw.get(stack.name)![transport] ??= {};
          const figures: string[] = [];
          for (const [size, r] of Object.entries(out.results)) {
            const acc = into[size] ??= { rtt_us: [], trials: [] };
            for (const v of r.rtt_us) acc.rtt_us.push(v);
            acc.trials.push(...r.trials);
            const c = summarise(r.rtt_us, r.trials);
            figures.push(
              `${size} B ${c.rtt_median_us}/${c.rtt_p99_us} µs ` +
                `${c.throughput_msgs}/s`,
            );
          }
          const busy = share !== null && share > BUSY
            ? `, ${Math.round(share * 100)}% of the CPU went elsewhere`
            : "";
          log(
            `${where}: ${figures.join(", ")} (${seconds.toFixed(1)} s${busy})`,
          );
        } catch (e) {
          const msg = e instanceof Error ? e.message : String(e);
          log(`${stack.name} over ${transport} failed: ${msg}`);
          errs[transport] = msg;
        }
      }
    }
  }
  const out: Partial<Record<StackName, StackResult>> = {};
  for (const stack of stacks) {
    out[stack.name] = stackResult(
      stack,
      raw.get(stack.name)!,
      libzmq.get(stack.name),
      errors.get(stack.name)!,
    );
    const shares = foreign.get(stack.name)!;
    if (shares.length > 0) {
      out[stack.name]!.foreign_cpu_max = Math.round(Math.max(...shares) * 100) /
        100;
    }
  }
  return { results: out, retriesUsed: plan.busyRetries - retriesLeft };
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
  const started = performance.now();
  const wants = (s: StackName) => plan.stacks.includes(s);
  // Node's libzmq is what zmp and C load too, so probe it whenever any stack
  // runs, even when Node itself is not measured.
  const probe = await probeNode(log);
  let nodeProbe: NodeProbe | undefined;
  if ("error" in probe) log(`Node stack unavailable: ${probe.error}`);
  else nodeProbe = probe;

  const prepared: (PreparedStack | SkippedStack)[] = [];
  if (wants("zmp_zmtp")) {
    prepared.push(zmpStack(nodeProbe, plan.zmpModule, "zmtp"));
  }
  if (wants("zmp")) prepared.push(zmpStack(nodeProbe, plan.zmpModule));
  if (wants("zmp_zmtp_curve") || wants("zmp_curve")) {
    const keys = { server: await curveKeypair(), client: await curveKeypair() };
    if (wants("zmp_zmtp_curve")) {
      prepared.push(zmpStack(nodeProbe, plan.zmpModule, "zmtp", keys));
    }
    if (wants("zmp_curve")) {
      prepared.push(zmpStack(nodeProbe, plan.zmpModule, "libzmq", keys));
    }
  }
  if (wants("node_zeromq")) {
    prepared.push(
      nodeProbe !== undefined
        ? nodeStack(nodeProbe)
        : { name: "node_zeromq", skipped: (probe as { error: string }).error },
    );
  }
  if (wants("c")) prepared.push(await cStack(nodeProbe, log));
  if (wants("deno_tcp")) prepared.push(denoTcpStack());

  const ipcDir = await Deno.makeTempDir({ prefix: "zmp-bench-" });
  const stacks: Partial<Record<StackName, StackResult>> = {};
  const runnable: PreparedStack[] = [];
  let retriesUsed = 0;
  for (const stack of prepared) {
    if ("skipped" in stack) {
      log(`${stack.name} skipped: ${stack.skipped}`);
      stacks[stack.name] = { skipped: stack.skipped };
    } else {
      runnable.push(stack);
    }
  }
  try {
    const run = await runAll(runnable, plan, ipcDir);
    Object.assign(stacks, run.results);
    retriesUsed = run.retriesUsed;
  } finally {
    killAll();
    await Deno.remove(ipcDir, { recursive: true }).catch(() => {});
  }

  const byCase: Record<string, Record<string, Ratios>> = {};
  for (const t of plan.transports) {
    byCase[t] = {};
    for (const s of plan.sizes) byCase[t][s] = ratios(stacks, t, String(s));
  }
  const libzmqByCase: Record<string, Record<string, Ratios>> = {};
  for (const t of plan.transports) {
    libzmqByCase[t] = {};
    for (const s of plan.sizes) {
      libzmqByCase[t][s] = ratios(stacks, t, String(s), "zmp");
    }
  }
  const headline = ratios(stacks, HEADLINE.transport, HEADLINE.size);
  const config = {
    transports: plan.transports,
    sizes: plan.sizes,
    rtt: Math.ceil(plan.rtt / plan.rounds) * plan.rounds,
    warmup: plan.warmup,
    msgs: plan.msgs,
    window: plan.window,
    trials: Math.ceil(plan.trials / plan.rounds) * plan.rounds,
    rounds: plan.rounds,
    zmp_module: plan.zmpModule ?? "mod.ts",
    busy_retries_used: retriesUsed,
    pin: plan.pin,
    cpus: navigator.hardwareConcurrency,
    os: `${Deno.build.os}-${Deno.build.arch}`,
    seconds: Math.round((performance.now() - started) / 100) / 10,
  };
  const notRun = Object.fromEntries(
    STACKS.filter((s) => !wants(s)).map((s) => [
      s,
      { skipped: "not selected with --only" },
    ]),
  );
  const json = {
    ...notRun,
    ...stacks,
    ratio: headline,
    ratio_libzmq: ratios(stacks, HEADLINE.transport, HEADLINE.size, "zmp"),
    ratio_detail_libzmq: libzmqByCase,
    ratio_detail: byCase,
    ratio_curve: curveCost(stacks, plan.transports, plan.sizes),
    targets: Object.fromEntries(
      Object.entries(TARGETS).map(([k, t]) => [
        k,
        { ...t, met: verdicts(headline)[k as keyof typeof TARGETS] },
      ]),
    ),
    config,
  };
  const report = table({
    stacks,
    transports: plan.transports,
    sizes: plan.sizes,
    headline,
    config,
  });
  if (plan.json) {
    // stdout carries the JSON alone; the table goes with the progress.
    console.error(report);
    console.log(JSON.stringify(json));
  } else {
    console.log(report);
  }
  log(`done in ${config.seconds} s`);
  const failed = Object.values(stacks).some((s) => s?.errors !== undefined);
  return failed ? 1 : 0;
}

Deno.exit(await main());
