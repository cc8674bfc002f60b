/**
 * Per-peer fairness: a peer whose pipe is full (it never reads) never
 * delays sends to the other peers. A ROUTER waits for that peer alone (with
 * `routerMandatory`) or drops its messages; a DEALER skips it; a PUB drops
 * its copies. `docs/transport.md` has the table.
 */

import { assert, assertEquals, AssertionError } from "../../_assert.ts";
import { Dealer, Publisher, Router, Subscriber } from "../../../src/zmq/mod.ts";
import {
  bytes,
  Endpoints,
  isSettled,
  readU32,
  type Transport,
  u32Frame,
} from "../_helpers.ts";
import { type EngineRun, testNoSocketLeft } from "../_suite.ts";

/** Registers the fairness cases for one engine run. */
export function fairnessCases(run: EngineRun): void {
  const PADDING = new Uint8Array(1024);
  const SMALL = {
    sendHighWaterMark: 4,
    receiveHighWaterMark: 4,
    sendBufferSize: 4096,
    receiveBufferSize: 4096,
  };
  /** Messages sent to the good peer while the bad one is full. */
  const GOOD = 500;

  /** A ROUTER with a bad peer (never reads) and a good one, both known. */
  async function routerWithPeers(
    eps: Endpoints,
    transport: Transport,
    mandatory: boolean,
  ) {
    const router = new Router({
      ...run.S,
      sendBufferSize: 4096,
      routerMandatory: mandatory,
    });
    const endpoint = router.bind(await eps.bindAddress(transport, "fair"));
    const bad = new Dealer({ ...run.C, ...SMALL, routingId: bytes("bad") });
    const good = new Dealer({ ...run.C, routingId: bytes("good") });
    bad.connect(endpoint);
    good.connect(endpoint);
    // Each says hello so that the router knows both routing ids.
    await bad.send("hello");
    await good.send("hello");
    const seen = new Set<string>();
    while (seen.size < 2) {
      const [id] = await router.receive({ timeout: 5000 });
      seen.add(new TextDecoder().decode(id));
    }
    return { router, bad, good };
  }

  /**
   * Sends to `bad` until a send parks (routerMandatory: the parked send is
   * returned) or, without it, until surely more went than its pipe and
   * buffers hold.
   */
  async function fill(
    router: Router,
    mandatory: boolean,
  ): Promise<{ parked?: Promise<void> }> {
    for (let i = 0; i < 100_000; i++) {
      const p = router.send([bytes("bad"), u32Frame(i), PADDING], {
        timeout: 30_000,
      });
      if (!(await isSettled(p))) {
        if (!mandatory) {
          throw new AssertionError("a send without routerMandatory waited");
        }
        // Parked; often only until the engine moves the queue on to the
        // kernel. Parked still after timers fired: the pipe is full.
        await new Promise((r) => setTimeout(r, 50));
        if (!(await isSettled(p))) return { parked: p };
      }
      await p;
      if (!mandatory && i >= 5000) return {};
    }
    throw new AssertionError("the bad peer's pipe never filled");
  }

  /**
   * Round trips to the good peer: each send is taken (never held behind
   * the bad peer's) and arrives.
   */
  async function sendToGood(router: Router, good: Dealer) {
    for (let i = 0; i < GOOD; i++) {
      // libzmq may park a send for a moment until its I/O thread says the
      // pipe has room; a send held behind the bad peer would time out.
      await router.send([bytes("good"), u32Frame(i)], { timeout: 5000 });
      const [seq] = await good.receive({ timeout: 5000 });
      assertEquals(readU32(seq), i, "order of the good peer's messages");
    }
  }

  for (const transport of run.transports) {
    Deno.test(
      run.title(
        `Router.send() with routerMandatory waits for a full peer alone: the other peer's messages go at once over ${transport}`,
      ),
      async () => {
        await using eps = new Endpoints();
        const { router, bad, good } = await routerWithPeers(
          eps,
          transport,
          true,
        );
        try {
          const { parked } = await fill(router, true);
          assert(parked !== undefined, "a send to the bad peer parked");
          // Another message for the bad peer parks behind the first.
          const second = router.send([bytes("bad"), u32Frame(-1 >>> 0)], {
            timeout: 30_000,
          });
          await sendToGood(router, good);
          assertEquals(await isSettled(parked), false, "bad peer's send");
          assertEquals(await isSettled(second), false, "bad peer's 2nd send");
          // Once the bad peer reads, its own sends complete, in order.
          const drain = (async () => {
            for (;;) {
              const [seq] = await bad.receive({ timeout: 5000 });
              if (readU32(seq) === -1 >>> 0) return;
            }
          })();
          await parked;
          await second;
          await drain;
        } finally {
          bad.close();
          good.close();
          router.close();
        }
      },
    );

    Deno.test(
      run.title(
        `Router.send() without routerMandatory drops for a full peer and never waits over ${transport}`,
      ),
      async () => {
        await using eps = new Endpoints();
        const { router, bad, good } = await routerWithPeers(
          eps,
          transport,
          false,
        );
        try {
          await fill(router, false);
          await sendToGood(router, good);
        } finally {
          bad.close();
          good.close();
          router.close();
        }
      },
    );

    Deno.test(
      run.title(
        `Dealer.send() skips a full peer and goes on round-robin over the others over ${transport}`,
      ),
      async () => {
        await using eps = new Endpoints();
        const full = new Router({ ...run.S, ...SMALL });
        const reader = new Router({ ...run.S });
        const dealer = new Dealer({ ...run.C, ...SMALL });
        try {
          dealer.connect(full.bind(await eps.bindAddress(transport, "full")));
          dealer.connect(reader.bind(await eps.bindAddress(transport, "read")));
          // Until both are connected: a greeting reaches each.
          const greeted = new Set<Router>();
          for (let i = 0; greeted.size < 2 && i < 500; i++) {
            await dealer.send("hi", { timeout: 5000 });
            for (const r of [full, reader]) {
              await r.receive({ timeout: 10 }).then(
                () => greeted.add(r),
                () => {},
              );
            }
          }
          assertEquals(greeted.size, 2, "both peers connected");
          let got = 0;
          let reading = true;
          const reader_ = (async () => {
            while (reading) {
              const [, seq] = await reader.receive({ timeout: 5000 });
              if (seq.byteLength === 4) got++;
            }
          })();
          // `full` reads no more: once its pipe is full every message goes
          // to `reader`, and no send waits on `full` (a send that did would
          // time out).
          try {
            for (let i = 0; got < GOOD; i++) {
              if (i > 100_000) throw new AssertionError(`only ${got} arrived`);
              await dealer.send([u32Frame(i), PADDING], { timeout: 5000 });
            }
          } finally {
            reading = false;
            reader.close();
            await reader_.catch(() => {});
          }
          assert(got >= GOOD, `the reading peer got ${got} messages`);
        } finally {
          dealer.close();
          full.close();
          reader.close();
        }
      },
    );

    Deno.test(
      run.title(
        `Publisher.send() drops for a full Subscriber only: the one that reads gets every message over ${transport}`,
      ),
      async () => {
        await using eps = new Endpoints();
        // Large messages: the slow subscriber's kernel buffers fill too.
        const BIG = new Uint8Array(16 * 1024);
        const pub = new Publisher({ ...run.S, sendHighWaterMark: 100 });
        const slow = new Subscriber({ ...run.C, ...SMALL });
        const fast = new Subscriber({ ...run.C, receiveHighWaterMark: 0 });
        try {
          const endpoint = pub.bind(await eps.bindAddress(transport, "pub"));
          for (const sub of [slow, fast]) {
            sub.subscribe("");
            sub.connect(endpoint);
          }
          // Wait until both subscriptions reached the publisher.
          const ready = new Set<Subscriber>();
          for (let i = 0; ready.size < 2 && i < 500; i++) {
            await pub.send("sync");
            for (const sub of [slow, fast]) {
              await sub.receive({ timeout: 20 }).then(
                () => ready.add(sub),
                () => {},
              );
            }
          }
          assertEquals(ready.size, 2, "both subscriptions arrived");
          // Drain the syncs the fast one has queued.
          for (;;) {
            const r = await fast.receive({ timeout: 50 }).catch(() => null);
            if (r === null) break;
          }
          const total = 1000;
          let got = 0;
          const reading = (async () => {
            while (got < total) {
              const [topic, seq] = await fast.receive({ timeout: 5000 });
              if (new TextDecoder().decode(topic) !== "data") continue;
              assertEquals(readU32(seq), got, "the fast subscriber's order");
              got++;
            }
          })();
          let failed: unknown;
          reading.catch((e) => failed = e);
          for (let i = 0; i < total && failed === undefined; i++) {
            const p = pub.send(["data", u32Frame(i), BIG]);
            assert(await isSettled(p), `Publisher.send() #${i} waited`);
            await p;
            // The fast subscriber stays well within its own high-water
            // mark (a PUB drops for it too when its pipe is full).
            while (i - got > 20 && failed === undefined) {
              await new Promise((r) => setTimeout(r, 1));
            }
          }
          await reading;
          assertEquals(got, total);
          let slowGot = 0;
          for (;;) {
            const r = await slow.receive({ timeout: 100 }).catch(() => null);
            if (r === null) break;
            slowGot++;
          }
          assert(slowGot < total, `the full subscriber got all ${total}`);
        } finally {
          pub.close();
          slow.close();
          fast.close();
        }
      },
    );
  }

  testNoSocketLeft(run, "fairness");
}
