/**
 * `RegistryView`: a live picture of the nodes, kept current by one
 * `Registry.watch()`, whichever backend feeds it. Nodes (for their service
 * clients and subscriptions), the launcher (for `after` conditions and its
 * log) and the CLI (`--wait`) all use this one view.
 *
 * - A node is known by name and instance: a `removed` event for another
 *   instance of the name (a ghost of a restarted node) changes nothing.
 * - A snapshot after a reconnection is compared with what was known, and
 *   the differences are reported as changes, so listeners never miss a
 *   node that came or went while the watch was down.
 * - The watch reconnects by itself (that is `watch()`'s job); the view
 *   does not retry on top of it. A failure that reconnecting cannot cure
 *   ends the view: it is logged once, and waiters get the error.
 *
 * @module
 */

import { isDeepStrictEqual } from "node:util";
import type { Logger } from "../rpc/logger.ts";
import type { NodeInfo, Registry, RegistryEvent } from "./types.ts";

/** A change of the live nodes, as the view reports it. */
export type ViewChange =
  /** A node appeared. */
  | { type: "added"; node: NodeInfo }
  /** A node changed what it provides. */
  | { type: "updated"; node: NodeInfo; previous: NodeInfo }
  /**
   * A node left: it unregistered, or its lease expired (or it vanished
   * while the watch was down, reported as expired).
   */
  | { type: "removed"; node: NodeInfo; reason: "unregistered" | "expired" };

/** Options of {@linkcode RegistryView}. */
export interface RegistryViewOptions {
  /** Where a watch that failed for good is reported. @default {none} */
  logger?: Pick<Logger, "error">;
}

/** Options of {@linkcode RegistryView.until}. */
export interface UntilOptions {
  /** Rejects the wait with its reason. */
  signal?: AbortSignal;
  /** Rejects the wait with a `TimeoutError` after this many ms. */
  timeout?: number;
}

/**
 * The live nodes of a registry, pushed.
 *
 * @example
 * ```ts
 * import { connectRegistry, RegistryView } from "zmp";
 *
 * await using registry = await connectRegistry();
 * await using view = new RegistryView(registry);
 * const calc = await view.until(
 *   (nodes) => nodes.find((n) => n.services.some((s) => s.name === "Calc")),
 *   { timeout: 5000 },
 * );
 * view.listen((change) => console.log(change.type, change.node.name));
 * ```
 */
export class RegistryView implements AsyncDisposable {
  readonly #registry: Registry;
  readonly #logger: Pick<Logger, "error"> | undefined;
  readonly #nodes = new Map<string, NodeInfo>();
  readonly #listeners = new Set<(change: ViewChange) => void>();
  readonly #wakers = new Set<() => void>();
  readonly #abort = new AbortController();
  #loop: Promise<void> | undefined;
  #ready = false;
  #error: unknown;
  #failed = false;

  /**
   * Makes a view; it starts watching on {@linkcode RegistryView.start}, or
   * on the first wait.
   *
   * @param registry the registry (not closed by the view)
   * @param options where a failed watch is reported
   */
  constructor(registry: Registry, options: RegistryViewOptions = {}) {
    this.#registry = registry;
    this.#logger = options.logger;
  }

  /** The live nodes now, sorted by name. */
  get nodes(): NodeInfo[] {
    return [...this.#nodes.values()].sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0
    );
  }

  /** Whether the first snapshot is in. */
  get ready(): boolean {
    return this.#ready;
  }

  /**
   * The live node of that name.
   *
   * @param name a node name
   * @returns its info, or `undefined`
   */
  get(name: string): NodeInfo | undefined {
    return this.#nodes.get(name);
  }

  /**
   * Starts watching (once).
   *
   * @returns once the first snapshot is in
   * @throws the watch's error when it failed for good before that
   */
  async start(): Promise<void> {
    await this.until(() => true);
  }

