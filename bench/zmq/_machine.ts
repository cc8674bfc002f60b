/**
 * Watching the machine. On two cores, one busy neighbour (a test run, a
 * type check) halves any figure, so before each process pair the driver
 * waits, within a limit, until the CPUs are mostly idle, and during each
 * pair it measures how much CPU went to processes that are not the
 * benchmark's. Both go into the report, so that a noisy run shows as such.
 *
 * Linux only (`/proc/stat`); elsewhere nothing is known and nothing waits.
 *
 * @module
 */

/** CPU counters at one instant, in clock ticks. */
export interface CpuSnapshot {
  /** All CPU time of the machine. */
  total: number;
  /** Idle time of the machine (idle + iowait). */
  idle: number;
  /** CPU time of this process and of its reaped children. */
  ours: number;
}

/**
 * Reads the CPU counters.
 *
 * @returns the counters, or `null` without `/proc`
 */
export async function cpuSnapshot(): Promise<CpuSnapshot | null> {
  try {
    const line = (await Deno.readTextFile("/proc/stat")).split("\n")[0];
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest is in user)
    const idle = f[3] + (f[4] ?? 0);
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
    const self = await Deno.readTextFile("/proc/self/stat");
    // Fields after "(comm)": utime stime cutime cstime are 14..17 overall.
    const rest = self.slice(self.lastIndexOf(")") + 2).split(" ");
    const ours = rest.slice(11, 15).map(Number).reduce((a, b) => a + b, 0);
    return { total, idle, ours };
  } catch {
    return null;
  }
}

/**
 * The share of all CPU time between two snapshots that went to other
 * processes than this one and its reaped children.
 *
 * @param a the earlier snapshot
 * @param b the later snapshot
 * @returns a fraction between 0 and 1, or `null` when unknown
 */
export function foreignShare(
  a: CpuSnapshot | null,
  b: CpuSnapshot | null,
): number | null {
  if (a === null || b === null || b.total <= a.total) return null;
  const busy = (b.total - b.idle) - (a.total - a.idle);
  const foreign = busy - (b.ours - a.ours);
  return Math.min(1, Math.max(0, foreign / (b.total - a.total)));
}

/**
 * Waits until the machine is at least `threshold` idle over a short
 * sample, or until `maxWaitMs` has passed.
 *
 * @param options the idle threshold and the longest wait
 * @param options.threshold the idle fraction that counts as quiet
 * @param options.maxWaitMs give up waiting after this long
 * @returns the last idle fraction seen, `null` when unknown
 */
export async function waitForQuiet(
  options: { threshold?: number; maxWaitMs?: number } = {},
): Promise<number | null> {
  const { threshold = 0.9, maxWaitMs = 15_000 } = options;
  const until = performance.now() + maxWaitMs;
  for (;;) {
    const a = await cpuSnapshot();
    await new Promise((r) => setTimeout(r, 300));
    const b = await cpuSnapshot();
    if (a === null || b === null || b.total === a.total) return null;
    const idle = (b.idle - a.idle) / (b.total - a.total);
    if (idle >= threshold || performance.now() >= until) return idle;
  }
}
