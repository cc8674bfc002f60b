/**
 * Every socket pattern over every transport it supports, with real sockets.
 */

import { assert, assertEquals, assertRejects, waitFor } from "../../_assert.ts";
import {
  Dealer,
  Pair,
  Publisher,
  Pull,
  Push,
  Reply,
  Request,
  Router,
  Subscriber,
  XPublisher,
  XSubscriber,
  ZmqError,
} from "../../../src/zmq/mod.ts";
import { bytes, Endpoints, texts } from "../_helpers.ts";
import { type EngineRun, testNoSocketLeft } from "../_suite.ts";

/** Registers the patterns cases for one engine run. */
export function patternsCases(run: EngineRun): void {
  const T = { timeout: 5000 };

  for (const transport of run.transports) {
    Deno.test(
      run.title(
        `Pair exchanges multipart messages both ways over ${transport}`,
      ),
      async () => {
        await using eps = new Endpoints();
        await using a = new Pair(run.S);
        await using b = new Pair(run.C);
        b.connect(a.bind(await eps.bindAddress(transport, "pair")));
        await a.send(["hello", new Uint8Array([0, 1, 255]), ""]);
        assertEquals(await b.receive(T), [
          bytes("hello"),
          new Uint8Array([0, 1, 255]),
          new Uint8Array(0),
        ]);
        await b.send("back");
        assertEquals(texts(await a.receive(T)), ["back"]);
      },
    );

    Deno.test(
      run.title(`Request/Reply round-trips in lockstep over ${transport}`),
      async () => {
        await using eps = new Endpoints();
        await using rep = new Reply(run.S);
        await using req = new Request(run.C);
        req.connect(rep.bind(await eps.bindAddress(transport, "reqrep")));
        for (let i = 0; i < 5; i++) {
          await req.send([`q${i}`, "x"]);
          const q = texts(await rep.receive(T));
          assertEquals(q, [`q${i}`, "x"]);
          await rep.send(`a${i}`);
          assertEquals(texts(await req.receive(T)), [`a${i}`]);
        }
        // REQ is strict: a second send before the reply is a state error.
        await req.send("once");
        const err = await assertRejects(() => req.send("twice"), ZmqError);
        assertEquals(err.code, "EFSM");
        assertEquals(err.operation, "send");
      },
    );

    Deno.test(
      run.title(`Router routes replies by routing id over ${transport}`),
      async () => {
        await using eps = new Endpoints();
        await using router = new Router(run.S);
        await using alpha = new Dealer({ ...run.C, routingId: "alpha" });
        await using beta = new Dealer({ ...run.C, routingId: "beta" });
        const endpoint = router.bind(
          await eps.bindAddress(transport, "router"),
        );
        alpha.connect(endpoint);
        beta.connect(endpoint);
        await alpha.send(["from", "alpha"]);
        await beta.send(["from", "beta"]);
        const seen = new Map<string, string>();
        for (let i = 0; i < 2; i++) {
          const [id, ...body] = await router.receive(T);
          seen.set(texts([id])[0], texts(body).join(" "));
        }
        assertEquals(
          [...seen].sort(),
          [["alpha", "from alpha"], ["beta", "from beta"]],
        );
        // Reply in the opposite order: each dealer only sees its own reply.
        await router.send(["beta", "to beta"]);
        await router.send(["alpha", "to alpha"]);
        assertEquals(texts(await alpha.receive(T)), ["to alpha"]);
        assertEquals(texts(await beta.receive(T)), ["to beta"]);
        assertEquals(texts([alpha.getOption("routingId")]), ["alpha"]);
      },
    );

    Deno.test(
      run.title(
        `Router.send() rejects with EHOSTUNREACH for an unknown peer when routerMandatory over ${transport}`,
      ),
      async () => {
        await using eps = new Endpoints();
        await using router = new Router({ ...run.S, routerMandatory: true });
        await using dealer = new Dealer({ ...run.C, routingId: "known" });
        dealer.connect(router.bind(await eps.bindAddress(transport, "mand")));
        await dealer.send("hi");
        const [id] = await router.receive(T);
        assertEquals(texts([id]), ["known"]);
        const err = await assertRejects(
          () => router.send(["ghost", "anyone?"]),
          ZmqError,
          "EHOSTUNREACH",
        );
        assertEquals(err.code, "EHOSTUNREACH");
        assertEquals(err.operation, "send");
        // The known peer still works afterwards.
        await router.send(["known", "yes"]);
        assertEquals(texts(await dealer.receive(T)), ["yes"]);
      },
    );

    Deno.test(
      run.title(
        `Subscriber filters by prefix and stops after unsubscribe over ${transport}`,
      ),
      async () => {
        await using eps = new Endpoints();
        await using pub = new Publisher(run.S);
        await using sub = new Subscriber(run.C);
        sub.subscribe("a.");
        sub.subscribe("sync");
        sub.subscribe("end");
        sub.connect(pub.bind(await eps.bindAddress(transport, "pubsub")));
        await syncSubscriber(pub, sub);

        for (const topic of ["b.1", "a.1", "ab", "a", "a.2", "end"]) {
          await pub.send([topic, "payload"]);
        }
        const got: string[] = [];
        for (let i = 0; i < 20; i++) {
          const [topic, body] = texts(await sub.receive(T));
          if (topic === "sync") continue;
          assertEquals(body, "payload");
          got.push(topic);
          if (topic === "end") break;
        }
        assertEquals(got, ["a.1", "a.2", "end"]);

        sub.unsubscribe("a.");
        await pub.send(["a.3", "payload"]);
        await pub.send(["end", "payload"]);
        const after: string[] = [];
        for (let i = 0; i < 20; i++) {
          const [topic] = texts(await sub.receive(T));
          if (topic === "sync") continue;
          after.push(topic);
          if (topic === "end") break;
        }
        assertEquals(after, ["end"]);
      },
    );

    Deno.test(
      run.title(
        `XPublisher receives subscribe and unsubscribe messages over ${transport}`,
      ),
      async () => {
        await using eps = new Endpoints();
        await using xpub = new XPublisher(run.S);
        await using sub = new Subscriber(run.C);
        sub.connect(xpub.bind(await eps.bindAddress(transport, "xpub")));
        sub.subscribe("news");
        assertEquals(await xpub.receive(T), [concat([1], bytes("news"))]);
        // The XPUB then publishes like a PUB.
        await waitForDelivery(
          () => xpub.send(["news.1"]),
          async () => texts(await sub.receive({ timeout: 50 })),
          ["news.1"],
        );
        sub.unsubscribe("news");
        assertEquals(await xpub.receive(T), [concat([0], bytes("news"))]);
      },
    );

    Deno.test(
      run.title(
        `XPublisher with xpubVerboser hears each subscriber subscribe once and leave once over ${transport}`,
      ),
      async () => {
        await using eps = new Endpoints();
        await using xpub = new XPublisher({ ...run.S, xpubVerboser: true });
        await using a = new Subscriber(run.C);
        await using b = new Subscriber(run.C);
        const endpoint = xpub.bind(await eps.bindAddress(transport, "verb"));
        // Subscribed before connecting: the subscription waits for the
        // connection and goes out once on it.
        for (const sub of [a, b]) {
          sub.subscribe("t");
          sub.connect(endpoint);
        }
        const on = [concat([1], bytes("t"))];
        const off = [concat([0], bytes("t"))];
        assertEquals(await xpub.receive(T), on);
        assertEquals(await xpub.receive(T), on);
        // A duplicate subscription would come before the leaving one.
        a.close();
        assertEquals(await xpub.receive(T), off);
        b.close();
        assertEquals(await xpub.receive(T), off);
      },
    );

    // libzmq's SUB reconnects but may not subscribe again (libzmq issues
    // #4057 and #4063), so this holds for zmtp subscribers only.
    if (transport === "tcp" && run.clientEngine === "zmtp") {
      Deno.test(
        run.title(
          "Subscriber subscribes again, once, after reconnecting to a new publisher over tcp",
        ),
        async () => {
          await using sub = new Subscriber({ ...run.C, reconnectInterval: 20 });
          sub.subscribe("t");
          const on = [concat([1], bytes("t"))];
          let endpoint: string;
          {
            await using first = new XPublisher(run.S);
            endpoint = first.bind("tcp://127.0.0.1:*");
            sub.connect(endpoint);
            assertEquals(await first.receive(T), on);
          }
          // The same port again (libzmq lets go of it in the background);
          // the subscriber reconnects by itself.
          await using second = new XPublisher({
            ...run.S,
            xpubVerboser: true,
          });
          await waitFor(() => {
            try {
              second.bind(endpoint);
              return true;
            } catch (e) {
              if ((e as ZmqError).code !== "EADDRINUSE") throw e;
              return false;
            }
          }, "the port to be free again");
          assertEquals(await second.receive(T), on);
          await waitForDelivery(
            () => second.send(["t", "back"]),
            async () => texts(await sub.receive({ timeout: 50 })),
            ["t", "back"],
          );
          // Exactly one subscription came: the next thing is the leave.
          sub.close();
          assertEquals(await second.receive(T), [concat([0], bytes("t"))]);
        },
      );
    }

    Deno.test(
      run.title(
        `XSubscriber subscribes by sending [1, ...prefix] frames over ${transport}`,
      ),
      async () => {
        await using eps = new Endpoints();
        await using xpub = new XPublisher(run.S);
        await using xsub = new XSubscriber(run.C);
        xsub.connect(xpub.bind(await eps.bindAddress(transport, "xsub")));
        await xsub.send(concat([1], bytes("top")));
        // The XPUB sees the very frame the XSUB sent.
        assertEquals(await xpub.receive(T), [concat([1], bytes("top"))]);
        await xpub.send(["other"]);
        await xpub.send(["top.1", "x"]);
        assertEquals(texts(await xsub.receive(T)), ["top.1", "x"]);
        await xsub.send(concat([0], bytes("top")));
        assertEquals(await xpub.receive(T), [concat([0], bytes("top"))]);
      },
    );

    Deno.test(
      run.title(
        `Push load-balances fairly over two Pull sockets over ${transport}`,
      ),
      async () => {
        await using eps = new Endpoints();
        await using push = new Push(run.S);
        await using left = new Pull(run.C);
        await using right = new Pull(run.C);
        const endpoint = push.bind(await eps.bindAddress(transport, "push"));
        left.connect(endpoint);
        right.connect(endpoint);
        const counts = {
          left: { probe: 0, data: 0 },
          right: { probe: 0, data: 0 },
        };
        const drain = async (
          pull: Pull,
          c: { probe: number; data: number },
        ) => {
          for await (const [kind] of pull) {
            if (texts([kind])[0] === "probe") c.probe++;
            else c.data++;
          }
        };
        const loops = [drain(left, counts.left), drain(right, counts.right)];
        try {
          // Until both pullers have a live pipe, PUSH sends everything to one.
          await waitFor(async () => {
            await push.send("probe");
            return counts.left.probe > 0 && counts.right.probe > 0;
          }, "both pullers to be connected");
          const n = 1000;
          for (let i = 0; i < n; i++) await push.send(["data", String(i)]);
          await waitFor(
            () => counts.left.data + counts.right.data === n,
            `${n} data messages`,
          );
          const { left: l, right: r } = counts;
          assert(
            // Strict round-robin over two live pipes that never fill up.
            Math.abs(l.data - r.data) <= 2,
            `unfair split: left ${l.data}, right ${r.data}`,
          );
        } finally {
          left.close();
          right.close();
          await Promise.all(loops);
        }
      },
    );
  }

  Deno.test(
    run.title(
      "XSubscriber receives from a plain Publisher after a [1, ...prefix] frame",
    ),
    async () => {
      await using pub = new Publisher(run.S);
      await using xsub = new XSubscriber(run.C);
      xsub.connect(pub.bind("tcp://127.0.0.1:*"));
      await xsub.send(concat([1], bytes("t")));
      await waitForDelivery(
        () => pub.send(["t", "v"]),
        async () => texts(await xsub.receive({ timeout: 50 })),
        ["t", "v"],
      );
    },
  );

  if (run.single) {
    Deno.test(
      run.title(
        "Publisher, Subscriber, Push and Pull expose only the operations of their pattern",
      ),
      () => {
        // Type-level only: these calls are checked by `deno check`/`deno test`
        // and never run.
        if (false as boolean) {
          const pub = null as unknown as Publisher;
          const sub = null as unknown as Subscriber;
          const push = null as unknown as Push;
          const pull = null as unknown as Pull;
          // @ts-expect-error a Publisher cannot receive
          pub.receive();
          // @ts-expect-error a Subscriber cannot send
          sub.send("x");
          // @ts-expect-error a Push cannot receive
          push.receive();
          // @ts-expect-error a Pull cannot send
          pull.send("x");
          // @ts-expect-error a Publisher is not async-iterable
          pub[Symbol.asyncIterator]();
        }
        // At run time the prototypes agree with the types.
        assertEquals("receive" in Publisher.prototype, false);
        assertEquals("send" in Subscriber.prototype, false);
        assertEquals("receive" in Push.prototype, false);
        assertEquals("send" in Pull.prototype, false);
        assertEquals(typeof Dealer.prototype.send, "function");
        assertEquals(typeof Dealer.prototype.receive, "function");
      },
    );
  }

  /**
   * Sends "sync" until the subscriber sees one, so that the subscription has
   * reached the publisher (the slow-joiner problem). Bounded in time.
   */
  async function syncSubscriber(
    pub: Publisher,
    sub: Subscriber,
  ): Promise<void> {
    await waitForDelivery(
      () => pub.send("sync"),
      async () => texts(await sub.receive({ timeout: 20 })),
      ["sync"],
    );
  }

  /**
   * Repeats `send` until `receive` returns `expected` (receive timeouts count
   * as "not yet"); fails after 5 s.
   */
  async function waitForDelivery(
    send: () => Promise<void>,
    receive: () => Promise<string[]>,
    expected: string[],
  ): Promise<void> {
    await waitFor(async () => {
      await send();
      try {
        assertEquals(await receive(), expected);
        return true;
      } catch (e) {
        if (e instanceof DOMException && e.name === "TimeoutError") {
          return false;
        }
        throw e;
      }
    }, `delivery of ${JSON.stringify(expected)}`);
  }

  function concat(head: number[], tail: Uint8Array): Uint8Array {
    const out = new Uint8Array(head.length + tail.length);
    out.set(head);
    out.set(tail, head.length);
    return out;
  }

  testNoSocketLeft(run, "patterns");
}
