/**
 * The onset of an attack, measured alone (issue #14). Per round and mode:
 * a fresh fixture server, a good client here (sequential
 * `Calculator.add`), its quiet round trips, then one heavy peer
 * (`tests/abuse/fixtures/attacker.ts`) and, for `--seconds` from the
 * peer's `ready`, every good round trip timed, and the CPU time of the
 * server, the peer, this process and everything else on the machine, read
 * from `/proc`.
 *
 *     deno run -A bench/soak/onset.ts
 *       [--modes unread,busy,busy:4096,spin:1,spin:2]
 *       [--rounds 3] [--seconds 3] [--window 128] [--timeline]
 *       [--deno-flags="--cpu-prof --cpu-prof-dir=DIR"] [--server-log DIR]
 *
 * `busy` is the control of `unread`: a peer whose replies are read, with
 * `--window` calls in flight (`busy:N`: N). If the good client fared as
 * badly beside it, an onset would be the machine's share of CPU, not
 * unfairness. `busy:4096` is the control as deep as `unread`, which
 * pipelines without limit: the server always has its requests waiting,
 * where beside `busy` (128) it runs dry between windows and polls its
 * sockets unforced. For `unread`, "before blocked" counts only the round
 * trips made before the attacker was blocked in its sends (the server
 * stopped reading it).
 *
 * `spin:N` is the machine's control: a process of N threads that only keep
 * CPUs busy, and never connect. What the good client loses beside it is
 * lost to sharing the machine's CPUs, and no server can give it back: on
 * 2 vCPUs, an attacker that keeps one busy while the server works at full
 * speed on its requests is `spin:2`'s load.
 *
 * `--deno-flags` go to the server's `deno run` (e.g. `--cpu-prof`, or
 * `--v8-flags=--trace-gc`); the server then exits by SIGTERM at the end of
 * its round, which writes its profile, and `--server-log` keeps what it
 * printed. `--timeline` prints, per 250 ms, the good calls made and the
 * slowest.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { RpcClient } from "../../mod.ts";
import { Calculator } from "../../tests/rpc/fixtures/services.ts";
import {
  FixtureServerProcess,
  Latencies,
  startAttacker,
} from "../../tests/abuse/_harness.ts";

const { values } = parseArgs({
  options: {
    modes: { type: "string", default: "unread,busy,busy:4096,spin:1,spin:2" },
    rounds: { type: "string", default: "3" },
    seconds: { type: "string", default: "3" },
    window: { type: "string" },
    timeline: { type: "boolean" },
    "deno-flags": { type: "string", default: "" },
    "server-log": { type: "string" },
  },
});
const modes = values.modes.split(",");
for (const m of modes) {
  // `busy:N`: N calls in flight; `spin:N`: N spinning threads.
  if (!/^[a-z-]+$/.test(m) && !/^(busy|spin):[1-9]\d*$/.test(m)) {
    console.error(
      `onset: bad mode "${m}": a probe's name, busy:N or spin:N`,
    );
    Deno.exit(2);
  }
}
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);

const words = (s: string) => s === "" ? [] : s.split(" ");

/** The fixture server, with `--deno-flags`. */
function startServer(): Promise<FixtureServerProcess> {
  return FixtureServerProcess.start([], words(values["deno-flags"]));
}

/** Clock ticks per second in `/proc` (USER_HZ). */
const TICK = 100;

/** CPU seconds a process has used so far (user + system). */
async function cpu(pid: number): Promise<number> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / TICK;
  } catch {
    return NaN;
  }
}

/** CPU seconds the whole machine has spent busy so far (all cores). */
async function machine(): Promise<number> {
  const line = (await Deno.readTextFile("/proc/stat")).split("\n")[0];
  const f = line.split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  return (f[0] + f[1] + f[2] + f[5] + f[6] + f[7]) / TICK;
}

/** Sequential calls until `until()`; their times and start offsets. */
async function timed(
  call: () => Promise<unknown>,
  until: () => boolean,
  tick?: (now: number) => void,
): Promise<{ times: number[]; at: number[] }> {
  const times: number[] = [];
  const at: number[] = [];
  const t0 = performance.now();
  while (!until()) {
    const t = performance.now();
    tick?.(t);
    await call();
    times.push(performance.now() - t);
    at.push(t - t0);
  }
  return { times, at };
}

interface Row {
  mode: string;
  quiet: Latencies;
  loud: Latencies;
  beforeBlocked: Latencies;
  /** Cores used over the window. */
  cpu: { server: number; peer: number; client: number; others: number };
  /** The busy peer's replies per ms. */
  rate: number;
}

