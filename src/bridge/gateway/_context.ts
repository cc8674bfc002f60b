/**
 * What the gateway's routes share: its node and registry, the live system
 * snapshot, the topic hub, the resolved options, and the bookkeeping of
 * open event streams.
 *
 * @module
 */

import type { Node, NodeLogger } from "../../node/types.ts";
import type { Registry } from "../../registry/types.ts";
import { RpcError } from "../../wire/errors.ts";
import type { TopicHub } from "./_topics.ts";
import type { SystemSnapshot } from "./system.ts";

/** The gateway's options once defaults are applied. */
export interface ResolvedOptions {
  /** Largest request body, in bytes. */
  maxBodyBytes: number;
  /** Deadline of a unary call without `X-Zmp-Timeout`, in ms. */
  callTimeout: number;
  /** Most event streams open at once. */
  maxStreams: number;
  /** Events a slow stream client may leave unread before some are dropped. */
  streamQueue: number;
  /** Keep-alive comment period of event streams, in ms. */
  keepAlive: number;
}

/** Shared by the routes of one gateway. */
export interface GatewayContext {
  /** The gateway's node: it calls services and subscribes to topics. */
  readonly node: Node;
  /** The registry connection: params and the live view. */
  readonly registry: Registry;
  /** Where failures go. */
  readonly log: NodeLogger;
  /** The options. */
  readonly options: ResolvedOptions;
  /** The system as the registry shows it now. */
  snapshot(): SystemSnapshot;
  /** Topic subscriptions shared by every listener. */
  readonly hub: TopicHub;
  /** Aborts when the gateway closes. */
  readonly signal: AbortSignal;
  /**
   * Counts one more open event stream.
   *
   * @returns a function that counts it closed (idempotent)
   * @throws {RpcError} `RESOURCE_EXHAUSTED` when `maxStreams` are open
   */
  openStream(): () => void;
}

/**
 * Counts open streams against a limit.
 *
 * @param max the most at once
 * @returns `openStream` for {@linkcode GatewayContext}
 */
export function streamCounter(max: number): () => () => void {
  let open = 0;
  return () => {
    if (open >= max) {
      throw new RpcError(
        "RESOURCE_EXHAUSTED",
        `the gateway has ${open} event streams open, its limit (maxStreams); close one and retry`,
      );
    }
    open++;
    let closed = false;
    return () => {
      if (!closed) {
        closed = true;
        open--;
      }
    };
  };
}
