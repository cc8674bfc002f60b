/**
 * `startRos1Bridge`: runs what a bridge file declares. The bridge is one
 * zmp node and one ROS node (npm `@foxglove/ros1` for the master's
 * XML-RPC and TCPROS topics, `./tcpros_service.ts` for services).
 *
 * At start it finds every ROS type (files, the file's own definitions, or
 * what live ROS publishers announce), checks that each crossing's fields
 * line up, and fails with one {@linkcode RosBridgeError} listing every
 * crossing that does not. Then it watches the master: when the master
 * restarts (its pid changes, or it answers again after failing), the
 * bridge registers its publishers, subscribers, services and param
 * subscriptions again. The zmp side re-registers by itself when the zmp
 * registry restarts.
 *
 * @module
 */

import { RosNode } from "@foxglove/ros1";
import { TcpServerNode, TcpSocketNode } from "@foxglove/ros1/nodejs";
import { XmlRpcClient } from "@foxglove/xmlrpc";
import { HttpServerNodejs } from "@foxglove/xmlrpc/nodejs";
import type { Node, NodeLogger } from "../../node/types.ts";
import type { ServiceDescriptor } from "../../wire/descriptors.ts";
import type { RosBridgeDefinition, RosTopicBridge } from "./define.ts";
import { type RosMessageType, RosTypeError, RosTypes } from "./ros_types.ts";
import { checkMapping } from "./convert.ts";
import { RosServiceServer } from "./tcpros_service.ts";
import { discoverTopicType } from "./discover.ts";
import {
  type BridgeContext,
  type BridgePart,
  type RosBridgeCounters,
  warnOn,
} from "./_part.ts";
import { startTopic } from "./_topics.ts";
import {
  type CheckedService,
  provideRosServices,
  serveZmpServices,
  serviceShape,
} from "./_services.ts";
import { startParams } from "./_params.ts";

export type { RosBridgeCounters };

/** A bridge that cannot start: every problem found, in one message. */
export class RosBridgeError extends Error {
  /** Each problem: which crossing, what is wrong. */
  readonly problems: string[];
  /**
   * @param bridge the bridge's name
   * @param problems what is wrong
   */
  constructor(bridge: string, problems: string[]) {
    super(
      `Cannot start ROS bridge "${bridge}": ${
        problems.length === 1
          ? problems[0]
          : `${problems.length} problems: ${problems.join("; ")}`
      }`,
    );
    this.name = "RosBridgeError";
    this.problems = problems;
  }
}

/** Options of {@linkcode startRos1Bridge}. */
export interface StartRos1BridgeOptions {
  /** The zmp node the bridge works through (its name is the bridge's). */
  node: Node;
  /** The ROS master; wins over the file and `ROS_MASTER_URI`. */
  master?: string;
  /** Where ROS nodes reach the bridge; wins over the file. */
  hostname?: string;
  /**
   * How often the master is checked for a restart, in ms.
   * @default {1000}
   */
  masterCheckInterval?: number;
  /**
   * How long to wait for a live ROS publisher to announce a type that no
   * file defines, in ms.
   * @default {3000}
   */
  discoverTimeout?: number;
}

/** A running ROS 1 bridge. */
export interface Ros1Bridge extends AsyncDisposable {
  /** The ROS master it uses. */
  readonly masterUri: string;
  /** Its ROS node name, e.g. `/ros1_bridge`. */
  readonly rosName: string;
  /** What crossed so far. */
  readonly counters: Readonly<RosBridgeCounters>;
  /** How many times it registered again with a restarted master. */
  readonly reregistrations: number;
  /** Unregisters everywhere and stops. Idempotent. */
  close(): Promise<void>;
}

function env(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined;
  }
}

const ROS_NAME = /^\/[A-Za-z][A-Za-z0-9_/]*$/;

/**
 * Starts a ROS 1 bridge.
 *
 * @param definition what the bridge file declares
 * @param options the zmp node, master and address overrides
 * @returns the running bridge; close it when done
 * @throws {RosBridgeError} listing every type not found, every crossing
 *   whose fields do not line up, every bad name
 * @example
 * ```ts
 * import { createNode } from "zmp";
 * import { startRos1Bridge } from "zmp/bridge";
 * import { RosChatterTopic } from "../../../examples/ros/ros.api.gen.ts";
 *
 * await using node = await createNode("ros1_bridge");
 * await using bridge = await startRos1Bridge({
 *   topics: [{ ros: "/chatter", zmp: RosChatterTopic, type: "std_msgs/String", direction: "to-zmp" }],
 * }, { node, master: "http://127.0.0.1:11311/" });
 * console.log(bridge.masterUri); // http://127.0.0.1:11311/
 * ```
 */
