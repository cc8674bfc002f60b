/**
 * `bench:system`'s registry and hosts parts: what etcd costs and buys
 * against the embedded registry, measured in the same run.
 *
 * - register → seen: a node registers; how long until another connection's
 *   watch reports it (embedded registry vs one etcd member, both local);
 * - set → watch-seen: a param is set; how long until a watch reports it;
 * - etcd leader loss: three members, the leader SIGKILLed, how long the
 *   first put then takes;
 * - across hosts (network namespaces): call round trip between two
 *   namespaces vs on loopback in one; and failover after a host is cut off:
 *   how long until its node has left the registry, and the slowest
 *   idempotent call meanwhile (none may be lost).
 *
 * @module
 */

import {
  connectRegistry,
  type NodeInfo,
  type ParamEvent,
  type RegistryEvent,
  startRegistry,
} from "../../mod.ts";
import { EtcdCluster } from "../../tests/_etcd.ts";
import { Hosts } from "../../tests/hosts/_netns.ts";
import { Agent } from "../../tests/hosts/_agent.ts";

const quiet = { warn() {}, error() {} };

/** The median and 90th percentile of some samples, rounded to 0.01. */
export interface Spread {
  p50: number;
  p90: number;
}

function spread(xs: number[]): Spread {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) =>
    Math.round(s[Math.floor((s.length - 1) * q)] * 100) / 100;
  return { p50: at(0.5), p90: at(0.9) };
}

function info(name: string): NodeInfo {
  return {
    name,
    instanceId: crypto.randomUUID(),
    pid: Deno.pid,
    host: "bench",
    mode: "inprocess",
    services: [],
    publishes: [],
    subscribes: [],
    params: [],
    startedAt: Date.now(),
  };
}

/** Resolves when `events` (filled by a watch) has an item matching `test`. */
function seen<E>(
  events: E[],
  wake: { fn?: () => void },
  test: (e: E) => boolean,
): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (events.some(test)) {
        wake.fn = undefined;
        resolve();
      }
    };
    wake.fn = check;
    check();
  });
}

/** register → seen and set → watch-seen, on one registry endpoint. */
async function latencies(
  endpoint: string,
  samples: number,
): Promise<{ registerSeenMs: Spread; setSeenMs: Spread }> {
  await using writer = await connectRegistry({ endpoint, logger: quiet });
  await using reader = await connectRegistry({ endpoint, logger: quiet });
  const stop = new AbortController();
  const nodeEvents: RegistryEvent[] = [];
  const paramEvents: ParamEvent[] = [];
  const nodeWake: { fn?: () => void } = {};
  const paramWake: { fn?: () => void } = {};
  const follow = async <E>(
    it: AsyncIterable<E>,
    into: E[],
    w: { fn?: () => void },
  ) => {
    for await (const e of it) {
      into.push(e);
      w.fn?.();
    }
  };
  const loops = [
    follow(reader.watch({ signal: stop.signal }), nodeEvents, nodeWake),
    follow(
      reader.params.watch("bench", { signal: stop.signal }),
      paramEvents,
      paramWake,
    ),
  ];
  await seen(nodeEvents, nodeWake, (e) => e.type === "snapshot");
  await seen(paramEvents, paramWake, (e) => e.type === "snapshot");
  const register: number[] = [];
  const set: number[] = [];
  for (let i = 0; i < samples; i++) {
    const name = `bench-${i}`;
    const t0 = performance.now();
    const reg = await writer.register(info(name));
    await seen(
      nodeEvents,
      nodeWake,
      (e) => e.type === "added" && e.node.name === name,
    );
    register.push(performance.now() - t0);
    await reg.close();
    const t1 = performance.now();
    await writer.params.set("bench.value", i + 1);
    await seen(
      paramEvents,
      paramWake,
      (e) => e.type === "set" && e.value === i + 1,
    );
    set.push(performance.now() - t1);
  }
  stop.abort();
  await Promise.all(loops).catch(() => {});
  return { registerSeenMs: spread(register), setSeenMs: spread(set) };
}

/** The embedded registry vs one etcd member, same machine, same run. */
export async function registryLatencies(samples: number): Promise<{
  embedded: { registerSeenMs: Spread; setSeenMs: Spread };
  etcd: { registerSeenMs: Spread; setSeenMs: Spread };
}> {
  let embedded;
  {
    await using server = await startRegistry({
      endpoint: "tcp://127.0.0.1:*",
      logger: quiet,
    });
    embedded = await latencies(server.endpoint, samples);
  }
  await using etcd = await EtcdCluster.start();
  const onEtcd = await latencies(etcd.url, samples);
  return { embedded, etcd: onEtcd };
}

/** The first put after etcd's leader is SIGKILLed, in ms, per round. */
export async function etcdLeaderLoss(rounds: number): Promise<number[]> {
  const out: number[] = [];
  for (let r = 0; r < rounds; r++) {
    await using etcd = await EtcdCluster.start({ members: 3 });
    await using registry = await connectRegistry({
      endpoint: etcd.url,
      logger: quiet,
    });
    await registry.params.set("bench.x", 0);
    await etcd.kill(await leader(etcd));
    const t0 = performance.now();
    await registry.params.set("bench.x", 1, { timeout: 20000 });
    out.push(Math.round(performance.now() - t0));
  }
  return out;
}

