/**
 * The launcher under measurement: how long 20 nodes take from launch to
 * registered, and how long a service takes to fail over when one of its
 * instances is killed under load.
 *
 * @module
 */

import {
  createNode,
  defineLaunch,
  type LaunchLogger,
  type NodeSpec,
  type RunningLaunch,
  startLaunch,
} from "../../mod.ts";
import { CalculatorService } from "../../examples/calculator/calculator.api.gen.ts";

const HERE = import.meta.url;

/** A logger that keeps lines and calls `onLine` for each launcher line. */
function quietLogger(onLine: (line: string) => void = () => {}): LaunchLogger {
  return {
    log: (level, message) => {
      if (level === "error") console.error(`launch: ${message}`);
      onLine(message);
    },
    line: (node, stream, text) => {
      if (stream === "stderr") console.error(`${node}: ${text}`);
    },
  };
}

/** One launch of `count` nodes. */
export interface LaunchFigures {
  /** From `startLaunch()` to the last node registered, ms. */
  registeredMs: number;
  /** From `stop()` to the launch closed, ms. */
  stopMs: number;
}

/**
 * Launches `count` idle subprocess nodes and times them until all are
 * registered, then stops them.
 *
 * @param count how many nodes
 * @returns the figures
 */
export async function launchNodes(count: number): Promise<LaunchFigures> {
  const nodes: NodeSpec[] = Array.from({ length: count }, (_, i) => ({
    name: `idle-${i}`,
    module: "./_idle_node.ts",
  }));
  const registered = new Set<string>();
  let allUp!: () => void;
  const up = new Promise<void>((resolve) => allUp = resolve);
  const logger = quietLogger((line) => {
    const m = /^(idle-\d+) registered$/.exec(line);
    if (m) registered.add(m[1]);
    if (registered.size === count) allUp();
  });
  const t0 = performance.now();
  const running = await startLaunch(
    defineLaunch({ registry: { endpoint: "tcp://127.0.0.1:*" }, nodes }),
    { file: HERE, logger },
  );
  try {
    await withTimeout(up, 30000, `${count} nodes to register`);
    const registeredMs = performance.now() - t0;
    const t1 = performance.now();
    const result = await running.stop();
    if (result.code !== 0) throw new Error(`launch ended with ${result.code}`);
    return { registeredMs, stopMs: performance.now() - t1 };
  } finally {
    await running.kill();
  }
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`timed out waiting for ${what}`)),
      ms,
    );
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** One failover run. */
export interface FailoverFigures {
  /** The longest any call waited after the kill, ms. */
  failoverMs: number;
  /** Calls that failed (an idempotent call must never fail). */
  lost: number;
  /** Calls completed in the whole run. */
  calls: number;
  /** Calls per second in the second before the kill. */
  rateBefore: number;
  /** Calls per second in the second after the kill. */
  rateAfter: number;
  /** The registry ttl: the liveness bound, ms. */
  livenessMs: number;
}

interface CallRecord {
  start: number;
  end: number;
  ok: boolean;
}

/**
 * Two instances of the Calculator service, a client with `inFlight` calls
 * of the idempotent `add` always in flight, and one instance killed with
 * SIGKILL after a second of load.
 *
 * @param inFlight calls in flight
 * @returns the figures
 */
export async function failover(inFlight = 16): Promise<FailoverFigures> {
  const ttl = 3000;
  const node = (name: string): NodeSpec => ({
    name,
    module: "./_calc_node.ts",
    restart: "on-failure",
    permissions: { read: ["../../examples/calculator"] },
  });
  let bothUp!: () => void;
  const up = new Promise<void>((resolve) => bothUp = resolve);
  const serving = new Set<string>();
  const logger = quietLogger((line) => {
    const m = /^(calc-\d) serves Calculator$/.exec(line);
    if (m) serving.add(m[1]);
    if (serving.size === 2) bothUp();
  });
  const running: RunningLaunch = await startLaunch(
    defineLaunch({
      registry: { endpoint: "tcp://127.0.0.1:*", ttl },
      nodes: [node("calc-1"), node("calc-2")],
    }),
    { file: HERE, logger },
  );
  try {
    await withTimeout(up, 30000, "two Calculator instances");
    await using client = await createNode("bench-client", {
      registry: running.registry,
    });
    const calc = await client.client(CalculatorService, { callTimeout: 5000 });
    const records: CallRecord[] = [];
    let stop = false;
    const worker = async (w: number) => {
      for (let i = 0; !stop; i++) {
        const start = performance.now();
        let ok = true;
        try {
          const sum = await calc.add(w, i);
          ok = sum === w + i;
        } catch {
          ok = false;
        }
        records.push({ start, end: performance.now(), ok });
      }
    };
    const workers = Array.from({ length: inFlight }, (_, w) => worker(w));
    await sleep(1000);
    const pid = running.pids()["calc-1"];
    if (pid === undefined) throw new Error("calc-1 is not running");
    const killAt = performance.now();
    Deno.kill(pid, "SIGKILL");
    await sleep(2000);
    stop = true;
    await Promise.all(workers);
    let failoverMs = 0;
    for (const r of records) {
      if (r.end > killAt && r.start < killAt + ttl) {
        failoverMs = Math.max(failoverMs, r.end - Math.max(r.start, killAt));
      }
    }
    const count = (from: number, to: number) =>
      records.filter((r) => r.end >= from && r.end < to).length;
    return {
      failoverMs,
      lost: records.filter((r) => !r.ok).length,
      calls: records.length,
      rateBefore: count(killAt - 1000, killAt),
      rateAfter: count(killAt, killAt + 1000),
      livenessMs: ttl,
    };
  } finally {
    await running.stop();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
