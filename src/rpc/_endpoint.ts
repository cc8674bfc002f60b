/**
 * One server endpoint of a client: a DEALER connected to it, a monitor that
 * says when the connection is up (ZMTP handshake done) or lost, and the
 * receive loop. On loss the DEALER is replaced, so that requests queued for
 * the dead connection are dropped instead of delivered after a reconnect.
 *
 * @module
 */

import {
  type Context,
  type CurveClientSecurity,
  curveSocketOptions,
  Dealer,
  type Frame,
} from "../zmq/mod.ts";
import type { Logger } from "./logger.ts";

/** What an endpoint reports to its client. */
export interface EndpointEvents {
  /** A message arrived. */
  message(endpoint: Endpoint, frames: Uint8Array[]): void;
  /** The connection became usable. */
  ready(endpoint: Endpoint): void;
  /** The connection was lost; calls in flight on it will get no answer. */
  lost(endpoint: Endpoint): void;
}

/** Options of an {@linkcode Endpoint}. */
export interface EndpointInit {
  /** The ZeroMQ context. */
  context?: Context;
  /** Connect over CURVE with these keys. */
  curve?: CurveClientSecurity;
  /** ZMTP heartbeat interval in ms, or 0 for none. */
  heartbeat: number;
  /** Where to report. */
  events: EndpointEvents;
  /** For unexpected failures of the loops. */
  logger: Logger;
}

/** A connection to one server endpoint (internal to the client). */
export class Endpoint {
  /** The address given by the user, e.g. `tcp://127.0.0.1:5555`. */
  readonly address: string;
  /** Whether the connection is up. */
  ready = false;
  #dealer: Dealer;
  #init: EndpointInit;
  #closed = false;
  #loops = new Set<Promise<void>>();

  /**
   * @param address the endpoint to connect to
   * @param init context, heartbeat, event sink and logger
   * @throws {ZmqError} for a malformed endpoint
   */
  constructor(address: string, init: EndpointInit) {
    this.address = address;
    this.#init = init;
    this.#dealer = this.#open();
  }

  /**
   * Queues a message on the current connection.
   *
   * @param frames the frames
   * @returns resolves once queued
   */
  send(frames: readonly Frame[]): Promise<void> {
    return this.#dealer.send(frames);
  }

  #open(): Dealer {
    const { context, heartbeat, curve } = this.#init;
    const dealer = new Dealer({
      context,
      ...(curve === undefined ? {} : curveSocketOptions(curve)),
      ...(heartbeat > 0
        ? {
          heartbeatInterval: heartbeat,
          heartbeatTimeout: heartbeat * 3,
          heartbeatTimeToLive: heartbeat * 3,
        }
        : {}),
    });
    try {
      const monitor = dealer.monitor(["handshakeSucceeded", "disconnected"]);
      dealer.connect(this.address);
      for (
        const loop of [this.#watch(dealer, monitor), this.#receive(dealer)]
      ) {
        this.#loops.add(loop);
        loop.finally(() => this.#loops.delete(loop));
      }
    } catch (e) {
      dealer.close();
      throw e;
    }
    return dealer;
  }

  async #watch(
    dealer: Dealer,
    monitor: AsyncIterable<{ type: string }>,
  ): Promise<void> {
    try {
      for await (const event of monitor) {
        if (this.#closed || dealer !== this.#dealer) return;
        if (event.type === "handshakeSucceeded") {
          this.ready = true;
          this.#init.events.ready(this);
        } else if (event.type === "disconnected") {
          this.ready = false;
          this.#dealer = this.#open();
          dealer.close();
          this.#init.events.lost(this);
          return;
        }
      }
    } catch (e) {
      if (!this.#closed) {
        this.#init.logger.error(
          `monitor of ${this.address} failed: ${(e as Error).message}`,
        );
      }
    }
  }

  async #receive(dealer: Dealer): Promise<void> {
    const events = this.#init.events;
    while (!dealer.closed) {
      let frames: Uint8Array[];
      try {
        frames = await dealer.receive();
      } catch (e) {
        if (dealer.closed) return;
        this.#init.logger.error(
          `receive from ${this.address} failed: ${(e as Error).message}`,
        );
        return;
      }
      events.message(this, frames);
    }
  }

  /** Closes the connection and waits until its loops have ended. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.ready = false;
    const dealer = this.#dealer;
    await dealer[Symbol.asyncDispose]();
    // Loops of replaced DEALERs are already done or end now.
    await Promise.all(this.#loops);
  }
}
