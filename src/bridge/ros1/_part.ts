/**
 * What the parts of a running ROS 1 bridge (topics, services, params)
 * share, and how the bridge drives them.
 *
 * @module
 */

import type { RosNode } from "@foxglove/ros1";
import type { Node, NodeLogger } from "../../node/types.ts";
import type { RosTypes } from "./ros_types.ts";

/** The running bridge, as its parts see it. */
export interface BridgeContext {
  /** The zmp node. */
  readonly node: Node;
  /** The ROS node. */
  readonly ros: RosNode;
  /** Message and service types. */
  readonly types: RosTypes;
  /** The ROS master. */
  readonly masterUri: string;
  /** The ROS node name, e.g. `/ros1_bridge`. */
  readonly rosName: string;
  /** Where ROS nodes reach the bridge. */
  readonly hostname: string;
  /** The bridge's XML-RPC URI (its ROS "caller API"). */
  readonly callerApi: string;
  /** Where the bridge logs. */
  readonly log: NodeLogger;
  /** Counters, shared by the parts. */
  readonly counters: RosBridgeCounters;
}

/** What crossed the bridge so far. */
export interface RosBridgeCounters {
  /** ROS messages published on zmp. */
  toZmp: number;
  /** zmp messages published on ROS. */
  toRos: number;
  /** Messages dropped because they did not fit the other side's type. */
  invalid: number;
  /** Service calls forwarded, both ways. */
  calls: number;
  /** Param changes copied, both ways. */
  params: number;
}

/** One started part of the bridge. */
export interface BridgePart {
  /** Registers again with a ROS master that restarted empty. */
  reregister(): Promise<void>;
  /** Stops and unregisters. */
  close(): Promise<void>;
}

/** Logs a failure without letting it escape. */
export function warnOn(
  log: NodeLogger,
  what: string,
): (error: unknown) => void {
  return (error) =>
    log.warn(what, { error: (error as Error)?.message ?? String(error) });
}
