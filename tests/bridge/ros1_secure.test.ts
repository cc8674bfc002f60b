/**
 * The ROS 1 bridge in secure mode against real ROS: a rosmaster, rospy
 * peers, a secure `zmp launch` (the lights node, the bridge named in
 * `security.allow`) and `zmp bridge ros1 --keys` with the bridge's own key.
 * Topics cross both ways and services both ways over CURVE on the zmp
 * side; the tools reach the bridge's topics and services with the `@cli`
 * key, and without keys get nothing.
 */

import { assert, assertEquals, assertMatch, waitFor } from "../_assert.ts";
import {
  Launcher,
  ROOT,
  runZmp,
  tempDir,
  writeLaunch,
  type ZmpOutput,
} from "../launch/_harness.ts";
import { readKeyPair } from "../../src/launch/keys.ts";
import { Proc, RosMaster } from "./_ros.ts";

const EXAMPLE = (name: string) =>
  new URL(`../../examples/ros/${name}`, import.meta.url).href;

/**
 * The example's bridge, with `/both` ↔ `ros/commands` bridged both ways
 * (the bridge both publishes and subscribes the zmp topic, over CURVE).
 */
const BRIDGE_FILE = `
import { defineRosBridge } from "${
  new URL("../../src/bridge/mod.ts", import.meta.url).href
}";
import {
  LightsService,
  RobotService,
  RosChatterTopic,
  RosCommandsTopic,
} from "${EXAMPLE("ros.api.gen.ts")}";
import { RobotSettingsParams } from "${EXAMPLE("robot.api.gen.ts")}";

export default defineRosBridge({
  name: "ros1_bridge",
  topics: [
    { ros: "/chatter", zmp: RosChatterTopic, type: "std_msgs/String", direction: "to-zmp" },
    { ros: "/both", zmp: RosCommandsTopic, type: "std_msgs/String", direction: "both" },
  ],
  services: [
    { ros: "/reset", type: "std_srvs/Trigger", zmp: RobotService, method: "reset", direction: "to-zmp" },
    { ros: "/lights/set", type: "std_srvs/SetBool", zmp: LightsService, method: "set", direction: "to-ros" },
  ],
  params: [{ ros: "/robot", zmp: RobotSettingsParams, direction: "both" }],
});
`;
const CLI = new URL("../../src/cli/main.ts", import.meta.url).pathname;

