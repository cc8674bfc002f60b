/**
 * What the abuse tests and `bench:soak` share: real processes (a server
 * under attack, attackers), what a process costs (RSS and fds read from
 * `/proc`), and good clients' round trips with their percentiles.
 *
 * @module
 */

import { AssertionError } from "../_assert.ts";
import { Child } from "../registry/_helpers.ts";

const ROOT = new URL("../../", import.meta.url);
const ATTACKER = new URL("./fixtures/attacker.ts", import.meta.url).pathname;
const CALCULATOR = new URL("examples/calculator/server.ts", ROOT).pathname;
const FIXTURE = new URL("tests/rpc/fixtures/server.ts", ROOT).pathname;
const SYSTEM = new URL("./fixtures/secure_system.ts", import.meta.url)
  .pathname;
const SECURE_NODE = new URL("./fixtures/secure_node.ts", import.meta.url)
  .pathname;

export { Child };

/** A process whose stderr is kept: its log lines are counted. */
export class LoggingChild extends Child {
  /** Lines written to stderr so far. */
  get logLines(): string[] {
    const text = this.stderr;
    return text === "" ? [] : text.replace(/\n$/, "").split("\n");
  }

  /** Bytes written to stderr so far (UTF-16 units, close enough). */
  get logBytes(): number {
    return this.stderr.length;
  }
}

/** The example calculator server (`examples/calculator/server.ts`). */
export class CalculatorProcess extends LoggingChild {
  endpoint = "";

  /** Starts it on a free port and waits until it listens. */
  static async start(): Promise<CalculatorProcess> {
    const p = new CalculatorProcess([
      "run",
      "-A",
      CALCULATOR,
      "tcp://127.0.0.1:*",
    ]);
    try {
      const line = await p.waitLine(
        (l) => l.startsWith("calculator server listening on "),
        "the calculator server to listen",
      );
      p.endpoint = line.slice("calculator server listening on ".length).trim();
      return p;
    } catch (e) {
      await p.kill();
      throw e;
    }
  }
}

/**
 * The RPC tests' fixture server (`tests/rpc/fixtures/server.ts`: Calculator
 * with `echo`, `sleep` and streams), logging to stderr as by default.
 */
export class FixtureServerProcess extends LoggingChild {
  endpoint = "";

  /**
   * Starts it on a free port and waits until it listens.
   *
   * @param flags more flags of the fixture server
   * @param denoFlags flags of its `deno run` (e.g. `--cpu-prof`)
   */
  static async start(
    flags: string[] = [],
    denoFlags: string[] = [],
  ): Promise<FixtureServerProcess> {
    const p = new FixtureServerProcess([
      "run",
      "-A",
      ...denoFlags,
      FIXTURE,
      "--console-log",
      ...flags,
    ]);
    try {
      const line = await p.waitLine(
        (l) => l.startsWith('{"endpoint"'),
        "the fixture server to listen",
      );
      p.endpoint = JSON.parse(line).endpoint;
      return p;
    } catch (e) {
      await p.kill();
      throw e;
    }
  }
}

/** What the secure system prints: its endpoints and keys. */
export interface SecureSystemInfo {
  pid: number;
  registry: string;
  registryKey: string;
  /** `calc`'s services' endpoint (`test.Echo`, `Calculator`). */
  calc: string;
  calcKey: string;
  publisher: string;
  /** The good client's key pair (`@cli`). */
  tool: { publicKey: string; secretKey: string };
  /** The misbehaving client's key pair (`@attacker`, also admitted). */
  attacker: { publicKey: string; secretKey: string };
  /** The key pair of node `healthy` (see {@linkcode startSecureNode}). */
  healthy: { publicKey: string; secretKey: string };
}

/**
 * The secure system's process (`fixtures/secure_system.ts`): a CURVE
 * registry and a node `calc`, logging warnings to stderr.
 */
export class SecureSystem extends LoggingChild {
  info!: SecureSystemInfo;

  /**
   * Starts it and waits until it printed its keys.
   *
   * @param flags e.g. `["--ttl", "1000"]`
   */
  static async start(flags: string[] = []): Promise<SecureSystem> {
    const p = new SecureSystem(["run", "-A", SYSTEM, ...flags]);
    try {
      const line = await p.waitLine(
        (l) => l.startsWith("{"),
        "the secure system to start",
      );
      p.info = JSON.parse(line);
      return p;
    } catch (e) {
      await p.kill();
      throw e;
    }
  }
}

