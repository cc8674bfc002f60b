/**
 * Publishers and subscriptions at the socket level (no registry): exact
 * topic matching, validation on both sides, sequence gaps and duplicates,
 * the bounded queue, latched replays, fan-out and closing.
 */

import {
  assert,
  assertEquals,
  assertRejects,
  assertStringIncludes,
  assertThrows,
  waitFor,
} from "../_assert.ts";
import {
  createPublisher,
  createSubscription,
  ValidationError,
} from "../../mod.ts";
import { codecByName, NameError } from "../../src/wire/mod.ts";
import { XPublisher } from "../../src/zmq/mod.ts";
import { next, rawMessage } from "./_helpers.ts";
import {
  type Temperature,
  TemperatureTopic,
  TickTopic,
  UncheckedTemperatureTopic,
} from "./fixtures/topics.ts";

const msgpack = codecByName("msgpack");
const quiet = { warn() {} };

/** A raw XPUB on a free port, for messages built by hand. */
function rawPublisher(): { socket: XPublisher; endpoint: string } {
  const socket = new XPublisher();
  const endpoint = socket.bind("tcp://127.0.0.1:*");
  return { socket, endpoint };
}

Deno.test("createPublisher().publish() reaches a subscription with the same counters on both sides", async () => {
  await using pub = createPublisher(TemperatureTopic, { latched: true });
  // The latched first message comes back as soon as the subscription is in.
  pub.publish({ celsius: 0, sensor: "warm-up" });
  await using sub = createSubscription(TemperatureTopic, {
    endpoints: [pub.endpoint],
  });
  const it = sub[Symbol.asyncIterator]();
  assertEquals(await next(it), { celsius: 0, sensor: "warm-up" });
  for (let i = 1; i <= 50; i++) pub.publish({ celsius: i, sensor: "s" });
  for (let i = 1; i <= 50; i++) {
    assertEquals(await next(it), { celsius: i, sensor: "s" });
  }
  assertEquals(pub.counters, {
    published: 51,
    delivered: 0,
    dropped: 0,
    invalid: 0,
  });
  assertEquals(sub.counters, {
    published: 0,
    delivered: 51,
    dropped: 0,
    invalid: 0,
  });
  assertEquals(sub.endpoints, [pub.endpoint]);
  assert(/^tcp:\/\/127\.0\.0\.1:\d+$/.test(pub.endpoint));
});

Deno.test("TopicPublisher.publish() throws ValidationError for a bad message, counts it and sends nothing", async () => {
  await using pub = createPublisher(TemperatureTopic, { latched: true });
  const e = assertThrows(
    () => pub.publish({ celsius: "hot" } as unknown as Temperature),
    ValidationError,
  );
  assertEquals(
    e.message,
    'Invalid message on topic test/temperature: message.celsius: expected number, got string "hot"; message.sensor: expected string, got undefined',
  );
  assertEquals(e.issues.length, 2);
  assertEquals(pub.counters.invalid, 1);
  assertEquals(pub.counters.published, 0);
  // Nothing was kept for late joiners either: the first message they get
  // is the next good one.
  pub.publish({ celsius: 1, sensor: "ok" });
  await using sub = createSubscription(TemperatureTopic, {
    endpoints: [pub.endpoint],
  });
  assertEquals(await next(sub[Symbol.asyncIterator]()), {
    celsius: 1,
    sensor: "ok",
  });
});

