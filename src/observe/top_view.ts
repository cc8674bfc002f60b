/**
 * What `zmp top` shows, computed from two rounds of metrics: per node,
 * per service method and per topic, rates over the interval between the
 * rounds, latency quantiles of the calls in that interval, errors and
 * drops. Pure functions: the command does the terminal.
 *
 * @module
 */

import { histogramDelta, quantile } from "./histogram.ts";
import type { MetricsSnapshot } from "./metrics.ts";
import type { SystemMetrics } from "./collect.ts";
import { OBSERVE_SERVICE } from "./service.ts";

/** One node's row. */
export interface TopNode {
  /** The node (or `registry`). */
  node: string;
  /** Its process id. */
  pid: number;
  /** Whether its readiness check passes. */
  ready: boolean;
  /** Calls served per second, every method together. */
  callsPerSecond: number;
  /** Failed calls per second. */
  errorsPerSecond: number;
  /** Resident set size, MiB. */
  rssMiB: number;
  /** Longest event-loop delay over the last second, ms. */
  lagMs: number;
  /** Open ZeroMQ sockets. */
  sockets: number;
}

/** One served method's row. */
export interface TopMethod {
  /** The node serving it. */
  node: string;
  /** `Service.method`. */
  method: string;
  /** Calls per second over the interval. */
  callsPerSecond: number;
  /** Median latency of the interval's calls, ms (`null`: no calls). */
  p50Ms: number | null;
  /** 99th percentile latency of the interval's calls, ms. */
  p99Ms: number | null;
  /** Failed calls over the interval. */
  errors: number;
  /** Calls since the node started. */
  calls: number;
  /** Calls running now. */
  inFlight: number;
  /** Failed calls since the node started, by code. */
  errorsTotal: Record<string, number>;
}

/** One publisher's or subscription's row. */
export interface TopTopic {
  /** The node. */
  node: string;
  /** The topic. */
  topic: string;
  /** Which end. */
  role: "publisher" | "subscriber";
  /** Messages per second over the interval. */
  perSecond: number;
  /** Messages lost over the interval. */
  drops: number;
  /** Messages lost since the start. */
  dropsTotal: number;
  /** Messages waiting for the reader now. */
  queued: number;
  /** Connected subscribers (publisher). */
  subscribers: number;
}

/** A frame of `zmp top`; also what `zmp top --json` prints. */
export interface TopSnapshot {
  /** When the later round started, ms since the epoch. */
  at: number;
  /** Seconds between the two rounds. */
  intervalSeconds: number;
  /** One row per process that answered, the registry first. */
  nodes: TopNode[];
  /** One row per served method. */
  methods: TopMethod[];
  /** One row per publisher and subscription. */
  topics: TopTopic[];
  /** Nodes that did not answer, and why. */
  silent: { node: string; reason: string }[];
}

/** What `zmp top` can sort by (its keys). */
export const SORTS = {
  n: "name",
  r: "rate",
  l: "p99",
  e: "errors",
  d: "drops",
} as const;

/** A sort order. */
export type TopSort = typeof SORTS[keyof typeof SORTS];

/** Options of {@linkcode topSnapshot}. */
export interface TopOptions {
  /** Keep tool nodes (`_…`) and the tools' `zmp.Observe` calls. @default {false} */
  all?: boolean;
  /** The sort order. @default {"name"} */
  sort?: TopSort;
}

function processes(system: SystemMetrics): MetricsSnapshot[] {
  return system.registry === undefined
    ? system.nodes
    : [system.registry, ...system.nodes];
}

/**
 * A frame from two rounds of metrics.
 *
 * @param now the later round
 * @param before the earlier round (absent: rates are 0)
 * @param options what to hide, how to sort
 * @returns the rows
 */