/**
 * Starts node `healthy` of a secure system in a process of its own
 * (`fixtures/secure_node.ts`) and waits until it registered.
 *
 * @param info the secure system's
 * @returns the running node; dispose it to kill and reap it
 */
export async function startSecureNode(info: SecureSystemInfo): Promise<Child> {
  const p = new Child([
    "run",
    "-A",
    SECURE_NODE,
    "--name",
    "healthy",
    "--registry",
    info.registry,
    `--registry-key=${info.registryKey}`,
    `--key=${JSON.stringify(info.healthy)}`,
  ]);
  try {
    await p.waitLine((l) => l === "ready", "the healthy node to register");
    return p;
  } catch (e) {
    await p.kill();
    throw e;
  }
}

/**
 * Starts an attacker (`fixtures/attacker.ts`) and waits until its attack
 * is under way.
 *
 * @param mode the probe, see the fixture
 * @param endpoint whom to attack
 * @param more `--count`, `--connections`, `--rate`, `--size`, `--window`, and in
 *   secure mode `--server-key` and `--key`
 * @returns the running attacker; dispose it to kill and reap it
 */
export async function startAttacker(
  mode: string,
  endpoint: string,
  more: {
    count?: number;
    connections?: number;
    rate?: number;
    size?: number;
    window?: number;
    serverKey?: string;
    key?: string;
  } = {},
): Promise<Child> {
  const p = new Child([
    "run",
    "-A",
    ATTACKER,
    "--mode",
    mode,
    "--endpoint",
    endpoint,
    ...(more.count === undefined ? [] : ["--count", String(more.count)]),
    ...(more.connections === undefined
      ? []
      : ["--connections", String(more.connections)]),
    ...(more.rate === undefined ? [] : ["--rate", String(more.rate)]),
    ...(more.size === undefined ? [] : ["--size", String(more.size)]),
    ...(more.window === undefined ? [] : ["--window", String(more.window)]),
    // Z85 keys may start with "-": one argument each, "--name=value".
    ...(more.serverKey === undefined ? [] : [`--server-key=${more.serverKey}`]),
    ...(more.key === undefined ? [] : [`--key=${more.key}`]),
  ]);
  try {
    await p.waitLine((l) => l === "ready", `the ${mode} attack`, 60_000);
    return p;
  } catch (e) {
    await p.kill();
    throw e;
  }
}

/** What a process costs now, read from `/proc`. */
export interface ProcessCost {
  /** Resident set size, in MiB. */
  rss: number;
  /** Open file descriptors. */
  fds: number;
}

/**
 * Reads a process's RSS and fd count from `/proc/<pid>`.
 *
 * @param pid the process
 * @returns its cost now
 */
export async function processCost(pid: number): Promise<ProcessCost> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  let fds = 0;
  for await (const _ of Deno.readDir(`/proc/${pid}/fd`)) fds++;
  return { rss: kb / 1024, fds };
}

/** Samples a process's RSS until stopped; keeps the peak. */
export class RssSampler {
  peak = 0;
  readonly #timer: ReturnType<typeof setInterval>;
  #busy = false;

