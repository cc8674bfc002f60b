/**
 * `defineRosBridge`: what a ROS 1 bridge file exports. The file says which
 * ROS topics, services and params meet which zmp ones; the result is also
 * a node module, so that the same file runs with `zmp bridge ros1
 * bridge.ts` or as a node of a launch file.
 *
 * Bridge files import it from `zmp/bridge` (`src/bridge/mod.ts`), not from
 * zmp's root `mod.ts`: the bridges load npm packages (`@foxglove/ros1` …) that other
 * nodes never need, nor type-check.
 *
 * @module
 */

import type {
  ParamsDescriptor,
  ServiceDescriptor,
  TopicDescriptor,
} from "../../wire/descriptors.ts";
import type { Node, NodeModule } from "../../node/types.ts";
import { startRos1Bridge } from "./bridge.ts";

/** Which way a topic, service or param crosses. */
export type RosDirection = "to-zmp" | "to-ros" | "both";

/** One ROS topic and the zmp topic it meets. */
export interface RosTopicBridge {
  /** The ROS topic, e.g. `/chatter`. */
  readonly ros: string;
  /** The zmp topic (a generated `…Topic` descriptor). */
  readonly zmp: TopicDescriptor<unknown>;
  /** The ROS message type, e.g. `std_msgs/String`. */
  readonly type: string;
  /**
   * `to-zmp`: ROS publishers → zmp subscribers; `to-ros`: zmp publishers →
   * ROS subscribers; `both`. A message never crosses back.
   */
  readonly direction: RosDirection;
  /**
   * Latch on the side the bridge publishes to.
   * @default {false}
   */
  readonly latched?: boolean;
}

/**
 * One service crossing: one method of a zmp service, one ROS service. The
 * ROS request's fields are the method's parameters, by name. The ROS
 * response is the method's result when that is an object with the same
 * fields; otherwise the response has one field, which holds the result.
 */
export interface RosServiceBridge {
  /** The ROS service, e.g. `/lights/set`. */
  readonly ros: string;
  /** The ROS service type, e.g. `std_srvs/SetBool`. */
  readonly type: string;
  /** The zmp service (a generated `…Service` descriptor). */
  readonly zmp: ServiceDescriptor<unknown>;
  /** The method of `zmp` that the ROS service is. */
  readonly method: string;
  /**
   * `to-ros`: the zmp service is offered to ROS nodes (the bridge serves
   * it over TCPROS and calls zmp); `to-zmp`: the ROS service is offered
   * to zmp nodes (the bridge provides the zmp service and calls ROS).
   */
  readonly direction: "to-ros" | "to-zmp";
  /**
   * Deadline of each call the bridge forwards, in ms.
   * @default {10000}
   */
  readonly timeout?: number;
}

/**
 * A typed params group mirrored with the ROS parameter server: zmp key
 * `<namespace>.<key>` is ROS param `<ros>/<key>`.
 */
export interface RosParamsBridge {
  /** The ROS namespace, e.g. `/robot`. */
  readonly ros: string;
  /** The zmp params group (a generated `…Params` descriptor). */
  readonly zmp: ParamsDescriptor<unknown>;
  /**
   * Which way changes go. With `both`, the ROS values win at start, and
   * zmp values ROS lacks are copied to ROS.
   */
  readonly direction: RosDirection;
}

/** What a bridge file declares. */
export interface RosBridgeDefinition {
  /**
   * The bridge's name: the zmp node's name, and the ROS node `/<name>`.
   * @default {"ros1_bridge"}
   */
  readonly name?: string;
  /**
   * The ROS master. `zmp bridge ros1 --master` wins over it, and it wins
   * over `ROS_MASTER_URI`.
   * @default {the `ROS_MASTER_URI` environment variable, else "http://localhost:11311/"}
   */
  readonly master?: string;
  /**
   * The address ROS nodes reach the bridge at.
   * @default {`ROS_HOSTNAME`, else `ROS_IP`, else "127.0.0.1"}
   */
  readonly hostname?: string;
  /** Where message and service definitions come from, besides the system. */
  readonly types?: {
    /** Folders of packages (`<dir>/<pkg>/msg/X.msg`), searched first. */
    readonly paths?: readonly string[];
    /** `.msg` or `.srv` text, by type name. */
    readonly definitions?: Readonly<Record<string, string>>;
  };
  /** Topics that cross. @default {[]} */
  readonly topics?: readonly RosTopicBridge[];
  /** Services that cross. @default {[]} */
  readonly services?: readonly RosServiceBridge[];
  /** Params groups mirrored. @default {[]} */
  readonly params?: readonly RosParamsBridge[];
}

/** A bridge file's default export: a node module that runs the bridge. */
export interface RosBridgeModule extends NodeModule {
  /** What the file declared. */
  readonly rosBridge: RosBridgeDefinition;
}

/**
 * Defines a ROS 1 bridge. The definition is checked when the bridge
 * starts (types found, fields lined up), not here.
 *
 * @param definition topics, services and params that cross
 * @returns the bridge file's default export
 * @throws {TypeError} when `definition` is not an object
 * @example
 * ```ts
 * import { defineRosBridge } from "zmp/bridge";
 * import { RosChatterTopic } from "../../../examples/ros/ros.api.gen.ts";
 *
 * export default defineRosBridge({
 *   topics: [{ ros: "/chatter", zmp: RosChatterTopic, type: "std_msgs/String", direction: "to-zmp" }],
 * });
 * ```
 */
export function defineRosBridge(
  definition: RosBridgeDefinition,
): RosBridgeModule {
  if (typeof definition !== "object" || definition === null) {
    throw new TypeError(
      `Cannot define a ROS bridge: expected an object, got ${
        definition === null ? "null" : typeof definition
      }`,
    );
  }
  return Object.freeze({
    kind: "zmp.node" as const,
    rosBridge: definition,
    async run(node: Node) {
      const bridge = await startRos1Bridge(definition, { node });
      node.signal.addEventListener("abort", () => bridge.close(), {
        once: true,
      });
    },
  });
}

/**
 * Whether a value is what {@linkcode defineRosBridge} returns.
 *
 * @param value e.g. a module's default export
 * @returns `true` for a bridge module
 */
export function isRosBridgeModule(value: unknown): value is RosBridgeModule {
  return typeof value === "object" && value !== null &&
    (value as { kind?: unknown }).kind === "zmp.node" &&
    typeof (value as { rosBridge?: unknown }).rosBridge === "object";
}