export function topSnapshot(
  now: SystemMetrics,
  before: SystemMetrics | undefined,
  options: TopOptions = {},
): TopSnapshot {
  const seconds = before === undefined
    ? 0
    : Math.max(0.001, (now.at - before.at) / 1000);
  const rate = (d: number) => seconds === 0 ? 0 : Math.max(0, d) / seconds;
  const earlier = new Map<string, MetricsSnapshot>();
  for (const s of before === undefined ? [] : processes(before)) {
    earlier.set(`${s.node}\0${s.pid}`, s);
  }
  const nodes: TopNode[] = [];
  const methods: TopMethod[] = [];
  const topics: TopTopic[] = [];
  for (const s of processes(now)) {
    if (!options.all && s.node.startsWith("_")) continue;
    const prev = earlier.get(`${s.node}\0${s.pid}`);
    let calls = 0;
    let errors = 0;
    for (const m of s.methods) {
      const name = `${m.service}.${m.method}`;
      const pm = prev?.methods.find((x) =>
        x.service === m.service && x.method === m.method
      );
      const errorCount = sum(m.errors);
      const dErrors = errorCount - (pm === undefined ? 0 : sum(pm.errors));
      const dCalls = m.calls - (pm?.calls ?? 0);
      // The tools' own questions (this one's too) are not the system's work.
      if (!options.all && m.service === OBSERVE_SERVICE) continue;
      calls += dCalls;
      errors += dErrors;
      const window = histogramDelta(m.latency, pm?.latency);
      methods.push({
        node: s.node,
        method: name,
        callsPerSecond: prev === undefined ? 0 : rate(dCalls),
        p50Ms: round(quantile(window, 0.5)),
        p99Ms: round(quantile(window, 0.99)),
        errors: prev === undefined ? 0 : dErrors,
        calls: m.calls,
        inFlight: m.inFlight,
        errorsTotal: m.errors,
      });
    }
    nodes.push({
      node: s.node,
      pid: s.pid,
      ready: s.ready,
      callsPerSecond: prev === undefined ? 0 : rate(calls),
      errorsPerSecond: prev === undefined ? 0 : rate(errors),
      rssMiB: Math.round(s.process.rssBytes / 1048576 * 10) / 10,
      lagMs: round(s.process.eventLoopLagMs) ?? 0,
      sockets: s.process.openSockets,
    });
    for (const t of s.topics) {
      const pt = prev?.topics.find((x) =>
        x.topic === t.topic && x.role === t.role
      );
      topics.push({
        node: s.node,
        topic: t.topic,
        role: t.role,
        perSecond: pt === undefined
          ? t.rate
          : round(rate(t.messages - pt.messages)) ?? 0,
        drops: t.dropped - (pt?.dropped ?? t.dropped),
        dropsTotal: t.dropped,
        queued: t.queued,
        subscribers: t.subscribers,
      });
    }
  }
  sortRows(nodes, methods, topics, options.sort ?? "name");
  return {
    at: now.at,
    intervalSeconds: seconds,
    nodes,
    methods,
    topics,
    silent: now.silent.filter((s) => options.all || !s.node.startsWith("_")),
  };
}

function sum(counts: Record<string, number>): number {
  let n = 0;
  for (const v of Object.values(counts)) n += v;
  return n;
}

function round(v: number | undefined): number | null {
  return v === undefined ? null : Math.round(v * 1000) / 1000;
}

