/**
 * A subscription drops a message with more elements than its `maxElements`
 * before decoding it (a bad publisher cannot stall it), counts it as
 * invalid, and goes on receiving.
 */

import { assertEquals, assertStringIncludes } from "../_assert.ts";
import { createSubscription } from "../../mod.ts";
import { codecByName } from "../../src/wire/mod.ts";
import { XPublisher } from "../../src/zmq/mod.ts";
import { next, rawMessage } from "./_helpers.ts";
import { UncheckedTemperatureTopic } from "./fixtures/topics.ts";

const msgpack = codecByName("msgpack");

Deno.test("TopicSubscription maxElements drops an over-limit message before decoding and keeps going", async () => {
  await using socket = new XPublisher();
  const endpoint = socket.bind("tcp://127.0.0.1:*");
  const lines: string[] = [];
  await using sub = createSubscription(UncheckedTemperatureTopic, {
    endpoints: [endpoint],
    maxElements: 100,
    logger: { warn: (m) => lines.push(m) },
  });
  await socket.receive(); // the subscription
  const topic = UncheckedTemperatureTopic.name;
  await socket.send(
    rawMessage(
      topic,
      { publisher: 3, seq: 1 },
      msgpack.encode({ celsius: 1, sensor: new Array(1000).fill(0) }),
    ),
  );
  await socket.send(
    rawMessage(
      topic,
      { publisher: 3, seq: 2 },
      msgpack.encode({ celsius: 2, sensor: "ok" }),
    ),
  );
  const it = sub[Symbol.asyncIterator]();
  assertEquals(await next(it), { celsius: 2, sensor: "ok" });
  assertEquals(sub.counters.invalid, 1);
  assertEquals(lines.length, 1);
  assertStringIncludes(
    lines[0],
    "cannot decode: the payload holds more than 100 elements",
  );
});