export async function startRos1Bridge(
  definition: RosBridgeDefinition,
  options: StartRos1BridgeOptions,
): Promise<Ros1Bridge> {
  const { node } = options;
  const log = node.log;
  const masterUri = withSlash(
    options.master ?? definition.master ?? env("ROS_MASTER_URI") ??
      "http://localhost:11311/",
  );
  const hostname = options.hostname ?? definition.hostname ??
    env("ROS_HOSTNAME") ?? env("ROS_IP") ?? "127.0.0.1";
  const rosName = `/${node.name.replace(/[^A-Za-z0-9_/]/g, "_")}`;
  const problems = checkShape(definition);

  const types = new RosTypes({
    paths: definition.types?.paths,
    definitions: definition.types?.definitions,
  });
  const tcpServer = await TcpServerNode.Listen({ host: hostname, port: 0 });
  const ros = new RosNode({
    name: rosName,
    hostname,
    pid: Deno.pid,
    rosMasterUri: masterUri,
    httpServer: new HttpServerNodejs(),
    tcpSocketCreate: TcpSocketNode.Create,
    tcpServer,
    log: {
      warn: (m: string) => log.debug(`ros: ${m}`),
      info: (m: string) => log.debug(`ros: ${m}`),
    },
  });
  ros.on("error", (e) => log.debug(`ros: ${e.message}`));
  const services = new RosServiceServer({
    callerId: rosName,
    hostname,
    onError: warnOn(log, "TCPROS service connection"),
  });
  const parts: BridgePart[] = [];
  const shutdown = async () => {
    for (const part of parts.reverse()) {
      await part.close().catch(warnOn(log, "close"));
    }
    ros.shutdown();
    await services.close();
  };
  try {
    if (await masterPid(new XmlRpcClient(masterUri)) === undefined) {
      throw new RosBridgeError(node.name, [
        `cannot reach the ROS master at ${masterUri} (set ROS_MASTER_URI, "master" in the bridge file, or --master)`,
        ...problems,
      ]);
    }
    await ros.start();
    const callerApi = ros.rosFollower.url()!;

    // Types, then the check of every crossing, before anything registers.
    const topicTypes = new Map<RosTopicBridge, RosMessageType>();
    for (const t of definition.topics ?? []) {
      const type = await topicType(
        types,
        ros,
        t,
        options.discoverTimeout ?? 3000,
      )
        .catch((e) => {
          problems.push(`topic ${t.ros}: ${(e as Error).message}`);
          return undefined;
        });
      if (type === undefined) continue;
      topicTypes.set(t, type);
      for (const issue of checkMapping(t.zmp.schema, type)) {
        problems.push(
          `topic ${t.ros} (${type.name}) ↔ ${t.zmp.name} (${t.zmp.typeName}): ${issue.path}: ${issue.problem}`,
        );
      }
    }
    const checked: CheckedService[] = [];
    for (const s of definition.services ?? []) {
      const method = (s.zmp as ServiceDescriptor).methods?.[s.method];
      if (method === undefined) continue; // reported by checkShape
      let type;
      try {
        type = types.service(s.type);
      } catch (e) {
        problems.push(`service ${s.ros}: ${(e as Error).message}`);
        continue;
      }
      const shape = serviceShape(method, type);
      for (const issue of shape.issues) {
        problems.push(
          `service ${s.ros} (${type.name}) ↔ ${s.zmp.name}.${s.method}: ${issue.path}: ${issue.problem}`,
        );
      }
      checked.push({ mapping: s, type, shape });
    }
    if (problems.length > 0) throw new RosBridgeError(node.name, problems);

    const counters: RosBridgeCounters = {
      toZmp: 0,
      toRos: 0,
      invalid: 0,
      calls: 0,
      params: 0,
    };
    const ctx: BridgeContext = {
      node,
      ros,
      types,
      masterUri,
      rosName,
      hostname,
      callerApi,
      log,
      counters,
    };
    for (const [mapping, type] of topicTypes) {
      parts.push(await startTopic(ctx, mapping, type));
    }
    await provideRosServices(
      ctx,
      checked.filter((s) => s.mapping.direction === "to-zmp"),
    );
    parts.push(
      await serveZmpServices(
        ctx,
        services,
        checked.filter((s) => s.mapping.direction === "to-ros"),
      ),
    );
    for (const p of definition.params ?? []) {
      parts.push(await startParams(ctx, p));
    }
    log.info("ROS bridge started", {
      master: masterUri,
      topics: topicTypes.size,
      services: checked.length,
      params: definition.params?.length ?? 0,
    });
    return new RunningBridge({
      masterUri,
      rosName,
      counters,
      parts,
      shutdown,
      log,
      interval: options.masterCheckInterval ?? 1000,
    });
  } catch (e) {
    await shutdown();
    throw e;
  }
}

function withSlash(uri: string): string {
  return uri.endsWith("/") ? uri : `${uri}/`;
}

/** The ROS type of a topic: from files, else from a live publisher. */
async function topicType(
  types: RosTypes,
  ros: RosNode,
  mapping: RosTopicBridge,
  timeout: number,
): Promise<RosMessageType> {
  try {
    return types.message(mapping.type);
  } catch (e) {
    if (!(e instanceof RosTypeError) || mapping.direction === "to-ros") throw e;
    const found = await discoverTopicType(ros, mapping.ros, { timeout })
      .catch(() => undefined);
    if (found === undefined || found.type !== mapping.type) {
      throw new RosTypeError(
        `${e.message}; no live publisher of ${mapping.ros} announced it either${
          found ? ` (one publishes ${found.type})` : ""
        }`,
      );
    }
    types.addMessageText(found.type, found.text);
    return types.message(found.type);
  }
}

