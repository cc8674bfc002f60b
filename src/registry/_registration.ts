/**
 * One node's registration on the client side: the heartbeat loop and the
 * soft-state refill. Every exchange with the registry for this node goes
 * through one queue, so a heartbeat, a re-registration and an update never
 * overtake each other.
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
import { admitNodeInfo } from "./_node_info.ts";
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
  forget(registration: NodeRegistration): void;
}

/** A live registration that heartbeats until closed. */
export class NodeRegistration implements Registration {
  readonly #host: RegistrationHost;
  #info: NodeInfo;
  #ttl: number;
  readonly #token: string;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #dirty = false;
  #closing: Promise<void> | undefined;
  readonly #stop = new AbortController();
  #problem: string | undefined;

  /**
   * @param host the registry client
   * @param init what was registered, the lease ttl and the token the
   *   registry answered
   */
  constructor(
    host: RegistrationHost,
    init: { info: NodeInfo; ttl: number; token: string },
  ) {
    this.#host = host;
    this.#info = init.info;
    this.#ttl = init.ttl;
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
   * cannot be reached: the next heartbeat sends it.
   *
   * @param info the new info, with the same `name` and `instanceId`
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
  update(info: NodeInfo): Promise<void> {
    if (this.#closing !== undefined) {
      return Promise.reject(
        new TypeError(
          `Cannot update node "${this.#info.name}": its registration is closed`,
        ),
      );
    }
    try {
      admitNodeInfo(info); // the server strips unknown fields itself
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
      if (this.#dirty) await this.#sendUpdate();
    });
  }

  /**
   * Stops heartbeating and unregisters (best effort: when the registry is
   * out of reach, the lease expires by itself). Idempotent.
   *
   * @returns once done
   */
  close(): Promise<void> {
    return this.#closing ??= this.#close();
  }

  /** Same as {@linkcode NodeRegistration.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #close(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#stop.abort();
    await this.#queue;
    if (!this.#host.connected()) {
      this.#host.forget(this);
      return; // out of reach: the lease will expire
    }
    try {
      await this.#host.call(
        M.unregister,
        [this.#info.name, this.#info.instanceId, this.#token],
        { timeout: Math.min(this.#host.timeout, 1000) },
      );
    } catch {
      // out of reach: the lease will expire
    }
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
      this.#serial(() => this.#beat()).finally(() => this.#schedule());
    }, Math.max(10, Math.floor(this.#ttl / 3)));
  }

  async #beat(): Promise<void> {
    if (this.#closing !== undefined) return;
    try {
      if (this.#dirty) {
        await this.#sendUpdate();
      } else {
        await this.#host.call(
          M.heartbeat,
          [this.#info.name, this.#info.instanceId, this.#token],
          { timeout: this.#ttl, signal: this.#stop.signal },
        );
      }
      this.#problem = undefined;
    } catch (e) {
      if (e instanceof RpcError && e.code === "NOT_FOUND") {
        try {
          await this.#register();
          this.#problem = undefined;
        } catch (e2) {
          this.#report(e2);
        }
      } else {
        this.#report(e);
      }
    }
  }

  async #sendUpdate(): Promise<void> {
    const info = this.#info;
    try {
      await this.#host.call(M.update, [info, this.#token], {
        timeout: this.#host.timeout,
        signal: this.#stop.signal,
      });
    } catch (e) {
      if (!(e instanceof RpcError && e.code === "NOT_FOUND")) throw e;
      await this.#register();
      return;
    }
    if (this.#info === info) this.#dirty = false;
  }

  async #register(): Promise<void> {
    const info = this.#info;
    const reply = await this.#host.call(M.register, [info, this.#token], {
      timeout: this.#host.timeout,
      signal: this.#stop.signal,
    }) as RegisterReply;
    if (typeof reply?.ttl === "number" && reply.ttl > 0) this.#ttl = reply.ttl;
    if (this.#info === info) this.#dirty = false;
  }

  /** Logs a background failure once (until things work again). */
  #report(e: unknown): void {
    if (this.#stop.signal.aborted) return;
    if (
      e instanceof RpcError &&
      (e.code === "UNAVAILABLE" || e.code === "DEADLINE_EXCEEDED")
    ) {
      return; // the registry is away; heartbeats go on, nothing to say yet
    }
    const message = (e as Error)?.message ?? String(e);
    if (message === this.#problem) return;
    this.#problem = message;
    this.#host.logger.error(
      `registration of node "${this.#info.name}": ${message}`,
    );
  }
}
