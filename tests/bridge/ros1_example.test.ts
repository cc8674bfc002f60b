/**
 * examples/ros/ against real ROS: a rosmaster on a free port, rospy
 * peers, and `zmp launch examples/ros/launch.ts` (the lights node and the
 * ROS 1 bridge). Messages, service calls and params cross both ways; a
 * restarted rosmaster is followed by re-registration.
 */

import { assert, assertEquals, waitFor } from "../_assert.ts";
import { Launcher, runZmp, type ZmpOutput } from "../launch/_harness.ts";
import { RosMaster } from "./_ros.ts";

const LAUNCH = new URL("../../examples/ros/launch.ts", import.meta.url)
  .pathname;

function ok(r: ZmpOutput): string {
  assertEquals(r.code, 0, `stdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r.stdout;
}

Deno.test("examples/ros: ROS 1 and zmp meet through the bridge, both ways", async (t) => {
  await using master = await RosMaster.start();
  await using launch = new Launcher(["--no-check", LAUNCH], master.env);
  const [, endpoint] = await launch.line(/registry listening on (\S+)/);
  await launch.line(/ROS bridge started/, 30000);
  const zmp = (...args: string[]) => runZmp([...args, "--registry", endpoint]);

  await t.step("a rospy talker's messages reach zmp echo", async () => {
    await using talker = master.peer("talker", "/chatter", "200", "0.05");
    await talker.line(/ready/);
    const out = ok(await zmp("echo", "ros/chatter", "--count", "3", "--wait"));
    const lines = out.trim().split("\n").map((l) => JSON.parse(l));
    assertEquals(lines.length, 3);
    for (const l of lines) assert(/^hello \d+$/.test(l.data), `${l.data}`);
  });

  await t.step("zmp pub reaches a rospy listener", async () => {
    await using listener = master.peer("listener", "/commands", "1");
    await listener.line(/ready/);
    // The listener's TCPROS connection to the bridge is not observable
    // from here: publish at 10 Hz until it hears one (bounded).
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
  });

  await t.step("a zmp client calls a rospy service", async () => {
    await using server = master.peer("trigger_server", "/reset");
    await server.line(/ready/);
    const first = JSON.parse(ok(await zmp("call", "Robot.reset", "--json")));
    assertEquals(first, { success: true, message: "triggered 1" });
    const second = JSON.parse(ok(await zmp("call", "Robot.reset", "--json")));
    assertEquals(second.message, "triggered 2");
  });

  await t.step("a rospy client calls a zmp service", async () => {
    const on = await master.run("client", "/lights/set", "true");
    assertEquals(JSON.parse(on.trim().split("\n").at(-1)!), {
      success: true,
      message: "lights on (were off)",
    });
    const off = await master.run("client", "/lights/set", "false");
    assertEquals(
      JSON.parse(off.trim().split("\n").at(-1)!).message,
      "lights off (were on)",
    );
  });

  await t.step("a param set on one side is read on the other", async () => {
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
    // A zmp type check applies to what ROS sets: a string is no speed.
    await master.run("set_param", "/robot/max_speed", '"fast"');
    await waitFor(
      () => launch.text.includes("ROS param /robot/max_speed does not fit"),
      "the bridge to refuse a bad param",
      { timeout: 10000 },
    );
    assertEquals(ok(await zmp("param", "get", "robot.max_speed")), "2.5\n");
  });

  await t.step(
    "a restarted rosmaster is followed by re-registration",
    async () => {
      await master.restart();
      await launch.line(/ROS master is back: registering again/, 20000);
      // zmp's params went back to the new (empty) parameter server.
      await waitFor(
        async () =>
          (await master.run("get_param", "/robot/max_speed")).trim() === "2.5",
        "params to be copied to the new master",
        { timeout: 15000, interval: 300 },
      );
      // A talker that registers with the new master reaches zmp again.
      await using talker = master.peer("talker", "/chatter", "200", "0.05");
      await talker.line(/ready/);
      const out = ok(await zmp("echo", "ros/chatter", "--count", "1"));
      assert(/hello \d+/.test(out), out);
      // And ROS finds the zmp service again.
      const on = await master.run("client", "/lights/set", "true");
      assert(on.includes('"success": true'), on);
    },
  );
});
