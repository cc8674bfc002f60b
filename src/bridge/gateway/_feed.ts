/**
 * `GET /system/events`: what the live page listens to, one event stream
 * per open page.
 *
 * - `system`: the whole {@linkcode SystemSnapshot}, first and after every
 *   change of the registry;
 * - `params`: `{type: "snapshot", values}` first, then `{type: "set", key,
 *   value}` or `{type: "deleted", key}` for every change;
 * - `stats`: every second, each topic's rate (messages/s), count, and last
 *   message (as JSON text, cut at 2000 characters).
 *
 * While a page is open the gateway subscribes to every published topic to
 * count its messages; when the last page closes, it lets go.
 *
 * @module
 */

import type { ParamEvent } from "../../registry/types.ts";
import { stringifyJson } from "../../wire/json_schema.ts";
import type { GatewayContext } from "./_context.ts";
import { failure } from "./_http.ts";
import { PushStream } from "./_sse.ts";

/** Longest last message the page gets, in characters of JSON. */
const LAST_MESSAGE_CHARS = 2000;

/** One topic's line of a `stats` event. */
export interface TopicStats {
  /** Messages per second over the last period. */
  rate: number;
  /** Messages since the gateway started counting. */
  count: number;
  /** The last message as JSON text (cut, with `…`, when long). */
  last?: string;
  /** When it came, ms since the epoch. */
  lastAt?: number;
}

/** The page feeds of one gateway. */
export class PageFeed {
  readonly #ctx: GatewayContext;
  readonly #period: number;
  readonly #clients = new Set<PushStream>();
  readonly #listening = new Map<string, () => void>();
  readonly #params = new Map<string, unknown>();
  #watch: AbortController | undefined;
  #watching: Promise<void> | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #counted = new Map<string, { count: number; at: number }>();

  /**
   * @param ctx the gateway
   * @param period ms between two `stats` events (default 1000)
   */
  constructor(ctx: GatewayContext, period = 1000) {
    this.#ctx = ctx;
    this.#period = period;
  }

  /**
   * Opens a feed for one page; it ends when the page goes away.
   *
   * @returns the event stream, or an error response over the stream limit
   */
  open(): Response {
    let closeStream: () => void;
    try {
      closeStream = this.#ctx.openStream();
    } catch (e) {
      return failure(e);
    }
    const stream = new PushStream({
      queue: this.#ctx.options.streamQueue,
      keepAlive: this.#ctx.options.keepAlive,
      onClose: () => {
        closeStream();
        this.#clients.delete(stream);
        if (this.#clients.size === 0) this.#stop();
      },
    });
    if (stream.closed) return stream.response;
    this.#clients.add(stream);
    stream.send(stringifyJson(this.#ctx.snapshot()), { event: "system" });
    if (this.#clients.size === 1) this.#start();
    else {
      stream.send(
        stringifyJson({
          type: "snapshot",
          values: Object.fromEntries(this.#params),
        }),
        { event: "params" },
      );
    }
    return stream.response;
  }

  /** Tells every page that the system changed; follows its topics. */
  systemChanged(): void {
    if (this.#clients.size === 0) return;
    this.#broadcast("system", stringifyJson(this.#ctx.snapshot()));
    this.#followTopics();
  }

  #start(): void {
    this.#followTopics();
    this.#timer = setInterval(() => this.#tick(), this.#period);
    const watch = new AbortController();
    this.#watch = watch;
    this.#watching = this.#watchParams(watch.signal);
  }

  #stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#watch?.abort();
    this.#watch = undefined;
    for (const stop of this.#listening.values()) stop();
    this.#listening.clear();
    this.#counted.clear();
  }

  /** Listens to every topic that has a publisher, and to no other. */
  #followTopics(): void {
    const topics = this.#ctx.snapshot().topics.filter((t) =>
      t.publishers.length > 0
    );
    const wanted = new Set(topics.map((t) => t.name));
    for (const [name, stop] of this.#listening) {
      if (!wanted.has(name)) {
        stop();
        this.#listening.delete(name);
      }
    }
    for (const t of topics) {
      if (!this.#listening.has(t.name)) {
        this.#listening.set(t.name, this.#ctx.hub.listen(t, () => {}));
        // The first rate counts from now.
        const count = this.#ctx.hub.traffic().get(t.name)?.count ?? 0;
        this.#counted.set(t.name, { count, at: performance.now() });
      }
    }
  }

  #tick(): void {
    const now = performance.now();
    const topics: Record<string, TopicStats> = {};
    const counted = new Map<string, { count: number; at: number }>();
    for (const [name, traffic] of this.#ctx.hub.traffic()) {
      if (!this.#listening.has(name)) continue;
      const before = this.#counted.get(name);
      const seconds = before === undefined ? 0 : (now - before.at) / 1000;
      const rate = seconds > 0 ? (traffic.count - before!.count) / seconds : 0;
      counted.set(name, { count: traffic.count, at: now });
      const stats: TopicStats = {
        rate: Math.round(rate * 10) / 10,
        count: traffic.count,
      };
      if (traffic.lastAt !== undefined) {
        const text = stringifyJson(traffic.last);
        stats.last = text.length > LAST_MESSAGE_CHARS
          ? `${text.slice(0, LAST_MESSAGE_CHARS)}…`
          : text;
        stats.lastAt = traffic.lastAt;
      }
      topics[name] = stats;
    }
    this.#counted = counted;
    this.#broadcast("stats", stringifyJson({ at: Date.now(), topics }));
  }

  async #watchParams(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        for await (
          const event of this.#ctx.registry.params.watch("", { signal })
        ) {
          this.#applyParams(event);
          this.#broadcast("params", stringifyJson(event));
        }
      } catch (e) {
        if (signal.aborted) return;
        this.#ctx.log.warn("the params watch failed; watching again", {
          error: (e as Error).message,
        });
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, 1000);
        signal.addEventListener("abort", done, { once: true });
        function done() {
          clearTimeout(timer);
          signal.removeEventListener("abort", done);
          resolve();
        }
      });
    }
  }

  #applyParams(event: ParamEvent): void {
    if (event.type === "snapshot") {
      this.#params.clear();
      for (const [k, v] of Object.entries(event.values)) this.#params.set(k, v);
    } else if (event.type === "set") this.#params.set(event.key, event.value);
    else this.#params.delete(event.key);
  }

  #broadcast(event: string, data: string): void {
    for (const client of this.#clients) client.send(data, { event });
  }

  /** Ends every feed; waits for the params watch to stop. */
  async close(): Promise<void> {
    for (const client of [...this.#clients]) client.close();
    this.#stop();
    await this.#watching;
  }
}