/** Names, directions and methods that are wrong whatever the types. */
function checkShape(definition: RosBridgeDefinition): string[] {
  const problems: string[] = [];
  const rosName = (what: string, name: string) => {
    if (typeof name !== "string" || !ROS_NAME.test(name)) {
      problems.push(
        `${what} ${
          JSON.stringify(name)
        }: a ROS name starts with "/" and holds A-Z a-z 0-9 _ /`,
      );
    }
  };
  const directions = ["to-zmp", "to-ros", "both"];
  const seen = new Set<string>();
  for (const t of definition.topics ?? []) {
    rosName("topic", t.ros);
    if (!directions.includes(t.direction)) {
      problems.push(
        `topic ${t.ros}: direction ${
          JSON.stringify(t.direction)
        } is not one of ${directions.join(", ")}`,
      );
    }
    if (typeof t.zmp?.name !== "string") {
      problems.push(`topic ${t.ros}: "zmp" is not a topic descriptor`);
    }
    if (seen.has(t.ros)) problems.push(`topic ${t.ros} is bridged twice`);
    seen.add(t.ros);
  }
  for (const s of definition.services ?? []) {
    rosName("service", s.ros);
    if (s.direction !== "to-zmp" && s.direction !== "to-ros") {
      problems.push(
        `service ${s.ros}: direction ${
          JSON.stringify(s.direction)
        } is not one of to-zmp, to-ros`,
      );
    }
    const methods = (s.zmp as ServiceDescriptor | undefined)?.methods;
    if (methods === undefined) {
      problems.push(`service ${s.ros}: "zmp" is not a service descriptor`);
    } else if (!Object.hasOwn(methods, s.method)) {
      problems.push(
        `service ${s.ros}: ${s.zmp.name} has no method ${
          JSON.stringify(s.method)
        } (methods: ${Object.keys(methods).join(", ")})`,
      );
    } else if (methods[s.method].kind !== "unary") {
      problems.push(
        `service ${s.ros}: ${s.zmp.name}.${s.method} is a stream; ROS services are unary`,
      );
    }
  }
  for (const p of definition.params ?? []) {
    rosName("params namespace", p.ros);
    if (!directions.includes(p.direction)) {
      problems.push(
        `params ${p.ros}: direction ${
          JSON.stringify(p.direction)
        } is not one of ${directions.join(", ")}`,
      );
    }
  }
  return problems;
}

interface RunningInit {
  masterUri: string;
  rosName: string;
  counters: RosBridgeCounters;
  parts: BridgePart[];
  shutdown: () => Promise<void>;
  log: NodeLogger;
  interval: number;
}

class RunningBridge implements Ros1Bridge {
  readonly masterUri: string;
  readonly rosName: string;
  readonly counters: RosBridgeCounters;
  reregistrations = 0;
  readonly #init: RunningInit;
  readonly #stop = new AbortController();
  readonly #watching: Promise<void>;
  #closing: Promise<void> | undefined;

  constructor(init: RunningInit) {
    this.#init = init;
    this.masterUri = init.masterUri;
    this.rosName = init.rosName;
    this.counters = init.counters;
    this.#watching = this.#watchMaster();
  }

  /** Polls the master's pid; registers again when the master restarted. */
  async #watchMaster(): Promise<void> {
    const { log, interval } = this.#init;
    const master = new XmlRpcClient(this.masterUri, { encoding: "utf-8" });
    const signal = this.#stop.signal;
    let pid: unknown = await masterPid(master);
    let reachable = pid !== undefined;
    while (!signal.aborted) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, interval);
        signal.addEventListener("abort", () => {
          clearTimeout(timer);
          resolve();
        }, { once: true });
      });
      if (signal.aborted) return;
      const now = await masterPid(master);
      if (now === undefined) {
        if (reachable) log.warn(`ROS master ${this.masterUri} is unreachable`);
        reachable = false;
        continue;
      }
      if (reachable && now === pid) continue;
      log.info("ROS master is back: registering again", {
        master: this.masterUri,
      });
      try {
        for (const part of this.#init.parts) await part.reregister();
        pid = now;
        reachable = true;
        this.reregistrations++;
      } catch (e) {
        // Try again at the next tick.
        warnOn(log, "cannot register again with the ROS master")(e);
      }
    }
  }

  close(): Promise<void> {
    return this.#closing ??= (async () => {
      this.#stop.abort();
      await this.#watching;
      await this.#init.shutdown();
    })();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

async function masterPid(master: XmlRpcClient): Promise<unknown> {
  try {
    const res = await master.methodCall("getPid", ["/zmp_bridge_check"]);
    return Array.isArray(res) && res[0] === 1 ? res[2] : undefined;
  } catch {
    return undefined;
  }
}
