/**
 * The launcher's view of the registry: the live nodes, kept current by a
 * watch, and waits for `after` conditions.
 *
 * @module
 */

import type { NodeInfo, Registry } from "../registry/types.ts";
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

/** What changed, for the launcher's log. */
export type ViewChange =
  | { type: "added" | "updated"; node: NodeInfo }
  | { type: "removed"; name: string; reason: string };

/** The live nodes as the registry reports them, pushed. */
export class RegistryView implements AsyncDisposable {
  readonly #nodes = new Map<string, NodeInfo>();
  readonly #waiters = new Set<() => void>();
  readonly #abort = new AbortController();
  readonly #done: Promise<void>;

  /**
   * Starts watching.
   *
   * @param registry a registry connection (not closed by the view)
   * @param onChange called for every change after the first snapshot
   */
  constructor(
    registry: Registry,
    onChange: (change: ViewChange) => void = () => {},
  ) {
    this.#done = (async () => {
      try {
        for await (
          const ev of registry.watch({ signal: this.#abort.signal })
        ) {
          switch (ev.type) {
            case "snapshot":
              this.#nodes.clear();
              for (const n of ev.nodes) this.#nodes.set(n.name, n);
              break;
            case "added":
            case "updated":
              this.#nodes.set(ev.node.name, ev.node);
              onChange({ type: ev.type, node: ev.node });
              break;
            case "removed":
              if (this.#nodes.get(ev.name)?.instanceId === ev.instanceId) {
                this.#nodes.delete(ev.name);
              }
              onChange({ type: "removed", name: ev.name, reason: ev.reason });
              break;
          }
          for (const wake of [...this.#waiters]) wake();
        }
      } catch (e) {
        if (!this.#abort.signal.aborted) throw e;
      }
    })();
    this.#done.catch(() => {});
  }

  /** The live nodes now. */
  get nodes(): NodeInfo[] {
    return [...this.#nodes.values()];
  }

  /**
   * Resolves once `test` holds for the live nodes.
   *
   * @param test checked now and after every change
   * @param signal aborts the wait with its reason
   */
  until(
    test: (nodes: NodeInfo[]) => boolean,
    signal?: AbortSignal,
  ): Promise<void> {
    if (test(this.nodes)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = () => {
        this.#waiters.delete(check);
        signal?.removeEventListener("abort", onAbort);
      };
      const check = () => {
        if (test(this.nodes)) {
          done();
          resolve();
        }
      };
      const onAbort = () => {
        done();
        reject(signal?.reason);
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiters.add(check);
    });
  }

  /** Resolves once every condition holds. */
  after(conds: AfterCondition[], signal?: AbortSignal): Promise<void> {
    return this.until(
      (nodes) => conds.every((c) => satisfied(c, nodes)),
      signal,
    );
  }

  /** Stops watching. Idempotent. */
  async close(): Promise<void> {
    this.#abort.abort();
    await this.#done.catch(() => {});
  }

  /** Same as {@linkcode RegistryView.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