  /**
   * Adds a listener, told about every change after the first snapshot.
   *
   * @param listener called with each change (errors it throws are logged)
   * @returns a function that removes it
   */
  listen(listener: (change: ViewChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Waits until `pick` finds what it wants in the live nodes: it is called
   * once the first snapshot is in and after every change, and the wait
   * ends with the first value it returns other than `undefined` or `false`.
   *
   * @param pick looks at the live nodes
   * @param options a signal and a timeout
   * @returns what `pick` returned
   * @throws the signal's reason; a `DOMException` `TimeoutError`; the
   *   watch's error when it failed for good
   */
  until<T>(
    pick: (nodes: NodeInfo[]) => T | undefined | false,
    options: UntilOptions = {},
  ): Promise<T> {
    this.#start();
    const { signal, timeout } = options;
    return new Promise<T>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = () => {
        this.#wakers.delete(check);
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
      };
      const check = () => {
        if (this.#failed) {
          done();
          return reject(this.#error);
        }
        if (!this.#ready) return;
        let found: T | undefined | false;
        try {
          found = pick(this.nodes);
        } catch (e) {
          done();
          return reject(e);
        }
        if (found !== undefined && found !== false) {
          done();
          resolve(found);
        }
      };
      const onAbort = () => {
        done();
        reject(signal?.reason);
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener("abort", onAbort, { once: true });
      if (timeout !== undefined) {
        timer = setTimeout(() => {
          done();
          reject(
            new DOMException(`waited ${timeout} ms`, "TimeoutError"),
          );
        }, timeout);
      }
      this.#wakers.add(check);
      check();
    });
  }

  /** Stops watching; pending waits are left to their signals. Idempotent. */
  async close(): Promise<void> {
    this.#abort.abort();
    this.#listeners.clear();
    await this.#loop;
  }

  /** Same as {@linkcode RegistryView.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #start(): void {
    this.#loop ??= this.#watch();
  }

  async #watch(): Promise<void> {
    const signal = this.#abort.signal;
    try {
      for await (const event of this.#registry.watch({ signal })) {
        this.#apply(event);
      }
    } catch (e) {
      if (signal.aborted) return;
      this.#error = e;
      this.#failed = true;
      this.#logger?.error(
        `the registry watch failed and stopped: ${(e as Error)?.message ?? e}`,
      );
      this.#wake();
    }
  }

  #apply(event: RegistryEvent): void {
    const changes: ViewChange[] = [];
    switch (event.type) {
      case "snapshot": {
        const fresh = new Map(event.nodes.map((n) => [n.name, n]));
        for (const [name, node] of this.#nodes) {
          const now = fresh.get(name);
          if (now === undefined || now.instanceId !== node.instanceId) {
            changes.push({ type: "removed", node, reason: "expired" });
          }
        }
        for (const [name, node] of fresh) {
          const old = this.#nodes.get(name);
          if (old === undefined || old.instanceId !== node.instanceId) {
            changes.push({ type: "added", node });
          } else if (!isDeepStrictEqual(old, node)) {
            changes.push({ type: "updated", node, previous: old });
          }
        }
        this.#nodes.clear();
        for (const [name, node] of fresh) this.#nodes.set(name, node);
        if (!this.#ready) {
          this.#ready = true;
          changes.length = 0; // the first picture is not a change
        }
        break;
      }
      case "added":
      case "updated": {
        const old = this.#nodes.get(event.node.name);
        this.#nodes.set(event.node.name, event.node);
        if (old !== undefined && old.instanceId !== event.node.instanceId) {
          changes.push({ type: "removed", node: old, reason: "expired" });
          changes.push({ type: "added", node: event.node });
        } else if (old === undefined) {
          changes.push({ type: "added", node: event.node });
        } else {
          changes.push({ type: "updated", node: event.node, previous: old });
        }
        break;
      }
      case "removed": {
        const old = this.#nodes.get(event.name);
        if (old?.instanceId !== event.instanceId) break; // a ghost
        this.#nodes.delete(event.name);
        changes.push({ type: "removed", node: old, reason: event.reason });
        break;
      }
    }
    for (const change of changes) {
      for (const listener of [...this.#listeners]) {
        try {
          listener(change);
        } catch (e) {
          this.#logger?.error(
            `a registry view listener failed: ${(e as Error)?.message ?? e}`,
          );
        }
      }
    }
    this.#wake();
  }

  #wake(): void {
    for (const wake of [...this.#wakers]) wake();
  }
}
