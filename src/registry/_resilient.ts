/**
 * A long-lived registry stream that outlives the registry: when the stream
 * fails because the registry went away (or ends because it is closing), it
 * is opened again, with backoff, until aborted. Each new stream begins with
 * a snapshot, so the reader gets a fresh full state after every
 * reconnection. Keepalive items are dropped here.
 *
 * @module
 */

import { sleep } from "../_util/sleep.ts";
import { RpcError } from "../wire/errors.ts";
import type { StatusName } from "../wire/status.ts";

/** Failures after which the stream is opened again. */
const RECONNECT_ON: ReadonlySet<StatusName> = new Set([
  "UNAVAILABLE",
  "DEADLINE_EXCEEDED",
  "CANCELLED",
  "RESOURCE_EXHAUSTED",
  "ABORTED",
]);

const FIRST_BACKOFF = 50;
const MAX_BACKOFF = 1000;

/**
 * Reads `open()` streams one after the other, forever.
 *
 * @param open opens a new stream (with the signal that cancels it)
 * @param signal ends everything
 * @returns the items, keepalives left out
 * @throws {RpcError} for a failure that reconnecting does not cure (e.g.
 *   `INVALID_ARGUMENT`, `UNIMPLEMENTED`)
 */
export async function* resilientStream<T extends { type: string }>(
  open: (signal: AbortSignal) => AsyncIterable<unknown>,
  signal: AbortSignal,
): AsyncGenerator<T, void, undefined> {
  let backoff = FIRST_BACKOFF;
  while (!signal.aborted) {
    try {
      for await (const item of open(signal)) {
        if ((item as { type?: unknown })?.type === "keepalive") continue;
        backoff = FIRST_BACKOFF;
        yield item as T;
      }
    } catch (e) {
      if (signal.aborted) return;
      if (!(e instanceof RpcError) || !RECONNECT_ON.has(e.code)) throw e;
    }
    // Aborted: the loop ends.
    await sleep(backoff, signal).catch(() => {});
    backoff = Math.min(backoff * 2, MAX_BACKOFF);
  }
}
