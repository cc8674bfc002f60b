/**
 * `deno task bench:soak` (issue #14): normal load plus the bad peers of the
 * abuse probes, for minutes, to see that nothing drifts.
 *
 * Processes: an RPC server (the RPC tests' fixture server), a registry
 * (lease ttl 1 s) and a healthy node heartbeating to it; this process is
 * the good client (sequential `Calculator.add` calls, and `nodes()` on the
 * registry, a few hundred a second) and watches for the healthy node's
 * removal. Time is cut into windows; the first is quiet, then each window
 * runs one attacker (`tests/abuse/fixtures/attacker.ts`) in turn, with a
 * quiet window between rounds. The first two are controls, not attacks
 * (their ratios are printed, and left out of the worst attack): `busy`, a
 * client as heavy as `unread` that reads its replies, is what a heavy
 * client costs the others when it behaves; `spin`, a process whose two
 * threads only keep CPUs busy and never connect, is what sharing the
 * machine's CPUs costs them, which no server can give back. Per window:
 * the good client's p50/p99 and lost calls, and the RSS and fd count of
 * every process. At the end: each
 * process's RSS and fd slope (least squares over the windows, per minute),
 * the slope of the quiet windows' p99, and the worst attack window's p99
 * against the median quiet p99 of the same run.
 *
 *     deno task bench:soak [--minutes M] [--window S] [--pin none|split] [--json]
 *
 * `--pin split` puts the servers on CPU 0 and the clients (this process,
 * the attackers) on CPU 1 with `taskset`; unpinned by default.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { connectRegistry, type RegistryEvent, RpcClient } from "../../mod.ts";
import { Calculator } from "../../tests/rpc/fixtures/services.ts";
import {
  ClientProcess,
  Recorder,
  RegistryProcess,
} from "../../tests/registry/_helpers.ts";
import {
  type Child,
  FixtureServerProcess,
  Latencies,
  processCost,
  startAttacker,
} from "../../tests/abuse/_harness.ts";

const USAGE = `usage: deno task bench:soak [options]

  --minutes M     how long (default 10)
  --window S      seconds per window (default 30)
  --pin MODE      none (default) or split: servers on CPU 0, clients on CPU 1
  --json          print one JSON object on stdout (progress on stderr)
  -h, --help      this text`;

/** Attacks run in turn, one per window; where each one goes. */
const ATTACKS: {
  mode: string;
  target: "rpc" | "registry";
  count?: number;
  connections?: number;
  /** Not an attack: a heavy peer that behaves, or a CPU spinner. */
  control?: boolean;
}[] = [
  { mode: "busy", target: "rpc", control: true },
  { mode: "spin", target: "rpc", count: 2, control: true },
  { mode: "unread", target: "rpc" },
  { mode: "streams", target: "rpc", count: 1024 },
  { mode: "deadline", target: "rpc", count: 100 },
  { mode: "malformed", target: "rpc", count: 50_000 },
  { mode: "bigint", target: "rpc" },
  { mode: "watches", target: "registry", count: 16384, connections: 16 },
  { mode: "nodes", target: "registry", count: 3000 },
  { mode: "register", target: "registry", count: 1 },
];

interface Window {
  /** Minutes since the start, at the window's end. */
  at: number;
  attack: string;
  rpc: Latencies;
  registry: Latencies;
  cost: Record<string, { rss: number; fds: number }>;
}

const log = (line: string) => console.error(line);

async function pin(pid: number, cpu: string): Promise<void> {
  const out = await new Deno.Command("taskset", {
    args: ["-a", "-p", "-c", cpu, String(pid)],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`taskset failed: ${new TextDecoder().decode(out.stderr)}`);
  }
}

/** Least-squares slope of y over x. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return NaN;
  const mx = xs.reduce((a, b) => a + b) / n;
  const my = ys.reduce((a, b) => a + b) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den === 0 ? NaN : num / den;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  // Of an even count, the mean of the middle two: with two windows of each
  // attack, the lower one alone flattered the attack.
  return s.length === 0 ? NaN : s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Calls `call` in sequence until `until`, at most one per `gap` ms. */
