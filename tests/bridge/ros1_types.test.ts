/**
 * ROS 1 types on the zmp side: definitions found and hashed as rospy
 * hashes them, `zmp ros types` (from files and from a live publisher)
 * feeding codegen in a folder outside the checkout, and a bridge whose
 * fields do not line up refused at start with one error.
 */

import {
  assert,
  assertEquals,
  assertMatch,
  assertStringIncludes,
  assertThrows,
} from "../_assert.ts";
import { runZmp } from "../launch/_harness.ts";
import { startRegistry } from "../../mod.ts";
import { RosTypeError, RosTypes } from "../../src/bridge/mod.ts";
import {
  checkMapping,
  rosSchema,
  toRos,
  toZmp,
} from "../../src/bridge/ros1/convert.ts";
import { MessageReader, MessageWriter } from "@foxglove/rosmsg-serialization";
import { ROS_PYTHON, RosMaster } from "./_ros.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const quiet = { warn() {}, error() {} };

Deno.test("RosTypes: md5 sums equal rospy's, byte and char included", async () => {
  const messages = [
    "std_msgs/String",
    "std_msgs/Header",
    "std_msgs/Byte",
    "std_msgs/Char",
    "std_msgs/ColorRGBA",
    "std_msgs/Float64MultiArray",
    "std_msgs/UInt8MultiArray",
    "std_msgs/Time",
    "std_msgs/Duration",
  ];
  const services = ["std_srvs/SetBool", "std_srvs/Trigger", "std_srvs/Empty"];
  const script = [
    "import importlib",
    ...[...messages, ...services].map((t) => {
      const [pkg, name] = t.split("/");
      const kind = services.includes(t) ? "srv" : "msg";
      return `print("${t}", importlib.import_module("${pkg}.${kind}").${name}._md5sum)`;
    }),
  ].join("\n");
  const out = await new Deno.Command(ROS_PYTHON, { args: ["-c", script] })
    .output();
  assert(out.success, new TextDecoder().decode(out.stderr));
  const types = new RosTypes();
  for (const line of new TextDecoder().decode(out.stdout).trim().split("\n")) {
    const [name, md5] = line.split(" ");
    const ours = services.includes(name)
      ? types.service(name).md5
      : types.message(name).md5;
    assertEquals(ours, md5, name);
  }
});

Deno.test("RosTypes: inline definitions, nested types, constants, and clear errors", () => {
  const types = new RosTypes({
    system: false,
    definitions: {
      "demo/Pose":
        "uint8 KIND_A=1\nstring NAME=a # not a comment\nPoint position\nfloat64[4] q\n",
      "demo/Point": "float64 x\nfloat64 y\n",
      "demo/Move": "demo/Pose target\n---\nbool ok\n",
    },
  });
  const pose = types.message("demo/Pose");
  assertEquals(pose.definitions.map((d) => d.name), [
    "demo/Pose",
    "demo/Point",
  ]);
  assertStringIncludes(pose.text, "MSG: demo/Point\nfloat64 x");
  assertEquals(types.service("demo/Move").request.definitions.length, 3);
  const e = assertThrows(() => types.message("demo/Nope"), RosTypeError);
  assertMatch(
    e.message,
    /^Cannot find ROS message demo\/Nope: no demo\/msg\/Nope.msg under \(no search path\);/,
  );
  assertThrows(
    () => types.message("Nope"),
    RosTypeError,
    'Cannot use ROS type "Nope"',
  );
  const bad = new RosTypes({
    system: false,
    definitions: { "demo/Bad": "a\n---\n---\n" },
  });
  assertThrows(() => bad.service("demo/Bad"), RosTypeError, "found 2");
});

Deno.test("convert: ROS messages and zmp values both ways, fields checked", () => {
  const types = new RosTypes();
  const header = types.message("std_msgs/Header");
  const multi = types.message("std_msgs/UInt8MultiArray");
  const schema = rosSchema(multi);
  assertEquals(checkMapping(schema, multi), []);
  const value = {
    layout: { dim: [{ label: "x", size: 2, stride: 2 }], data_offset: 0 },
    data: new Uint8Array([1, 2]),
  };
  const bytes = new MessageWriter(multi.definitions).writeMessage(
    toRos(multi, value),
  );
  const back = toZmp(
    multi,
    new MessageReader(multi.definitions).readMessage(bytes),
    schema,
  );
  assertEquals(back, value);
  // int64 becomes bigint, or number when zmp says number.
  const i64 = types.message("std_msgs/Int64");
  const read = new MessageReader(i64.definitions).readMessage(
    new MessageWriter(i64.definitions).writeMessage(toRos(i64, { data: 7 })),
  );
  assertEquals(
    toZmp(i64, read, {
      type: "object",
      properties: { data: { type: "number" } },
    }),
    { data: 7 },
  );
  assertEquals(toZmp(i64, read, rosSchema(i64)), { data: 7n });
  // Fields that do not line up, each named.
  const issues = checkMapping({
    type: "object",
    properties: {
      seq: { type: "string" },
      stamp: { type: "number" },
      extra: { type: "number" },
    },
    required: ["seq", "extra"],
  }, header);
  assertEquals(issues, [
    { path: "seq", problem: "ROS uint32 seq, zmp string" },
    { path: "stamp", problem: "ROS time stamp, zmp number" },
    {
      path: "frame_id",
      problem: "ROS field string frame_id has no zmp property",
    },
    {
      path: "extra",
      problem: "required zmp property is not a field of ROS std_msgs/Header",
    },
  ]);
});

