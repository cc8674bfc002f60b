/**
 * One node's registration with the embedded registry, on the client side:
 * the heartbeat and the soft-state refill (the loop, the queue and the
 * retries are `_kept.ts`'s, shared with etcd):
 *
 * - every `ttl / 3`: heartbeat (or, when an update did not get through,
 *   send the update, which renews the lease too);
 * - `NOT_FOUND` (the registry restarted empty, or the lease expired while
 *   the registry was out of reach): register again with the current info
 *   and the same token, so that the name comes back to this node even if
 *   its old lease is still there;
 * - the registry unreachable: keep trying at each tick; a heartbeat waiting
 *   for the connection goes out as soon as it is back.
 *
 * @module
 */

import type { MethodDescriptor } from "../wire/descriptors.ts";
import { RpcError } from "../wire/errors.ts";
import type { Logger } from "../rpc/logger.ts";
import type { NodeInfo, Registration } from "./types.ts";
import { KeptRegistration, type Lease } from "./_kept.ts";
import { type RegisterReply, RegistryService } from "./_service.ts";

const M = RegistryService.methods;

/** What a registration needs from its registry client. */
export interface RegistrationHost {
  /** Calls a registry method. */
  call(
    method: MethodDescriptor,
    args: unknown[],
    options: { timeout?: number; signal?: AbortSignal },
  ): Promise<unknown>;
  /** Where problems are reported. */
  readonly logger: Logger;
  /** Default deadline of a call, in ms. */
  readonly timeout: number;
  /** Whether the connection to the registry is up right now. */
  connected(): boolean;
  /** Forgets a closed registration. */
  forget(registration: Registration): void;
}

/**
 * Starts keeping a node's registration with the embedded registry.
 *
 * @param host the registry client
 * @param init what was registered, the lease ttl and the token the
 *   registry answered
 * @returns the live registration
 */
export function keepRegistration(
  host: RegistrationHost,
  init: { info: NodeInfo; ttl: number; token: string },
): KeptRegistration {
  return new KeptRegistration(new EmbeddedLease(host, init), host, init);
}

/** The embedded registry's side: heartbeat, update, register, unregister. */
class EmbeddedLease implements Lease {
  readonly #host: RegistrationHost;
  readonly #token: string;
  #ttl: number;

  constructor(host: RegistrationHost, init: { ttl: number; token: string }) {
    this.#host = host;
    this.#ttl = init.ttl;
    this.#token = init.token;
  }

  interval(): number {
    return Math.max(10, Math.floor(this.#ttl / 3));
  }

  async renew(
    info: NodeInfo,
    send: boolean,
    signal: AbortSignal,
  ): Promise<boolean> {
    if (send) {
      await this.send(info, signal); // an update renews the lease too
      return true;
    }
    try {
      await this.#host.call(
        M.heartbeat,
        [info.name, info.instanceId, this.#token],
        { timeout: this.#ttl, signal },
      );
      return false;
    } catch (e) {
      if (!(e instanceof RpcError && e.code === "NOT_FOUND")) throw e;
      await this.#register(info, signal);
      return true;
    }
  }

  async send(info: NodeInfo, signal: AbortSignal): Promise<void> {
    try {
      await this.#host.call(M.update, [info, this.#token], {
        timeout: this.#host.timeout,
        signal,
      });
    } catch (e) {
      if (!(e instanceof RpcError && e.code === "NOT_FOUND")) throw e;
      await this.#register(info, signal);
    }
  }

  async leave(info: NodeInfo): Promise<void> {
    if (!this.#host.connected()) return; // out of reach: the lease expires
    try {
      await this.#host.call(
        M.unregister,
        [info.name, info.instanceId, this.#token],
        { timeout: Math.min(this.#host.timeout, 1000) },
      );
    } catch {
      // out of reach: the lease will expire
    }
  }

  away(e: unknown): boolean {
    return e instanceof RpcError &&
      (e.code === "UNAVAILABLE" || e.code === "DEADLINE_EXCEEDED");
  }

  /** Registers again with the same token: the name comes back to us. */
  async #register(info: NodeInfo, signal: AbortSignal): Promise<void> {
    const reply = await this.#host.call(M.register, [info, this.#token], {
      timeout: this.#host.timeout,
      signal,
    }) as RegisterReply;
    if (typeof reply?.ttl === "number" && reply.ttl > 0) this.#ttl = reply.ttl;
  }
}
