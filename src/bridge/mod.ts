/**
 * Bridges from zmp to other multiprocess worlds.
 *
 * - **ROS 1** (`./ros1/`): a bridge file (`defineRosBridge`) says which ROS
 *   topics, services and params meet which zmp ones; `zmp bridge ros1
 *   <file>` or a launch file runs it as a native ROS node (TCPROS topics
 *   through npm `@foxglove/ros1`, TCPROS services through
 *   `ros1/tcpros_service.ts`). `zmp ros types` turns ROS definitions into
 *   a zmp `.api.ts`.
 * - **rosbridge v2** (`./rosbridge/`): a WebSocket server that lets
 *   `roslib` and other rosbridge clients use zmp topics, services and
 *   params (`zmp bridge rosbridge --port 9090`).
 * - **HTTP/JSON** (`./gateway/`): the gateway, its OpenAPI document and
 *   live page (`zmp gateway`).
 *
 * @module
 */

export {
  defineRosBridge,
  isRosBridgeModule,
  type RosBridgeDefinition,
  type RosBridgeModule,
  type RosDirection,
  type RosParamsBridge,
  type RosServiceBridge,
  type RosTopicBridge,
} from "./ros1/define.ts";
export {
  type Ros1Bridge,
  type RosBridgeCounters,
  RosBridgeError,
  startRos1Bridge,
  type StartRos1BridgeOptions,
} from "./ros1/bridge.ts";
export {
  type RosMessageType,
  type RosServiceType,
  RosTypeError,
  RosTypes,
  type RosTypesOptions,
} from "./ros1/ros_types.ts";
export {
  callRosService,
  type CallRosServiceOptions,
  RosServiceError,
  type RosServiceHandler,
  RosServiceServer,
  type RosServiceServerOptions,
} from "./ros1/tcpros_service.ts";
export { emitRosApi, type RosApiRequest } from "./ros1/api_ts.ts";
export {
  ROSBRIDGE_NODE_MODULE,
  type RosbridgeServer,
  type RosbridgeServerOptions,
  startRosbridgeServer,
} from "./rosbridge/server.ts";
export * from "./gateway/mod.ts";
