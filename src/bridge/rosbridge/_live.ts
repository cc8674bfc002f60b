/**
 * The live nodes as the rosbridge server sees them, followed with one
 * registry watch, so that a service call does not ask the registry first.
 * Before the watch's first snapshot, and when asked for fresh nodes (a
 * name that the view does not know yet), the registry is asked.
 *
 * @module
 */

import type { NodeInfo, Registry } from "../../registry/types.ts";

/** Follows the registry until closed. */
export class LiveNodes {
  readonly #registry: Registry;
  readonly #nodes = new Map<string, NodeInfo>();
  readonly #abort = new AbortController();
  readonly #following: Promise<void>;
  #ready = false;

  /** @param registry the registry to follow */
  constructor(registry: Registry) {
    this.#registry = registry;
    this.#following = this.#follow().catch(() => {
      this.#ready = false;
    });
  }

  async #follow(): Promise<void> {
    for await (
      const event of this.#registry.watch({ signal: this.#abort.signal })
    ) {
      if (event.type === "snapshot") {
        this.#nodes.clear();
        for (const n of event.nodes) this.#nodes.set(n.name, n);
        this.#ready = true;
      } else if (event.type === "removed") this.#nodes.delete(event.name);
      else this.#nodes.set(event.node.name, event.node);
    }
  }

  /**
   * The live nodes.
   *
   * @param fresh ask the registry rather than the view
   * @returns the nodes
   */
  get(fresh = false): Promise<NodeInfo[]> {
    if (!fresh && this.#ready) {
      return Promise.resolve([...this.#nodes.values()]);
    }
    return this.#registry.nodes({ timeout: 3000 });
  }

  /** Stops following. */
  async close(): Promise<void> {
    this.#abort.abort();
    await this.#following;
  }
}