Deno.test("TopicSubscription counts and logs invalid messages and keeps going", async () => {
  const { socket, endpoint } = rawPublisher();
  await using _socket = socket;
  const lines: string[] = [];
  await using sub = createSubscription(TemperatureTopic, {
    endpoints: [endpoint],
    logger: { warn: (m) => lines.push(m) },
  });
  const [subscription] = await socket.receive();
  assertEquals(
    subscription,
    new TextEncoder().encode("\x01test/temperature\0"),
  );
  const p = 7;
  const good = (seq: number) =>
    rawMessage(
      "test/temperature",
      { publisher: p, seq },
      msgpack.encode({
        celsius: seq,
        sensor: "raw",
      }),
    );
  await socket.send(
    rawMessage(
      "test/temperature",
      { publisher: p, seq: 1 },
      msgpack.encode({
        celsius: "x",
      }),
    ),
  );
  await socket.send([good(2)[0], good(2)[1]]); // two frames
  // A short header has no sequence number: the next message's is 3.
  await socket.send([good(3)[0], new Uint8Array(8), good(3)[2]]);
  await socket.send(
    rawMessage(
      "test/temperature",
      { publisher: p, seq: 3 },
      new Uint8Array([0xc1]),
    ),
  ); // 0xc1 is never valid msgpack
  await socket.send(
    rawMessage(
      "test/temperature",
      { publisher: p, seq: 4, codec: 9 },
      good(4)[2],
    ),
  );
  await socket.send(good(5));
  const it = sub[Symbol.asyncIterator]();
  assertEquals(await next(it), { celsius: 5, sensor: "raw" });
  assertEquals(sub.counters, {
    published: 0,
    delivered: 1,
    dropped: 0,
    invalid: 5,
  });
  // One line per publisher per interval (the short header's is unknown).
  assertEquals(lines, [
    'dropped an invalid message on topic test/temperature from publisher 7: message.celsius: expected number, got string "x"; message.sensor: expected string, got undefined',
    "dropped an invalid message on topic test/temperature from an unknown publisher: Cannot decode topic header: expected 16 bytes, got 8",
  ]);
  await sub.close();
  assertEquals(lines.slice(2), [
    "… 3 more invalid messages from publisher 7 in the last 10 s",
  ]);
});

Deno.test("TopicSubscription also rejects what a publisher of the same topic sent unvalidated", async () => {
  await using pub = createPublisher(UncheckedTemperatureTopic, {
    latched: true,
  });
  pub.publish({ celsius: 1, sensor: "first" });
  await using sub = createSubscription(TemperatureTopic, {
    endpoints: [pub.endpoint],
    logger: quiet,
  });
  const it = sub[Symbol.asyncIterator]();
  assertEquals(await next(it), { celsius: 1, sensor: "first" });
  pub.publish({ kelvin: 300 });
  pub.publish({ celsius: 2, sensor: "second" });
  assertEquals(await next(it), { celsius: 2, sensor: "second" });
  assertEquals(sub.counters.invalid, 1);
  assertEquals(sub.counters.delivered, 2);
});

Deno.test("TopicSubscription matches the topic name exactly, not as a prefix", async () => {
  const { socket, endpoint } = rawPublisher();
  await using _socket = socket;
  await using sub = createSubscription(TickTopic, { endpoints: [endpoint] });
  await socket.receive();
  const superjson = codecByName("superjson");
  const payload = superjson.encode({ n: 1, at: new Date(0) });
  const longer = rawMessage(
    "test/tick2",
    { publisher: 1, seq: 1, codec: 2 },
    payload,
  );
  const suffixed = rawMessage(
    "test/tick",
    { publisher: 1, seq: 1, codec: 2 },
    payload,
  );
  suffixed[0] = new TextEncoder().encode("test/tick\0more");
  await socket.send(longer);
  await socket.send(suffixed);
  await socket.send(
    rawMessage("test/tick", { publisher: 2, seq: 1, codec: 2 }, payload),
  );
  assertEquals(await next(sub[Symbol.asyncIterator]()), {
    n: 1,
    at: new Date(0),
  });
  assertEquals(sub.counters, {
    published: 0,
    delivered: 1,
    dropped: 0,
    invalid: 0,
  });
});

Deno.test("TopicSubscription counts sequence gaps as dropped and ignores duplicates", async () => {
  const { socket, endpoint } = rawPublisher();
  await using _socket = socket;
  await using sub = createSubscription(TemperatureTopic, {
    endpoints: [endpoint],
  });
  await socket.receive();
  const msg = (publisher: number, seq: number) =>
    rawMessage(
      "test/temperature",
      { publisher, seq },
      msgpack.encode({ celsius: seq, sensor: `p${publisher}` }),
    );
  for (
    const frames of [
      msg(1, 10), // first seen: no gap counted
      msg(1, 11),
      msg(1, 15), // 12, 13, 14 lost
      msg(1, 15), // a duplicate (a latched replay)
      msg(1, 3), // older: a duplicate too
      msg(2, 1), // another publisher has its own sequence
      msg(1, 16),
    ]
  ) await socket.send(frames);
  const it = sub[Symbol.asyncIterator]();
  const got: string[] = [];
  for (let i = 0; i < 5; i++) {
    const m = await next(it);
    got.push(`${m.sensor}:${m.celsius}`);
  }
  assertEquals(got, ["p1:10", "p1:11", "p1:15", "p2:1", "p1:16"]);
  assertEquals(sub.counters.dropped, 3);
  assertEquals(sub.counters.delivered, 5);
});

