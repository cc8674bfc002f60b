/**
 * `Router.pauseFullPeers`: a zmtp ROUTER stops reading a peer whose pipe
 * is full, so that a peer that floods and never reads ends up blocked in
 * its own sends (TCP flow control) instead of being read and answered at
 * full speed; other peers are served as before, and the paused peer is
 * read again once it reads. The flooder is a real process.
 */

import { assert, assertEquals, waitFor } from "../_assert.ts";
import { Context, Dealer, Router } from "../../src/zmq/mod.ts";
import { FixtureProcess, nextEventOf } from "./_helpers.ts";

/** Round trips of the good client while the flooder is paused. */
const N = 200;

interface Counts {
  sent: number;
  received: number;
}

async function countsOf(flooder: FixtureProcess): Promise<Counts> {
  flooder.signal("SIGUSR2");
  const [sent, received] = (await flooder.readLine()).split(" ").map(Number);
  return { sent, received };
}

/**
 * Waits until neither the server's reads from the flooder nor the
 * flooder's sends grow over `still` ms; fails after `timeout` ms.
 */
async function waitForStill(
  reads: () => number,
  flooder: FixtureProcess,
  { still = 1000, timeout = 20_000 } = {},
): Promise<{ reads: number; counts: Counts }> {
  let last = { reads: reads(), counts: await countsOf(flooder) };
  let since = Date.now();
  await waitFor(
    async () => {
      const now = { reads: reads(), counts: await countsOf(flooder) };
      if (now.reads !== last.reads || now.counts.sent !== last.counts.sent) {
        last = now;
        since = Date.now();
        return false;
      }
      return Date.now() - since >= still;
    },
    `the flooder's sends and the server's reads to stop growing`,
    {
      timeout,
      interval: 100,
    },
  );
  return last;
}

/**
 * An echo ROUTER that counts what it reads from each peer; replies wait
 * (routerMandatory) up to a minute.
 */
function echo(
  router: Router,
): { reads: Map<string, number>; done: Promise<void> } {
  const reads = new Map<string, number>();
  const reply = new Uint8Array(1024);
  const done = (async () => {
    for await (const [id, kind] of router) {
      const key = id.join(",");
      reads.set(key, (reads.get(key) ?? 0) + 1);
      router.send([id, kind, reply], { timeout: 60_000 }).catch(() => {});
    }
  })();
  return { reads, done };
}

Deno.test("a zmtp ROUTER that pauses full peers stops reading a flooder that never reads, serves the others, and resumes it once it reads", async () => {
  await using context = new Context({ engine: "zmtp" });
  const router = new Router({
    context,
    routerMandatory: true,
    sendHighWaterMark: 100,
    sendBufferSize: 4096,
    // Heartbeats whose timeout is far shorter than the pause: silence
    // while paused is the router's doing and must not end the connection.
    heartbeatInterval: 100,
    heartbeatTimeout: 300,
    heartbeatTimeToLive: 0,
  });
  assert(router.pauseFullPeers(true), "the zmtp engine pauses full peers");
  const endpoint = router.bind("tcp://127.0.0.1:*");
  const monitor = router.monitor(["accepted", "disconnected"]);
  const server = echo(router);
  const flooder = (await FixtureProcess.start("unread_flooder.ts", {
    args: [endpoint],
  })).process;
  const good = new Dealer({ context });
  try {
    await nextEventOf(monitor, ["accepted"]);
    const flooderReads = () => {
      const others = [...server.reads.entries()].filter(([k]) => k !== goodId);
      return others.reduce((n, [, v]) => n + v, 0);
    };
    let goodId = "";
    const paused = await waitForStill(flooderReads, flooder);
    console.log(
      `paused: the server read ${paused.reads} messages, the flooder sent ${paused.counts.sent} and received ${paused.counts.received}`,
    );

    // A good client is served in full meanwhile.
    good.connect(endpoint);
    for (let i = 0; i < N; i++) {
      await good.send(["good", String(i)]);
      const [kind] = await good.receive({ timeout: 10_000 });
      assertEquals(new TextDecoder().decode(kind), "good");
    }
    goodId = [...server.reads.keys()].find((k) =>
      server.reads.get(k) === N && k !== ""
    ) ?? "";
    assert(goodId !== "", "the good client's reads are counted apart");

    // Still paused, and still connected, many heartbeat timeouts later.
    const later = await waitForStill(flooderReads, flooder);
    assertEquals(later.reads, paused.reads, "the server read the flooder on");
    assertEquals(
      later.counts.sent,
      paused.counts.sent,
      "the flooder's sends went on",
    );
    for (;;) {
      const e = await monitor.next({ timeout: 10 }).catch(() =>
        undefined
      );
      if (e === undefined) break;
      assert(e.type !== "disconnected", "the paused peer's connection ended");
    }

    // It reads: it gets its replies, and the server reads it again.
    flooder.signal("SIGUSR1");
    await waitFor(
      async () => {
        const c = await countsOf(flooder);
        return c.received > 0 && c.sent > paused.counts.sent &&
          flooderReads() > paused.reads;
      },
      "the flooder to be read and answered again",
      {
        timeout: 20_000,
        interval: 100,
      },
    );
  } finally {
    await flooder[Symbol.asyncDispose]();
    good.close();
    monitor.close();
    router.close();
    await server.done;
  }
});

Deno.test("a zmtp ROUTER closes the connection of a paused peer once it is killed", async () => {
  await using context = new Context({ engine: "zmtp" });
  const router = new Router({
    context,
    routerMandatory: true,
    sendHighWaterMark: 100,
    sendBufferSize: 4096,
    heartbeatInterval: 100,
    heartbeatTimeout: 300,
    heartbeatTimeToLive: 0,
  });
  router.pauseFullPeers(true);
  const endpoint = router.bind("tcp://127.0.0.1:*");
  const monitor = router.monitor(["accepted", "disconnected"]);
  const server = echo(router);
  const flooder = (await FixtureProcess.start("unread_flooder.ts", {
    args: [endpoint],
  })).process;
  try {
    await nextEventOf(monitor, ["accepted"]);
    const reads = () => [...server.reads.values()].reduce((a, b) => a + b, 0);
    await waitForStill(reads, flooder);
    await flooder[Symbol.asyncDispose]();
    // The write waiting for it fails once its kernel resets the connection.
    await nextEventOf(monitor, ["disconnected"], 5000);
  } finally {
    await flooder[Symbol.asyncDispose]();
    monitor.close();
    router.close();
    await server.done;
  }
});

Deno.test("the libzmq engine says it cannot pause full peers", async () => {
  await using context = new Context({ engine: "libzmq" });
  await using router = new Router({ context });
  assertEquals(router.pauseFullPeers(true), false);
});
