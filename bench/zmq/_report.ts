/**
 * The benchmark's result shape, the ratios against the targets of issue
 * #10 (for zmp on its zmtp engine), and the human-readable table.
 *
 * @module
 */

import type { CaseSummary } from "./_stats.ts";
import type { StackName } from "./_stacks.ts";

/** Results of one stack: per transport, per payload size. */
export interface StackResult {
  /** The runtime that ran the peers. */
  runtime?: string;
  /** The libzmq the client loaded, and how it was chosen. */
  libzmq?: { path: string; version: string; note: string };
  /** tcp 16-byte median round trip, microseconds (the headline). */
  rtt_median_us?: number;
  /** tcp 16-byte p99 round trip, microseconds. */
  rtt_p99_us?: number;
  /** tcp 16-byte throughput, messages per second. */
  throughput_msgs?: number;
  /**
   * The largest share of the machine's CPU that went to other processes
   * while this stack ran (0 to 1); above 0.1 its figures are suspect.
   */
  foreign_cpu_max?: number;
  /** Why the stack did not run. */
  skipped?: string;
  /** Why the stack failed, for each transport that failed. */
  errors?: Record<string, string>;
  /** transport → size → summary. */
  [transport: string]: unknown;
}

/** The headline ratios: a zmp stack's figure divided by the other's. */
export interface Ratios {
  /** zmp median round trip / Node's (lower is better). */
  latency_vs_node: number | null;
  /** zmp throughput / Node's (higher is better). */
  throughput_vs_node: number | null;
  /** zmp median round trip / C's (lower is better). */
  latency_vs_c: number | null;
  /** zmp throughput / C's (higher is better). */
  throughput_vs_c: number | null;
  /** zmp 1 KiB throughput / C's (higher is better). */
  throughput_1k_vs_c: number | null;
  /** zmp median round trip / plain Deno TCP's (the floor; 1.0 at best). */
  latency_vs_floor: number | null;
}

/** The targets of issue #10 for the tcp case, for zmp on zmtp. */
export const TARGETS = {
  latency_vs_node: { max: 0.8 },
  throughput_vs_node: { min: 5 },
  latency_vs_c: { max: 1.0 },
  throughput_vs_c: { min: 1.0 },
  throughput_1k_vs_c: { min: 0.8 },
} as const;

/** The key of the headline case, and the stack the targets are for. */
export const HEADLINE = {
  transport: "tcp",
  size: "16",
  stack: "zmp_zmtp",
} as const;

function caseOf(
  stack: StackResult | undefined,
  transport: string,
  size: string,
): CaseSummary | undefined {
  const t = stack?.[transport] as Record<string, CaseSummary> | undefined;
  return t?.[size];
}

function ratio(a: number | undefined, b: number | undefined): number | null {
  if (a === undefined || b === undefined || !(b > 0)) return null;
  return Math.round((a / b) * 1000) / 1000;
}

/**
 * The ratios of one zmp stack for one transport and size.
 *
 * @param stacks all stack results
 * @param transport `tcp` or `ipc`
 * @param size the payload size as a string
 * @param subject the zmp stack (`zmp_zmtp` or `zmp`)
 * @returns the ratios, `null` where a figure is missing
 */
export function ratios(
  stacks: Partial<Record<StackName, StackResult>>,
  transport: string,
  size: string,
  subject: StackName = HEADLINE.stack,
): Ratios {
  const z = caseOf(stacks[subject], transport, size);
  const n = caseOf(stacks.node_zeromq, transport, size);
  const c = caseOf(stacks.c, transport, size);
  const f = caseOf(stacks.deno_tcp, transport, size);
  const z1k = caseOf(stacks[subject], transport, "1024");
  const c1k = caseOf(stacks.c, transport, "1024");
  return {
    latency_vs_node: ratio(z?.rtt_median_us, n?.rtt_median_us),
    throughput_vs_node: ratio(z?.throughput_msgs, n?.throughput_msgs),
    latency_vs_c: ratio(z?.rtt_median_us, c?.rtt_median_us),
    throughput_vs_c: ratio(z?.throughput_msgs, c?.throughput_msgs),
    throughput_1k_vs_c: ratio(z1k?.throughput_msgs, c1k?.throughput_msgs),
    latency_vs_floor: ratio(z?.rtt_median_us, f?.rtt_median_us),
  };
}

/**
 * Whether each headline ratio meets its target (`null` when unknown).
 *
 * @param r the headline ratios
 * @returns one verdict per ratio
 */
