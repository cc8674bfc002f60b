/**
 * A zmtp socket whose `receive()` keeps finding messages lets the event
 * loop poll sockets every half millisecond while it has more than one peer
 * (`src/zmq/zmtp/_io_turn.ts`).
 * Deno polls sockets only when it has nothing else to run: while a ROUTER
 * drained one flooding peer (a real process), yielding with `setImmediate`
 * as `RpcServer` does, another peer's message waited in the kernel until
 * the flood's 64 KiB read buffer was used up — thousands of the flooder's
 * messages taken first, tens to hundreds of ms under load (issue #14).
 * The loopback pair that forces the turns is closed once they stop.
 */

import { assert, assertEquals, waitFor } from "../_assert.ts";
import { unlistenedSelfPairs } from "../_sockets.ts";
import { Context, Dealer, Router } from "../../src/zmq/mod.ts";
import { FixtureProcess, nextEventOf } from "./_helpers.ts";

/** The good peer's messages, one at a time. */
const ROUNDS = 20;

/** Busy-waits `us` microseconds: the cost of handling a message. */
function work(us: number): void {
  const end = performance.now() + us / 1000;
  while (performance.now() < end) { /* handling */ }
}

Deno.test("a zmtp ROUTER draining a flooding peer reads another peer's message after a few dozen of the flood's, not after its whole read buffer", async () => {
  const before = unlistenedSelfPairs();
  await using context = new Context({ engine: "zmtp" });
  const router = new Router({ context });
  const endpoint = router.bind("tcp://127.0.0.1:*");
  const monitor = router.monitor(["accepted"]);
  // The flooder sends 24-byte messages: a 64 KiB read holds ~2,700.
  const flooder = (await FixtureProcess.start("unread_flooder.ts", {
    args: [endpoint],
  })).process;
  const good = new Dealer({ context });
  let flood = 0;
  /** Set once measured: the rest of the flood is read without work. */
  let draining = false;
  let arrived: (() => void) | undefined;
  // A receive loop like RpcServer's: some work per message, and a
  // setImmediate turn after each millisecond.
  const loop = (async () => {
    let slice = Date.now();
    for await (const [, kind] of router) {
      if (kind[0] === 0x67 /* "g" */) arrived?.();
      else {
        flood++;
        if (!draining) work(10);
      }
      if (Date.now() - slice > 1) {
        await new Promise((r) => setImmediate(r));
        slice = Date.now();
      }
    }
  })();
  try {
    await nextEventOf(monitor, ["accepted"]);
    // The flood is under way: more than a read buffer's worth taken.
    await waitFor(() => flood > 5000, "the flood to be under way");
    good.connect(endpoint);
    const taken: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const seen = new Promise<void>((r) => arrived = r);
      const before = flood;
      await good.send(["good"]);
      await seen;
      taken.push(flood - before);
      // Let the flood go on a little: the next message lands elsewhere in
      // the flooder's read buffer.
      await new Promise((r) => setTimeout(r, 7));
    }
    taken.sort((a, b) => a - b);
    console.log(
      `flood messages taken while the good one waited: median ${
        taken[ROUNDS >> 1]
      }, max ${taken.at(-1)} (of ${flood})`,
    );
    assert(
      taken.at(-1)! < 1000,
      `the good peer's message waited behind ${taken.at(-1)} of the flood's`,
    );
    // 10 µs each: a 0.5 ms slice takes ~50 of them at most, and a turn by
    // the half-millisecond is what a second peer gets (a slice of 1-2 ms,
    // by Date.now(), took a median of ~160).
    assert(
      taken[ROUNDS >> 1] < 80,
      `the good peer's message waited behind a median ${
        taken[ROUNDS >> 1]
      } of the flood's`,
    );
    // The loopback pair that forced the turns is open, and is closed once
    // the flood is over.
    const pair = [...unlistenedSelfPairs()].filter((s) => !before.has(s));
    assertEquals(pair.length, 2, "the two ends of the loopback pair");
    // What the flooder left in the kernel's buffers (megabytes of 24-byte
    // messages) took 10 µs each to read: seconds, more than 10 under the
    // parallel suite.
    draining = true;
    await flooder[Symbol.asyncDispose]();
    await waitFor(
      () => {
        const open = unlistenedSelfPairs();
        return pair.every((s) => !open.has(s));
      },
      "the loopback pair to be closed",
      { timeout: 10_000 },
    );
  } finally {
    await flooder[Symbol.asyncDispose]();
    good.close();
    monitor.close();
    router.close();
    await loop;
  }
});