  /**
   * @param pid the process
   * @param every sampling period, in ms
   */
  constructor(readonly pid: number, every = 100) {
    this.#timer = setInterval(async () => {
      if (this.#busy) return;
      this.#busy = true;
      try {
        this.peak = Math.max(this.peak, (await processCost(pid)).rss);
      } catch {
        // the process is gone
      } finally {
        this.#busy = false;
      }
    }, every);
  }

  /** Stops sampling (one last sample first). */
  async stop(): Promise<number> {
    clearInterval(this.#timer);
    while (this.#busy) await new Promise((r) => setTimeout(r, 5));
    try {
      this.peak = Math.max(this.peak, (await processCost(this.pid)).rss);
    } catch {
      // gone
    }
    return this.peak;
  }
}

/** Round-trip times of a run, in ms, sorted. */
export class Latencies {
  readonly sorted: number[];
  /** Calls that failed, with their errors. */
  readonly failures: unknown[];

  constructor(times: number[], failures: unknown[]) {
    this.sorted = [...times].sort((a, b) => a - b);
    this.failures = failures;
  }

  /** The `p`-th percentile (0–100). */
  percentile(p: number): number {
    const s = this.sorted;
    if (s.length === 0) return NaN;
    return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
  }

  get p50(): number {
    return this.percentile(50);
  }

  get p99(): number {
    return this.percentile(99);
  }

  toString(): string {
    return `p50 ${this.p50.toFixed(2)} ms, p99 ${
      this.p99.toFixed(2)
    } ms over ${this.sorted.length} calls${
      this.failures.length > 0 ? `, ${this.failures.length} failed` : ""
    }`;
  }
}

/**
 * Times `n` sequential calls (a bounded loop, that stops at the first
 * failure): a good client's view.
 *
 * @param call one round trip
 * @param n how many
 * @returns the times and failures
 */
export async function roundTrips(
  call: () => Promise<unknown>,
  n: number,
): Promise<Latencies> {
  const times: number[] = [];
  const failures: unknown[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    try {
      await call();
      times.push(performance.now() - t);
    } catch (e) {
      // One lost call fails the probe; a dead server would otherwise cost
      // a timeout per remaining call.
      failures.push(e);
      break;
    }
  }
  return new Latencies(times, failures);
}

/**
 * Good clients' round trips while a bad peer misbehaves, against their
 * round trips in quiet time measured in the same run (before and after):
 * the ratio of p99s, and of medians.
 */
export interface Comparison {
  quiet: Latencies;
  loud: Latencies;
  /** loud p99 / quiet p99. */
  p99Ratio: number;
  /** loud p50 / quiet p50. */
  p50Ratio: number;
  /**
   * Round trips once the attack settled (the attacker is blocked), when
   * the attack says when that is: the steady state, after the onset that
   * `loud` measures.
   */
  settled?: Latencies;
}

/** A running attack: how to stop it, and (optional) when it has settled. */
export interface Attack {
  stop: () => Promise<void>;
  /** Resolves once the attack reached its steady state. */
  settled?: () => Promise<void>;
}

/**
 * Measures quiet time, runs `during` (which starts the misbehaviour and
 * returns once it is under way), measures again, and compares. Quiet time
 * is measured twice, before and after, and the slower of the two counts:
 * the machine is shared, and its noise is not the attacker's doing.
 *
 * @param call one good round trip
 * @param n calls per phase
 * @param attack starts the bad peer; returns a function that stops it
 * @returns the comparison
 */
export async function compareUnderAttack(
  call: () => Promise<unknown>,
  n: number,
  attack: () => Promise<(() => Promise<void>) | Attack>,
): Promise<Comparison> {
  await roundTrips(call, Math.min(n, 100)); // warm up
  const before = await roundTrips(call, n);
  const started = await attack();
  const a = typeof started === "function" ? { stop: started } : started;
  let loud: Latencies;
  let settled: Latencies | undefined;
  try {
    loud = await roundTrips(call, n);
    if (a.settled !== undefined) {
      await a.settled();
      settled = await roundTrips(call, n);
    }
  } finally {
    await a.stop();
  }
  const after = await roundTrips(call, n);
  const quiet = before.p99 >= after.p99 ? before : after;
  return {
    quiet,
    loud,
    p99Ratio: loud.p99 / quiet.p99,
    p50Ratio: loud.p50 / quiet.p50,
    settled,
  };
}

/**
 * Fails if a good client lost a call (an error or a timeout) in quiet time
 * or under attack, and prints the ratios. The ratios are not asserted here:
 * timings on a shared machine belong in `deno task bench:soak`, which
 * reports them against the same run's quiet time.
 *
 * @param c the comparison
 * @param what names the probe in the message
 * @returns the line printed
 */
export function assertGoodClientsUnharmed(c: Comparison, what: string): string {
  let text = `${what}: quiet ${c.quiet}; under attack ${c.loud}; p99 ×${
    c.p99Ratio.toFixed(2)
  }, p50 ×${c.p50Ratio.toFixed(2)}`;
  const s = c.settled;
  if (s !== undefined) {
    text += `; once settled ${s}; p99 ×${
      (s.p99 / c.quiet.p99).toFixed(2)
    }, p50 ×${(s.p50 / c.quiet.p50).toFixed(2)}`;
  }
  const failure = c.loud.failures[0] ?? s?.failures[0] ?? c.quiet.failures[0];
  if (failure !== undefined) {
    throw new AssertionError(`${text}; first failure: ${failure as Error}`);
  }
  console.log(text);
  return text;
}
