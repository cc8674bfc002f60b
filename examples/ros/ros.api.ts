/**
 * ROS 1 types for zmp, written by
 * `zmp ros types --topic ros/chatter=std_msgs/String --topic ros/commands=std_msgs/String --service Robot.reset=std_srvs/Trigger --service Lights.set=std_srvs/SetBool --out examples/ros/ros.api.ts`.
 * Run it again to refresh this file, then `deno task codegen` on it.
 *
 * @module
 */

/**
 * ROS message std_msgs/String (md5 992ce8a1687cec8c8bd883ec73ca41d1).
 */
export interface StdMsgsString {
  data: string;
}

/**
 * ROS message std_srvs/SetBoolResponse (md5 937c9679a518e3a18d831e57125ea522).
 */
export interface StdSrvsSetBoolResponse {
  success: boolean;
  message: string;
}

/**
 * ROS message std_srvs/TriggerResponse (md5 937c9679a518e3a18d831e57125ea522).
 */
export interface StdSrvsTriggerResponse {
  success: boolean;
  message: string;
}

/**
 * zmp topic ros/chatter: ROS std_msgs/String.
 * @topic ros/chatter
 */
export type RosChatter = StdMsgsString;

/**
 * zmp topic ros/commands: ROS std_msgs/String.
 * @topic ros/commands
 */
export type RosCommands = StdMsgsString;

/**
 * zmp service Lights, bridged to ROS services.
 * @service
 */
export interface Lights {
  /** ROS service type std_srvs/SetBool. */
  set(data: boolean): Promise<StdSrvsSetBoolResponse>;
}

/**
 * zmp service Robot, bridged to ROS services.
 * @service
 */
export interface Robot {
  /** ROS service type std_srvs/Trigger. */
  reset(): Promise<StdSrvsTriggerResponse>;
}
