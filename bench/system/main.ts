/**
 * `deno task bench:system`: the system as a whole (issue #4).
 *
 * - **launch**: time from `startLaunch()` of 20 subprocess nodes to all 20
 *   registered (target: under 3 s), and the time to stop them;
 * - **failover**: two instances of the Calculator service, 16 idempotent
 *   calls always in flight, one instance SIGKILLed: the longest any call
 *   waited after the kill (target: within the liveness bound, the registry
 *   ttl) and calls lost (target: none);
 * - **topics**: one publisher process → 1 and 4 subscriber processes, 64 B,
 *   1 KiB and 4 KiB messages, throughput (sender as fast as it can,
 *   received msg/s per subscriber) and one-way latency (~500 msg/s),
 *   zmp typed topics (validated, registry-discovered) against raw ZeroMQ
 *   PUB/SUB in the same run (targets: typed ≥ 70% of raw at 1 KiB, issue
 *   #4; ≥ 80% at 1 KiB and ≥ 70% at 64 B, issue #10);
 * - **registry**: register → seen and param set → watch-seen, embedded
 *   registry vs etcd (one local member), and the first put after etcd's
 *   leader is killed (three members);
 * - **hosts** (network namespaces, root): call round trip across two
 *   namespaces vs loopback, and failover after a host is cut off (its node
 *   gone from the registry, the slowest idempotent call, calls lost).
 *
 * Everything runs on the default engine (`ZMP_ENGINE` picks another).
 *
 *     deno task bench:system [--json] [--quick] [--only launch,failover,topics,registry,hosts]
 *
 * `--json` prints exactly one JSON object on one line on stdout; progress
 * goes to stderr.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { defaultEngine } from "../../mod.ts";
import { failover, launchNodes } from "./_launch_bench.ts";
import { topicBench, type TopicFigures } from "./_topic_bench.ts";
import {
  crossHostRtt,
  etcdLeaderLoss,
  hostCutFailover,
  registryLatencies,
} from "./_registry_bench.ts";

const USAGE = `usage: deno task bench:system [options]

  --json          print one JSON object on stdout (progress on stderr)
  --quick         a short smoke run (1 round, 1 KiB topics only, 0.5 s trials)
  --only LIST     parts: launch,failover,topics,registry,hosts (default: all)
  --rounds N      launch and failover rounds, median kept (default 3)
  --seconds S     length of each topic trial (default 1)
  --sizes LIST    topic message sizes in bytes (default 64,1024,4096)
  --subscribers LIST  subscriber counts of the topic trials (default 1,4)
  -h, --help      this text`;

const { values } = parseArgs({
  options: {
    json: { type: "boolean" },
    quick: { type: "boolean" },
    only: { type: "string" },
    rounds: { type: "string" },
    seconds: { type: "string" },
    sizes: { type: "string" },
    subscribers: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
  strict: true,
});
if (values.help) {
  console.log(USAGE);
  Deno.exit(0);
}
const parts = new Set(
  (values.only ?? "launch,failover,topics,registry,hosts").split(","),
);
const rounds = Number(values.rounds ?? (values.quick ? 1 : 3));
const seconds = Number(values.seconds ?? (values.quick ? 0.5 : 1));
const progress = (line: string) => console.error(line);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor((s.length - 1) / 2)];
}
const round1 = (x: number) => Math.round(x * 10) / 10;

/** A comma-separated list of integers >= 1, or exit 2 naming the option. */
function counts(name: string, text: string | undefined): number[] | undefined {
  if (text === undefined) return undefined;
  const list = text.split(",").map(Number);
  if (list.some((n) => !Number.isInteger(n) || n < 1)) {
    console.error(
      `Cannot parse --${name}: expected integers >= 1 separated by commas, got "${text}"`,
    );
    Deno.exit(2);
  }
  return list;
}

const report: Record<string, unknown> = {
  machine: { cpus: navigator.hardwareConcurrency, deno: Deno.version.deno },
  engine: defaultEngine(),
};
const ratio: Record<string, number> = {};
const targets: Record<string, boolean> = {};

if (parts.has("launch")) {
  const runs = [];
  for (let i = 0; i < rounds; i++) {
    const r = await launchNodes(20);
    progress(
      `launch 20 nodes: all registered in ${r.registeredMs.toFixed(0)} ms, ` +
        `stopped in ${r.stopMs.toFixed(0)} ms`,
    );
    runs.push(r);
  }
  report.launch_20_nodes_ms = round1(median(runs.map((r) => r.registeredMs)));
  report.stop_20_nodes_ms = round1(median(runs.map((r) => r.stopMs)));
  targets.launch_20_nodes_under_3s = (report.launch_20_nodes_ms as number) <
    3000;
}

