/**
 * Runs docs/ros.md with real ROS: a rosmaster, rospy, rostopic,
 * rosservice and rosparam, the ROS example and the rosbridge example, as
 * tests/docs/guide.test.ts runs the guide.
 */

import { runGuide } from "../docs/_guide.ts";
import { requireRos } from "./_ros.ts";

Deno.test("docs/ros.md: every command runs and prints what the chapter says", async () => {
  await requireRos();
  await runGuide(new URL("../../docs/ros.md", import.meta.url), {
    minRuns: 10,
    // Many short ROS and zmp processes, one after the other: generous on a
    // busy machine.
    timeout: 480_000,
    copy: [
      "mod.ts",
      "deno.json",
      "deno.lock",
      "src",
      "codegen",
      "examples/ros",
      "examples/rosbridge",
      "examples/calculator",
      "examples/sensors",
    ],
  });
});
