/**
 * The result shape of `deno task bench:rpc`, its ratios against the targets
 * of issues #3 and #10, and the human-readable table.
 *
 * @module
 */

import { quantile, summarise, type Trial } from "../zmq/_stats.ts";
import type { StackName } from "./_stacks.ts";

/** The figures of one stack (or one zmp codec). */
export interface StackResult {
  /** For people. */
  label?: string;
  /** What ran the peers. */
  runtime?: string;
  /** Median sequential call, microseconds. */
  rtt_median_us?: number;
  /** 99th percentile sequential call, microseconds. */
  rtt_p99_us?: number;
  /** Mean sequential call, microseconds. */
  rtt_mean_us?: number;
  /** Fastest sequential call, microseconds. */
  rtt_min_us?: number;
  /** Sequential calls timed. */
  rtt_count?: number;
  /** Calls per second by calls in flight: the median over trials. */
  throughput?: Record<string, number>;
  /** Every trial's calls per second, by calls in flight, in run order. */
  throughput_trials?: Record<string, number[]>;
  /**
   * CPU µs per call of server and client together, by calls in flight: the
   * median over trials (when the server told its pid).
   */
  cpu_us_per_call?: Record<string, number>;
  /** Largest share of the CPU that went to other processes meanwhile. */
  foreign_cpu_max?: number;
  /** Why it did not run. */
  skipped?: string;
  /** Why a run failed. */
  errors?: string[];
}

/** Raw figures gathered over rounds. */
export interface RawFigures {
  /** Sequential call times, microseconds. */
  rtt_us: number[];
  /** Trials by calls in flight (with the pair's CPU µs, when known). */
  throughput: Record<string, (Trial & { cpu_us?: number })[]>;
}

/**
 * Summarises one stack's raw figures.
 *
 * @param raw what the clients reported, over all rounds
 * @returns latency and throughput summaries
 */
export function summariseStack(raw: RawFigures): StackResult {
  const { rtt_median_us, rtt_p99_us, rtt_mean_us, rtt_min_us, rtt_count } =
    summarise(raw.rtt_us, []);
  const throughput: Record<string, number> = {};
  const trials: Record<string, number[]> = {};
  const cpu: Record<string, number> = {};
  for (const [k, ts] of Object.entries(raw.throughput)) {
    const rates = ts.map((t) => t.msgs / t.seconds);
    throughput[k] = Math.round(
      quantile([...rates].sort((a, b) => a - b), 0.5),
    );
    trials[k] = rates.map(Math.round);
    const perCall = ts.flatMap((t) =>
      t.cpu_us === undefined || t.msgs === 0 ? [] : [t.cpu_us / t.msgs]
    );
    if (perCall.length > 0) {
      cpu[k] = Math.round(
        quantile(perCall.sort((a, b) => a - b), 0.5) * 1000,
      ) / 1000;
    }
  }
  return {
    rtt_median_us,
    rtt_p99_us,
    rtt_mean_us,
    rtt_min_us,
    rtt_count,
    throughput,
    throughput_trials: trials,
    ...(Object.keys(cpu).length === 0 ? {} : { cpu_us_per_call: cpu }),
  };
}

/** The headline ratios: zmp (msgpack) divided by the other stack. */
export interface Ratios {
  /** zmp median sequential call / raw echo median (lower is better). */
  latency_vs_raw: number | null;
  /** zmp calls/s at 64 in flight / grpc-js's (higher is better). */
  throughput64_vs_grpc: number | null;
  /** zmp calls/s at 64 in flight / HTTP's (higher is better). */
  throughput64_vs_http: number | null;
}

/** The targets of issue #3, for the default codec. */
export const TARGETS = {
  latency_vs_raw: { max: 1.3 },
  throughput64_vs_grpc: { min: 30 },
  throughput64_vs_http: { min: 8 },
} as const;

/** A ratio's bound: at most `max` or at least `min`. */
export type Target = { max: number } | { min: number };

/**
 * The targets of issue #10 (the zero-hop engine), for the default codec on
 * the default engine: the typed call against `Deno.serve` + `fetch`,
 * grpc-js and the raw echo on the same engine.
 */
