/**
 * `createSubscription`: a typed subscription to one topic, a SUB socket of
 * its own connected to every publisher endpoint it is given.
 *
 * Each message is checked on arrival — frames, header, codec, decoding, the
 * topic's validator — and a bad one is counted in `invalid`, logged (at most
 * one line a second) and dropped; the subscription carries on. Sequence
 * numbers tell duplicates (latched replays) from new messages, and gaps
 * from messages lost on the way (counted in `dropped`). Messages wait in a
 * bounded queue for the iterator; when it is full, the oldest is dropped.
 *
 * @module
 */

import { type Context, type CurveKeyPair, Subscriber } from "../zmq/mod.ts";
import { codecById } from "../wire/codec.ts";
import type { TopicDescriptor } from "../wire/descriptors.ts";
import { IssueList, validationMessage } from "../wire/errors.ts";
import { MAX_ELEMENTS } from "../wire/limits.ts";
import { LogLimiter } from "../_util/log.ts";
import {
  decodeTopicHeader,
  decodeTraceFrame,
  FLAG_TRACE,
  sameBytes,
  topicFrame,
} from "./_frames.ts";
import { consumerTrace } from "../observe/trace.ts";
import {
  consoleTopicLogger,
  type SubscribeOptions,
  type TopicCounters,
  type TopicHandler,
  type TopicLogger,
  type TopicMessage,
  type TopicSubscription,
} from "./types.ts";

/** Options of {@linkcode createSubscription}. */
export interface CreateSubscriptionOptions extends SubscribeOptions {
  /** Publisher endpoints to connect to at once. @default {[]} */
  endpoints?: readonly string[];
  /**
   * Receive over CURVE: this subscriber's key pair, and the public key of
   * the publisher at each endpoint. An endpoint whose key is unknown is
   * not connected (and logged).
   * @default {none: plain TCP}
   */
  curve?: CurveKeyPair & {
    /** The publisher's public key at an endpoint, if known. */
    serverKey(endpoint: string): string | undefined;
  };
  /**
   * Messages ZeroMQ keeps per publisher before it drops (`ZMQ_RCVHWM`).
   * @default {1000}
   */
  highWaterMark?: number;
  /** Where invalid messages are reported. @default {consoleTopicLogger} */
  logger?: TopicLogger;
  /** The ZeroMQ context. @default {Context.default} */
  context?: Context;
  /**
   * The node's name, put on the CONSUMER spans of `handle()` (attribute
   * `zmp.node`).
   * @default {none}
   */
  node?: string;
}

/**
 * A queued message that came with a `traceparent`; untraced messages are
 * queued as they are, with nothing added.
 */
class Traced<T> {
  constructor(readonly message: T, readonly traceparent: string) {}
}

/** A subscription whose publishers are set by its owner. */
export interface SocketSubscription<T> extends TopicSubscription<T> {
  /**
   * Connects to exactly these publisher endpoints: new ones are connected,
   * missing ones disconnected. An endpoint that cannot be connected (e.g.
   * malformed) is logged and skipped.
   *
   * @param endpoints publisher endpoints of the topic
   */
  setEndpoints(endpoints: readonly string[]): void;
}

/** How many publishers' sequence numbers are remembered. */
const MAX_PUBLISHERS = 4096;

/**
 * Creates a subscription to `topic`.
 *
 * @param topic the topic descriptor (generated)
 * @param options queue size, first endpoints, high-water mark, logger,
 *   context
 * @returns the subscription; iterate it, close it when done
 * @throws {TypeError} for a bad topic name
 * @throws {RangeError} for a queue size that is not an integer >= 1
 * @example
 * ```ts
 * import { createSubscription } from "zmp";
 * import { RawReadingTopic } from "../../examples/sensors/sensors.api.gen.ts";
 *
 * await using sub = createSubscription(RawReadingTopic, {
 *   endpoints: ["tcp://127.0.0.1:40123"],
 * });
 * for await (const reading of sub) console.log(reading.value);
 * ```
 */
export function createSubscription<T>(
  topic: TopicDescriptor<T>,
  options: CreateSubscriptionOptions = {},
): SocketSubscription<T> {
  return new Subscription(topic, options);
}

