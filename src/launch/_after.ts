/**
 * `after` conditions of a launch: whether the live nodes (as the
 * registry's `RegistryView` shows them) satisfy one, and how to say it.
 *
 * @module
 */

import type { NodeInfo } from "../registry/types.ts";
import type { AfterCondition } from "./types.ts";

/** Whether `nodes` satisfy `cond`. */
export function satisfied(
  cond: AfterCondition,
  nodes: Iterable<NodeInfo>,
): boolean {
  for (const n of nodes) {
    // A node whose readiness check fails does not count yet.
    if (n.ready === false) continue;
    if ("node" in cond && n.name === cond.node) return true;
    if ("service" in cond && n.services.some((s) => s.name === cond.service)) {
      return true;
    }
    if ("topic" in cond && n.publishes.some((p) => p.topic === cond.topic)) {
      return true;
    }
  }
  return false;
}

/** Describes a condition for people: `service Calculator`. */
export function describeCondition(cond: AfterCondition): string {
  if ("service" in cond) return `service ${cond.service}`;
  if ("topic" in cond) return `topic ${cond.topic}`;
  return `node ${cond.node}`;
}
