/**
 * The topic API as users see it: publishers, subscriptions and their
 * counters. `src/node/types.ts` re-exports these for the node API.
 *
 * @module
 */

import { consoleLogger, type Logger } from "../_util/log.ts";

/** Per-topic counters. */
export interface TopicCounters {
  /** Messages handed to `publish()` and sent (publisher). */
  published: number;
  /** Messages delivered to the iterator (subscriber). */
  delivered: number;
  /** Messages lost: dropped by ZeroMQ (detected by sequence gaps) or by a full local queue. */
  dropped: number;
  /** Messages that failed validation: counted, logged, never delivered. */
  invalid: number;
}

/** Options of a publisher. */
export interface PublisherOptions {
  /**
   * Keep the last value and give it to subscribers that join later.
   * @default {false}
   */
  latched?: boolean;
  /**
   * Send the W3C `traceparent` of each message along with it (flag TRACE
   * and a fourth frame, `docs/PROTOCOL.md` §13): with OpenTelemetry on,
   * each `publish()` is a PRODUCER span `publish <topic>`, child of the
   * active span; with it off, the `traceparent` of the call being served
   * is passed on. A message published outside any trace, with tracing
   * off, goes without one. Off, messages are exactly as before: no extra
   * byte, no extra work.
   *
   * A subscriber that requires exactly three frames (zmp before the TRACE
   * flag) counts a traced message as invalid: turn it on once every
   * subscriber reads it.
   * @default {false}
   */
  trace?: boolean;
}

/** Options of one `publish()`. */
export interface PublishOptions {
  /**
   * The W3C `traceparent` to send with this message (or, with `trace`
   * on and OpenTelemetry on, the parent of its PRODUCER span), e.g. one a
   * bridge received from outside.
   */
  traceparent?: string;
}

/** A typed publisher. */
export interface TopicPublisher<T> extends AsyncDisposable {
  /** The topic name. */
  readonly topic: string;
  /** Where its socket listens, e.g. `tcp://127.0.0.1:40123`. */
  readonly endpoint: string;
  /**
   * Validates and publishes; never waits for slow subscribers (drops).
   *
   * @throws {ValidationError} for a message the topic's validator rejects
   *   (counted in `invalid`, not sent)
   * @throws {TypeError} for a message the codec cannot encode, a
   *   malformed `options.traceparent`, or a closed publisher
   */
  publish(message: T, options?: PublishOptions): void;
  /** Counters of this publisher. */
  readonly counters: Readonly<TopicCounters>;
  /** How many subscribers are connected to this publisher now. */
  readonly subscribers: number;
  /**
   * Waits until at least `count` subscribers are connected, e.g. before
   * publishing a single message that nobody must miss.
   *
   * @throws {RangeError} unless `count` is an integer >= 0
   * @throws {TypeError} when the publisher closes first
   * @throws the signal's reason, or a `TimeoutError` `DOMException` after
   *   `timeout` ms
   */
  waitForSubscribers(
    count: number,
    options?: { signal?: AbortSignal; timeout?: number },
  ): Promise<void>;
  /** Stops publishing and unregisters. Idempotent. */
  close(): Promise<void>;
}

/** Options of a subscription. */
export interface SubscribeOptions {
  /**
   * How many received messages may wait for the iterator before the oldest
   * is dropped (counted in `dropped`).
   * @default {1000}
   */
  queue?: number;
  /**
   * Publisher endpoints this subscription never connects to, so that a
   * bridge that publishes and subscribes to the same topic does not hear
   * its own messages. Read by `Node.subscribe`.
   * @default {[]}
   */
  exclude?: readonly string[];
  /**
   * Most elements in one message (every value, array, map key and value;
   * see `MAX_ELEMENTS` in `zmp/wire`), counted by a scan of the bytes
   * before decoding: a message with more is dropped and counted as
   * invalid, so that a bad publisher cannot stall the subscriber. Large
   * numeric data travels as typed arrays, one element each (msgpack).
   * @default {32768}
   */
  maxElements?: number;
}

/** A received message with what came along with it. */
export interface TopicMessage<T> {
  /** The message, validated. */
  message: T;
  /** The W3C `traceparent` it carried (publisher with `trace` on). */
  traceparent?: string;
}

/** What a handler of {@linkcode TopicSubscription.handle} is given. */
export type TopicHandler<T> = (
  message: T,
  received: TopicMessage<T>,
) => unknown;

/**
 * A typed subscription: an async iterable of validated messages. Iterate it
 * from one place: concurrent iterators share the messages, each message
 * going to one of them (`messages()` and `handle()` included).
 */
export interface TopicSubscription<T>
  extends AsyncIterable<T>, AsyncDisposable {
  /** The topic name. */
  readonly topic: string;
  /** The publisher endpoints it is connected to now. */
  readonly endpoints: readonly string[];
  /** Counters of this subscription. */
  readonly counters: Readonly<TopicCounters>;
  /** Messages received and waiting for the iterator now. */
  readonly queued: number;
  /**
   * The messages with what came along with them: the `traceparent` of a
   * traced message.
   */
  messages(): AsyncIterable<TopicMessage<T>>;
  /**
   * Runs `handler` on each message, one at a time, until the subscription
   * closes. A traced message's handler runs inside its trace: a CONSUMER
   * span `process <topic>`, child of the publisher's span (OpenTelemetry
   * on), or with the `traceparent` passed on (off), so that the calls the
   * handler makes belong to the same trace.
   *
   * @returns once the subscription is closed
   * @throws what the handler throws (the loop stops)
   */
  handle(handler: TopicHandler<T>): Promise<void>;
  /** Stops; the iterator ends. Idempotent. */
  close(): Promise<void>;
}

/**
 * Where topics report what they drop: invalid messages, failed sends. The
 * `warn` half of the one {@linkcode Logger}; a `NodeLogger` fits too.
 */
export type TopicLogger = Pick<Logger, "warn">;

/** The default {@linkcode TopicLogger}: `zmp: <message>` on standard error. */
export const consoleTopicLogger: TopicLogger = consoleLogger;
