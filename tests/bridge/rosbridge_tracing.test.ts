/**
 * Trace context through the rosbridge v2 server, driven by the real npm
 * `roslib` client: a `traceparent` field on a client's `publish` op goes
 * with the zmp message, and one on its `call_service` op goes in the call's
 * metadata; a traced zmp message reaches the client's `publish` op with its
 * `traceparent`, and so does a zmp call to a client-side service. roslib
 * ignores the extra field: its callbacks get what they always got.
 */

import * as ROSLIB from "roslib";
import { assertEquals, assertMatch, waitFor } from "../_assert.ts";
import {
  type CallContext,
  connectRegistry,
  createNode,
  startRegistry,
} from "../../mod.ts";
import { startRosbridgeServer } from "../../src/bridge/mod.ts";
import { CalculatorService } from "../../examples/calculator/calculator.api.gen.ts";
import { BrowserService } from "../../examples/rosbridge/browser.api.gen.ts";
import {
  FilteredReadingTopic,
  RawReadingTopic,
} from "../../examples/sensors/sensors.api.gen.ts";

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
type Message = Record<string, unknown>;

const FROM_CLIENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
const FROM_ZMP = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const CALL = "00-11111111111111111111111111111111-2222222222222222-01";
const TO_CLIENT = "00-33333333333333333333333333333333-4444444444444444-01";