async function leader(etcd: EtcdCluster): Promise<number> {
  for (let tries = 0; tries < 100; tries++) {
    for (const [i, host] of etcd.endpoints.entries()) {
      try {
        const res = await fetch(`http://${host}/v3/maintenance/status`, {
          method: "POST",
          body: "{}",
          signal: AbortSignal.timeout(1000),
        });
        const s = await res.json();
        if (s.leader === s.header?.member_id) return i;
      } catch {
        // busy
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("no etcd leader");
}

const RTT_PEER = new URL("./_rtt_peer.ts", import.meta.url).pathname;

/** Call round trip between two namespaces, and on loopback in one. */
export async function crossHostRtt(calls: number): Promise<{
  loopback: { p50Us: number; p90Us: number };
  cross: { p50Us: number; p90Us: number };
}> {
  await using hosts = await Hosts.create(2);
  const run = async (serverHost: number, bind: string) => {
    const server = hosts.spawn(serverHost, Deno.execPath(), [
      "run",
      "-A",
      RTT_PEER,
      "server",
      bind,
    ]);
    let endpoint = "";
    for (let i = 0; i < 300 && endpoint === ""; i++) {
      const line = server.lines.find((l) => l.startsWith('{"endpoint"'));
      if (line !== undefined) endpoint = JSON.parse(line).endpoint;
      else await new Promise((r) => setTimeout(r, 50));
    }
    const client = hosts.spawn(0, Deno.execPath(), [
      "run",
      "-A",
      RTT_PEER,
      "client",
      endpoint,
      String(calls),
    ]);
    await client.child.status;
    server.child.kill("SIGTERM");
    await server.child.status;
    await new Promise((r) => setTimeout(r, 0));
    const line = client.lines.find((l) => l.startsWith('{"p50Us"'));
    if (line === undefined) {
      throw new Error(`the rtt client failed: ${client.lines.join("\n")}`);
    }
    return JSON.parse(line);
  };
  const loopback = await run(0, "tcp://127.0.0.1:*");
  const cross = await run(1, `tcp://${hosts.ip(1)}:*`);
  return { loopback, cross };
}

const CLI = new URL("../../src/cli/main.ts", import.meta.url).pathname;
const ECHO = new URL("../../tests/node/fixtures/echo_node.ts", import.meta.url)
  .href;
const MOD = new URL("../../mod.ts", import.meta.url).href;

/**
 * Three hosts, etcd across them, an echo node on hosts 2 and 3, calls from
 * host 1; host 3 is cut off.
 *
 * @returns when its node left (ms after the cut), the slowest call during
 *   the cut, the calls made and lost
 */
export async function hostCutFailover(): Promise<{
  leftMs: number;
  slowestCallMs: number;
  calls: number;
  lost: number;
}> {
  await using hosts = await Hosts.create(3);
  await using etcd = await EtcdCluster.start({
    placement: [0, 1, 2].map((i) => ({
      ip: hosts.ip(i),
      netns: hosts.namespaces[i],
    })),
  });
  const dir = await Deno.makeTempDir({ prefix: "zmp-bench-hosts-" });
  try {
    const file = `${dir}/launch.ts`;
    await Deno.writeTextFile(
      file,
      `import { defineLaunch } from "${MOD}";
export default defineLaunch({
  registry: { etcd: ${JSON.stringify(etcd.endpoints)} },
  nodes: [
    { name: "echo-h2", module: "${ECHO}", host: "h2" },
    { name: "echo-h3", module: "${ECHO}", host: "h3" },
  ],
});
`,
    );
    for (const i of [1, 2]) {
      hosts.spawn(i, Deno.execPath(), [
        "run",
        "-A",
        CLI,
        "launch",
        "--no-check",
        file,
        "--host",
        `h${i + 1}`,
      ]);
    }
    const agent = new Agent(hosts, 0, etcd.url, "agent");
    await agent.ready();
    for (let i = 0; i < 600; i++) {
      const nodes: { endpoints: string[] }[] = await agent.request("nodes");
      if (nodes.filter((n) => n.endpoints.length === 2).length === 2) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await agent.request("watchStart");
    await agent.request("loopStart", { interval: 10 });
    await new Promise((r) => setTimeout(r, 500));
    const cutAt = Date.now();
    await hosts.cut(2);
    let leftAt = 0;
    for (let i = 0; i < 300 && leftAt === 0; i++) {
      const events: { at: number; type: string; name: string }[] = await agent
        .request("events");
      leftAt = events.find((e) => e.type === "removed" && e.name === "echo-h3")
        ?.at ?? 0;
      if (leftAt === 0) await new Promise((r) => setTimeout(r, 50));
    }
    const records: { at: number; ms?: number; error?: string }[] = await agent
      .request("loopStop");
    await agent.stop();
    return {
      leftMs: leftAt - cutAt,
      slowestCallMs: Math.max(
        ...records.filter((r) => r.at >= cutAt).map((r) => r.ms ?? 0),
      ),
      calls: records.length,
      lost: records.filter((r) => r.error !== undefined).length,
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
