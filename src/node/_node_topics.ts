/**
 * A node's publishers and subscriptions: thin wrappers over the topic
 * sockets whose `close()` also tells the node (to unregister the entry and
 * stop following the registry).
 *
 * @module
 */

import type { SocketPublisher } from "../topics/publisher.ts";
import type { SocketSubscription } from "../topics/subscription.ts";
import type {
  PublishOptions,
  TopicCounters,
  TopicHandler,
  TopicMessage,
  TopicPublisher,
  TopicSubscription,
} from "../topics/types.ts";

/** A node's publisher: closing it also unregisters the publication. */
export class NodePublisher<T> implements TopicPublisher<T> {
  readonly #inner: SocketPublisher<T>;
  readonly #onClose: () => void;
  #closing: Promise<void> | undefined;

  constructor(inner: SocketPublisher<T>, onClose: () => void) {
    this.#inner = inner;
    this.#onClose = onClose;
  }

  get topic(): string {
    return this.#inner.topic;
  }

  get endpoint(): string {
    return this.#inner.endpoint;
  }

  get counters(): Readonly<TopicCounters> {
    return this.#inner.counters;
  }

  get subscribers(): number {
    return this.#inner.subscribers;
  }

  waitForSubscribers(
    count: number,
    options?: { signal?: AbortSignal; timeout?: number },
  ): Promise<void> {
    return this.#inner.waitForSubscribers(count, options);
  }

  publish(message: T, options?: PublishOptions): void {
    this.#inner.publish(message, options);
  }

  close(): Promise<void> {
    return this.#closing ??= (() => {
      this.#onClose();
      return this.#inner.close();
    })();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** A node's subscription: it follows the registry until closed. */
export class NodeSubscription<T> implements TopicSubscription<T> {
  readonly #inner: SocketSubscription<T>;
  readonly #onClose: () => void;
  #closing: Promise<void> | undefined;

  constructor(inner: SocketSubscription<T>, onClose: () => void) {
    this.#inner = inner;
    this.#onClose = onClose;
  }

  get topic(): string {
    return this.#inner.topic;
  }

  get endpoints(): readonly string[] {
    return this.#inner.endpoints;
  }

  get counters(): Readonly<TopicCounters> {
    return this.#inner.counters;
  }

  get queued(): number {
    return this.#inner.queued;
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return this.#inner[Symbol.asyncIterator]();
  }

  messages(): AsyncIterable<TopicMessage<T>> {
    return this.#inner.messages();
  }

  handle(handler: TopicHandler<T>): Promise<void> {
    return this.#inner.handle(handler);
  }

  close(): Promise<void> {
    return this.#closing ??= (() => {
      this.#onClose();
      return this.#inner.close();
    })();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
