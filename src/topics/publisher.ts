/**
 * `createPublisher`: a typed publisher on one topic, an XPUB socket of its
 * own. Messages are validated, encoded with the topic's codec and sent
 * without waiting: a subscriber that cannot keep up loses messages (ZeroMQ
 * drops them at the high-water mark; the subscriber counts the gap).
 *
 * A latched publisher keeps its last message and sends it again whenever a
 * subscription to its topic arrives, so that late joiners get the current
 * value; subscribers that already had it drop the copy by its sequence
 * number.
 *
 * Every subscription and unsubscription comes up from the XPUB socket
 * (`ZMQ_XPUB_VERBOSER`), so a publisher knows how many subscribers are
 * connected to it: `subscribers`, and `waitForSubscribers(n)` for a
 * one-shot publisher that must not publish into the void.
 *
 * @module
 */

import {
  type Context,
  type CurveServerSecurity,
  curveSocketOptions,
  XPublisher,
} from "../zmq/mod.ts";
import { codecByName } from "../wire/codec.ts";
import {
  type TopicDescriptor,
  ValidationError,
  type ValidationIssue,
} from "../wire/descriptors.ts";
import {
  encodeTopicHeader,
  encodeTraceFrame,
  FLAG_REPLAY,
  FLAG_TRACE,
  sameBytes,
  topicFrame,
} from "./_frames.ts";
import { parseTraceparent, producerTraceparent } from "../observe/trace.ts";
import {
  consoleTopicLogger,
  type PublisherOptions,
  type PublishOptions,
  type TopicCounters,
  type TopicLogger,
  type TopicPublisher,
} from "./types.ts";

/** Options of {@linkcode createPublisher}. */
export interface CreatePublisherOptions extends PublisherOptions {
  /**
   * Where to bind.
   * @default {"tcp://127.0.0.1:*"}
   */
  endpoint?: string;
  /**
   * Messages queued per subscriber before ZeroMQ drops (`ZMQ_SNDHWM`).
   * @default {1000}
   */
  highWaterMark?: number;
  /** Where failures are reported. @default {consoleTopicLogger} */
  logger?: TopicLogger;
  /** The ZeroMQ context. @default {Context.default} */
  context?: Context;
  /**
   * Publish over CURVE: the publisher's key pair, and which subscriber keys
   * may connect.
   * @default {none: plain TCP}
   */
  curve?: CurveServerSecurity;
  /**
   * The node's name, put on the PRODUCER spans of `trace` (attribute
   * `zmp.node`).
   * @default {none}
   */
  node?: string;
}

/** A publisher bound to its own socket: a {@linkcode TopicPublisher}. */
export interface SocketPublisher<T> extends TopicPublisher<T> {
  /** Whether late joiners get the last message. */
  readonly latched: boolean;
  /** Random id that subscribers see in every message header. */
  readonly publisherId: number;
  /** Whether each message carries its `traceparent`. */
  readonly traced: boolean;
}

/**
 * Creates a publisher on `topic`, bound at once.
 *
 * @param topic the topic descriptor (generated)
 * @param options latched, endpoint, high-water mark, logger, context
 * @returns the publisher; close it when done
 * @throws {TypeError} for a bad topic name
 * @throws {ZmqError} when the endpoint cannot be bound
 * @example
 * ```ts
 * import { createPublisher } from "zmp";
 * import { RawReadingTopic } from "../../examples/sensors/sensors.api.gen.ts";
 *
 * await using pub = createPublisher(RawReadingTopic, { latched: true });
 * pub.publish({ sensor: "hall", seq: 0, value: 21.5, at: new Date() });
 * console.log(pub.endpoint, pub.counters.published); // tcp://127.0.0.1:… 1
 * ```
 */
export function createPublisher<T>(
  topic: TopicDescriptor<T>,
  options: CreatePublisherOptions = {},
): SocketPublisher<T> {
  return new Publisher(topic, options);
}