class Subscription<T> implements SocketSubscription<T> {
  readonly topic: string;
  readonly #descriptor: TopicDescriptor<T>;
  readonly #socket: Subscriber;
  readonly #name: Uint8Array;
  readonly #logger: TopicLogger;
  readonly #capacity: number;
  readonly #queue: (T | Traced<T>)[] = [];
  readonly #node: string | undefined;
  #head = 0;
  readonly #counters: TopicCounters = {
    published: 0,
    delivered: 0,
    dropped: 0,
    invalid: 0,
  };
  readonly #endpoints = new Set<string>();
  readonly #curve: CreateSubscriptionOptions["curve"];
  readonly #lastSeq = new Map<number, number>();
  readonly #loop: Promise<void>;
  #wake: (() => void) | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;
  readonly #log: LogLimiter;
  readonly #decodeOptions: { maxElements: number };

  constructor(
    descriptor: TopicDescriptor<T>,
    options: CreateSubscriptionOptions,
  ) {
    this.#descriptor = descriptor;
    this.topic = descriptor.name;
    this.#name = topicFrame(descriptor.name);
    const capacity = options.queue ?? 1000;
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(
        `Cannot subscribe to ${this.topic}: queue must be an integer >= 1, got ${capacity}`,
      );
    }
    this.#capacity = capacity;
    const maxElements = options.maxElements ?? MAX_ELEMENTS;
    if (!Number.isInteger(maxElements) || maxElements < 1) {
      throw new RangeError(
        `Cannot subscribe to ${this.topic}: maxElements must be an integer >= 1, got ${maxElements}`,
      );
    }
    this.#decodeOptions = { maxElements };
    this.#logger = options.logger ?? consoleTopicLogger;
    this.#curve = options.curve;
    this.#node = options.node;
    const logger = this.#logger;
    this.#log = new LogLimiter({
      warn: (m) => logger.warn(m),
      error: (m) => logger.warn(m),
    });
    this.#socket = new Subscriber({
      context: options.context,
      receiveHighWaterMark: options.highWaterMark ?? 1000,
      ...(options.curve === undefined ? {} : {
        curvePublicKey: options.curve.publicKey,
        curveSecretKey: options.curve.secretKey,
      }),
    });
    try {
      this.#socket.subscribe(this.#name);
      this.setEndpoints(options.endpoints ?? []);
    } catch (e) {
      this.#socket.close();
      throw e;
    }
    this.#loop = this.#receive();
  }

  get endpoints(): readonly string[] {
    return [...this.#endpoints];
  }

  get counters(): Readonly<TopicCounters> {
    return { ...this.#counters };
  }

  get queued(): number {
    return this.#queue.length - this.#head;
  }

  setEndpoints(endpoints: readonly string[]): void {
    if (this.#closed) return;
    const wanted = new Set(endpoints);
    for (const endpoint of [...this.#endpoints]) {
      if (!wanted.has(endpoint)) {
        this.#endpoints.delete(endpoint);
        try {
          this.#socket.disconnect(endpoint);
        } catch {
          // already gone
        }
      }
    }
    const failed: string[] = [];
    for (const endpoint of wanted) {
      if (!this.#endpoints.has(endpoint)) {
        try {
          if (this.#curve !== undefined) {
            // Each connection keeps the server key set when it was made.
            const key = this.#curve.serverKey(endpoint);
            if (key === undefined) {
              throw new TypeError("its publisher's key is unknown");
            }
            this.#socket.setOption("curveServerKey", key);
          }
          this.#socket.connect(endpoint);
          this.#endpoints.add(endpoint);
        } catch (e) {
          failed.push(`${endpoint} (${(e as Error).message})`);
        }
      }
    }
    if (failed.length > 0) {
      this.#logger.warn(
        `cannot connect to publishers of ${this.topic}: ${failed.join(", ")}`,
      );
    }
  }

  async #receive(): Promise<void> {
    try {
      for await (const frames of this.#socket) this.#accept(frames);
    } catch (e) {
      if (!this.#closed) {
        this.#logger.warn(
          `subscription to ${this.topic} stopped: ${(e as Error).message}`,
        );
      }
    }
  }

  #accept(frames: Uint8Array[]): void {
    if (!sameBytes(frames[0], this.#name)) return;
    let header;
    try {
      header = decodeTopicHeader(frames[1] ?? new Uint8Array());
    } catch (e) {
      // Without a header there is no sequence number: the message may show
      // as a gap too when the next one arrives.
      this.#invalid("an unknown publisher", (e as Error).message);
      return;
    }
    const last = this.#lastSeq.get(header.publisher);
    if (last !== undefined) {
      if (header.seq <= last) return; // a replay we already have
      if (header.seq > last + 1) {
        this.#counters.dropped += header.seq - last - 1;
      }
      this.#lastSeq.delete(header.publisher); // re-insert: most recent last
    } else if (this.#lastSeq.size >= MAX_PUBLISHERS) {
      this.#lastSeq.delete(this.#lastSeq.keys().next().value!);
    }
    this.#lastSeq.set(header.publisher, header.seq);
    const from = `publisher ${header.publisher}`;
    // Frames after the third are extensions, one per flag that has one:
    // those this version does not know are ignored.
    const traced = (header.flags & FLAG_TRACE) !== 0;
    if (frames.length < (traced ? 4 : 3)) {
      this.#invalid(
        from,
        `a message of ${frames.length} frames instead of ${traced ? 4 : 3}`,
      );
      return;
    }
    let traceparent: string | undefined;
    if (traced) {
      try {
        traceparent = decodeTraceFrame(frames[3]);
      } catch (e) {
        this.#invalid(from, (e as Error).message);
        return;
      }
    }
    const codec = codecById(header.codec);
    if (codec === undefined) {
      this.#invalid(from, `unknown codec ${header.codec}`);
      return;
    }
    let message: unknown;
    try {
      message = codec.decode(frames[2], this.#decodeOptions);
    } catch (e) {
      this.#invalid(from, `cannot decode: ${(e as Error).message}`);
      return;
    }
    const issues = new IssueList();
    this.#descriptor.validate(message, "message", issues);
    if (issues.length > 0) {
      this.#invalid(
        from,
        validationMessage("message", issues).replace(/^Invalid message: /, ""),
      );
      return;
    }
    this.#push(
      traceparent === undefined
        ? message as T
        : new Traced(message as T, traceparent),
    );
  }

  /** Counts an invalid message; one line per publisher per interval. */
  #invalid(from: string, why: string): void {
    this.#counters.invalid++;
    this.#log.warn(
      "invalid messages",
      from,
      `dropped an invalid message on topic ${this.topic} from ${from}: ${why}`,
    );
  }

  #push(message: T | Traced<T>): void {
    if (this.#queue.length - this.#head >= this.#capacity) {
      this.#queue[this.#head++] = undefined as T;
      this.#counters.dropped++;
    }
    this.#queue.push(message);
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue.splice(0, this.#head);
      this.#head = 0;
    }
    const wake = this.#wake;
    if (wake !== undefined) {
      this.#wake = undefined;
      wake();
    }
  }

  /** The next queued entry, or `undefined` when the queue is empty. */
  #shift(): { message: T | Traced<T> } | undefined {
    if (this.#head >= this.#queue.length) return undefined;
    const message = this.#queue[this.#head];
    this.#queue[this.#head++] = undefined as T;
    if (this.#head === this.#queue.length) {
      this.#queue.length = 0;
      this.#head = 0;
    }
    this.#counters.delivered++;
    return { message };
  }

  /** Resolves when a message is queued or the subscription closes. */
  #queued(): Promise<void> {
    return new Promise<void>((resolve) => {
      const previous = this.#wake;
      this.#wake = previous === undefined ? resolve : () => {
        previous();
        resolve();
      };
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return this.#iterator((entry) =>
      entry instanceof Traced ? entry.message : entry
    );
  }

  messages(): AsyncIterable<TopicMessage<T>> {
    return {
      [Symbol.asyncIterator]: () =>
        this.#iterator((entry) =>
          entry instanceof Traced
            ? { message: entry.message, traceparent: entry.traceparent }
            : { message: entry }
        ),
    };
  }

  async handle(handler: TopicHandler<T>): Promise<void> {
    for await (const received of this.messages()) {
      await consumerTrace(
        this.topic,
        received.traceparent,
        () => handler(received.message, received),
        this.#node,
      );
    }
  }

  #iterator<R>(take: (entry: T | Traced<T>) => R): AsyncIterator<R> {
    // A plain iterator rather than an async generator: a queued message is
    // handed over in an already-settled promise, without a generator's
    // extra turns per item.
    const next = async (): Promise<IteratorResult<R>> => {
      while (!this.#closed) {
        const got = this.#shift();
        if (got !== undefined) return { value: take(got.message), done: false };
        await this.#queued();
      }
      return { value: undefined, done: true };
    };
    return {
      next: () => {
        if (this.#closed) {
          return Promise.resolve({ value: undefined, done: true });
        }
        const got = this.#shift();
        return got !== undefined
          ? Promise.resolve({ value: take(got.message), done: false })
          : next();
      },
      return: () => Promise.resolve({ value: undefined, done: true }),
    };
  }

  close(): Promise<void> {
    return this.#closing ??= (async () => {
      this.#closed = true;
      this.#queue.length = 0;
      this.#head = 0;
      const wake = this.#wake;
      this.#wake = undefined;
      wake?.();
      await this.#socket[Symbol.asyncDispose]();
      await this.#loop;
      this.#log.close();
    })();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
