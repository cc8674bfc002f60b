/**
 * The rosbridge v2 server at the frame level, with a plain WebSocket: bad
 * input (not JSON, binary, unknown op, missing or mistyped fields, a
 * 10 MiB frame) gets a `status` error, and the same connection keeps
 * working. Also the naming rules and the server's own lifecycle.
 */

import { assert, assertEquals, assertMatch, waitFor } from "../_assert.ts";
import { runZmp } from "../launch/_harness.ts";
import {
  connectRegistry,
  createNode,
  RpcError,
  startRegistry,
} from "../../mod.ts";
import { startRosbridgeServer } from "../../src/bridge/mod.ts";
import {
  rosParamName,
  rosServiceName,
  rosServiceType,
  rosTopicName,
  rosTypeName,
  splitServiceName,
  zmpMethod,
  zmpParamKey,
  zmpTopicName,
} from "../../src/bridge/rosbridge/names.ts";
import { CalculatorService } from "../../examples/calculator/calculator.api.gen.ts";
import { BrowserService } from "../../examples/rosbridge/browser.api.gen.ts";

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

type Message = Record<string, unknown>;

/** A raw client: every frame it got, parsed. */
async function rawClient(url: string) {
  const ws = new WebSocket(url);
  const got: Message[] = [];
  const closed = new Promise<void>((resolve) => ws.onclose = () => resolve());
  ws.onmessage = (e) => got.push(JSON.parse(e.data));
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  return {
    ws,
    got,
    send: (m: unknown) =>
      ws.send(typeof m === "string" ? m : JSON.stringify(m)),
    /** Waits for the next frame matching `pick` after `from`. */
    async next(pick: (m: Message) => boolean, from = 0): Promise<Message> {
      let found: Message | undefined;
      await waitFor(
        () => (found = got.slice(from).find(pick)) !== undefined,
        `a frame; got ${JSON.stringify(got.slice(from))}`,
      );
      return found!;
    },
    async close() {
      ws.close();
      await closed;
    },
  };
}

Deno.test("rosbridge names: fixed rules both ways", () => {
  assertEquals(rosTopicName("sensors/raw"), "/sensors/raw");
  assertEquals(zmpTopicName("/sensors/raw"), "sensors/raw");
  assertEquals(zmpTopicName("sensors/raw"), "sensors/raw");
  assertEquals(rosServiceName("Calculator", "add"), "/Calculator/add");
  assertEquals(
    rosServiceName("calc.Calculator", "add"),
    "/calc/Calculator/add",
  );
  assertEquals(
    zmpMethod("/calc/Calculator/add", ["Calculator", "calc.Calculator"]),
    {
      service: "calc.Calculator",
      method: "add",
    },
  );
  assertEquals(zmpMethod("Calculator/add", ["Calculator"]), {
    service: "Calculator",
    method: "add",
  });
  assertEquals(zmpMethod("/add", ["Calculator"]), undefined);
  assertEquals(splitServiceName("/Browser/sum"), {
    service: "Browser",
    method: "sum",
  });
  assertEquals(splitServiceName("/a/b/c"), { service: "a.b", method: "c" });
  assertEquals(rosParamName("greeter.shout"), "/greeter/shout");
  assertEquals(zmpParamKey("/greeter/shout"), "greeter.shout");
  assertEquals(zmpParamKey("greeter/shout/"), "greeter.shout");
  assertEquals(rosTypeName("Greeting"), "zmp/Greeting");
  assertEquals(
    rosServiceType("calc.Calculator", "add"),
    "zmp/calc_Calculator_add",
  );
});