if (parts.has("failover")) {
  const runs = [];
  for (let i = 0; i < rounds; i++) {
    const r = await failover(16);
    progress(
      `failover: ${
        r.failoverMs.toFixed(0)
      } ms (liveness bound ${r.livenessMs} ms), ` +
        `${r.lost} of ${r.calls} calls lost, ${r.rateBefore} calls/s before the kill, ` +
        `${r.rateAfter} after`,
    );
    runs.push(r);
  }
  report.failover_ms = round1(median(runs.map((r) => r.failoverMs)));
  report.failover = {
    max_ms: round1(Math.max(...runs.map((r) => r.failoverMs))),
    liveness_bound_ms: runs[0].livenessMs,
    calls_lost: runs.reduce((a, r) => a + r.lost, 0),
    calls: runs.reduce((a, r) => a + r.calls, 0),
    calls_per_s_before: median(runs.map((r) => r.rateBefore)),
    calls_per_s_after: median(runs.map((r) => r.rateAfter)),
  };
  targets.failover_within_liveness = runs.every((r) =>
    r.failoverMs <= r.livenessMs
  );
  targets.no_idempotent_call_lost = runs.every((r) => r.lost === 0);
}

if (parts.has("topics")) {
  const figures = await topicBench({
    sizes: counts("sizes", values.sizes) ??
      (values.quick ? [1024] : [64, 1024, 4096]),
    subscribers: counts("subscribers", values.subscribers) ??
      (values.quick ? [1] : [1, 4]),
    seconds,
    trials: values.quick ? 1 : 3,
    progress,
  });
  report.topics = figures;
  const find = (stack: string, bytes: number, subs: number) =>
    figures.find((f: TopicFigures) =>
      f.stack === stack && f.bytes === bytes && f.subscribers === subs
    );
  for (const f of figures) {
    if (f.stack !== "typed") continue;
    const raw = find("raw", f.bytes, f.subscribers);
    if (!raw || raw.msgsPerSec === 0) continue;
    const size = f.bytes >= 1024 ? `${f.bytes / 1024}k` : `${f.bytes}`;
    const key = f.subscribers === 1
      ? `topic_throughput_${size}_vs_raw`
      : `topic_throughput_${size}_${f.subscribers}subs_vs_raw`;
    ratio[key] = Math.round(100 * f.msgsPerSec / raw.msgsPerSec) / 100;
  }
  if (ratio.topic_throughput_1k_vs_raw !== undefined) {
    targets.topic_throughput_1k_at_least_70pct_of_raw =
      ratio.topic_throughput_1k_vs_raw >= 0.7;
    targets.topic_throughput_1k_at_least_80pct_of_raw =
      ratio.topic_throughput_1k_vs_raw >= 0.8;
  }
  if (ratio.topic_throughput_64_vs_raw !== undefined) {
    targets.topic_throughput_64_at_least_70pct_of_raw =
      ratio.topic_throughput_64_vs_raw >= 0.7;
  }
}

if (parts.has("registry")) {
  const samples = values.quick ? 20 : 100;
  const l = await registryLatencies(samples);
  progress(
    `register → seen: embedded ${l.embedded.registerSeenMs.p50} ms, etcd ${l.etcd.registerSeenMs.p50} ms (p50 of ${samples})`,
  );
  progress(
    `param set → watch-seen: embedded ${l.embedded.setSeenMs.p50} ms, etcd ${l.etcd.setSeenMs.p50} ms (p50 of ${samples})`,
  );
  const loss = await etcdLeaderLoss(rounds);
  progress(`etcd leader killed: first put after ${loss.join(", ")} ms`);
  report.registry = {
    register_seen_ms: {
      embedded: l.embedded.registerSeenMs,
      etcd: l.etcd.registerSeenMs,
    },
    param_set_seen_ms: {
      embedded: l.embedded.setSeenMs,
      etcd: l.etcd.setSeenMs,
    },
    etcd_first_put_after_leader_kill_ms: median(loss),
  };
  ratio.register_seen_etcd_vs_embedded = Math.round(
    100 * l.etcd.registerSeenMs.p50 / l.embedded.registerSeenMs.p50,
  ) / 100;
  ratio.param_set_seen_etcd_vs_embedded = Math.round(
    100 * l.etcd.setSeenMs.p50 / l.embedded.setSeenMs.p50,
  ) / 100;
  targets.etcd_first_put_after_leader_kill_under_3s = median(loss) < 3000;
}

if (parts.has("hosts")) {
  const rtt = await crossHostRtt(values.quick ? 500 : 2000);
  progress(
    `call round trip: loopback ${rtt.loopback.p50Us} µs, across namespaces ${rtt.cross.p50Us} µs (p50)`,
  );
  const cut = await hostCutFailover();
  progress(
    `host cut off: its node left the registry after ${cut.leftMs} ms; slowest call ${cut.slowestCallMs} ms; ${cut.lost} of ${cut.calls} calls lost`,
  );
  report.hosts = {
    call_rtt_us: { loopback: rtt.loopback, cross_namespace: rtt.cross },
    host_cut: {
      node_left_ms: cut.leftMs,
      slowest_call_ms: cut.slowestCallMs,
      calls: cut.calls,
      lost: cut.lost,
    },
  };
  ratio.call_rtt_cross_namespace_vs_loopback = Math.round(
    100 * rtt.cross.p50Us / rtt.loopback.p50Us,
  ) / 100;
  targets.host_cut_no_call_lost = cut.lost === 0;
  targets.host_cut_node_left_within_ttl_plus_slack = cut.leftMs <= 5500;
}

report.ratio = ratio;
report.targets = targets;
if (values.json) {
  console.log(JSON.stringify(report));
} else {
  for (const [k, v] of Object.entries(targets)) {
    progress(`target ${k}: ${v ? "met" : "MISSED"}`);
  }
  console.log(JSON.stringify(report, null, 2));
}
