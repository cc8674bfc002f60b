/**
 * Topic throughput and latency: one publisher process, 1 or 4 subscriber
 * processes, zmp typed topics against raw ZeroMQ PUB/SUB, in the same run
 * (see `_topic_peer.ts` for one trial's protocol).
 *
 * @module
 */

import { startRegistry } from "../../mod.ts";
import { cpuSnapshot, foreignShare, waitForQuiet } from "../zmq/_machine.ts";

const PEER = new URL("./_topic_peer.ts", import.meta.url).pathname;

/** Which stack a trial measures. */
export type Stack = "typed" | "raw";

/** One trial's figures. */
export interface TopicFigures {
  stack: Stack;
  bytes: number;
  subscribers: number;
  /** Messages per second received, mean over the subscribers. */
  msgsPerSec: number;
  /** Megabytes (payload) per second, mean over the subscribers. */
  mbPerSec: number;
  /** Share of the messages sent during the trial that a subscriber lost, %. */
  lossPct: number;
  /** One-way latency at ~500 msg/s, µs, over every subscriber. */
  p50Us: number;
  p99Us: number;
  /** The most CPU other processes took during a trial of this case, %. */
  foreignCpuPct: number | null;
}

interface Peer {
  child: Deno.ChildProcess;
  lines: string[];
  next(test: (line: string) => boolean, timeout: number): Promise<string>;
  done: Promise<void>;
}

function spawn(args: string[], env: Record<string, string>): Peer {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", PEER, ...args],
    env,
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  const done = (async () => {
    let buffered = "";
    for await (
      const chunk of child.stdout.pipeThrough(new TextDecoderStream())
    ) {
      buffered += chunk;
      let nl;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        lines.push(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
        for (const w of [...waiters]) w();
      }
    }
    for (const w of [...waiters]) w();
  })();
  const next = (test: (line: string) => boolean, timeout: number) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const found = lines.find(test);
        if (found !== undefined) {
          finish();
          resolve(found);
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`peer ${args.join(" ")}: timed out; got ${lines}`));
      }, timeout);
      const finish = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });
  return { child, lines, next, done };
}

function freeEndpoint(): string {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return `tcp://127.0.0.1:${port}`;
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.floor(q * sorted.length));
  return sorted[i];
}

interface SubResult {
  received: number;
  lost: number;
  seconds: number;
  latencies: number[];
}

/**
 * Runs one trial.
 *
 * @returns every subscriber's result
 */
async function trial(
  stack: Stack,
  bytes: number,
  subscribers: number,
  mode: "thr" | "lat",
  seconds: number,
  registry: string,
): Promise<SubResult[]> {
  const endpoint = stack === "raw" ? [freeEndpoint()] : [];
  const env = { ZMP_REGISTRY: registry, ZMP_LOG_LEVEL: "warn" };
  const peers: Peer[] = [];
  try {
    const pub = spawn(
      ["pub", stack, String(bytes), mode, String(seconds), ...endpoint],
      env,
    );
    peers.push(pub);
    await pub.next((l) => l === "ready", 20000);
    const subs = Array.from(
      { length: subscribers },
      () => spawn(["sub", stack, String(bytes), mode, ...endpoint], env),
    );
    peers.push(...subs);
    await Promise.all(subs.map((s) => s.next((l) => l === "ready", 20000)));
    const writer = pub.child.stdin.getWriter();
    await writer.write(new TextEncoder().encode("go\n"));
    const timeout = (seconds + 20) * 1000;
    const results = await Promise.all(
      subs.map((s) => s.next((l) => l.startsWith("{"), timeout)),
    );
    const pubResult = await pub.next((l) => l.startsWith("{"), timeout);
    if (Deno.env.get("BENCH_DEBUG")) {
      console.error(`pub ${stack} ${mode}: ${pubResult}`);
    }
    await writer.close().catch(() => {});
    return results.map((r) => JSON.parse(r) as SubResult);
  } finally {
    for (const p of peers) {
      try {
        p.child.kill("SIGKILL");
      } catch {
        // exited
      }
      await p.child.status;
      await p.done.catch(() => {});
    }
  }
}

/** Options of {@linkcode topicBench}. */
export interface TopicBenchOptions {
  sizes: number[];
  subscribers: number[];
  seconds: number;
  /** Throughput trials per case; the median is kept. */
  trials: number;
  progress: (line: string) => void;
}

/** A trial, after waiting for a quiet machine, with the foreign CPU share. */
async function measured(
  run: () => Promise<SubResult[]>,
): Promise<{ results: SubResult[]; foreign: number | null }> {
  await waitForQuiet({ threshold: 0.85, maxWaitMs: 4000 });
  const a = await cpuSnapshot();
  const results = await run();
  const foreign = foreignShare(a, await cpuSnapshot());
  return { results, foreign };
}

function rate(results: SubResult[]): number {
  const rates = results.map((r) => r.seconds > 0 ? r.received / r.seconds : 0);
  return rates.reduce((a, b) => a + b, 0) / rates.length;
}

/**
 * Runs every (size, subscribers, stack) case: a throughput trial, then a
 * latency trial.
 *
 * @returns the figures, raw and typed side by side
 */
export async function topicBench(
  options: TopicBenchOptions,
): Promise<TopicFigures[]> {
  await using registry = await startRegistry({
    endpoint: "tcp://127.0.0.1:*",
    logger: { warn: () => {}, error: (m) => console.error(m) },
  });
  const out: TopicFigures[] = [];
  for (const bytes of options.sizes) {
    for (const subscribers of options.subscribers) {
      for (const stack of ["raw", "typed"] as const) {
        const run = (mode: "thr" | "lat") => () =>
          trial(
            stack,
            bytes,
            subscribers,
            mode,
            options.seconds,
            registry.endpoint,
          );
        const thrs = [];
        for (let i = 0; i < options.trials; i++) {
          thrs.push(await measured(run("thr")));
        }
        thrs.sort((a, b) => rate(a.results) - rate(b.results));
        const thr = thrs[Math.floor((thrs.length - 1) / 2)].results;
        const lat = await measured(run("lat"));
        const msgsPerSec = rate(thr);
        const sent = thr.reduce((a, r) => a + r.received + r.lost, 0);
        const lost = thr.reduce((a, r) => a + r.lost, 0);
        const latencies = lat.results.flatMap((r) => r.latencies)
          .sort((a, b) => a - b);
        const shares = [...thrs.map((t) => t.foreign), lat.foreign]
          .filter((f) => f !== null);
        const figures: TopicFigures = {
          stack,
          bytes,
          subscribers,
          msgsPerSec: Math.round(msgsPerSec),
          mbPerSec: Math.round(msgsPerSec * bytes / 1e4) / 100,
          lossPct: sent === 0 ? 0 : Math.round(1000 * lost / sent) / 10,
          p50Us: Math.round(quantile(latencies, 0.5)),
          p99Us: Math.round(quantile(latencies, 0.99)),
          foreignCpuPct: shares.length === 0
            ? null
            : Math.round(100 * Math.max(...shares)),
        };
        options.progress(
          `topics ${stack.padEnd(5)} ${
            String(bytes).padStart(5)
          } B → ${subscribers} sub: ` +
            `${figures.msgsPerSec} msg/s (${figures.mbPerSec} MB/s, ${figures.lossPct}% lost), ` +
            `latency p50 ${figures.p50Us} µs p99 ${figures.p99Us} µs` +
            (figures.foreignCpuPct
              ? ` [others took ${figures.foreignCpuPct}% CPU]`
              : ""),
        );
        out.push(figures);
      }
    }
  }
  return out;
}
