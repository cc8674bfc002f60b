/**
 * A zmp node that provides `Lights`: ROS nodes call it as the ROS service
 * `/lights/set` through the bridge.
 *
 * @module
 */

import { defineNode } from "../../mod.ts";
import { LightsService } from "./ros.api.gen.ts";

export default defineNode(async (node) => {
  let on = false;
  await node.provide(LightsService, {
    set(data) {
      const was = on;
      on = data;
      node.log.info("lights", { on });
      return {
        success: true,
        message: `lights ${on ? "on" : "off"} (were ${was ? "on" : "off"})`,
      };
    },
  });
});