const rows: Row[] = [];
for (let r = 0; r < rounds; r++) {
  for (const mode of modes) {
    await using server = await startServer();
    await using client = new RpcClient({
      endpoints: [server.endpoint],
      timeout: 10_000,
    });
    const add = () => client.call(Calculator, Calculator.methods.add, [1, 2]);
    for (let i = 0; i < 300; i++) await add();
    let n = 0;
    const quiet = await timed(add, () => n++ >= 400);
    const [attack, depth] = mode.split(":");
    const window = attack === "spin" ? undefined : depth ?? values.window;
    const peer = await startAttacker(attack, server.endpoint, {
      window: window === undefined ? undefined : Number(window),
      count: attack === "spin" && depth !== undefined
        ? Number(depth)
        : undefined,
    });
    try {
      const pids = [server.pid, peer.pid, Deno.pid];
      const c0 = [...await Promise.all(pids.map(cpu)), await machine()];
      const t0 = performance.now();
      const end = t0 + seconds * 1000;
      // The attacker says it is blocked a second after its send began to
      // wait.
      let blockedAt = Infinity;
      const { times, at } = await timed(
        add,
        () => performance.now() > end,
        (now) => {
          if (
            blockedAt === Infinity &&
            peer.lines.some((l) => l.startsWith("blocked"))
          ) blockedAt = now - 1000;
        },
      );
      const dt = (performance.now() - t0) / 1000;
      const c1 = [...await Promise.all(pids.map(cpu)), await machine()];
      const used = c1.map((c, i) => (c - c0[i]) / dt);
      // The busy peer's throughput, from its own counts.
      const counts = peer.lines.filter((l) => l.startsWith("received "))
        .map((l) => l.split(" ").slice(1).map(Number));
      const rate = counts.length < 2
        ? NaN
        : (counts.at(-1)![0] - counts[0][0]) /
          (counts.at(-1)![1] - counts[0][1]);
      const row: Row = {
        mode,
        quiet: new Latencies(quiet.times, []),
        loud: new Latencies(times, []),
        beforeBlocked: new Latencies(
          times.filter((_, i) => t0 + at[i] < blockedAt),
          [],
        ),
        cpu: {
          server: used[0],
          peer: used[1],
          client: used[2],
          others: used[3] - used[0] - used[1] - used[2],
        },
        rate,
      };
      rows.push(row);
      if (values.timeline) {
        const bins: { n: number; max: number }[] = [];
        for (let i = 0; i < at.length; i++) {
          const b = (bins[Math.floor(at[i] / 250)] ??= { n: 0, max: 0 });
          b.n++;
          b.max = Math.max(b.max, times[i]);
        }
        console.error(
          "  " +
            [...bins].map((b) =>
              b === undefined ? "-" : `${b.n}/${b.max.toFixed(0)}`
            ).join(" "),
        );
      }
      const { loud, beforeBlocked: bb } = row;
      console.error(
        `round ${r} ${mode.padEnd(9)} quiet p50 ${
          row.quiet.p50.toFixed(2)
        } p99 ${row.quiet.p99.toFixed(2)} | loud p50 ${
          loud.p50.toFixed(2)
        } p99 ${loud.p99.toFixed(2)} max ${
          loud.sorted.at(-1)!.toFixed(1)
        } n ${loud.sorted.length} | before blocked p50 ${
          bb.p50.toFixed(2)
        } p99 ${bb.p99.toFixed(2)} n ${bb.sorted.length} | cores: server ${
          row.cpu.server.toFixed(2)
        } peer ${row.cpu.peer.toFixed(2)} client ${
          row.cpu.client.toFixed(2)
        } others ${row.cpu.others.toFixed(2)}${
          Number.isNaN(rate) ? "" : ` | peer ${rate.toFixed(1)}k calls/s`
        }`,
      );
    } finally {
      await peer.kill();
      if (values["deno-flags"] !== "") {
        // SIGTERM: the server exits, and writes its profile.
        await server.kill("SIGTERM");
      }
      if (values["server-log"] !== undefined) {
        await Deno.writeTextFile(
          `${values["server-log"]}/server_${r}_${mode}.log`,
          server.lines.join("\n") + "\n" + server.stderr,
        );
      }
    }
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
};
const list = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(" ");
for (const mode of modes) {
  const rs = rows.filter((r) => r.mode === mode);
  const loud = rs.map((r) => r.loud.p99);
  const bb = rs.map((r) => r.beforeBlocked.p99);
  const ratios = rs.map((r) => r.loud.p99 / r.quiet.p99);
  const rates = rs.map((r) => r.rate);
  console.log(
    `${mode}: loud p99 ${median(loud).toFixed(2)} ms [${list(loud)}], ×${
      median(ratios).toFixed(1)
    } of quiet [${list(ratios)}]; p50 ${
      median(rs.map((r) => r.loud.p50)).toFixed(2)
    } ms; before blocked p99 ${median(bb).toFixed(2)} ms [${list(bb)}]; ` +
      `quiet p99 ${median(rs.map((r) => r.quiet.p99)).toFixed(2)} ms; ` +
      `others used ${median(rs.map((r) => r.cpu.others)).toFixed(2)} cores` +
      (rates.every(Number.isNaN)
        ? ""
        : `; peer ${median(rates).toFixed(1)}k calls/s [${list(rates)}]`),
  );
}
