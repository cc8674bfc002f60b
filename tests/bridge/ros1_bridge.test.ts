/**
 * The ROS 1 bridge in-process (startRos1Bridge) with real rospy peers: a
 * topic bridged both ways never echoes, and a restarted zmp registry is
 * followed by re-registration (the ROS master's restart is in
 * ros1_example.test.ts).
 */

import { assert, assertEquals, waitFor } from "../_assert.ts";
import { connectRegistry, createNode } from "../../mod.ts";
import { startRos1Bridge } from "../../src/bridge/mod.ts";
import { RosCommandsTopic } from "../../examples/ros/ros.api.gen.ts";
import { RegistryProcess } from "../registry/_helpers.ts";
import { RosMaster } from "./_ros.ts";

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

Deno.test("startRos1Bridge: a topic bridged both ways crosses once each way, never back", async () => {
  await using master = await RosMaster.start();
  await using registry = await RegistryProcess.start();
  const endpoint = registry.endpoint;
  await using node = await createNode("ros1_both", {
    registry: endpoint,
    logger: quiet,
  });
  await using bridge = await startRos1Bridge({
    topics: [{
      ros: "/both",
      zmp: RosCommandsTopic,
      type: "std_msgs/String",
      direction: "both",
    }],
  }, { node, master: master.uri });

  // zmp → ROS: a zmp publisher's message reaches a rospy listener once,
  // and zmp subscribers hear it once (not again through ROS).
  await using listener = master.peer("listener", "/both", "1000");
  await listener.line(/ready/);
  await using sub = await createNode("zsub", {
    registry: endpoint,
    logger: quiet,
  });
  const heard: string[] = [];
  const subscription = await sub.subscribe(RosCommandsTopic);
  const reading = (async () => {
    for await (const m of subscription) heard.push(m.data);
  })();
  await using pub = await createNode("zpub", {
    registry: endpoint,
    logger: quiet,
  });
  const publisher = await pub.publisher(RosCommandsTopic);
  await publisher.waitForSubscribers(2, { timeout: 10000 }); // zsub and the bridge
  let n = 0;
  await waitFor(
    () => {
      publisher.publish({ data: `zmp ${n++}` });
      return listener.lines.some((l) => l.startsWith("heard zmp"));
    },
    "the rospy listener to hear zmp",
    { timeout: 15000, interval: 100 },
  );
  const sent = n;

  // ROS → zmp: a rospy talker's messages reach zmp, and are not sent back.
  // It waits for two subscribers: the listener and the bridge.
  await using talker = master.peer("talker", "/both", "5", "0.05", "2");
  await talker.line(/ready/);
  await waitFor(
    () => heard.filter((h) => h.startsWith("hello")).length === 5,
    "the talker's 5 messages in zmp",
    { timeout: 15000 },
  );
  assertEquals(await talker.exited(), 0);
  await waitFor(
    () =>
      listener.lines.filter((l) => l.startsWith("heard hello")).length === 5,
    "the listener to hear the talker",
    { timeout: 10000 },
  );
  // Settle: one more zmp message, heard on both sides, ends the exchange.
  publisher.publish({ data: "zmp last" });
  await waitFor(() => heard.includes("zmp last"), "zmp last in zmp");
  await listener.line(/heard zmp last/);

  for (let i = 0; i < 5; i++) {
    assertEquals(
      heard.filter((h) => h === `hello ${i}`).length,
      1,
      `hello ${i} in zmp`,
    );
    assertEquals(
      listener.lines.filter((l) => l === `heard hello ${i}`).length,
      1,
      `hello ${i} in ROS`,
    );
  }
  for (let i = 0; i < sent; i++) {
    assert(
      heard.filter((h) => h === `zmp ${i}`).length <= 1,
      `zmp ${i} heard twice in zmp`,
    );
    assert(
      listener.lines.filter((l) => l === `heard zmp ${i}`).length <= 1,
      `zmp ${i} heard twice in ROS`,
    );
  }
  assertEquals(bridge.counters.toZmp, 5);
  assert(bridge.counters.toRos >= 2, `toRos ${bridge.counters.toRos}`);
  await subscription.close();
  await reading;
});

Deno.test("startRos1Bridge: a restarted zmp registry is followed by re-registration", async () => {
  await using master = await RosMaster.start();
  let registry = await RegistryProcess.start(["--ttl", "1000"]);
  const endpoint = registry.endpoint;
  try {
    await using node = await createNode("ros1_reg", {
      registry: endpoint,
      logger: quiet,
    });
    await using _bridge = await startRos1Bridge({
      topics: [{
        ros: "/chatter",
        zmp: RosCommandsTopic,
        type: "std_msgs/String",
        direction: "to-zmp",
      }],
    }, { node, master: master.uri });
    await registry.kill();
    registry = await RegistryProcess.start([
      "--endpoint",
      endpoint,
      "--ttl",
      "1000",
    ]);
    await using client = await connectRegistry({ endpoint, logger: quiet });
    await waitFor(
      async () => {
        const nodes = await client.nodes();
        return nodes.some((n) =>
          n.name === "ros1_reg" &&
          n.publishes.some((p) => p.topic === "ros/commands")
        );
      },
      "the bridge to register again",
      { timeout: 15000, interval: 100 },
    );
    // A zmp subscriber that joins the new registry hears ROS.
    await using sub = await createNode("late_sub", {
      registry: endpoint,
      logger: quiet,
    });
    const subscription = await sub.subscribe(RosCommandsTopic);
    await using talker = master.peer("talker", "/chatter", "1000", "0.05");
    await talker.line(/ready/);
    for await (const m of subscription) {
      assert(m.data.startsWith("hello"), m.data);
      break;
    }
    await subscription.close();
  } finally {
    await registry.kill();
  }
});
