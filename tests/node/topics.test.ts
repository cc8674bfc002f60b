/**
 * Topics through nodes in one process, against a real registry: the
 * registry connects publishers and subscribers in either order, latched
 * values reach late joiners once, invalid messages from a foreign
 * publisher are counted and skipped.
 */

import { assertEquals, assertRejects, waitFor } from "../_assert.ts";
import {
  connectRegistry,
  createNode,
  type Node,
  startRegistry,
} from "../../mod.ts";
import { curveKeypair } from "../../src/zmq/curve.ts";
import { codecByName } from "../../src/wire/mod.ts";
import { XPublisher } from "../../src/zmq/mod.ts";
import { next, rawMessage } from "../topics/_helpers.ts";
import { type Status, StatusTopic } from "./fixtures/api.ts";
import { quiet, startTestRegistry } from "./_helpers.ts";

const lines: string[] = [];
const keepLog = {
  debug() {},
  info() {},
  warn: (m: string) => lines.push(m),
  error: (m: string) => lines.push(m),
};

function status(greeting: string): Status {
  return { node: "pub", mode: "inprocess", greeting };
}

async function nodes(
  endpoint: string,
  ...names: string[]
): Promise<Node[]> {
  return await Promise.all(
    names.map((name) =>
      createNode(name, { registry: endpoint, logger: keepLog })
    ),
  );
}

Deno.test("Node.subscribe() started before the publisher picks it up from the registry", async () => {
  await using server = await startTestRegistry();
  const [pubNode, subNode] = await nodes(server.endpoint, "pub", "sub");
  await using _p = pubNode;
  await using _s = subNode;
  const sub = await subNode.subscribe(StatusTopic);
  assertEquals(sub.endpoints, []);
  const pub = await pubNode.publisher(StatusTopic, { latched: true });
  pub.publish(status("first"));
  const it = sub[Symbol.asyncIterator]();
  assertEquals(await next(it), status("first"));
  assertEquals(sub.endpoints, [pub.endpoint]);
  for (let i = 0; i < 10; i++) pub.publish(status(`n${i}`));
  for (let i = 0; i < 10; i++) assertEquals(await next(it), status(`n${i}`));
  assertEquals(pub.counters, {
    published: 11,
    delivered: 0,
    dropped: 0,
    invalid: 0,
  });
  assertEquals(sub.counters, {
    published: 0,
    delivered: 11,
    dropped: 0,
    invalid: 0,
  });
});

Deno.test("Node.subscribe() after the publisher gets the latched value exactly once", async () => {
  await using server = await startTestRegistry();
  const [pubNode, early, late] = await nodes(
    server.endpoint,
    "pub",
    "early",
    "late",
  );
  await using _p = pubNode;
  await using _e = early;
  await using _l = late;
  const pub = await pubNode.publisher(StatusTopic, { latched: true });
  pub.publish(status("old"));
  pub.publish(status("last"));
  const a = (await early.subscribe(StatusTopic))[Symbol.asyncIterator]();
  assertEquals(await next(a), status("last"));
  const lateSub = await late.subscribe(StatusTopic);
  const b = lateSub[Symbol.asyncIterator]();
  assertEquals(await next(b), status("last"));
  pub.publish(status("new"));
  assertEquals(await next(a), status("new"));
  assertEquals(await next(b), status("new"));
  assertEquals(lateSub.counters.delivered, 2);
});

Deno.test("Node.subscribe() follows publishers that come and go", async () => {
  await using server = await startTestRegistry();
  const [one, two, subNode] = await nodes(
    server.endpoint,
    "pub-one",
    "pub-two",
    "sub",
  );
  await using _1 = one;
  await using _2 = two;
  await using _s = subNode;
  const sub = await subNode.subscribe(StatusTopic);
  const it = sub[Symbol.asyncIterator]();
  const p1 = await one.publisher(StatusTopic, { latched: true });
  p1.publish(status("from one"));
  assertEquals(await next(it), status("from one"));
  const p2 = await two.publisher(StatusTopic, { latched: true });
  p2.publish(status("from two"));
  assertEquals(await next(it), status("from two"));
  await waitFor(() => sub.endpoints.length === 2, "two publishers");
  await p1.close();
  await waitFor(
    () => sub.endpoints.length === 1 && sub.endpoints[0] === p2.endpoint,
    "the closed publisher to be dropped",
  );
});