function ok(r: ZmpOutput): string {
  assertEquals(r.code, 0, `stdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r.stdout;
}

Deno.test("zmp bridge ros1 --keys: a secure launch and rospy meet through the bridge, topics and services both ways", async (t) => {
  await using master = await RosMaster.start();
  await using tmp = await tempDir();
  const keys = `${tmp.path}/keys`;
  const file = await writeLaunch(tmp.path, {
    registry: { endpoint: "tcp://127.0.0.1:*" },
    security: {
      curve: true,
      allow: ["ros1_bridge"],
      // The bridge may call Lights and set robot.* params; nothing else.
      policy: { ros1_bridge: { calls: ["Lights.set"], params: ["robot"] } },
    },
    nodes: [{ name: "lights", module: EXAMPLE("lights.ts") }],
  });
  const bridgeFile = `${tmp.path}/bridge.ts`;
  await Deno.writeTextFile(bridgeFile, BRIDGE_FILE);
  await using launch = new Launcher(["--no-check", file, "--keys", keys]);
  const [, endpoint] = await launch.line(/registry listening on (\S+)/);
  await launch.line(/secure mode: CURVE on every socket/);

  await using bridge = new Proc("zmp bridge ros1", Deno.execPath(), {
    args: [
      "run",
      "-A",
      CLI,
      "bridge",
      "ros1",
      bridgeFile,
      "--registry",
      endpoint,
      "--keys",
      keys,
      "--master",
      master.uri,
    ],
    env: master.env,
    cwd: ROOT,
  });
  await bridge.line(/zmp bridge: ros1_bridge bridges .* Ctrl-C to stop/, 60000);
  const zmp = (...args: string[]) =>
    runZmp([...args, "--registry", endpoint, "--keys", keys]);

  await t.step("the bridge registered with its own key", async () => {
    const nodes = JSON.parse(ok(await zmp("list", "nodes", "--json"))) as {
      name: string;
      publicKey?: string;
    }[];
    const listed = nodes.find((n) => n.name === "ros1_bridge");
    assertEquals(
      listed?.publicKey,
      (await readKeyPair(keys, "ros1_bridge"))?.publicKey,
    );
  });

  await t.step(
    "ROS → zmp: a rospy talker's messages reach zmp echo",
    async () => {
      await using talker = master.peer("talker", "/chatter", "200", "0.05");
      await talker.line(/ready/);
      const out = ok(
        await zmp("echo", "ros/chatter", "--count", "3", "--wait"),
      );
      const lines = out.trim().split("\n").map((l) => JSON.parse(l));
      assertEquals(lines.length, 3);
      for (const l of lines) assertMatch(l.data, /^hello \d+$/);
    },
  );

  await t.step(
    "one topic both ways: zmp pub reaches rospy, a rospy talker reaches zmp echo",
    async () => {
      await using listener = master.peer("listener", "/both", "1");
      await listener.line(/ready/);
      const pub = zmp(
        "pub",
        "ros/commands",
        '{"data": "go"}',
        "--rate",
        "10",
        "--count",
        "30",
      );
      await listener.line(/heard go/, 15000);
      assertEquals(await listener.exited(), 0);
      ok(await pub);
      // Two subscribers: the bridge's and a rospy one's (zmp echo's is on
      // the zmp side): the talker waits for the bridge.
      await using talker = master.peer("talker", "/both", "200", "0.05");
      await talker.line(/ready/);
      const out = ok(
        await zmp("echo", "ros/commands", "--count", "2", "--wait"),
      );
      for (const l of out.trim().split("\n")) {
        assertMatch(JSON.parse(l).data, /^hello \d+$/);
      }
    },
  );

  await t.step("a zmp client calls a rospy service", async () => {
    await using server = master.peer("trigger_server", "/reset");
    await server.line(/ready/);
    const first = JSON.parse(ok(await zmp("call", "Robot.reset", "--json")));
    assertEquals(first, { success: true, message: "triggered 1" });
  });

  await t.step("a rospy client calls a zmp service over CURVE", async () => {
    const on = await master.run("client", "/lights/set", "true");
    assertEquals(JSON.parse(on.trim().split("\n").at(-1)!), {
      success: true,
      message: "lights on (were off)",
    });
  });

  await t.step("a param set in ROS reaches zmp, and back", async () => {
    await master.run("set_param", "/robot/max_speed", "2.5");
    await waitFor(
      async () =>
        (await zmp("param", "get", "robot.max_speed")).stdout === "2.5\n",
      "robot.max_speed to reach zmp",
      { timeout: 10000, interval: 200 },
    );
    ok(await zmp("param", "set", "robot.label", '"r2"'));
    await waitFor(
      async () =>
        (await master.run("get_param", "/robot/label")).trim() === '"r2"',
      "/robot/label to reach ROS",
      { timeout: 10000, interval: 200 },
    );
  });

  await t.step("without keys, the tools get nothing", async () => {
    const plain = await runZmp([
      "echo",
      "ros/chatter",
      "--count",
      "1",
      "--registry",
      endpoint,
      "--timeout",
      "1500",
    ]);
    assertEquals(plain.code, 1);
    assertEquals(plain.stdout, "");
    assertMatch(plain.stderr, /^zmp echo: Cannot reach the zmp registry at /);
  });

  await bridge.stop();
  assert(!bridge.text.includes("Error"), bridge.text);
});

Deno.test("zmp bridge ros1 --keys: the launch's policy narrows the bridge, and ROS hears why", async () => {
  await using master = await RosMaster.start();
  await using tmp = await tempDir();
  const keys = `${tmp.path}/keys`;
  const file = await writeLaunch(tmp.path, {
    registry: { endpoint: "tcp://127.0.0.1:*" },
    security: {
      curve: true,
      allow: ["ros1_bridge", "narrow_bridge"],
      policy: {
        // May call nothing and set no params.
        ros1_bridge: { calls: [], params: [] },
        // May publish only ros/chatter, not ros/commands.
        narrow_bridge: { publishes: ["ros/chatter"] },
      },
    },
    nodes: [{ name: "lights", module: EXAMPLE("lights.ts") }],
  });
  const bridgeFile = `${tmp.path}/bridge.ts`;
  await Deno.writeTextFile(bridgeFile, BRIDGE_FILE);
  await using launch = new Launcher(["--no-check", file, "--keys", keys]);
  const [, endpoint] = await launch.line(/registry listening on (\S+)/);
  const bridge = (...extra: string[]) =>
    new Proc("zmp bridge ros1", Deno.execPath(), {
      args: [
        "run",
        "-A",
        CLI,
        "bridge",
        "ros1",
        bridgeFile,
        "--registry",
        endpoint,
        "--keys",
        keys,
        "--master",
        master.uri,
        ...extra,
      ],
      env: master.env,
      cwd: ROOT,
    });

  // A registration the policy refuses: one line, exit 1.
  {
    await using narrow = bridge("--name", "narrow_bridge");
    assertEquals(await narrow.exited(60000), 1, narrow.text);
    assertEquals(narrow.lines, [
      'zmp bridge: PERMISSION_DENIED: register "narrow_bridge": node "narrow_bridge" may not publish "ros/commands"',
    ]);
  }

  await using ros1 = bridge();
  await ros1.line(/zmp bridge: ros1_bridge bridges .* Ctrl-C to stop/, 60000);
  // A rospy client's call the policy does not grant: a ROS service error
  // naming the refusal, not a hang.
  const out = await master.run("client", "/lights/set", "true");
  assertEquals(
    out.trim().split("\n").at(-1),
    "error service [/lights/set] responded with an error: b'PERMISSION_DENIED: ros1_bridge may not call Lights.set'",
  );
  await launch.line(/refused a call of Lights\.set by ros1_bridge/);
  // A ROS param the bridge may not set stays out of zmp, with a warning.
  await master.run("set_param", "/robot/max_speed", "2.5");
  await ros1.line(
    /warn params \/robot .*node \\"ros1_bridge\\" may not set params in \\"robot\\"/,
  );
  const get = await runZmp([
    "param",
    "get",
    "robot.max_speed",
    "--registry",
    endpoint,
    "--keys",
    keys,
  ]);
  assert(get.stdout !== "2.5\n", get.stdout);
});
