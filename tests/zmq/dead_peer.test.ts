/**
 * A peer that stops reading and is then killed (SIGKILL) costs a zmtp
 * ROUTER no fd for long: a write parked on the peer's full socket fails
 * once the peer's kernel resets the connection; and a connection whose
 * reading the socket paused (its inbox full) cannot read the end behind
 * the unread bytes, but its next PING fails to be written. (The libzmq
 * engine is left out: 4.3.5 keeps the first fd past 20 s here, and aborts
 * on `!_io_error` in the second, as the registry probes note.)
 */

import { assert, assertEquals, waitFor } from "../_assert.ts";
import { Context, Router } from "../../src/zmq/mod.ts";
import { FixtureProcess, isSettled, nextEventOf } from "./_helpers.ts";
import { connectionsOn, portOfEndpoint } from "../_sockets.ts";

/** How long the server may take to close a killed peer's connection, in ms. */
const WITHIN = 5000;

Deno.test("a zmtp ROUTER closes the connection of a killed peer it was blocked writing to", async () => {
  await using context = new Context({ engine: "zmtp" });
  await using router = new Router({
    context,
    routerMandatory: true,
    sendHighWaterMark: 4,
    sendBufferSize: 4096,
  });
  const endpoint = router.bind("tcp://127.0.0.1:*");
  await using monitor = router.monitor(["accepted", "disconnected"]);
  await using peer = (await FixtureProcess.start("deaf_peer.ts", {
    args: [endpoint],
  })).process;
  const [id] = await router.receive();
  await nextEventOf(monitor, ["accepted"]);
  // Replies until one parks: the peer's buffers and ours are full.
  const big = new Uint8Array(256 * 1024);
  let parked: Promise<void> | undefined;
  for (let i = 0; i < 400 && parked === undefined; i++) {
    const p = router.send([id, big], { timeout: 20_000 });
    if (!(await isSettled(p))) {
      await new Promise((r) => setTimeout(r, 50));
      if (!(await isSettled(p))) parked = p;
    }
  }
  assert(parked !== undefined, "no send ever parked");
  parked.catch(() => {}); // it fails once the peer is gone
  const port = portOfEndpoint(endpoint);
  assertEquals(connectionsOn(port), 1, "the peer's connection, counted");
  await peer[Symbol.asyncDispose]();
  await nextEventOf(monitor, ["disconnected"], WITHIN);
  // Its descriptor too: no connection on the server's port is left.
  await waitFor(
    () => connectionsOn(port) === 0,
    `the killed peer's connection to be closed (${connectionsOn(port)} left)`,
    { timeout: WITHIN },
  );
});

Deno.test("a zmtp ROUTER that stopped reading a peer still closes its connection once it is killed", async () => {
  await using context = new Context({ engine: "zmtp" });
  // Heartbeats, with a timeout too long to be what ends it: reading is
  // paused, so only a PING that fails to be written can tell.
  await using router = new Router({
    context,
    receiveHighWaterMark: 2,
    receiveBufferSize: 4096,
    heartbeatInterval: 200,
    heartbeatTimeout: 60_000,
    heartbeatTimeToLive: 60_000,
  });
  const endpoint = router.bind("tcp://127.0.0.1:*");
  await using monitor = router.monitor(["accepted", "disconnected"]);
  // 200 messages of 64 KiB: far more than the inbox and kernel buffers.
  await using peer = (await FixtureProcess.start("deaf_peer.ts", {
    args: [endpoint, "200"],
  })).process;
  await nextEventOf(monitor, ["accepted"]);
  // The socket is not read: its inbox fills, and reading the peer stops.
  await new Promise((r) => setTimeout(r, 500));
  const port = portOfEndpoint(endpoint);
  assertEquals(connectionsOn(port), 1, "the peer's connection, counted");
  await peer[Symbol.asyncDispose]();
  await nextEventOf(monitor, ["disconnected"], WITHIN);
  // Its descriptor too: no connection on the server's port is left.
  await waitFor(
    () => connectionsOn(port) === 0,
    `the killed peer's connection to be closed (${connectionsOn(port)} left)`,
    { timeout: WITHIN },
  );
});
