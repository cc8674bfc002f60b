/**
 * One topic across the ROS 1 bridge: a ROS subscription feeding a zmp
 * publisher (`to-zmp`), a zmp subscription feeding a ROS publication
 * (`to-ros`), or both, where neither side hears what the bridge itself
 * published.
 *
 * TCPROS carries no trace context, so a trace cannot cross: with
 * OpenTelemetry on, each ROS message the bridge publishes in zmp starts a
 * trace (a PRODUCER span), and a traced zmp message's trace ends at the
 * bridge (a CONSUMER span, around its sending to ROS).
 *
 * @module
 */

import type { Subscription as RosSubscription } from "@foxglove/ros1";
import type { TopicPublisher } from "../../node/types.ts";
import type { RosTopicBridge } from "./define.ts";
import type { RosMessageType } from "./ros_types.ts";
import { toRos, toZmp } from "./convert.ts";
import { type BridgeContext, type BridgePart, warnOn } from "./_part.ts";

/**
 * Starts one topic crossing.
 *
 * @param ctx the running bridge
 * @param mapping what the bridge file says
 * @param type the ROS message type, resolved and checked
 * @returns the started part
 */
export async function startTopic(
  ctx: BridgeContext,
  mapping: RosTopicBridge,
  type: RosMessageType,
): Promise<BridgePart> {
  const { node, ros, log } = ctx;
  const toZmpSide = mapping.direction !== "to-ros";
  const toRosSide = mapping.direction !== "to-zmp";
  const latched = mapping.latched ?? false;
  let publisher: TopicPublisher<unknown> | undefined;
  let rosSub: RosSubscription | undefined;
  let warned = 0;

  const invalid = (error: unknown) => {
    ctx.counters.invalid++;
    // One line per 100 drops at most: a flood of bad messages stays readable.
    if (warned++ % 100 === 0) {
      log.warn(`dropped a message on ${mapping.ros} → ${mapping.zmp.name}`, {
        error: (error as Error).message,
        dropped: ctx.counters.invalid,
      });
    }
  };

  const subscribeRos = () => {
    const sub = ros.subscribe({
      topic: mapping.ros,
      dataType: type.name,
      md5sum: type.md5,
    });
    sub.on("message", (message, _data, link) => {
      // What the bridge published on ROS itself never comes back to zmp.
      if (link.publisherXmlRpcUrl() === ctx.callerApi) return;
      let value: unknown;
      try {
        value = toZmp(type, message, mapping.zmp.schema);
        publisher!.publish(value);
        ctx.counters.toZmp++;
      } catch (e) {
        // A ValidationError, or a TypeError from a closed publisher.
        invalid(e);
      }
    });
    sub.on("error", warnOn(log, `ROS subscription ${mapping.ros}`));
    return sub;
  };

  const advertiseRos = () =>
    ros.advertise({
      topic: mapping.ros,
      dataType: type.name,
      messageDefinitionText: type.text,
      messageDefinition: type.definitions,
      md5sum: type.md5,
      latching: latched,
    });

  if (toZmpSide) {
    publisher = await node.publisher(mapping.zmp, { latched, trace: true });
    rosSub = subscribeRos();
  }
  let pump: Promise<void> = Promise.resolve();
  let closeZmpSub: (() => Promise<void>) | undefined;
  if (toRosSide) {
    await advertiseRos();
    const sub = await node.subscribe(mapping.zmp, {
      exclude: publisher === undefined ? [] : [publisher.endpoint],
    });
    closeZmpSub = () => sub.close();
    // handle(): a traced message is sent to ROS in its CONSUMER span.
    pump = sub.handle(async (value) => {
      let message: Record<string, unknown>;
      try {
        message = toRos(type, value);
      } catch (e) {
        invalid(e);
        return;
      }
      try {
        await ros.publish(mapping.ros, message);
        ctx.counters.toRos++;
      } catch (e) {
        invalid(e);
      }
    });
  }

  return {
    async reregister() {
      if (toRosSide) {
        const [code, message] = await ros.rosMasterClient.registerPublisher(
          ctx.rosName,
          mapping.ros,
          type.name,
          ctx.callerApi,
        );
        if (code !== 1) throw new Error(`registerPublisher: ${message}`);
      }
      if (toZmpSide) {
        // Register the subscription as it is (unsubscribing first could
        // reach the master after the new registration, and undo it), and
        // hand the publishers the master names to the ROS node as the
        // master's own update would: it connects to the new ones.
        const [code, message, publishers] = await ros.rosMasterClient
          .registerSubscriber(
            ctx.rosName,
            mapping.ros,
            type.name,
            ctx.callerApi,
          );
        if (code !== 1 || !Array.isArray(publishers)) {
          throw new Error(`registerSubscriber: ${message}`);
        }
        ros.rosFollower.emit(
          "publisherUpdate",
          mapping.ros,
          publishers as string[],
          "/master",
        );
      }
    },
    async close() {
      if (rosSub !== undefined) ros.unsubscribe(mapping.ros);
      if (toRosSide) ros.unadvertise(mapping.ros);
      await closeZmpSub?.();
      await pump;
      await publisher?.close();
    },
  };
}
