/**
 * What both registry backends do for a live registration, whatever the
 * backend: hold the info and the token, keep the lease alive on a timer,
 * keep an update that did not get through and send it again, leave once,
 * and report a background failure once until things work again. Every
 * exchange for one node goes through one queue, so a renewal, a
 * re-registration and an update never overtake each other.
 *
 * How a lease is renewed, an info sent and a node unregistered is the
 * backend's: a {@linkcode Lease} (`_registration.ts` for the embedded
 * registry, `_etcd_registration.ts` for etcd).
 *
 * @module
 */

import type { Logger } from "../rpc/logger.ts";
import type { NodeInfo, Registration } from "./types.ts";
import { admitNodeInfo } from "./_node_info.ts";

/** One backend's side of a live registration. */
export interface Lease {
  /**
   * How long to wait before the next renewal, in ms.
   *
   * @param failures renewals that failed in a row so far
   */
  interval(failures: number): number;
  /**
   * Renews the lease, or takes the name again when the lease is gone.
   *
   * @param info the info to hold the name with
   * @param send whether to send `info` too (it did not get through yet)
   * @param signal aborted when the registration closes
   * @returns whether the registry now has `info` (it was sent, or
   *   registered again)
   */
  renew(info: NodeInfo, send: boolean, signal: AbortSignal): Promise<boolean>;
  /**
   * Sends `info` now, registering again when the lease is gone.
   *
   * @param info the new info
   * @param signal aborted when the registration closes
   */
  send(info: NodeInfo, signal: AbortSignal): Promise<void>;
  /**
   * Unregisters, best effort (out of reach, the lease expires by itself).
   * Never throws.
   *
   * @param info what is registered
   */
  leave(info: NodeInfo): Promise<void>;
  /**
   * Whether a renewal's failure says only that the registry is away: not
   * worth a log line, the renewals go on.
   */
  away(e: unknown): boolean;
}

/** What a kept registration needs from its registry. */
export interface KeeperHost {
  /** Where problems are reported. */
  readonly logger: Logger;
  /** Forgets a closed registration. */
  forget(registration: Registration): void;
}

/** A live registration kept by a {@linkcode Lease}, until closed. */
export class KeptRegistration implements Registration {
  readonly #lease: Lease;
  readonly #host: KeeperHost;
  #info: NodeInfo;
  readonly #token: string;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #dirty = false;
  #failures = 0;
  #closing: Promise<void> | undefined;
  readonly #stop = new AbortController();
  #problem: string | undefined;

  /**
   * Starts renewing at once (the first renewal after one interval).
   *
   * @param lease the backend's side
   * @param host the registry: where problems go, and who forgets the
   *   registration once closed
   * @param init what was registered and its token
   */
  constructor(
    lease: Lease,
    host: KeeperHost,
    init: { info: NodeInfo; token: string },
  ) {
    this.#lease = lease;
    this.#host = host;
    this.#info = init.info;
    this.#token = init.token;
    this.#schedule();
  }

  /** What is registered now. */
  get info(): NodeInfo {
    return this.#info;
  }

  /** The registration's secret token. */
  get token(): string {
    return this.#token;
  }

  /**
   * Replaces the registered info. The info is kept even when the registry
   * cannot be reached: the next renewal sends it.
   *
   * @param given the new info, with the same `name` and `instanceId`
   * @returns once the registry has it
   * @throws {TypeError} when the name or instance id differ, or the
   *   registration is closed
   * @throws {ValidationError} for a malformed info
   * @throws {NameError} for a name or size that breaks the rule of
   *   `wire/names.ts`, naming the field (nothing is sent)
   * @throws {RpcError} `UNAVAILABLE` or `DEADLINE_EXCEEDED` when the registry
   *   cannot be reached (the update is retried in the background),
   *   `ALREADY_EXISTS` when the registration was lost and the name taken
   */
  update(given: NodeInfo): Promise<void> {
    if (this.#closing !== undefined) {
      return Promise.reject(
        new TypeError(
          `Cannot update node "${this.#info.name}": its registration is closed`,
        ),
      );
    }
    let info: NodeInfo;
    try {
      info = admitNodeInfo(given);
    } catch (e) {
      return Promise.reject(e);
    }
    if (
      info.name !== this.#info.name || info.instanceId !== this.#info.instanceId
    ) {
      return Promise.reject(
        new TypeError(
          `Cannot update node "${this.#info.name}": the new info has name "${info.name}" and instance ${info.instanceId}, expected "${this.#info.name}" and ${this.#info.instanceId}`,
        ),
      );
    }
    this.#info = info;
    this.#dirty = true;
    return this.#serial(async () => {
      if (!this.#dirty) return; // a renewal sent it meanwhile
      const sent = this.#info;
      await this.#lease.send(sent, this.#stop.signal);
      if (this.#info === sent) this.#dirty = false;
    });
  }

  /**
   * Stops renewing and unregisters (best effort: when the registry is out
   * of reach, the lease expires by itself). Idempotent.
   *
   * @returns once done
   */
  close(): Promise<void> {
    return this.#closing ??= this.#close();
  }

  /** Same as {@linkcode KeptRegistration.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #close(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#stop.abort();
    await this.#queue;
    await this.#lease.leave(this.#info);
    this.#host.forget(this);
  }

  #serial(fn: () => Promise<void>): Promise<void> {
    const p = this.#queue.then(fn);
    this.#queue = p.catch(() => {});
    return p;
  }

  #schedule(): void {
    if (this.#closing !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#serial(() => this.#renew()).finally(() => this.#schedule());
    }, this.#lease.interval(this.#failures));
  }

  async #renew(): Promise<void> {
    if (this.#stop.signal.aborted) return;
    const info = this.#info;
    try {
      const sent = await this.#lease.renew(
        info,
        this.#dirty,
        this.#stop.signal,
      );
      if (sent && this.#info === info) this.#dirty = false;
      this.#failures = 0;
      this.#problem = undefined;
    } catch (e) {
      this.#failures++;
      this.#report(e);
    }
  }

  /** Logs a background failure once (until things work again). */
  #report(e: unknown): void {
    if (this.#stop.signal.aborted || this.#lease.away(e)) return;
    const message = (e as Error)?.message ?? String(e);
    if (message === this.#problem) return;
    this.#problem = message;
    this.#host.logger.error(
      `registration of node "${this.#info.name}": ${message}`,
    );
  }
}
