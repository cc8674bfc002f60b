/**
 * What live ROS publishers announce: a topic's type name from the master,
 * and its full definition from a publisher's TCPROS connection header
 * (`message_definition`), read by subscribing for a moment.
 *
 * @module
 */

import type { RosNode } from "@foxglove/ros1";
import { RosTypeError } from "./ros_types.ts";

/** A topic's type as a publisher announced it. */
export interface AnnouncedType {
  /** `pkg/Name`. */
  type: string;
  /** Its `message_definition`: the text and its dependencies'. */
  text: string;
  /** Its md5 sum. */
  md5: string;
}

/**
 * Asks the master who publishes `topic`, subscribes until the first
 * publisher's header arrives, and unsubscribes.
 *
 * @param ros a started ROS node (not already subscribed to `topic`)
 * @param topic the ROS topic, e.g. `/chatter`
 * @param options how long to wait for a publisher's header, in ms
 *   (default 3000)
 * @returns the announced type
 * @throws {RosTypeError} when nobody publishes the topic, or no header
 *   arrives in time
 */
export async function discoverTopicType(
  ros: RosNode,
  topic: string,
  options: { timeout?: number } = {},
): Promise<AnnouncedType> {
  const timeout = options.timeout ?? 3000;
  const published = await ros.getPublishedTopics();
  const entry = published.find(([name]) => name === topic);
  if (entry === undefined) {
    throw new RosTypeError(
      `Cannot find the type of ROS topic ${topic}: nobody publishes it (published: ${
        published.map(([n]) => n).sort().join(", ") || "none"
      })`,
    );
  }
  const sub = ros.subscribe({ topic, dataType: entry[1] });
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await new Promise<AnnouncedType>((resolve, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new RosTypeError(
              `Cannot find the type of ROS topic ${topic}: no publisher sent its header within ${timeout} ms`,
            ),
          ),
        timeout,
      );
      sub.on("header", (header) => {
        const text = header.get("message_definition");
        const type = header.get("type") ?? entry[1];
        if (text === undefined) {
          reject(
            new RosTypeError(
              `Cannot find the definition of ${type}: the publisher of ${topic} sent none`,
            ),
          );
        } else resolve({ type, text, md5: header.get("md5sum") ?? "*" });
      });
    });
  } finally {
    clearTimeout(timer);
    ros.unsubscribe(topic);
  }
}
