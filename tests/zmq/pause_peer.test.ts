/**
 * `Router.pausePeer`: a zmtp ROUTER takes no messages from one peer for a
 * while (what it sent waits, in order), serves the others meanwhile, and
 * takes the paused peer's messages again once the pause ends.
 */

import { assertEquals, assertNotEquals, assertThrows } from "../_assert.ts";
import { Context, Dealer, Router } from "../../src/zmq/mod.ts";

const text = (b: Uint8Array) => new TextDecoder().decode(b);

Deno.test("Router.pausePeer() on the zmtp engine holds one peer's messages, in order, and serves the others", async () => {
  await using context = new Context({ engine: "zmtp" });
  await using router = new Router({ context });
  const endpoint = router.bind("tcp://127.0.0.1:*");
  await using a = new Dealer({ context });
  await using b = new Dealer({ context });
  a.connect(endpoint);
  b.connect(endpoint);
  await a.send(["a0"]);
  const [idA, first] = await router.receive({ timeout: 5000 });
  assertEquals(text(first), "a0");

  // Far longer than the test: the pause ends by a second call below.
  assertEquals(router.pausePeer(idA, 60_000), true);
  await a.send(["a1"]);
  await a.send(["a2"]);
  await b.send(["b1"]);
  // b's message comes first although a's were sent before it.
  const [idB, fromB] = await router.receive({ timeout: 5000 });
  assertEquals(text(fromB), "b1");
  // Replies to the paused peer still go out.
  await router.send([idA, "to a"]);
  assertEquals(text((await a.receive({ timeout: 5000 }))[0]), "to a");
  await b.send(["b2"]);
  assertEquals(text((await router.receive({ timeout: 5000 }))[1]), "b2");

  // A new call restarts the pause: 0 ms ends it.
  assertEquals(router.pausePeer(idA, 0), true);
  const got: string[] = [];
  for (let i = 0; i < 2; i++) {
    const [id, body] = await router.receive({ timeout: 5000 });
    assertEquals(id, idA);
    got.push(text(body));
  }
  assertEquals(got, ["a1", "a2"]);
  assertNotEquals(idB, idA);
});

Deno.test("Router.pausePeer() returns false for an unknown peer and rejects a bad duration", async () => {
  await using context = new Context({ engine: "zmtp" });
  await using router = new Router({ context });
  assertEquals(router.pausePeer(new Uint8Array([0, 1, 2, 3, 4]), 100), false);
  for (const ms of [-1, NaN, Infinity]) {
    assertThrows(
      () => router.pausePeer(new Uint8Array([0, 1]), ms),
      RangeError,
      `Cannot pause a peer: ms must be a number >= 0, got ${ms}`,
    );
  }
});

Deno.test("the libzmq engine says it cannot pause a peer", async () => {
  await using context = new Context({ engine: "libzmq" });
  await using router = new Router({ context });
  assertEquals(router.pausePeer(new Uint8Array([0, 1, 2, 3, 4]), 100), false);
});