Deno.test("rosbridge: traceparent crosses both ways on publish and call_service; roslib ignores it", async () => {
  await using registry = await startRegistry({
    endpoint: "tcp://127.0.0.1:*",
    logger: quiet,
  });
  // The zmp side: a calculator that notes the metadata of each call, a
  // subscriber of sensors/raw that notes each message's trace, and a
  // publisher of sensors/filtered.
  await using lab = await createNode("lab", {
    registry: registry.endpoint,
    logger: quiet,
  });
  const callMetadata: Record<string, string>[] = [];
  await lab.provide(CalculatorService, {
    add: (a: number, b: number, ctx: CallContext) => {
      callMetadata.push(ctx.metadata);
      return a + b;
    },
    divide: (a: number, b: number) => a / b,
    sum: (values: number[]) => values.reduce((x, y) => x + y, 0),
    async *countdown() {},
    evaluate: () => 0,
  } as never);
  const raw = await lab.subscribe(RawReadingTopic);
  const heard: { sensor: string; traceparent?: string }[] = [];
  const hearing = (async () => {
    for await (const { message, traceparent } of raw.messages()) {
      heard.push({ sensor: message.sensor, traceparent });
    }
  })();
  const filtered = await lab.publisher(FilteredReadingTopic);
  const reading = (sensor: string) => ({
    sensor,
    seq: 0,
    raw: 1,
    value: 1,
    alpha: 0.5,
    alarm: false,
  });

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
  });

  const ros = new ROSLIB.Ros({});
  const seen: Message[] = [];
  const inner = ros as unknown as { handleMessage(m: unknown): void };
  const handle = inner.handleMessage.bind(ros);
  inner.handleMessage = (m) => {
    seen.push(m as Message);
    handle(m);
  };
  const open = new Promise((resolve, reject) => {
    ros.once("connection", resolve);
    ros.once("error", reject);
  });
  await ros.connect(server.url);
  await open;
  // roslib's types know only the fields of rosbridge v2; it sends any.
  const send = (op: Message) =>
    ros.callOnConnection(
      op as unknown as Parameters<typeof ros.callOnConnection>[0],
    );
  try {
    // zmp → client: a traced message's op has its traceparent; roslib's
    // callback gets the message alone.
    const topic = new ROSLIB.Topic<Message>({
      ros,
      name: "/sensors/filtered",
      messageType: "zmp/FilteredReading",
    });
    const delivered: Message[] = [];
    topic.subscribe((m) => delivered.push(m));
    await waitFor(
      () => {
        filtered.publish(reading("traced"), { traceparent: FROM_ZMP });
        filtered.publish(reading("plain"));
        return delivered.some((m) => m.sensor === "plain");
      },
      "the bridge to forward sensors/filtered",
      { timeout: 15000, interval: 50 },
    );
    const ops = seen.filter((m) => m.topic === "/sensors/filtered");
    const tracedOp = ops.find((m) => (m.msg as Message).sensor === "traced");
    const plainOp = ops.find((m) => (m.msg as Message).sensor === "plain");
    assertEquals(tracedOp?.traceparent, FROM_ZMP);
    assertEquals(Object.keys(tracedOp!), ["op", "topic", "msg", "traceparent"]);
    assertEquals(Object.keys(plainOp!), ["op", "topic", "msg"]);
    assertEquals(
      delivered.find((m) => m.sensor === "traced"),
      reading("traced"),
    );
    topic.unsubscribe();

    // client → zmp: roslib sends the op with the extra field as it is.
    const rawTopic = new ROSLIB.Topic({
      ros,
      name: "/sensors/raw",
      messageType: "zmp/RawReading",
    });
    const rawMessage = (sensor: string) => ({
      sensor,
      seq: 0,
      value: 21.5,
      at: "2026-01-01T00:00:00Z",
    });
    await waitFor(
      () => {
        send({
          op: "publish",
          topic: "/sensors/raw",
          msg: rawMessage("traced"),
          traceparent: FROM_CLIENT,
        });
        rawTopic.publish(rawMessage("plain"));
        return heard.some((h) => h.sensor === "plain") &&
          heard.some((h) => h.sensor === "traced");
      },
      "the bridge to publish on sensors/raw",
      { timeout: 15000, interval: 50 },
    );
    for (const h of heard) {
      assertEquals(
        h.traceparent,
        h.sensor === "traced" ? FROM_CLIENT : undefined,
        JSON.stringify(h),
      );
    }

    // call_service: the client's traceparent is the call's metadata.
    const answered = new Promise<Message>((resolve) =>
      ros.once("call:traced", (m) => resolve(m as unknown as Message))
    );
    send({
      op: "call_service",
      id: "call:traced",
      service: "/Calculator/add",
      args: { a: 2, b: 3 },
      traceparent: CALL,
    });
    assertEquals((await answered).values, { result: 5 });
    assertEquals(callMetadata.at(-1)?.traceparent, CALL);
    const untraced = new ROSLIB.Service<{ a: number; b: number }, unknown>({
      ros,
      name: "/Calculator/add",
      serviceType: "zmp/Calculator_add",
    });
    assertEquals(
      await new Promise((resolve, reject) =>
        untraced.callService({ a: 1, b: 1 }, resolve, reject)
      ),
      { result: 2 },
    );
    assertEquals(callMetadata.at(-1)?.traceparent, undefined);

    // A zmp call to a client-side service: its op has the call's trace.
    const sum = new ROSLIB.Service<
      { a: number; b: number },
      { result: number }
    >({ ros, name: "/Browser/sum", serviceType: "zmp/Browser_sum" });
    await sum.advertise((request, response) => {
      response.result = request.a + request.b;
      return true;
    });
    const browser = await lab.client(BrowserService);
    let answer: number | undefined;
    await waitFor(
      async () => {
        answer = await browser.sum(4, 5, {
          metadata: { traceparent: TO_CLIENT },
          timeout: 2000,
        }).catch(() => undefined);
        return answer !== undefined;
      },
      "the client-side service to answer",
      { timeout: 15000, interval: 100 },
    );
    assertEquals(answer, 9);
    const request = seen.findLast((m) =>
      m.op === "call_service" && m.service === "/Browser/sum"
    );
    assertEquals(request?.traceparent, TO_CLIENT);

    // A malformed traceparent is refused with a status naming the field.
    const from = seen.length;
    send({
      op: "publish",
      id: "bad",
      topic: "/sensors/raw",
      msg: rawMessage("bad"),
      traceparent: "00-nope",
    });
    await waitFor(
      () => seen.slice(from).some((m) => m.op === "status"),
      "a status",
    );
    const status = seen.slice(from).find((m) => m.op === "status")!;
    assertEquals(status.level, "error");
    assertMatch(
      String(status.msg),
      /^op "publish": field "traceparent" must be a W3C traceparent \(00-<32 hex>-<16 hex>-<2 hex>\), got "00-nope"$/,
    );
    await sum.unadvertise();
  } finally {
    ros.close();
    await waitFor(() => server.connections === 0, "the session to end");
    await raw.close();
    await hearing;
  }
});
