/**
 * The zmp side of the ROS example that is not a ROS message: the robot's
 * settings, mirrored with the ROS parameter server under `/robot`.
 *
 * @module
 */

/**
 * The robot's settings: zmp `robot.max_speed` is ROS `/robot/max_speed`.
 * @params robot
 */
export interface RobotSettings {
  /** Top speed, in m/s. */
  max_speed: number;
  /** A name to show. */
  label?: string;
}