Deno.test("TopicSubscription drops the oldest message when its queue is full", async () => {
  await using pub = createPublisher(TemperatureTopic, { latched: true });
  pub.publish({ celsius: 0, sensor: "s" });
  await using sub = createSubscription(TemperatureTopic, {
    endpoints: [pub.endpoint],
    queue: 3,
  });
  const it = sub[Symbol.asyncIterator]();
  assertEquals((await next(it)).celsius, 0);
  for (let i = 1; i <= 10; i++) pub.publish({ celsius: i, sensor: "s" });
  await waitFor(() => sub.counters.dropped === 7, "7 drops");
  const got = [];
  for (let i = 0; i < 3; i++) got.push((await next(it)).celsius);
  assertEquals(got, [8, 9, 10]);
  assertEquals(sub.counters.delivered, 4);
});

Deno.test("createPublisher({ latched: true }) gives a late joiner the last message exactly once", async () => {
  await using pub = createPublisher(TemperatureTopic, { latched: true });
  pub.publish({ celsius: 1, sensor: "old" });
  pub.publish({ celsius: 2, sensor: "last" });
  await using early = createSubscription(TemperatureTopic, {
    endpoints: [pub.endpoint],
  });
  const a = early[Symbol.asyncIterator]();
  assertEquals(await next(a), { celsius: 2, sensor: "last" });
  await using late = createSubscription(TemperatureTopic, {
    endpoints: [pub.endpoint],
  });
  const b = late[Symbol.asyncIterator]();
  assertEquals(await next(b), { celsius: 2, sensor: "last" });
  pub.publish({ celsius: 3, sensor: "new" });
  // The replay for `late` reached `early` too, as a duplicate: dropped.
  assertEquals(await next(a), { celsius: 3, sensor: "new" });
  assertEquals(await next(b), { celsius: 3, sensor: "new" });
  assertEquals(early.counters, {
    published: 0,
    delivered: 2,
    dropped: 0,
    invalid: 0,
  });
  assertEquals(late.counters.delivered, 2);
});

Deno.test("createPublisher() fans out to 4 subscriptions", async () => {
  await using pub = createPublisher(TemperatureTopic, { latched: true });
  pub.publish({ celsius: 0, sensor: "first" });
  const subs = Array.from(
    { length: 4 },
    () => createSubscription(TemperatureTopic, { endpoints: [pub.endpoint] }),
  );
  try {
    const its = subs.map((s) => s[Symbol.asyncIterator]());
    for (const it of its) assertEquals((await next(it)).celsius, 0);
    for (let i = 1; i <= 20; i++) pub.publish({ celsius: i, sensor: "s" });
    for (const it of its) {
      for (let i = 1; i <= 20; i++) assertEquals((await next(it)).celsius, i);
    }
    for (const s of subs) {
      assertEquals(s.counters, {
        published: 0,
        delivered: 21,
        dropped: 0,
        invalid: 0,
      });
    }
  } finally {
    await Promise.all(subs.map((s) => s.close()));
  }
});

Deno.test("TopicSubscription.close() ends the iterator; TopicPublisher.close() stops publish()", async () => {
  const pub = createPublisher(TemperatureTopic);
  const sub = createSubscription(TemperatureTopic, {
    endpoints: [pub.endpoint],
  });
  const it = sub[Symbol.asyncIterator]();
  const pending = it.next();
  await sub.close();
  await sub.close();
  assertEquals(await pending, { done: true, value: undefined });
  await pub.close();
  const e = assertThrows(
    () => pub.publish({ celsius: 1, sensor: "late" }),
    TypeError,
  );
  assertEquals(
    e.message,
    "Cannot publish on test/temperature: the publisher is closed",
  );
});

Deno.test("createSubscription() and createPublisher() reject bad arguments", async () => {
  assertThrows(
    () => createSubscription(TemperatureTopic, { queue: 0 }),
    RangeError,
    "Cannot subscribe to test/temperature: queue must be an integer >= 1, got 0",
  );
  const e = assertThrows(
    () => createPublisher({ ...TemperatureTopic, name: "a\0b" }),
    TypeError,
  );
  assertStringIncludes(e.message, 'Cannot use topic "a\\u0000b"');
  for (const name of ["x".repeat(256), "a b", "/abs", "é", ""]) {
    for (
      const make of [
        () => createPublisher({ ...TemperatureTopic, name }),
        () => createSubscription({ ...TemperatureTopic, name }),
      ]
    ) {
      const bad = assertThrows(make, NameError);
      assertEquals(bad.kind, "topic");
      assertStringIncludes(
        bad.message,
        "a topic name is 1 to 255 characters of A-Z a-z 0-9 _ . / -",
      );
    }
  }
  await assertRejects(async () => {
    await using _pub = createPublisher(TemperatureTopic, {
      endpoint: "nope://x",
    });
  });
});

