/**
 * Traced topic messages at the socket level (no registry, OpenTelemetry
 * off in this process): the TRACE flag and its fourth frame as
 * `docs/PROTOCOL.md` §13 lays them out, untraced messages byte for byte as
 * before, extension frames ignored, and `handle()` passing the
 * `traceparent` on to what the handler does.
 */

import { assert, assertEquals, assertThrows, waitFor } from "../_assert.ts";
import {
  createPublisher,
  createSubscription,
  type TopicMessage,
} from "../../mod.ts";
import { codecByName } from "../../src/wire/mod.ts";
import { Subscriber, XPublisher } from "../../src/zmq/mod.ts";
import { currentTraceparent } from "../../src/observe/trace.ts";
import { next, rawMessage } from "./_helpers.ts";
import { type Temperature, TemperatureTopic } from "./fixtures/topics.ts";

const msgpack = codecByName("msgpack");
const TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
const TRACE_FLAG = 0x02;
const bytes = (s: string) => new TextEncoder().encode(s);

/** A raw SUB connected to `endpoint`, subscribed to the test topic. */
function rawSubscriber(endpoint: string): Subscriber {
  const socket = new Subscriber();
  socket.subscribe(bytes(`${TemperatureTopic.name}\0`));
  socket.connect(endpoint);
  return socket;
}

/** A raw XPUB on a free port, for messages built by hand. */
function rawPublisher(): { socket: XPublisher; endpoint: string } {
  const socket = new XPublisher();
  const endpoint = socket.bind("tcp://127.0.0.1:*");
  return { socket, endpoint };
}

Deno.test("createPublisher() without trace, or with trace outside any trace, sends the three frames of PROTOCOL.md byte for byte", async () => {
  for (const trace of [undefined, false, true]) {
    await using pub = createPublisher(TemperatureTopic, { trace });
    await using sub = rawSubscriber(pub.endpoint);
    await pub.waitForSubscribers(1, { timeout: 5000 });
    const message = { celsius: 21.5, sensor: "hall" };
    pub.publish(message);
    const frames = await sub.receive();
    // Built from the document, not from the implementation.
    assertEquals(
      frames,
      rawMessage(
        TemperatureTopic.name,
        { publisher: pub.publisherId, seq: 1 },
        msgpack.encode(message),
      ),
      `trace: ${trace}`,
    );
  }
});

Deno.test("TopicPublisher.publish() with a traceparent sets the TRACE flag and sends it as a fourth frame of 55 ASCII bytes", async () => {
  await using pub = createPublisher(TemperatureTopic, { latched: true });
  await using sub = rawSubscriber(pub.endpoint);
  await pub.waitForSubscribers(1, { timeout: 5000 });
  const message = { celsius: 1, sensor: "a" };
  pub.publish(message, { traceparent: TRACEPARENT });
  const expected = rawMessage(
    TemperatureTopic.name,
    { publisher: pub.publisherId, seq: 1, flags: TRACE_FLAG },
    msgpack.encode(message),
  );
  assertEquals(await sub.receive(), [...expected, bytes(TRACEPARENT)]);
  // A late joiner's latched replay keeps the trace frame.
  await using late = rawSubscriber(pub.endpoint);
  const replay = await late.receive();
  assertEquals(replay[1][3], TRACE_FLAG | 0x01);
  assertEquals(replay.slice(2), [expected[2], bytes(TRACEPARENT)]);
});

Deno.test("TopicPublisher.publish() rejects a malformed traceparent with a TypeError and sends nothing", async () => {
  await using pub = createPublisher(TemperatureTopic);
  for (const bad of ["", "00-abc-def-01", TRACEPARENT.toUpperCase()]) {
    assertThrows(
      () => pub.publish({ celsius: 1, sensor: "a" }, { traceparent: bad }),
      TypeError,
      `Cannot publish on test/temperature: traceparent ${
        JSON.stringify(bad)
      } is not a W3C traceparent`,
    );
  }
  assertEquals(pub.counters.published, 0);
});