export const ENGINE_TARGETS: Record<string, Target> = {
  latency_vs_http: { max: 0.8 },
  throughput1_vs_http: { min: 1.3 },
  throughput64_vs_http: { min: 10 },
  throughput64_vs_grpc: { min: 30 },
  throughput64_vs_raw: { min: 0.7 },
};

/**
 * Whether each ratio meets its bound (`null` when unknown).
 *
 * @param r ratios by name
 * @param targets bounds by name
 * @returns one verdict per target
 */
export function check(
  r: Record<string, number | null>,
  targets: Record<string, Target>,
): Record<string, boolean | null> {
  const out: Record<string, boolean | null> = {};
  for (const [key, t] of Object.entries(targets)) {
    const v = r[key] ?? null;
    out[key] = v === null ? null : "max" in t ? v <= t.max : v >= t.min;
  }
  return out;
}

function ratio(a: number | undefined, b: number | undefined): number | null {
  if (a === undefined || b === undefined || !(b > 0)) return null;
  return Math.round((a / b) * 1000) / 1000;
}

/**
 * The ratios of one zmp codec against the other stacks: the three headline
 * ones, then the same at every concurrency and against the raw echo.
 *
 * @param zmp the zmp figures for one codec
 * @param others the other stacks
 * @returns ratios by name, `null` where a figure is missing
 */
export function ratios(
  zmp: StackResult | undefined,
  others: Partial<Record<StackName, StackResult>>,
): Ratios & Record<string, number | null> {
  const { raw, raw_frames: frames, grpc, http } = others;
  const out: Ratios & Record<string, number | null> = {
    latency_vs_raw: ratio(zmp?.rtt_median_us, raw?.rtt_median_us),
    throughput64_vs_grpc: ratio(
      zmp?.throughput?.["64"],
      grpc?.throughput?.["64"],
    ),
    throughput64_vs_http: ratio(
      zmp?.throughput?.["64"],
      http?.throughput?.["64"],
    ),
    p99_vs_raw: ratio(zmp?.rtt_p99_us, raw?.rtt_p99_us),
    latency_vs_raw_frames: ratio(zmp?.rtt_median_us, frames?.rtt_median_us),
    latency_vs_grpc: ratio(zmp?.rtt_median_us, grpc?.rtt_median_us),
    latency_vs_http: ratio(zmp?.rtt_median_us, http?.rtt_median_us),
  };
  for (const k of Object.keys(zmp?.throughput ?? {})) {
    const mine = zmp?.throughput?.[k];
    out[`throughput${k}_vs_raw`] = ratio(mine, raw?.throughput?.[k]);
    out[`throughput${k}_vs_raw_frames`] = ratio(
      mine,
      frames?.throughput?.[k],
    );
    out[`throughput${k}_vs_grpc`] = ratio(mine, grpc?.throughput?.[k]);
    out[`throughput${k}_vs_http`] = ratio(mine, http?.throughput?.[k]);
  }
  return out;
}

/**
 * Whether each headline ratio meets its target (`null` when unknown).
 *
 * @param r the headline ratios
 * @returns one verdict per target
 */