async function loop(
  call: () => Promise<unknown>,
  until: number,
  gap: number,
): Promise<Latencies> {
  const times: number[] = [];
  const failures: unknown[] = [];
  while (performance.now() < until) {
    const t = performance.now();
    try {
      await call();
      times.push(performance.now() - t);
    } catch (e) {
      failures.push(e);
    }
    const rest = t + gap - performance.now();
    if (rest > 0) await new Promise((r) => setTimeout(r, rest));
  }
  return new Latencies(times, failures);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      minutes: { type: "string", default: "10" },
      window: { type: "string", default: "30" },
      pin: { type: "string", default: "none" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const minutes = Number(values.minutes);
  const windowMs = Number(values.window) * 1000;
  const split = values.pin === "split";
  if (
    !(minutes > 0) || !(windowMs >= 5000) ||
    (values.pin !== "none" && !split)
  ) {
    console.error(`bench:soak: bad options\n${USAGE}`);
    return 2;
  }
  const windows = Math.max(2, Math.round((minutes * 60_000) / windowMs));
  log(
    `soak: ${windows} windows of ${windowMs / 1000} s, engine ${
      Deno.env.get("ZMP_ENGINE") ?? "default"
    }, ${split ? "pinned split" : "unpinned"}`,
  );

  await using server = await FixtureServerProcess.start();
  await using registry = await RegistryProcess.start(["--ttl", "1000"]);
  await using healthy = await ClientProcess.start(registry.endpoint, "healthy");
  if (split) {
    for (const p of [server.pid, registry.pid, healthy.pid]) await pin(p, "0");
    await pin(Deno.pid, "1");
  }
  await using rpc = new RpcClient({
    endpoints: [server.endpoint],
    timeout: 10_000,
  });
  await using reg = await connectRegistry({ endpoint: registry.endpoint });
  await using watch = new Recorder<RegistryEvent>((signal) =>
    reg.watch({ signal })
  );
  const processes = {
    server: server.pid,
    registry: registry.pid,
    healthy: healthy.pid,
  };

  const started = performance.now();
  const results: Window[] = [];
  for (let w = 0; w < windows; w++) {
    // Quiet first, and once per round of attacks.
    const slot = w % (ATTACKS.length + 1);
    const attack = slot === 0 ? undefined : ATTACKS[slot - 1];
    const until = started + (w + 1) * windowMs;
    let attacker: Child | undefined;
    if (attack !== undefined) {
      const target = attack.target === "rpc"
        ? server.endpoint
        : registry.endpoint;
      attacker = await startAttacker(attack.mode, target, attack);
      if (split) await pin(attacker.pid, "1");
    }
    try {
      const [a, b] = await Promise.all([
        loop(
          () => rpc.call(Calculator, Calculator.methods.add, [1, 2]),
          until,
          5,
        ),
        loop(() => reg.nodes({ timeout: 5000 }), until, 20),
      ]);
      const cost: Window["cost"] = {};
      for (const [name, pid] of Object.entries(processes)) {
        try {
          cost[name] = await processCost(pid);
        } catch {
          const child = { server, registry, healthy }[name]!;
          throw new Error(
            `the ${name} process exited during ${
              attack?.mode ?? "quiet time"
            }: ${(await child.status()).code}; stderr: ${
              child.stderr.slice(-2000)
            }`,
          );
        }
      }
      const win: Window = {
        at: (performance.now() - started) / 60_000,
        attack: attack?.mode ?? "quiet",
        rpc: a,
        registry: b,
        cost,
      };
      results.push(win);
      log(
        `${win.at.toFixed(1)} min ${
          win.attack.padEnd(9)
        } rpc ${a} | registry ${b} | ${
          Object.entries(cost).map(([n, c]) =>
            `${n} ${c.rss.toFixed(0)} MiB ${c.fds} fds`
          ).join(", ")
        }`,
      );
    } finally {
      await attacker?.kill();
    }
  }

  const removed = watch.items.filter((e) => e.type === "removed").length;
  const at = results.map((r) => r.at);
  const quiet = results.filter((r) => r.attack === "quiet");
  const controls = new Set(
    ATTACKS.filter((a) => a.control).map((a) => a.mode),
  );
  const loud = results.filter((r) =>
    r.attack !== "quiet" && !controls.has(r.attack)
  );
  const quietP99 = median(quiet.map((r) => r.rpc.p99));
  const quietRegP99 = median(quiet.map((r) => r.registry.p99));
  const worst = loud.reduce<Window | undefined>(
    (m, r) => m === undefined || r.rpc.p99 > m.rpc.p99 ? r : m,
    undefined,
  );
  const worstReg = loud.reduce<Window | undefined>(
    (m, r) => m === undefined || r.registry.p99 > m.registry.p99 ? r : m,
    undefined,
  );
  const summary = {
    engine: Deno.env.get("ZMP_ENGINE") ?? "default",
    pin: split ? "split" : "none",
    minutes: results.at(-1)?.at ?? 0,
    leasesLost: removed,
    callsLost: results.reduce(
      (n, r) => n + r.rpc.failures.length + r.registry.failures.length,
      0,
    ),
    quietP99: { rpc: quietP99, registry: quietRegP99 },
    quietP99SlopePerMin: slope(
      quiet.map((r) => r.at),
      quiet.map((r) => r.rpc.p99),
    ),
    worstAttack: worst && {
      rpc: worst.attack,
      rpcP99Ratio: worst.rpc.p99 / quietP99,
      registry: worstReg!.attack,
      registryP99Ratio: worstReg!.registry.p99 / quietRegP99,
    },
    perAttackP99Ratio: Object.fromEntries(
      ATTACKS.map((a) => {
        const rs = results.filter((r) => r.attack === a.mode);
        const p = a.target === "rpc"
          ? median(rs.map((r) => r.rpc.p99)) / quietP99
          : median(rs.map((r) => r.registry.p99)) / quietRegP99;
        return [a.mode, Number(p.toFixed(2))];
      }),
    ),
    slopes: Object.fromEntries(
      Object.keys(processes).map((name) => [name, {
        rssMiBPerMin: slope(at, results.map((r) => r.cost[name].rss)),
        fdsPerMin: slope(at, results.map((r) => r.cost[name].fds)),
      }]),
    ),
  };
  if (values.json) console.log(JSON.stringify(summary));
  else console.log(JSON.stringify(summary, null, 2));
  return 0;
}

Deno.exit(await main());