class Publisher<T> implements SocketPublisher<T> {
  readonly topic: string;
  readonly endpoint: string;
  readonly latched: boolean;
  readonly traced: boolean;
  readonly publisherId: number;
  readonly #node: string | undefined;
  readonly #descriptor: TopicDescriptor<T>;
  readonly #socket: XPublisher;
  readonly #name: Uint8Array;
  readonly #subscribeMessage: Uint8Array;
  readonly #unsubscribeMessage: Uint8Array;
  readonly #waiters = new Set<() => void>();
  #subscribers = 0;
  readonly #codec;
  readonly #logger: TopicLogger;
  readonly #counters: TopicCounters = {
    published: 0,
    delivered: 0,
    dropped: 0,
    invalid: 0,
  };
  readonly #loop: Promise<void>;
  #seq = 0;
  #last: Uint8Array[] | undefined;
  #closing: Promise<void> | undefined;

  constructor(descriptor: TopicDescriptor<T>, options: CreatePublisherOptions) {
    this.#descriptor = descriptor;
    this.topic = descriptor.name;
    this.#name = topicFrame(descriptor.name);
    this.#subscribeMessage = new Uint8Array(this.#name.length + 1);
    this.#subscribeMessage[0] = 1;
    this.#subscribeMessage.set(this.#name, 1);
    this.#unsubscribeMessage = this.#subscribeMessage.slice();
    this.#unsubscribeMessage[0] = 0;
    this.#codec = codecByName(descriptor.codec);
    this.latched = options.latched ?? false;
    this.traced = options.trace ?? false;
    this.#node = options.node;
    this.#logger = options.logger ?? consoleTopicLogger;
    this.publisherId = crypto.getRandomValues(new Uint32Array(1))[0];
    this.#socket = new XPublisher({
      context: options.context,
      ...(options.curve === undefined ? {} : curveSocketOptions(options.curve)),
      sendHighWaterMark: options.highWaterMark ?? 1000,
      // Every subscription and unsubscription comes up, not only the
      // first and last for a prefix: each late joiner triggers a replay of
      // the latched message, and `subscribers` stays exact.
      xpubVerboser: true,
    });
    try {
      this.endpoint = this.#socket.bind(
        options.endpoint ?? "tcp://127.0.0.1:*",
      );
    } catch (e) {
      this.#socket.close();
      throw e;
    }
    this.#loop = this.#subscriptions();
  }

  get counters(): Readonly<TopicCounters> {
    return { ...this.#counters };
  }

  get subscribers(): number {
    return this.#subscribers;
  }

  waitForSubscribers(
    count: number,
    options: { signal?: AbortSignal; timeout?: number } = {},
  ): Promise<void> {
    if (!Number.isInteger(count) || count < 0) {
      return Promise.reject(
        new RangeError(
          `Cannot wait for subscribers of ${this.topic}: count must be an integer >= 0, got ${count}`,
        ),
      );
    }
    if (this.#subscribers >= count) return Promise.resolve();
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    const signals = [options.signal];
    if (options.timeout !== undefined) {
      signals.push(AbortSignal.timeout(options.timeout));
    }
    const live = signals.filter((s): s is AbortSignal => s !== undefined);
    const signal = live.length > 0 ? AbortSignal.any(live) : undefined;
    const check = () => {
      if (this.#subscribers >= count) done();
      else if (this.#closing !== undefined) {
        done(
          new TypeError(
            `Cannot wait for subscribers of ${this.topic}: the publisher is closed`,
          ),
        );
      }
    };
    const onAbort = () => done(signal?.reason);
    const done = (error?: unknown) => {
      this.#waiters.delete(check);
      signal?.removeEventListener("abort", onAbort);
      if (error === undefined) resolve();
      else reject(error);
    };
    if (signal?.aborted) {
      onAbort();
      return promise;
    }
    signal?.addEventListener("abort", onAbort, { once: true });
    this.#waiters.add(check);
    return promise;
  }

  publish(message: T, options?: PublishOptions): void {
    if (this.#closing !== undefined) {
      throw new TypeError(
        `Cannot publish on ${this.topic}: the publisher is closed`,
      );
    }
    const given = options?.traceparent;
    if (given !== undefined && parseTraceparent(given) === undefined) {
      throw new TypeError(
        `Cannot publish on ${this.topic}: traceparent ${
          JSON.stringify(given)
        } is not a W3C traceparent ("00-<32 hex>-<16 hex>-<2 hex>")`,
      );
    }
    const issues: ValidationIssue[] = [];
    this.#descriptor.validate(message, "message", issues);
    if (issues.length > 0) {
      this.#counters.invalid++;
      throw new ValidationError(`message on topic ${this.topic}`, issues);
    }
    let payload: Uint8Array;
    try {
      payload = this.#codec.encode(message);
    } catch (e) {
      this.#counters.invalid++;
      throw new TypeError(
        `Cannot publish on ${this.topic}: ${(e as Error).message}`,
        { cause: e },
      );
    }
    // Untraced, the message is the three frames it always was.
    const traceparent = this.traced
      ? producerTraceparent(this.topic, given, this.#node)
      : given;
    const header = encodeTopicHeader({
      codec: this.#codec.id,
      flags: traceparent === undefined ? 0 : FLAG_TRACE,
      publisher: this.publisherId,
      seq: ++this.#seq,
    });
    const frames = traceparent === undefined
      ? [this.#name, header, payload]
      : [this.#name, header, payload, encodeTraceFrame(traceparent)];
    if (this.latched) this.#last = frames;
    this.#counters.published++;
    this.#send(frames);
  }

  #send(frames: Uint8Array[]): void {
    // An XPUB drops at the high-water mark instead of waiting: this settles
    // at once.
    this.#socket.send(frames).catch((e) => {
      if (!this.#socket.closed) {
        this.#logger.warn(
          `cannot send on topic ${this.topic}: ${(e as Error).message}`,
        );
      }
    });
  }

  /** Reads subscriptions; replays the latched message to each new one. */
  async #subscriptions(): Promise<void> {
    try {
      for await (const [frame] of this.#socket) {
        if (sameBytes(frame, this.#unsubscribeMessage)) {
          this.#subscribers = Math.max(0, this.#subscribers - 1);
          continue;
        }
        if (!sameBytes(frame, this.#subscribeMessage)) continue;
        this.#subscribers++;
        for (const check of [...this.#waiters]) check();
        if (this.latched && this.#last !== undefined) {
          const [name, header, ...rest] = this.#last;
          const replay = header.slice();
          replay[3] |= FLAG_REPLAY;
          this.#send([name, replay, ...rest]);
        }
      }
    } catch (e) {
      if (!this.#socket.closed) {
        this.#logger.warn(
          `publisher of ${this.topic} stopped reading subscriptions: ${
            (e as Error).message
          }`,
        );
      }
    }
  }

  close(): Promise<void> {
    return this.#closing ??= (async () => {
      try {
        // Give the last messages a moment to leave (zmp's default is 0).
        this.#socket.setOption("linger", 100);
      } catch {
        // already closed
      }
      await this.#socket[Symbol.asyncDispose]();
      await this.#loop;
      for (const check of [...this.#waiters]) check();
    })();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