export function verdicts(r: Ratios): Record<keyof Ratios, boolean | null> {
  const out = {} as Record<keyof Ratios, boolean | null>;
  for (const key of Object.keys(TARGETS) as (keyof Ratios)[]) {
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

function us(v: number | undefined): string {
  return v === undefined ? "-" : `${v.toFixed(1)} µs`;
}

function rate(v: number | undefined): string {
  return v === undefined ? "-" : `${Math.round(v).toLocaleString("en-US")}/s`;
}

/** What the table shows. */
export interface TableInput {
  /** The engine of the zmp stacks, and the other one's. */
  engines: { engine: string; other: string };
  /** Results by stack, in run order. */
  stacks: [StackName, StackResult][];
  /** Calls in flight measured. */
  concurrency: number[];
  /** The headline ratios (msgpack). */
  headline: Ratios;
  /** Ratios of each codec. */
  detail: Record<string, Record<string, number | null>>;
  /** Payload sizes, for the title. */
  payload: { sample: unknown; msgpack_bytes: number; json_bytes: number };
  /** Run settings, for the footer. */
  config: Record<string, unknown>;
}

/**
 * The human-readable report: one row per stack, the ratios against their
 * targets, and the run settings.
 *
 * @param t what to show
 * @returns the text
 */
export function table(t: TableInput): string {
  const lines: string[] = [];
  lines.push(
    `bench:rpc: unary echo of ${JSON.stringify(t.payload.sample)} ` +
      `(msgpack args ${t.payload.msgpack_bytes} B, JSON ${t.payload.json_bytes} B), ` +
      "client and server in two processes, tcp loopback",
    "",
  );
  const head = [
    "stack".padEnd(38),
    "median".padStart(10),
    "p99".padStart(10),
    ...t.concurrency.map((k) => `${k} in flight`.padStart(13)),
  ];
  lines.push(head.join(" "));
  lines.push("-".repeat(head.join(" ").length));
  for (const [name, r] of t.stacks) {
    const label = (r.label ?? name).padEnd(38);
    if (r.skipped !== undefined || r.rtt_median_us === undefined) {
      lines.push(`${label} ${r.skipped ?? r.errors?.join("; ") ?? "no data"}`);
      continue;
    }
    lines.push([
      label,
      us(r.rtt_median_us).padStart(10),
      us(r.rtt_p99_us).padStart(10),
      ...t.concurrency.map((k) => rate(r.throughput?.[k]).padStart(13)),
    ].join(" "));
  }
  lines.push(
    "",
    "zmp msgpack (default codec) against the targets of issue #3:",
  );
  const v = verdicts(t.headline);
  for (const key of Object.keys(TARGETS) as (keyof Ratios)[]) {
    const target = TARGETS[key] as { max?: number; min?: number };
    const want = target.max !== undefined
      ? `<= ${target.max}`
      : `>= ${target.min}`;
    const value = t.headline[key];
    lines.push(
      `  ${key.padEnd(22)} ${
        (value === null ? "-" : `${value}x`).padStart(9)
      }  target ${want.padEnd(6)} ${
        v[key] === null ? "unknown" : v[key] ? "met" : "MISSED"
      }`,
    );
  }
  const { engine, other } = t.engines;
  for (
    const [codec, on] of [["msgpack", engine], ["msgpack_other", other]]
  ) {
    const r = t.detail[codec];
    if (r === undefined) continue;
    const met = check(r, ENGINE_TARGETS);
    lines.push(
      "",
      `zmp msgpack on ${on} against the targets of issue #10` +
        (codec === "msgpack" ? ":" : " (for comparison):"),
    );
    for (const [key, target] of Object.entries(ENGINE_TARGETS)) {
      const want = "max" in target ? `<= ${target.max}` : `>= ${target.min}`;
      const value = r[key];
      lines.push(
        `  ${key.padEnd(22)} ${
          (value === null || value === undefined ? "-" : `${value}x`)
            .padStart(9)
        }  target ${want.padEnd(6)} ${
          met[key] === null ? "unknown" : met[key] ? "met" : "MISSED"
        }`,
      );
    }
  }
  const sj = t.detail.superjson;
  if (sj !== undefined && t.stacks.some(([name]) => name === "superjson")) {
    lines.push(
      "",
      "zmp superjson (no target): " +
        `latency_vs_raw ${sj.latency_vs_raw ?? "-"}x, ` +
        `throughput64_vs_grpc ${sj.throughput64_vs_grpc ?? "-"}x, ` +
        `throughput64_vs_http ${sj.throughput64_vs_http ?? "-"}x`,
    );
  }
  lines.push(
    "",
    `config: ${
      Object.entries(t.config).map(([k, x]) =>
        `${k}=${typeof x === "object" ? JSON.stringify(x) : x}`
      ).join(" ")
    }`,
  );
  for (const [name, r] of t.stacks) {
    if (r.foreign_cpu_max !== undefined && r.foreign_cpu_max > 0.05) {
      lines.push(
        `note: while ${name} ran, up to ${
          Math.round(r.foreign_cpu_max * 100)
        }% of the CPU went to other processes: its figures are suspect`,
      );
    }
  }
  return lines.join("\n");
}
