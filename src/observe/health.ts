/**
 * A system's health in a few lines, from one round of metrics: which
 * processes answer, which are not ready and why, and what looks wrong —
 * failed calls, dropped or invalid topic messages, a slow event loop.
 * What `zmp doctor` prints about the running system.
 *
 * @module
 */

import type { Registry } from "../registry/types.ts";
import {
  MetricsCollector,
  type MetricsCollectorOptions,
  type SystemMetrics,
} from "./collect.ts";

/** An event-loop delay above this (ms) is reported. */
export const SLOW_LOOP_MS = 200;

/** What {@linkcode systemHealth} finds. */
export interface SystemHealth {
  /** Nothing silent, nothing not ready, no problem. */
  ok: boolean;
  /** Processes that answered (the registry included). */
  answering: number;
  /** Nodes that did not answer, and why. */
  silent: { node: string; reason: string }[];
  /** Nodes whose readiness check fails, and why. */
  notReady: { node: string; reason: string }[];
  /** What looks wrong, one line each, e.g. `calc: Calculator.divide failed 3 times (INVALID_ARGUMENT 3)`. */
  problems: string[];
}

/**
 * Judges one round of metrics.
 *
 * @param system what the processes answered
 * @returns the summary
 */
export function systemHealth(system: SystemMetrics): SystemHealth {
  const all = system.registry === undefined
    ? system.nodes
    : [system.registry, ...system.nodes];
  const problems: string[] = [];
  const notReady: SystemHealth["notReady"] = [];
  for (const s of all) {
    if (!s.ready) {
      notReady.push({ node: s.node, reason: s.notReady ?? "not ready" });
    }
    for (const m of s.methods) {
      const codes = Object.entries(m.errors);
      const n = codes.reduce((sum, [, c]) => sum + c, 0);
      if (n === 0) continue;
      problems.push(
        `${s.node}: ${m.service}.${m.method} failed ${n} of ${m.calls} calls (${
          codes.map(([code, c]) => `${code} ${c}`).join(", ")
        })`,
      );
    }
    for (const t of s.topics) {
      if (t.dropped > 0) {
        problems.push(
          `${s.node}: ${t.topic} (${t.role}) lost ${t.dropped} messages`,
        );
      }
      if (t.invalid > 0) {
        problems.push(
          `${s.node}: ${t.topic} (${t.role}) refused ${t.invalid} invalid messages`,
        );
      }
    }
    if (s.process.eventLoopLagMs > SLOW_LOOP_MS) {
      problems.push(
        `${s.node}: its event loop was ${
          Math.round(s.process.eventLoopLagMs)
        } ms late`,
      );
    }
  }
  return {
    ok: system.silent.length === 0 && notReady.length === 0 &&
      problems.length === 0,
    answering: all.length,
    silent: system.silent,
    notReady,
    problems,
  };
}

/**
 * Asks every process of the system behind `registry` once and judges it.
 *
 * @param registry a connected registry
 * @param options how long each process may take, in ms; in secure mode,
 *   the keys to ask with (see {@linkcode MetricsCollectorOptions})
 * @returns the summary
 */
export async function collectHealth(
  registry: Registry,
  options: { timeout?: number; curve?: MetricsCollectorOptions["curve"] } = {},
): Promise<SystemHealth> {
  await using collector = new MetricsCollector({
    registry: registry.endpoint,
    timeout: options.timeout,
    curve: options.curve,
  });
  return systemHealth(await collector.collect(await registry.nodes()));
}

/**
 * The summary for people: a first line, then one line per finding.
 *
 * @param health the summary
 * @returns the lines
 */
export function healthLines(health: SystemHealth): string[] {
  const n = health.answering;
  const lines = [
    `${n} ${n === 1 ? "process answers" : "processes answer"}${
      health.silent.length > 0 ? `, ${health.silent.length} silent` : ""
    }${
      health.notReady.length > 0 ? `, ${health.notReady.length} not ready` : ""
    }${health.ok ? ", nothing wrong seen" : ""}`,
  ];
  for (const s of health.silent) lines.push(`${s.node} is silent: ${s.reason}`);
  for (const s of health.notReady) {
    lines.push(`${s.node} is not ready: ${s.reason}`);
  }
  lines.push(...health.problems);
  return lines;
}