Deno.test("Node.subscribe() counts and skips invalid messages from a foreign publisher", async () => {
  await using server = await startTestRegistry();
  await using registry = await connectRegistry({ endpoint: server.endpoint });
  await using raw = new XPublisher();
  const endpoint = raw.bind("tcp://127.0.0.1:*");
  await using _registration = await registry.register({
    name: "raw-publisher",
    instanceId: crypto.randomUUID(),
    pid: Deno.pid,
    host: "localhost",
    mode: "inprocess",
    services: [],
    publishes: [{
      topic: "test/status",
      endpoint,
      typeName: "Status",
      latched: false,
    }],
    subscribes: [],
    params: [],
    startedAt: Date.now(),
  });
  await using subNode = await createNode("sub", {
    registry: server.endpoint,
    logger: keepLog,
  });
  lines.length = 0;
  const sub = await subNode.subscribe(StatusTopic);
  await raw.receive(); // the subscription arrived: the connection is up
  const msgpack = codecByName("msgpack");
  const send = (seq: number, value: unknown) =>
    raw.send(
      rawMessage("test/status", { publisher: 1, seq }, msgpack.encode(value)),
    );
  await send(1, { node: 1 });
  await send(2, "not a status");
  await send(3, status("good"));
  const it = sub[Symbol.asyncIterator]();
  assertEquals(await next(it), status("good"));
  assertEquals(sub.counters, {
    published: 0,
    delivered: 1,
    dropped: 0,
    invalid: 2,
  });
  assertEquals(lines, [
    "dropped an invalid message on topic test/status from publisher 1: message.node: expected string, got number 1; message.mode: expected string, got undefined; message.greeting: expected string, got undefined",
  ]);
});

for (const mode of ["plain", "secure"] as const) {
  Deno.test(`Node.subscribe() with bad options, or an entry the NodeInfo rules refuse, throws and records nothing: not in node.info, not in the registry (${mode})`, async () => {
    const [reg, key] = mode === "secure"
      ? await Promise.all([curveKeypair(), curveKeypair()])
      : [undefined, undefined];
    await using server = await startRegistry({
      endpoint: "tcp://127.0.0.1:*",
      logger: quiet,
      ...(reg === undefined ? {} : {
        security: { ...reg, nodes: { sub: key!.publicKey } },
      }),
    });
    await using node = await createNode("sub", {
      registry: server.endpoint,
      logger: keepLog,
      ...(reg === undefined
        ? {}
        : { security: { ...key!, registryKey: reg.publicKey } }),
    });
    const registered = async () =>
      (await node.registry.nodes()).find((n) => n.name === "sub")!.subscribes
        .map((s) => s.topic);
    for (
      const [bad, what] of [
        [{ maxElements: 0 }, "maxElements must be an integer >= 1, got 0"],
        [{ queue: 0 }, "queue must be an integer >= 1, got 0"],
        [{ queue: 1.5 }, "queue must be an integer >= 1, got 1.5"],
      ] as const
    ) {
      const e = await assertRejects(
        () => node.subscribe(StatusTopic, bad),
        RangeError,
      );
      assertEquals(
        e.message,
        `Cannot subscribe to ${StatusTopic.name}: ${what}`,
      );
      assertEquals(node.info.subscribes, []);
      assertEquals(await registered(), []);
    }
    // Refused by the NodeInfo rules (a schema over 64 KiB): not kept either, so
    // the node's next registration updates still pass.
    const huge = {
      ...StatusTopic,
      name: "huge/schema",
      schema: { description: "x".repeat(70_000) },
    };
    const refused = await assertRejects(
      () => node.subscribe(huge),
      TypeError,
    );
    assertEquals(
      refused.message,
      "Invalid info.subscribes[0].schema: 70018 bytes of JSON, at most 65536",
    );
    assertEquals(node.info.subscribes.map((s) => s.topic), []);
    assertEquals(await registered(), []);
    // Good options: recorded, once.
    await using _sub = await node.subscribe(StatusTopic);
    assertEquals(node.info.subscribes.map((s) => s.topic), [StatusTopic.name]);
    assertEquals(await registered(), [StatusTopic.name]);
  });
}