export function verdicts(
  r: Ratios,
): Record<keyof typeof TARGETS, boolean | null> {
  const out = {} as Record<keyof typeof TARGETS, boolean | null>;
  for (const key of Object.keys(TARGETS) as (keyof typeof TARGETS)[]) {
    const v = r[key];
    const t = TARGETS[key] as { max?: number; min?: number };
    out[key] = v === null
      ? null
      : t.max !== undefined
      ? v <= t.max
      : v >= (t.min ?? 0);
  }
  return out;
}

/** Each CURVE stack and the plain stack it is measured against. */
const CURVE_PAIRS = [
  { curve: "zmp_zmtp_curve", plain: "zmp_zmtp", engine: "zmtp" },
  { curve: "zmp_curve", plain: "zmp", engine: "libzmq" },
] as const;

/** What CURVE costs one engine in one case: CURVE's figure / plain's. */
export interface CurveCost {
  /** Median round trip under CURVE / without (above 1: slower). */
  latency: number | null;
  /** Throughput under CURVE / without (below 1: fewer messages). */
  throughput: number | null;
}

/**
 * CURVE against plain, per engine, transport and size, from the same run.
 *
 * @param stacks all stack results
 * @param transports transports measured
 * @param sizes payload sizes measured
 * @returns engine → transport → size → cost, for the engines measured
 *   both ways
 */
export function curveCost(
  stacks: Partial<Record<StackName, StackResult>>,
  transports: string[],
  sizes: number[],
): Record<string, Record<string, Record<string, CurveCost>>> {
  const out: Record<string, Record<string, Record<string, CurveCost>>> = {};
  for (const { curve, plain, engine } of CURVE_PAIRS) {
    if (stacks[curve] === undefined || stacks[plain] === undefined) continue;
    const byEngine: Record<string, Record<string, CurveCost>> = {};
    for (const t of transports) {
      byEngine[t] = {};
      for (const s of sizes) {
        const c = caseOf(stacks[curve], t, String(s));
        const p = caseOf(stacks[plain], t, String(s));
        byEngine[t][s] = {
          latency: ratio(c?.rtt_median_us, p?.rtt_median_us),
          throughput: ratio(c?.throughput_msgs, p?.throughput_msgs),
        };
      }
    }
    out[engine] = byEngine;
  }
  return out;
}

const LABELS: Record<StackName, string> = {
  zmp_zmtp: "zmp zmtp (TS)",
  zmp: "zmp libzmq (FFI)",
  zmp_zmtp_curve: "zmp zmtp CURVE",
  zmp_curve: "zmp libzmq CURVE",
  node_zeromq: "Node + zeromq.js",
  c: "C + libzmq",
  deno_tcp: "Deno TCP (floor)",
};

function pad(s: string, n: number, right = false): string {
  return right ? s.padStart(n) : s.padEnd(n);
}

function us(v: number | undefined): string {
  return v === undefined ? "-" : `${v.toFixed(1)} µs`;
}

function rate(v: number | undefined): string {
  return v === undefined ? "-" : `${Math.round(v).toLocaleString("en-US")}/s`;
}

/**
 * The human-readable report: one row per stack, transport and size, then
 * the headline ratios against their targets and where libzmq came from.
 *
 * @param result the full JSON result
 * @param result.stacks results per stack
 * @param result.transports transports measured, in order
 * @param result.sizes payload sizes measured, in order
 * @param result.headline the headline ratios
 * @param result.config the plan, for the title line
 * @returns the report text
 */