Deno.test("TopicSubscription.messages() gives each message's traceparent; the plain iterator the messages alone", async () => {
  await using pub = createPublisher(TemperatureTopic);
  await using sub = createSubscription(TemperatureTopic, {
    endpoints: [pub.endpoint],
  });
  await pub.waitForSubscribers(1, { timeout: 5000 });
  pub.publish({ celsius: 1, sensor: "traced" }, { traceparent: TRACEPARENT });
  pub.publish({ celsius: 2, sensor: "plain" });
  pub.publish({ celsius: 3, sensor: "traced" }, { traceparent: TRACEPARENT });
  const messages = sub.messages()[Symbol.asyncIterator]();
  assertEquals(await next(messages), {
    message: { celsius: 1, sensor: "traced" },
    traceparent: TRACEPARENT,
  });
  assertEquals(await next(messages), {
    message: { celsius: 2, sensor: "plain" },
  });
  assertEquals(
    await next(sub[Symbol.asyncIterator]()),
    { celsius: 3, sensor: "traced" },
  );
  assertEquals(sub.counters.invalid, 0);
});

Deno.test("createSubscription() ignores extension frames it does not know, and counts a TRACE flag without its frame as invalid", async () => {
  const { socket, endpoint } = rawPublisher();
  await using _socket = socket;
  const lines: string[] = [];
  await using sub = createSubscription(TemperatureTopic, {
    endpoints: [endpoint],
    logger: { warn: (m) => lines.push(m) },
  });
  await socket.receive(); // the subscription
  const payload = (celsius: number) =>
    msgpack.encode({ celsius, sensor: "raw" });
  const raw = (seq: number, flags = 0) =>
    rawMessage(
      TemperatureTopic.name,
      { publisher: 9, seq, flags },
      payload(seq),
    );
  // Flag 0x80 (unknown) with a frame of its own, after the trace frame.
  await socket.send([
    ...raw(1, TRACE_FLAG | 0x80),
    bytes(TRACEPARENT),
    bytes("?"),
  ]);
  await socket.send([...raw(2), bytes("an extension from a newer publisher")]);
  await socket.send(raw(3, TRACE_FLAG)); // no fourth frame
  await socket.send([...raw(4, TRACE_FLAG), bytes("00-nope")]);
  await socket.send(raw(5));
  const it = sub.messages()[Symbol.asyncIterator]();
  const got: TopicMessage<Temperature>[] = [];
  for (let i = 0; i < 3; i++) got.push(await next(it));
  assertEquals(got, [
    { message: { celsius: 1, sensor: "raw" }, traceparent: TRACEPARENT },
    { message: { celsius: 2, sensor: "raw" } },
    { message: { celsius: 5, sensor: "raw" } },
  ]);
  assertEquals(sub.counters.invalid, 2);
  assertEquals(lines, [
    "dropped an invalid message on topic test/temperature from publisher 9: a message of 3 frames instead of 4",
  ]);
});

Deno.test("TopicSubscription.handle() runs each handler with the message's traceparent passed on (OpenTelemetry off), none for an untraced one", async () => {
  await using pub = createPublisher(TemperatureTopic);
  const sub = createSubscription(TemperatureTopic, {
    endpoints: [pub.endpoint],
  });
  try {
    await pub.waitForSubscribers(1, { timeout: 5000 });
    const seen: [number, string | undefined, string | undefined][] = [];
    const handled = sub.handle(async (message, received) => {
      await Promise.resolve(); // still inside after a turn
      seen.push([message.celsius, received.traceparent, currentTraceparent()]);
    });
    pub.publish({ celsius: 1, sensor: "a" }, { traceparent: TRACEPARENT });
    pub.publish({ celsius: 2, sensor: "a" });
    await waitFor(() => seen.length === 2, "two messages handled");
    assertEquals(seen, [
      [1, TRACEPARENT, TRACEPARENT],
      [2, undefined, undefined],
    ]);
    assertEquals(currentTraceparent(), undefined);
    await sub.close();
    await handled; // ends with the subscription
  } finally {
    await sub.close();
  }
});

Deno.test("TopicSubscription.handle() rejects with what the handler throws", async () => {
  await using pub = createPublisher(TemperatureTopic);
  await using sub = createSubscription(TemperatureTopic, {
    endpoints: [pub.endpoint],
  });
  await pub.waitForSubscribers(1, { timeout: 5000 });
  const handled = sub.handle(() => {
    throw new RangeError("no");
  });
  pub.publish({ celsius: 1, sensor: "a" }, { traceparent: TRACEPARENT });
  const error = await handled.then(() => undefined, (e) => e);
  assert(error instanceof RangeError);
  assertEquals(error.message, "no");
});
