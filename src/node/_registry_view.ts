/**
 * A node's live picture of the registry: one watch, the nodes it reports,
 * and listeners told about every change. Service clients and topic
 * subscriptions follow it instead of polling.
 *
 * @module
 */

import type { NodeInfo, Registry, RegistryEvent } from "../registry/types.ts";
import type { NodeLogger } from "./types.ts";

/** Called after each change, with the event that caused it. */
export type ViewListener = (event: RegistryEvent) => void;

/** Waits after a failed watch before watching again, in ms. */
const RETRY_MS = [50, 100, 250, 500, 1000];

/** The registry as seen by one node (internal). */
export class RegistryView {
  readonly #registry: Registry;
  readonly #log: NodeLogger;
  readonly #nodes = new Map<string, NodeInfo>();
  readonly #listeners = new Set<ViewListener>();
  readonly #abort = new AbortController();
  #loop: Promise<void> | undefined;
  #first: Promise<void> | undefined;
  #resolveFirst: (() => void) | undefined;

  constructor(registry: Registry, log: NodeLogger) {
    this.#registry = registry;
    this.#log = log;
  }

  /** Every live node, as last reported. */
  get nodes(): Iterable<NodeInfo> {
    return this.#nodes.values();
  }

  /**
   * Starts watching (once).
   *
   * @returns once the first snapshot is in
   */
  start(): Promise<void> {
    if (this.#first === undefined) {
      this.#first = new Promise((resolve) => this.#resolveFirst = resolve);
      this.#loop = this.#watch();
    }
    return this.#first;
  }

  /**
   * Adds a listener.
   *
   * @param listener called after each change
   * @returns a function that removes it
   */
  listen(listener: ViewListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Waits until `ready()` holds, re-checking after each change.
   *
   * @param ready the condition
   * @param options a signal and a timeout (ms) that reject the wait
   * @returns once it holds
   * @throws the signal's reason, or a `DOMException` `TimeoutError`
   */
  async until(
    ready: () => boolean,
    options: { signal: AbortSignal; timeout: number },
  ): Promise<void> {
    const { signal, timeout } = options;
    signal.throwIfAborted();
    let stop: (() => void) | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        let started = false;
        const check = () => {
          if (started && ready()) resolve();
        };
        stop = this.listen(check);
        onAbort = () => reject(signal.reason);
        signal.addEventListener("abort", onAbort, { once: true });
        timer = setTimeout(
          () =>
            reject(
              new DOMException(`waited ${timeout} ms`, "TimeoutError"),
            ),
          timeout,
        );
        this.start().then(() => {
          started = true;
          check();
        });
      });
    } finally {
      stop?.();
      clearTimeout(timer);
      if (onAbort !== undefined) signal.removeEventListener("abort", onAbort);
    }
  }

  async #watch(): Promise<void> {
    const signal = this.#abort.signal;
    let failures = 0;
    while (!signal.aborted) {
      try {
        for await (const event of this.#registry.watch({ signal })) {
          failures = 0;
          this.#apply(event);
        }
        if (signal.aborted) return;
        this.#log.warn("the registry watch ended; watching again");
      } catch (e) {
        if (signal.aborted) return;
        this.#log.warn("the registry watch failed; watching again", {
          error: (e as Error).message,
        });
      }
      const wait = RETRY_MS[Math.min(failures++, RETRY_MS.length - 1)];
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, wait);
        signal.addEventListener("abort", done, { once: true });
        function done() {
          clearTimeout(timer);
          signal.removeEventListener("abort", done);
          resolve();
        }
      });
    }
  }

  #apply(event: RegistryEvent): void {
    switch (event.type) {
      case "snapshot":
        this.#nodes.clear();
        for (const node of event.nodes) this.#nodes.set(node.name, node);
        this.#resolveFirst?.();
        this.#resolveFirst = undefined;
        break;
      case "added":
      case "updated":
        this.#nodes.set(event.node.name, event.node);
        break;
      case "removed":
        if (this.#nodes.get(event.name)?.instanceId === event.instanceId) {
          this.#nodes.delete(event.name);
        }
        break;
    }
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch (e) {
        this.#log.error("a registry listener failed", {
          error: (e as Error).message,
        });
      }
    }
  }

  /** Stops watching; waits for the watch to end. Idempotent. */
  async close(): Promise<void> {
    this.#abort.abort();
    this.#listeners.clear();
    this.#resolveFirst?.();
    await this.#loop;
  }
}