Deno.test("TopicSubscription.setEndpoints() logs and skips an endpoint it cannot connect", async () => {
  await using pub = createPublisher(TemperatureTopic, { latched: true });
  pub.publish({ celsius: 5, sensor: "ok" });
  const lines: string[] = [];
  await using sub = createSubscription(TemperatureTopic, {
    endpoints: ["nope://x", pub.endpoint],
    logger: { warn: (m) => lines.push(m) },
  });
  assertEquals(sub.endpoints, [pub.endpoint]);
  assertEquals(lines.length, 1);
  assertStringIncludes(
    lines[0],
    "cannot connect to publishers of test/temperature: nope://x (",
  );
  assertEquals(await next(sub[Symbol.asyncIterator]()), {
    celsius: 5,
    sensor: "ok",
  });
  sub.setEndpoints([]);
  assertEquals(sub.endpoints, []);
});

Deno.test("TopicPublisher.subscribers counts connected subscriptions; waitForSubscribers() waits for them", async () => {
  await using pub = createPublisher(TemperatureTopic);
  assertEquals(pub.subscribers, 0);
  await pub.waitForSubscribers(0);
  const waiting = pub.waitForSubscribers(2, { timeout: 10000 });
  const first = createSubscription(TemperatureTopic, {
    endpoints: [pub.endpoint],
  });
  await using second = createSubscription(TemperatureTopic, {
    endpoints: [pub.endpoint],
  });
  await waiting;
  assertEquals(pub.subscribers, 2);
  // A single message published now reaches both: nobody joins too late.
  pub.publish({ celsius: 7, sensor: "once" });
  assertEquals(
    (await next(first[Symbol.asyncIterator]())).sensor,
    "once",
  );
  assertEquals(
    (await next(second[Symbol.asyncIterator]())).sensor,
    "once",
  );
  // A subscriber that goes away is counted out.
  await first.close();
  await waitFor(() => pub.subscribers === 1, "the count to drop to 1");
  const late = await assertRejects(
    () => pub.waitForSubscribers(3, { timeout: 50 }),
    DOMException,
  );
  assertEquals(late.name, "TimeoutError");
  const bad = await assertRejects(
    () => pub.waitForSubscribers(-1),
    RangeError,
  );
  assertEquals(
    bad.message,
    "Cannot wait for subscribers of test/temperature: count must be an integer >= 0, got -1",
  );
});

Deno.test("TopicPublisher.waitForSubscribers() rejects with TypeError when the publisher closes", async () => {
  const pub = createPublisher(TemperatureTopic);
  const waiting = pub.waitForSubscribers(1);
  await pub.close();
  const e = await assertRejects(() => waiting, TypeError);
  assertEquals(
    e.message,
    "Cannot wait for subscribers of test/temperature: the publisher is closed",
  );
});

Deno.test("TopicSubscription iterators: break leaves the subscription open, next() after close() is done", async () => {
  await using pub = createPublisher(TemperatureTopic);
  await using sub = createSubscription(TemperatureTopic, {
    endpoints: [pub.endpoint],
  });
  await pub.waitForSubscribers(1, { timeout: 10000 });
  for (let i = 0; i < 4; i++) pub.publish({ celsius: i, sensor: "s" });
  const seen: number[] = [];
  for await (const t of sub) {
    seen.push(t.celsius);
    if (seen.length === 2) break;
  }
  // A new iterator picks up where the first one left off.
  const it = sub[Symbol.asyncIterator]();
  assertEquals((await next(it)).celsius, 2);
  assertEquals((await next(it)).celsius, 3);
  assertEquals(seen, [0, 1]);
  const pending = it.next();
  await sub.close();
  assertEquals(await pending, { value: undefined, done: true });
  assertEquals(await it.next(), { value: undefined, done: true });
  assertEquals(sub.counters.delivered, 4);
});
