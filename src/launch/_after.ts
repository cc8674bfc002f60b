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
  const needed = "service" in cond ? cond.count ?? 1 : 1;
  let found = 0;
  for (const n of nodes) {
    // A node whose readiness check fails does not count yet.
    if (n.ready === false) continue;
    if (matches(cond, n) && ++found >= needed) return true;
  }
  return false;
}

function matches(cond: AfterCondition, n: NodeInfo): boolean {
  if ("node" in cond) return n.name === cond.node;
  if ("service" in cond) {
    return n.services.some((s) => s.name === cond.service);
  }
  return n.publishes.some((p) => p.topic === cond.topic);
}

/**
 * Describes a condition for people: `service Calculator`, or
 * `service Calculator on 2 nodes`.
 */
export function describeCondition(cond: AfterCondition): string {
  if ("service" in cond) {
    const count = cond.count ?? 1;
    return `service ${cond.service}${count > 1 ? ` on ${count} nodes` : ""}`;
  }
  if ("topic" in cond) return `topic ${cond.topic}`;
  return `node ${cond.node}`;
}
