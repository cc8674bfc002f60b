/**
 * `deno task bench:ros`: what the bridges to ROS cost, against baselines
 * measured in the same run.
 *
 * - **rosbridge call**: sequential calls of `Calculator.add`, by `roslib`
 *   through the rosbridge server (`/Calculator/add`), and by a zmp client
 *   directly; median and p99 round trip, and the ratio.
 * - **ROS 1 topics**: `std_msgs/String` throughput, rospy → rospy (the
 *   baseline), rospy → the bridge → a zmp subscriber, and a zmp publisher
 *   → the bridge → rospy; messages received per second at the receiver,
 *   and how many of those sent arrived.
 *
 *     deno task bench:ros [--json] [--quick]
 *
 * Needs ROS 1 from Debian (see .ci/run). Every part is bounded in count
 * and time; progress goes to stderr, `--json` prints one JSON object.
 *
 * @module
 */

import { parseArgs } from "node:util";
import * as ROSLIB from "roslib";
import {
  connectRegistry,
  createNode,
  RpcError,
  startRegistry,
  type TopicDescriptor,
} from "../../mod.ts";
import { startRos1Bridge, startRosbridgeServer } from "../../src/bridge/mod.ts";
import { CalculatorService } from "../../examples/calculator/calculator.api.gen.ts";
import { RosCommandsTopic } from "../../examples/ros/ros.api.gen.ts";
import { RosMaster } from "../../tests/bridge/_ros.ts";

const { values } = parseArgs({
  options: {
    json: { type: "boolean" },
    quick: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  },
  strict: true,
});
if (values.help) {
  console.log(`usage: deno task bench:ros [--json] [--quick]

  --json    print one JSON object on stdout (progress on stderr)
  --quick   a short run (fewer calls and messages)`);
  Deno.exit(0);
}
const calls = values.quick ? 300 : 2000;
const messages = values.quick ? 3000 : 20000;
const progress = (line: string) => console.error(line);
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}
const round1 = (x: number) => Math.round(x * 10) / 10;

async function timed(
  n: number,
  call: () => Promise<unknown>,
): Promise<number[]> {
  for (let i = 0; i < Math.min(200, n); i++) await call(); // warm up
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await call();
    out.push((performance.now() - t0) * 1000);
  }
  return out;
}

/** roslib through rosbridge against a direct zmp client, same process. */
async function rosbridgeCall(): Promise<Record<string, number>> {
  await using registry = await startRegistry({
    endpoint: "tcp://127.0.0.1:*",
    logger: quiet,
  });
  await using client = await connectRegistry({
    endpoint: registry.endpoint,
    logger: quiet,
  });
  await using calc = await createNode("calc", {
    registry: client,
    logger: quiet,
  });
  await calc.provide(CalculatorService, {
    add: (a: number, b: number) => a + b,
    divide: (a: number, b: number) => a / b,
    sum: (v: number[]) => v.reduce((x, y) => x + y, 0),
    async *countdown() {},
    evaluate: () => {
      throw new RpcError("UNIMPLEMENTED", "not in the bench");
    },
  } as never);
  await using bridgeNode = await createNode("rosbridge", {
    registry: client,
    logger: quiet,
  });
  await using server = await startRosbridgeServer({
    node: bridgeNode,
    registry: client,
    port: 0,
  });
  await using caller = await createNode("caller", {
    registry: client,
    logger: quiet,
  });
  const direct = await caller.client(CalculatorService);
  const zmp = await timed(calls, () => direct.add(2, 3));

  const ros = new ROSLIB.Ros({});
  const open = new Promise((resolve) => ros.once("connection", resolve));
  await ros.connect(server.url);
  await open;
  const add = new ROSLIB.Service({
    ros,
    name: "/Calculator/add",
    serviceType: "zmp/Calculator_add",
  });
  const roslib = await timed(
    calls,
    () =>
      new Promise((resolve, reject) =>
        add.callService({ a: 2, b: 3 }, resolve, (e) => reject(new Error(e)))
      ),
  );
  ros.close();
  const figures = {
    zmp_call_median_us: round1(quantile(zmp, 0.5)),
    zmp_call_p99_us: round1(quantile(zmp, 0.99)),
    roslib_call_median_us: round1(quantile(roslib, 0.5)),
    roslib_call_p99_us: round1(quantile(roslib, 0.99)),
  };
  progress(
    `rosbridge call: roslib median ${figures.roslib_call_median_us} µs (p99 ${figures.roslib_call_p99_us}), ` +
      `zmp client median ${figures.zmp_call_median_us} µs (p99 ${figures.zmp_call_p99_us})`,
  );
  return {
    ...figures,
    roslib_over_zmp: round1(
      figures.roslib_call_median_us / figures.zmp_call_median_us,
    ),
  };
}

/** Parses the sink's `{"received": n, "seconds": s}` line. */
function sinkRate(text: string): { received: number; rate: number } {
  const line = text.trim().split("\n").reverse().find((l) => l.startsWith("{"));
  const { received, seconds } = JSON.parse(
    line ?? '{"received":0,"seconds":0}',
  );
  return { received, rate: seconds > 0 ? received / seconds : 0 };
}