export function table(result: {
  stacks: Partial<Record<StackName, StackResult>>;
  transports: string[];
  sizes: number[];
  headline: Ratios;
  config: Record<string, unknown>;
}): string {
  const { stacks, transports, sizes, headline, config } = result;
  const lines: string[] = [];
  lines.push(
    `DEALER -> ROUTER echo, client and server in separate processes. ` +
      `Per case: ${config.rtt} round trips; throughput is the median of ` +
      `${config.trials} trials of ${config.msgs} messages with at most ` +
      `${config.window} in flight; ${config.rounds} process pair(s) per case.`,
  );
  lines.push("");
  const head = [
    pad("stack", 18),
    pad("transport", 9),
    pad("bytes", 6, true),
    pad("rtt median", 12, true),
    pad("rtt p99", 12, true),
    pad("throughput", 15, true),
  ].join(" ");
  lines.push(head, "-".repeat(head.length));
  for (const transport of transports) {
    for (const size of sizes) {
      for (const name of Object.keys(LABELS) as StackName[]) {
        const s = stacks[name];
        if (s === undefined) continue;
        const c = caseOf(s, transport, String(size));
        const note = s.skipped !== undefined
          ? "skipped"
          : c === undefined
          ? "failed"
          : "";
        lines.push(
          [
            pad(LABELS[name], 18),
            pad(transport, 9),
            pad(String(size), 6, true),
            pad(note || us(c?.rtt_median_us), 12, true),
            pad(note ? "" : us(c?.rtt_p99_us), 12, true),
            pad(note ? "" : rate(c?.throughput_msgs), 15, true),
          ].join(" ").trimEnd(),
        );
      }
    }
  }
  const x = (v: number | null) => v === null ? "n/a" : `${v.toFixed(2)}x`;
  for (const subject of ["zmp_zmtp", "zmp"] as const) {
    if (stacks[subject] === undefined) continue;
    lines.push("");
    const rhead = [
      pad(`${subject} / other`, 18),
      pad("latency/node", 13, true),
      pad("thruput/node", 13, true),
      pad("latency/c", 10, true),
      pad("thruput/c", 10, true),
      pad("latency/floor", 14, true),
    ].join(" ");
    lines.push(rhead, "-".repeat(rhead.length));
    for (const transport of transports) {
      for (const size of sizes) {
        const r = ratios(stacks, transport, String(size), subject);
        lines.push([
          pad(`${transport} ${size} B`, 18),
          pad(x(r.latency_vs_node), 13, true),
          pad(x(r.throughput_vs_node), 13, true),
          pad(x(r.latency_vs_c), 10, true),
          pad(x(r.throughput_vs_c), 10, true),
          pad(x(r.latency_vs_floor), 14, true),
        ].join(" "));
      }
    }
  }
  const cost = curveCost(stacks, transports, sizes);
  if (Object.keys(cost).length > 0) {
    lines.push("");
    const chead = [
      pad("CURVE / plain", 18),
      pad("engine", 7),
      pad("latency", 9, true),
      pad("throughput", 11, true),
    ].join(" ");
    lines.push(chead, "-".repeat(chead.length));
    for (const [engine, byT] of Object.entries(cost)) {
      for (const transport of transports) {
        for (const size of sizes) {
          const c = byT[transport][size];
          lines.push([
            pad(`${transport} ${size} B`, 18),
            pad(engine, 7),
            pad(x(c.latency), 9, true),
            pad(x(c.throughput), 11, true),
          ].join(" "));
        }
      }
    }
  }
  lines.push("");
  lines.push(
    `Targets of issue #10 (${HEADLINE.transport}, ${HEADLINE.size} bytes ` +
      `unless said), ${HEADLINE.stack}'s figure / the other's:`,
  );
  const v = verdicts(headline);
  const show = (key: keyof typeof TARGETS, what: string) => {
    const t = TARGETS[key] as { max?: number; min?: number };
    const target = t.max !== undefined ? `<= ${t.max}x` : `>= ${t.min}x`;
    const value = headline[key] === null
      ? "n/a"
      : `${headline[key]!.toFixed(2)}x`;
    const verdict = v[key] === null ? "" : v[key] ? "  met" : "  MISSED";
    lines.push(
      `  ${pad(what, 26)} ${pad(value, 7, true)}  (target ${target})${verdict}`,
    );
  };
  show("latency_vs_node", "latency vs Node");
  show("latency_vs_c", "latency vs C");
  show("throughput_vs_node", "throughput vs Node");
  show("throughput_vs_c", "throughput vs C");
  show("throughput_1k_vs_c", "1 KiB throughput vs C");
  const busy = (Object.keys(LABELS) as StackName[])
    .filter((n) => (stacks[n]?.foreign_cpu_max ?? 0) > 0.1)
    .map((n) =>
      `${LABELS[n]} (${Math.round(stacks[n]!.foreign_cpu_max! * 100)}%)`
    );
  if (busy.length > 0) {
    lines.push("");
    lines.push(
      `Warning: other processes took CPU during some runs, figures are ` +
        `suspect: ${busy.join(", ")}`,
    );
  }
  lines.push("");
  lines.push("libzmq used:");
  for (const name of Object.keys(LABELS) as StackName[]) {
    const s = stacks[name];
    if (s === undefined) continue;
    if (s.skipped !== undefined) {
      lines.push(`  ${pad(LABELS[name], 18)} skipped: ${s.skipped}`);
    } else if (s.libzmq !== undefined) {
      lines.push(
        `  ${pad(LABELS[name], 18)} ${s.libzmq.version} ${s.libzmq.path} ` +
          `(${s.libzmq.note})`,
      );
    }
    for (const [t, e] of Object.entries(s.errors ?? {})) {
      lines.push(`  ${pad(LABELS[name], 18)} ${t} failed: ${e}`);
    }
  }
  return lines.join("\n");
}