function sortRows(
  nodes: TopNode[],
  methods: TopMethod[],
  topics: TopTopic[],
  sort: TopSort,
): void {
  const byName = <T>(key: (x: T) => string) => (a: T, b: T) =>
    key(a).localeCompare(key(b));
  const desc =
    <T>(key: (x: T) => number, name: (x: T) => string) => (a: T, b: T) =>
      key(b) - key(a) || name(a).localeCompare(name(b));
  const nodeName = (n: TopNode) => n.node;
  const methodName = (m: TopMethod) => `${m.node}\0${m.method}`;
  const topicName = (t: TopTopic) => `${t.topic}\0${t.node}\0${t.role}`;
  switch (sort) {
    case "name":
      nodes.sort(byName(nodeName));
      methods.sort(byName(methodName));
      topics.sort(byName(topicName));
      return;
    case "rate":
      nodes.sort(desc((n) => n.callsPerSecond, nodeName));
      methods.sort(desc((m) => m.callsPerSecond, methodName));
      topics.sort(desc((t) => t.perSecond, topicName));
      return;
    case "p99":
      nodes.sort(desc((n) => n.lagMs, nodeName));
      methods.sort(desc((m) => m.p99Ms ?? -1, methodName));
      topics.sort(desc((t) => t.queued, topicName));
      return;
    case "errors":
      nodes.sort(desc((n) => n.errorsPerSecond, nodeName));
      methods.sort(desc((m) => sum(m.errorsTotal), methodName));
      topics.sort(byName(topicName));
      return;
    case "drops":
      nodes.sort(byName(nodeName));
      methods.sort(byName(methodName));
      topics.sort(desc((t) => t.dropsTotal, topicName));
      return;
  }
}

function fixed(v: number | null, digits = 1): string {
  return v === null ? "-" : v.toFixed(digits);
}

function columns(rows: string[][], right: number[]): string[] {
  const widths = rows[0].map((_, i) =>
    Math.max(...rows.map((r) => (r[i] ?? "").length))
  );
  return rows.map((r) =>
    r.map((cell, i) =>
      right.includes(i) ? cell.padStart(widths[i]) : cell.padEnd(widths[i])
    ).join("  ").trimEnd()
  );
}

/**
 * The lines of one `zmp top` frame.
 *
 * @param frame the rows
 * @param header what the first line says (registry, time, keys)
 * @returns the lines, without line ends
 */
export function renderTop(frame: TopSnapshot, header: string): string[] {
  const lines = [header, ""];
  lines.push(
    ...columns([
      [
        "NODE",
        "PID",
        "READY",
        "CALLS/S",
        "ERR/S",
        "RSS MiB",
        "LAG ms",
        "SOCKETS",
      ],
      ...frame.nodes.map((n) => [
        n.node,
        String(n.pid),
        n.ready ? "yes" : "NO",
        fixed(n.callsPerSecond),
        fixed(n.errorsPerSecond),
        fixed(n.rssMiB),
        fixed(n.lagMs),
        String(n.sockets),
      ]),
    ], [1, 3, 4, 5, 6, 7]),
  );
  for (const s of frame.silent) {
    lines.push(`${s.node}  (no answer: ${s.reason})`);
  }
  lines.push("");
  lines.push(
    ...columns([
      ["METHOD", "NODE", "CALLS/S", "P50 ms", "P99 ms", "ERRORS", "IN FLIGHT"],
      ...frame.methods.map((m) => [
        m.method,
        m.node,
        fixed(m.callsPerSecond),
        fixed(m.p50Ms, 2),
        fixed(m.p99Ms, 2),
        errorText(m),
        String(m.inFlight),
      ]),
    ], [2, 3, 4, 6]),
  );
  lines.push("");
  lines.push(
    ...columns([
      ["TOPIC", "NODE", "ROLE", "MSG/S", "DROPS", "QUEUED", "SUBS"],
      ...frame.topics.map((t) => [
        t.topic,
        t.node,
        t.role === "publisher" ? "pub" : "sub",
        fixed(t.perSecond),
        String(t.dropsTotal),
        t.role === "subscriber" ? String(t.queued) : "-",
        t.role === "publisher" ? String(t.subscribers) : "-",
      ]),
    ], [3, 4, 5, 6]),
  );
  return lines;
}

function errorText(m: TopMethod): string {
  const entries = Object.entries(m.errorsTotal);
  if (entries.length === 0) return "0";
  return entries.map(([code, n]) => `${code} ${n}`).join(", ");
}
