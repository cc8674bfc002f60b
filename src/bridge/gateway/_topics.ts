/**
 * The gateway's topic subscriptions: one per topic, shared by everyone who
 * listens through the gateway (the `GET /topics/<name>` streams, the page's
 * rates), opened on the first listener and closed after the last. Each
 * keeps a message count and the last message, for the page.
 *
 * @module
 */

import type { Node, NodeLogger } from "../../node/types.ts";
import type { TopicDescriptor, Validator } from "../../wire/descriptors.ts";
import { validatorFromSchema } from "../../wire/json_schema.ts";
import type { TopicView } from "./system.ts";

/**
 * Called with each message of a topic, and the W3C `traceparent` it
 * carried (a message of a publisher with `trace` on).
 */
export type TopicListener = (message: unknown, traceparent?: string) => void;

/** What the hub knows of one topic's traffic. */
export interface TopicTraffic {
  /** Messages received since the subscription opened. */
  count: number;
  /** The last message, if any. */
  last?: unknown;
  /** When it came, ms since the epoch. */
  lastAt?: number;
}

interface Entry {
  view: TopicView;
  listeners: Set<TopicListener>;
  traffic: TopicTraffic;
  closing: AbortController;
  done: Promise<void>;
}

const accept: Validator = () => {};

/** The shared subscriptions of one gateway. */
export class TopicHub {
  readonly #node: Node;
  readonly #log: NodeLogger;
  readonly #entries = new Map<string, Entry>();
  readonly #running = new Set<Promise<void>>();

  /**
   * @param node the gateway's node, which subscribes
   * @param log where failures go
   */
  constructor(node: Node, log: NodeLogger) {
    this.#node = node;
    this.#log = log;
  }

  /**
   * Listens to a topic; subscribes when nobody listened yet.
   *
   * @param view the topic, as the registry shows it
   * @param listener called with each message
   * @returns a function that stops listening (idempotent)
   */
  listen(view: TopicView, listener: TopicListener): () => void {
    let entry = this.#entries.get(view.name);
    if (entry === undefined) {
      const closing = new AbortController();
      const created: Entry = {
        view,
        listeners: new Set(),
        traffic: { count: 0 },
        closing,
        done: Promise.resolve(),
      };
      created.done = this.#pump(created).catch((e) =>
        this.#log.warn(`cannot follow topic ${view.name}`, {
          error: (e as Error).message,
        })
      );
      this.#running.add(created.done);
      created.done.finally(() => this.#running.delete(created.done));
      this.#entries.set(view.name, created);
      entry = created;
    }
    const current = entry;
    current.listeners.add(listener);
    return () => {
      if (!current.listeners.delete(listener)) return;
      if (current.listeners.size === 0) {
        current.closing.abort();
        if (this.#entries.get(view.name) === current) {
          this.#entries.delete(view.name);
        }
      }
    };
  }

  /**
   * The traffic of the topics someone listens to.
   *
   * @returns by topic name
   */
  traffic(): Map<string, TopicTraffic> {
    const out = new Map<string, TopicTraffic>();
    for (const [name, e] of this.#entries) out.set(name, e.traffic);
    return out;
  }

  async #pump(entry: Entry): Promise<void> {
    const { view, closing } = entry;
    const descriptor: TopicDescriptor = {
      name: view.name,
      typeName: view.typeName,
      codec: view.codec ?? "msgpack",
      validate: view.schema === undefined
        ? accept
        : validatorFromSchema(view.schema),
      schema: view.schema ?? {},
      source: "zmp gateway",
    };
    if (closing.signal.aborted) return;
    const subscription = await this.#node.subscribe(descriptor);
    const stop = () => subscription.close();
    closing.signal.addEventListener("abort", stop, { once: true });
    try {
      if (closing.signal.aborted) return;
      for await (const { message, traceparent } of subscription.messages()) {
        const traffic = entry.traffic;
        traffic.count++;
        traffic.last = message;
        traffic.lastAt = Date.now();
        for (const listener of [...entry.listeners]) {
          try {
            listener(message, traceparent);
          } catch (e) {
            this.#log.warn(`a listener of ${view.name} failed`, {
              error: (e as Error).message,
            });
          }
        }
      }
    } finally {
      closing.signal.removeEventListener("abort", stop);
      await subscription.close();
    }
  }

  /** Closes every subscription; waits for them. */
  async close(): Promise<void> {
    const entries = [...this.#entries.values()];
    this.#entries.clear();
    for (const e of entries) {
      e.listeners.clear();
      e.closing.abort();
    }
    await Promise.all(this.#running);
  }
}