Deno.test("zmp ros types: files and a live publisher into an .api.ts that codegen takes, outside the checkout", async () => {
  await using master = await RosMaster.start();
  const dir = await Deno.makeTempDir({ prefix: "zmp-ros-types-" });
  try {
    await using talker = master.peer("talker", "/chatter", "1000", "0.05");
    await talker.line(/ready/);
    const r = await runZmp([
      "ros",
      "types",
      "std_msgs/Header",
      "std_srvs/SetBool",
      "/chatter",
      "--master",
      master.uri,
      "--topic",
      "ros/chatter=std_msgs/String",
      "--service",
      "Lights.set=std_srvs/SetBool",
      "--out",
      `${dir}/ros.api.ts`,
    ]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stderr, `wrote ${dir}/ros.api.ts\n`);
    const text = await Deno.readTextFile(`${dir}/ros.api.ts`);
    for (
      const line of [
        "export interface RosTime {",
        "export interface StdMsgsHeader {",
        "  stamp: RosTime;",
        "export interface StdMsgsString {",
        "export interface StdSrvsSetBoolRequest {",
        "export type RosChatter = StdMsgsString;",
        "  set(data: boolean): Promise<StdSrvsSetBoolResponse>;",
      ]
    ) assertStringIncludes(text, line);
    const codegen = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `${ROOT}codegen/main.ts`, `${dir}/ros.api.ts`],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert(codegen.success, new TextDecoder().decode(codegen.stderr));
    const gen = await Deno.readTextFile(`${dir}/ros.api.gen.ts`);
    assertStringIncludes(gen, "export const RosChatterTopic");
    assertStringIncludes(gen, "export const LightsService");
    const schema = JSON.parse(
      await Deno.readTextFile(`${dir}/ros.api.schema.json`),
    );
    assert("ros/chatter" in schema.topics, Object.keys(schema.topics).join());

    const missing = await runZmp(["ros", "types", "std_msgs/Nope"]);
    assertEquals(missing.code, 1);
    assertMatch(
      missing.stderr,
      /^zmp ros: Cannot find ROS message std_msgs\/Nope: no std_msgs\/msg\/Nope.msg under /,
    );
    const silent = await runZmp([
      "ros",
      "types",
      "/silence",
      "--master",
      master.uri,
    ]);
    assertEquals(silent.code, 1);
    assertMatch(
      silent.stderr,
      /^zmp ros: Cannot find the type of ROS topic \/silence: nobody publishes it/,
    );
    const usage = await runZmp(["ros", "types", "--topic", "nothing"]);
    assertEquals(usage.code, 2);
    assertStringIncludes(usage.stderr, "--topic expects zmp/name=pkg/Msg");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("zmp bridge ros1: a bridge whose fields do not line up is one error at start", async () => {
  await using master = await RosMaster.start();
  await using registry = await startRegistry({
    endpoint: "tcp://127.0.0.1:*",
    logger: quiet,
  });
  const dir = await Deno.makeTempDir({ prefix: "zmp-ros-bad-" });
  try {
    await Deno.writeTextFile(
      `${dir}/bad.ts`,
      `import { defineRosBridge } from "${ROOT}src/bridge/mod.ts";
import { LightsService, RosChatterTopic } from "${ROOT}examples/ros/ros.api.gen.ts";
export default defineRosBridge({
  topics: [
    { ros: "/chatter", zmp: RosChatterTopic, type: "std_msgs/Int32", direction: "to-zmp" },
    { ros: "chatter2", zmp: RosChatterTopic, type: "std_msgs/String", direction: "sideways" as never },
  ],
  services: [
    { ros: "/lights", zmp: LightsService, method: "set", type: "std_srvs/Trigger", direction: "to-ros" },
    { ros: "/dim", zmp: LightsService, method: "dim", type: "std_srvs/Trigger", direction: "to-ros" },
  ],
});
`,
    );
    const r = await runZmp([
      "bridge",
      "ros1",
      `${dir}/bad.ts`,
      "--master",
      master.uri,
      "--registry",
      registry.endpoint,
    ]);
    assertEquals(r.code, 1, r.stderr);
    assertEquals(r.stdout, "");
    assertEquals(r.stderr.split("\n").length, 2, `one line: ${r.stderr}`);
    assertEquals(
      r.stderr,
      'zmp bridge: Cannot start ROS bridge "ros1_bridge": 5 problems: ' +
        'topic "chatter2": a ROS name starts with "/" and holds A-Z a-z 0-9 _ /; ' +
        'topic chatter2: direction "sideways" is not one of to-zmp, to-ros, both; ' +
        'service /dim: Lights has no method "dim" (methods: set); ' +
        "topic /chatter (std_msgs/Int32) ↔ ros/chatter (RosChatter): data: ROS int32 data, zmp string; " +
        "service /lights (std_srvs/Trigger) ↔ Lights.set: request.data: parameter of set is not a field of ROS std_srvs/TriggerRequest\n",
    );
    const file = await runZmp([
      "bridge",
      "ros1",
      `${ROOT}examples/ros/lights.ts`,
    ]);
    assertEquals(file.code, 1);
    assertStringIncludes(file.stderr, "is not a ROS bridge file");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