/** ROS 1 topic throughput: rospy → rospy, and through the bridge both ways. */
async function rosTopics(): Promise<Record<string, number>> {
  await using master = await RosMaster.start();

  // Baseline: rospy → rospy.
  const base = await (async () => {
    await using sink = master.peer("sink", "/base", String(messages));
    await sink.line(/ready/);
    await using flood = master.peer("flood", "/base", String(messages));
    await flood.exited(120000);
    await sink.exited(120000);
    return sinkRate(sink.text);
  })();
  progress(
    `ROS topics rospy → rospy: ${
      base.rate.toFixed(0)
    } msg/s (${base.received}/${messages} received)`,
  );

  await using registry = await startRegistry({
    endpoint: "tcp://127.0.0.1:*",
    logger: quiet,
  });
  await using node = await createNode("ros1_bench", {
    registry: registry.endpoint,
    logger: quiet,
  });
  const floodTopic: TopicDescriptor<{ data: string }> = {
    ...RosCommandsTopic,
    name: "bench/from_ros",
  };
  const outTopic: TopicDescriptor<{ data: string }> = {
    ...RosCommandsTopic,
    name: "bench/to_ros",
  };
  await using _bridge = await startRos1Bridge({
    topics: [
      {
        ros: "/flood",
        zmp: floodTopic,
        type: "std_msgs/String",
        direction: "to-zmp",
      },
      {
        ros: "/sink",
        zmp: outTopic,
        type: "std_msgs/String",
        direction: "to-ros",
      },
    ],
  }, { node, master: master.uri });

  // rospy → bridge → zmp.
  await using receiver = await createNode("bench_receiver", {
    registry: registry.endpoint,
    logger: quiet,
  });
  const subscription = await receiver.subscribe(floodTopic, {
    queue: messages,
  });
  const toZmp = await (async () => {
    let received = 0;
    let first = 0;
    let last = 0;
    const counting = (async () => {
      for await (const _ of subscription) {
        if (received++ === 0) first = performance.now();
        last = performance.now();
        if (received >= messages) break;
      }
    })();
    await using flood = master.peer("flood", "/flood", String(messages));
    await flood.exited(120000);
    // Whatever has not arrived within 2 s of the flood's end is lost.
    const idle = setTimeout(() => subscription.close(), 2000);
    await counting;
    clearTimeout(idle);
    await subscription.close();
    const seconds = (last - first) / 1000;
    return { received, rate: seconds > 0 ? received / seconds : 0 };
  })();
  progress(
    `ROS topics rospy → bridge → zmp: ${
      toZmp.rate.toFixed(0)
    } msg/s (${toZmp.received}/${messages} received)`,
  );

  // zmp → bridge → rospy.
  const toRos = await (async () => {
    await using sink = master.peer("sink", "/sink", String(messages));
    await sink.line(/ready/);
    await using sender = await createNode("bench_sender", {
      registry: registry.endpoint,
      logger: quiet,
    });
    const publisher = await sender.publisher(outTopic);
    await publisher.waitForSubscribers(1, { timeout: 10000 });
    // The sink's TCPROS connection to the bridge is not observable: wait
    // until a first message gets through, then send the batch.
    for (let i = 0; i < 200 && !sink.lines.includes("warm"); i++) {
      publisher.publish({ data: "warmup" });
      await new Promise((r) => setTimeout(r, 50));
    }
    for (let i = 0; i < messages; i++) {
      publisher.publish({ data: `m ${i}` });
      // Yield now and then, so that the bridge (same process) keeps up
      // with the sockets instead of ZeroMQ dropping at its high-water mark.
      if (i % 256 === 255) await new Promise((r) => setTimeout(r, 0));
    }
    await sink.exited(120000);
    return sinkRate(sink.text);
  })();
  progress(
    `ROS topics zmp → bridge → rospy: ${
      toRos.rate.toFixed(0)
    } msg/s (${toRos.received}/${messages} received)`,
  );
  return {
    messages,
    rospy_to_rospy_msg_s: Math.round(base.rate),
    rospy_to_rospy_received: base.received,
    rospy_to_zmp_msg_s: Math.round(toZmp.rate),
    rospy_to_zmp_received: toZmp.received,
    zmp_to_rospy_msg_s: Math.round(toRos.rate),
    zmp_to_rospy_received: toRos.received,
    to_zmp_over_rospy: Math.round(toZmp.rate / base.rate * 100) / 100,
    to_ros_over_rospy: Math.round(toRos.rate / base.rate * 100) / 100,
  };
}

const report = {
  machine: { cpus: navigator.hardwareConcurrency, deno: Deno.version.deno },
  rosbridge_call: await rosbridgeCall(),
  ros1_topics: await rosTopics(),
};
if (values.json) console.log(JSON.stringify(report));
else console.log(JSON.stringify(report, null, 2));
