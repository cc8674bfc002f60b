/**
 * Subscriptions by prefix: the refcounted set a SUB or XSUB filters with,
 * and the per-peer sets an XPUB or PUB routes with.
 *
 * @module
 */

import { bytesKey } from "../../_util/bytes_key.ts";

/** Whether `prefix` is a prefix of `data`. */
export function startsWith(data: Uint8Array, prefix: Uint8Array): boolean {
  if (prefix.byteLength > data.byteLength) return false;
  for (let i = 0; i < prefix.byteLength; i++) {
    if (data[i] !== prefix[i]) return false;
  }
  return true;
}

/** A SUB's own subscriptions: each prefix with how many times it was added. */
export class SubscriptionSet {
  #counts = new Map<string, { topic: Uint8Array; count: number }>();

  /** Adds a prefix; returns whether it is new. */
  add(topic: Uint8Array): boolean {
    const key = bytesKey(topic);
    const entry = this.#counts.get(key);
    if (entry !== undefined) {
      entry.count++;
      return false;
    }
    this.#counts.set(key, { topic: topic.slice(), count: 1 });
    return true;
  }

  /** Removes a prefix once; returns whether it is now gone. */
  remove(topic: Uint8Array): boolean {
    const key = bytesKey(topic);
    const entry = this.#counts.get(key);
    if (entry === undefined) return false;
    if (--entry.count > 0) return false;
    this.#counts.delete(key);
    return true;
  }

  /** Whether a message whose first frame is `frame` matches. */
  matches(frame: Uint8Array): boolean {
    for (const { topic } of this.#counts.values()) {
      if (startsWith(frame, topic)) return true;
    }
    return false;
  }

  /** Every distinct prefix. */
  topics(): Uint8Array[] {
    return [...this.#counts.values()].map((e) => e.topic);
  }
}
