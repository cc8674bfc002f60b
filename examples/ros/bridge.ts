/**
 * The ROS 1 bridge of the example: what crosses between a ROS graph and
 * the zmp system. Run it alone with `deno task zmp bridge ros1
 * examples/ros/bridge.ts`, or as a node of `launch.ts`.
 *
 * - ROS `/chatter` (std_msgs/String) → zmp `ros/chatter`;
 * - zmp `ros/commands` → ROS `/commands` (std_msgs/String);
 * - the ROS service `/reset` (std_srvs/Trigger) is the zmp method
 *   `Robot.reset`;
 * - the zmp method `Lights.set` is the ROS service `/lights/set`
 *   (std_srvs/SetBool);
 * - zmp params `robot.*` and ROS params `/robot/*` mirror each other.
 *
 * The ROS master is `ROS_MASTER_URI` (or `--master`).
 *
 * @module
 */

import { defineRosBridge } from "../../src/bridge/mod.ts";
import {
  LightsService,
  RobotService,
  RosChatterTopic,
  RosCommandsTopic,
} from "./ros.api.gen.ts";
import { RobotSettingsParams } from "./robot.api.gen.ts";

export default defineRosBridge({
  name: "ros1_bridge",
  topics: [
    {
      ros: "/chatter",
      zmp: RosChatterTopic,
      type: "std_msgs/String",
      direction: "to-zmp",
    },
    {
      ros: "/commands",
      zmp: RosCommandsTopic,
      type: "std_msgs/String",
      direction: "to-ros",
    },
  ],
  services: [
    {
      ros: "/reset",
      type: "std_srvs/Trigger",
      zmp: RobotService,
      method: "reset",
      direction: "to-zmp",
    },
    {
      ros: "/lights/set",
      type: "std_srvs/SetBool",
      zmp: LightsService,
      method: "set",
      direction: "to-ros",
    },
  ],
  params: [{ ros: "/robot", zmp: RobotSettingsParams, direction: "both" }],
});
