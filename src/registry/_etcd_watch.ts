/**
 * A watch of a range of etcd keys that survives member failures without
 * missing or repeating a change: a snapshot (a read at revision R), then
 * the changes from R + 1 on. When the stream breaks, it is opened again
 * (on another member when that one failed) from the revision after the
 * last change seen, so every change comes exactly once. Only when etcd
 * has compacted that history away does a fresh snapshot come instead.
 *
 * A stream that goes silent (its member is cut off) is found out by
 * progress requests: one every `probe` ms, and a stream that has said
 * nothing for three of them is dropped and opened elsewhere.
 *
 * @module
 */

import { RpcError } from "../wire/errors.ts";
import type {
  EtcdConnection,
  KeyRange,
  Kv,
  RawStream,
  WatchChange,
} from "./_etcd_client.ts";
import { sleep } from "../_util/sleep.ts";

/** What a watch yields. */
export type EtcdWatchItem =
  /** Every key of the range at `revision`: replaces what is known. */
  | { type: "snapshot"; kvs: Kv[]; revision: number }
  /** The changes of one or more revisions, in order. */
  | { type: "changes"; changes: WatchChange[]; revision: number };

/** Options of {@linkcode watchRange}. */
export interface WatchRangeOptions {
  /** Ends the watch. */
  signal: AbortSignal;
  /**
   * How often a quiet stream is asked for progress, in ms.
   * @default {1000}
   */
  probe?: number;
  /** The timeout of the snapshot read, in ms. @default {5000} */
  timeout?: number;
}

interface RawResponse {
  created?: boolean;
  canceled?: boolean;
  compact_revision?: string;
  cancel_reason?: string;
  watch_id?: string;
  header?: { revision: string };
  events?: { type: string; kv: Parameters<EtcdConnection["decode"]>[0] }[];
}

/** Why a stream session ended. */
type SessionEnd = "broken" | "compacted";

/** What a session queues. */
type SessionItem =
  | Extract<EtcdWatchItem, { type: "changes" }>
  | SessionEnd
  | Error;

/**
 * Watches `range`: a snapshot, then every change, until `signal` aborts.
 *
 * @param conn the connection
 * @param range the keys
 * @param options the stop signal, probe interval, snapshot timeout
 * @returns the items
 * @throws {RpcError} `FAILED_PRECONDITION` when etcd cancels the watch for
 *   a reason other than compaction (nothing retrying would cure)
 */
export async function* watchRange(
  conn: EtcdConnection,
  range: KeyRange,
  options: WatchRangeOptions,
): AsyncGenerator<EtcdWatchItem, void, undefined> {
  const { signal } = options;
  const probe = options.probe ?? 1000;
  let next: number | undefined;
  let backoff = 50;
  while (!signal.aborted) {
    if (next === undefined) {
      try {
        const { kvs, revision } = await conn.rangeOf(range, {
          timeout: options.timeout ?? 5000,
          signal,
        }, "watch");
        next = revision + 1;
        backoff = 50;
        yield { type: "snapshot", kvs, revision };
      } catch (e) {
        if (signal.aborted) return;
        if (!(e instanceof RpcError && e.code === "UNAVAILABLE")) throw e;
        await sleep(backoff, signal).catch(() => {});
        backoff = Math.min(backoff * 2, 1000);
        continue;
      }
    }
    const session = new Session(conn, range, next, probe, signal);
    let end: SessionEnd;
    try {
      for (;;) {
        const item = await session.next();
        if (typeof item === "string") {
          end = item;
          break;
        }
        backoff = 50;
        next = item.revision + 1;
        yield item;
      }
    } finally {
      session.close();
    }
    if (signal.aborted) return;
    if (end === "compacted") {
      next = undefined;
      continue;
    }
    await sleep(backoff, signal).catch(() => {});
    backoff = Math.min(backoff * 2, 1000);
  }
}

/** One watch stream, read as a queue. */
class Session {
  readonly #queue: SessionItem[] = [];
  #wake: (() => void) | undefined;
  #stream: RawStream | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #heard = performance.now();
  #ended = false;
  readonly #signal: AbortSignal;
  readonly #onAbort = () => this.#end("broken");

  constructor(
    conn: EtcdConnection,
    range: KeyRange,
    start: number,
    probe: number,
    signal: AbortSignal,
  ) {
    this.#signal = signal;
    signal.addEventListener("abort", this.#onAbort, { once: true });
    conn.openWatch().then(({ stream, fail }) => {
      if (this.#ended) {
        stream.on("error", () => {});
        stream.cancel();
        return;
      }
      this.#stream = stream;
      stream.on("data", (res: RawResponse) => this.#data(conn, res));
      stream.on("error", (e: Error) => {
        fail(e);
        this.#end("broken");
      });
      stream.on("end", () => this.#end("broken"));
      const write = (message: unknown) => {
        try {
          stream.write(message);
        } catch (e) {
          // The stream ended meanwhile (its end or error event follows).
          fail(e instanceof Error ? e : new Error(String(e)));
          this.#end("broken");
        }
      };
      write({
        create_request: {
          key: range.key,
          range_end: range.end,
          start_revision: start,
        },
      });
      this.#timer = setInterval(() => {
        if (this.#ended) return;
        if (performance.now() - this.#heard > 3 * probe) {
          fail(new Error(`the watch stream was silent for ${3 * probe} ms`));
          this.#end("broken");
        } else {
          write({ progress_request: {} });
        }
      }, probe);
    }).catch(() => this.#end("broken"));
  }

  #data(conn: EtcdConnection, res: RawResponse): void {
    this.#heard = performance.now();
    if (res.canceled) {
      if (Number(res.compact_revision ?? 0) > 0) this.#end("compacted");
      else {
        this.#push(
          new RpcError(
            "FAILED_PRECONDITION",
            `etcd cancelled the watch: ${
              res.cancel_reason || "no reason given"
            }`,
          ),
        );
      }
      return;
    }
    const events = res.events ?? [];
    if (events.length === 0) return; // created, or progress
    const changes: WatchChange[] = events.map((e) => ({
      type: e.type === "DELETE" || e.type === "Delete" ? "delete" : "put",
      kv: conn.decode(e.kv),
    }));
    this.#push({
      type: "changes",
      changes,
      revision: changes[changes.length - 1].kv.modRevision,
    });
  }

  #push(item: SessionItem): void {
    this.#queue.push(item);
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
  }

  #end(why: SessionEnd): void {
    if (this.#ended) return;
    this.#ended = true;
    clearInterval(this.#timer);
    this.#push(why);
  }

  /** The next changes, or why the session ended. */
  async next(): Promise<
    Extract<EtcdWatchItem, { type: "changes" }> | SessionEnd
  > {
    for (;;) {
      const item = this.#queue.shift();
      if (item instanceof Error) throw item;
      if (item !== undefined) return item;
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
  }

  /** Cancels the stream and its timer. Idempotent. */
  close(): void {
    this.#ended = true;
    clearInterval(this.#timer);
    this.#signal.removeEventListener("abort", this.#onAbort);
    const stream = this.#stream;
    this.#stream = undefined;
    if (stream !== undefined) {
      stream.removeAllListeners();
      stream.on("error", () => {});
      stream.cancel();
    }
  }
}