Deno.test("rosbridge: bad input gets a status error and the connection keeps working", async () => {
  await using registry = await startRegistry({
    endpoint: "tcp://127.0.0.1:*",
    logger: quiet,
  });
  await using calc = await createNode("calc", {
    registry: registry.endpoint,
    logger: quiet,
  });
  await calc.provide(CalculatorService, {
    add: (a: number, b: number) => a + b,
    divide: (a: number, b: number) => {
      if (b === 0) {
        throw new RpcError("INVALID_ARGUMENT", "Cannot divide by zero");
      }
      return a / b;
    },
    sum: (values: number[]) => values.reduce((x, y) => x + y, 0),
    async *countdown() {},
    evaluate: () => {
      throw new RpcError("UNIMPLEMENTED", "not here");
    },
  } as never);
  await using client = await connectRegistry({
    endpoint: registry.endpoint,
    logger: quiet,
  });
  await using bridgeNode = await createNode("rosbridge", {
    registry: client,
    logger: quiet,
  });
  await using server = await startRosbridgeServer({
    node: bridgeNode,
    registry: client,
    port: 0,
    apis: [BrowserService],
    maxMessageBytes: 1024 * 1024,
  });
  const ws = await rawClient(server.url);
  try {
    const cases: [unknown, RegExp][] = [
      ["{not json", /^the message is not JSON: /],
      ["[1, 2]", /^a rosbridge message is a JSON object with an "op" field$/],
      [{ id: "x" }, /^the message has no "op" field \(a string\)$/],
      [
        { op: "launch_rockets" },
        /^unknown op "launch_rockets" \(supported: subscribe, /,
      ],
      [
        { op: "subscribe" },
        /^op "subscribe" needs a "topic" field \(a string\)$/,
      ],
      [
        { op: "subscribe", topic: 42 },
        /^op "subscribe": field "topic" must be a string, got number$/,
      ],
      [
        { op: "publish", topic: "/sensors/raw" },
        /^the message has no "msg" field$/,
      ],
      [
        { op: "advertise", topic: "/nowhere", type: "zmp/X" },
        /^cannot advertise \/nowhere: no live zmp node publishes or subscribes to it/,
      ],
      [
        { op: "call_service", service: 7 },
        /^op "call_service": field "service" must be a string, got number$/,
      ],
      [
        { op: "call_service", service: "/Calculator/add", args: "2 3" },
        /field "args" must be an object/,
      ],
      [{ op: "unsubscribe", topic: "/never" }, /^not subscribed to \/never$/],
      [
        { op: "service_response", id: "nobody" },
        /^no call is waiting for a response with id "nobody"$/,
      ],
      [
        { op: "set_level", level: "loud" },
        /^level must be one of none, error, warning, info/,
      ],
      [
        {
          op: "advertise_service",
          service: "/Browser/sum",
          type: "std_srvs/Trigger",
        },
        /^cannot advertise \/Browser\/sum as std_srvs\/Trigger: its type is zmp\/Browser_sum$/,
      ],
      [
        { op: "advertise_service", service: "sum", type: "" },
        /a service name is \/<Service>\/<method>/,
      ],
      [
        "x".repeat(10 * 1024 * 1024),
        /^a message of 10485760 bytes is over the limit of 1048576$/,
      ],
    ];
    for (const [frame, expected] of cases) {
      const from = ws.got.length;
      ws.send(frame);
      const status = await ws.next((m) => m.op === "status", from);
      assertEquals(status.level, "error");
      assertMatch(String(status.msg), expected);
      // ...and the connection still answers a real call.
      const id = `after:${from}`;
      ws.send({
        op: "call_service",
        id,
        service: "/Calculator/add",
        args: { a: 1, b: 2 },
      });
      const answer = await ws.next((m) => m.id === id, from);
      assertEquals(answer, {
        op: "service_response",
        service: "/Calculator/add",
        id,
        values: { result: 3 },
        result: true,
      });
    }
    // A binary frame (CBOR is not spoken) is an error too.
    const from = ws.got.length;
    ws.ws.send(new Uint8Array([0xa1, 0x62, 0x6f, 0x70]));
    const status = await ws.next((m) => m.op === "status", from);
    assertMatch(String(status.msg), /^binary frames are not supported/);
    // The status of a failed op carries its id.
    ws.send({ op: "subscribe", id: "sub:1", topic: 1 });
    const withId = await ws.next((m) => m.op === "status" && m.id === "sub:1");
    assertMatch(String(withId.msg), /field "topic" must be a string/);
    // A failed call is a service_response with result false, never a status alone.
    ws.send({
      op: "call_service",
      id: "div",
      service: "/Calculator/divide",
      args: { a: 1, b: 0 },
    });
    assertEquals(await ws.next((m) => m.id === "div"), {
      op: "service_response",
      service: "/Calculator/divide",
      id: "div",
      values: "INVALID_ARGUMENT: Cannot divide by zero",
      result: false,
    });
    // set_level none silences errors.
    ws.send({ op: "set_level", level: "none" });
    ws.send({ op: "nonsense" });
    ws.send({
      op: "call_service",
      id: "last",
      service: "Calculator/add",
      args: [5, 6],
    });
    const last = await ws.next((m) => m.id === "last");
    assertEquals(last.service, "Calculator/add");
    assertEquals(last.values, { result: 11 });
    assert(
      !ws.got.some((m) =>
        m.op === "status" && String(m.msg).includes("nonsense")
      ),
    );
    assertEquals(server.connections, 1);
  } finally {
    await ws.close();
  }
  await waitFor(() => server.connections === 0, "the session to end");
});

Deno.test("zmp bridge rosbridge: a taken port and bad usage are one line each", async () => {
  await using registry = await startRegistry({
    endpoint: "tcp://127.0.0.1:*",
    logger: quiet,
  });
  using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = String((taken.addr as Deno.NetAddr).port);
  const r = await runZmp([
    "bridge",
    "rosbridge",
    "--port",
    port,
    "--registry",
    registry.endpoint,
  ]);
  assertEquals(r.code, 1);
  assertEquals(
    r.stderr,
    `zmp bridge: Cannot listen on 127.0.0.1:${port}: the port is taken\n`,
  );
  const usage = await runZmp(["bridge", "ros2"]);
  assertEquals(usage.code, 2);
  assertEquals(
    usage.stderr,
    'zmp bridge: unknown bridge "ros2" (expected ros1 or rosbridge) (see zmp bridge --help)\n',
  );
  const badPort = await runZmp(["bridge", "rosbridge", "--port", "x"]);
  assertEquals(badPort.code, 2);
  assertEquals(
    badPort.stderr,
    'zmp bridge: --port must be a whole number, got "x" (see zmp bridge --help)\n',
  );
});
