/**
 * Socket monitors: connection events, filtering, the end of iteration, and
 * that monitoring never stalls libzmq's threads.
 */

import { assert, assertEquals } from "../../_assert.ts";
import { Dealer, type MonitorEventType, Router } from "../../../src/zmq/mod.ts";
import { Endpoints, nextEventOf, runFixture, texts } from "../_helpers.ts";
import { type EngineRun, testNoSocketLeft } from "../_suite.ts";

/** Registers the monitor cases for one engine run. */
export function monitorCases(run: EngineRun): void {
  for (const transport of run.transports.filter((t) => t !== "inproc")) {
    Deno.test(
      run.title(
        `Socket.monitor() reports bind, connect, handshake and disconnect over ${transport}`,
      ),
      async () => {
        await using eps = new Endpoints();
        await using router = new Router(run.S);
        await using dealer = new Dealer(run.C);
        const server = router.monitor();
        const client = dealer.monitor();
        const endpoint = router.bind(
          await eps.bindAddress(transport, "monitor"),
        );

        const listening = await nextEventOf(server, ["listening"]);
        assertEquals(listening.event.endpoint, endpoint);
        assertEquals(listening.seen, []);

        dealer.connect(endpoint);
        const connected = await nextEventOf(client, ["connected"]);
        assertEquals(connected.event.endpoint, endpoint);
        await nextEventOf(client, ["handshakeSucceeded"]);
        const accepted = await nextEventOf(server, ["accepted"]);
        assert(accepted.event.value >= 0, "accepted carries the new fd");
        await nextEventOf(server, ["handshakeSucceeded"]);

        // The link works, then the client goes away.
        await dealer.send("hi");
        const [id, body] = await router.receive({ timeout: 5000 });
        assertEquals(texts([body]), ["hi"]);
        assert(id.byteLength > 0);
        dealer.close();
        assertEquals(client.closed, true, "a monitor closes with its socket");
        await nextEventOf(server, ["disconnected"]);

        // Closing the socket ends iteration over its monitor.
        const rest: MonitorEventType[] = [];
        const loop = (async () => {
          for await (const event of server) rest.push(event.type);
          return "ended";
        })();
        router.close();
        assertEquals(await loop, "ended");
        assertEquals(server.closed, true);
      },
    );
  }

  Deno.test(
    run.title("Socket.monitor() with a list of events reports only those"),
    async () => {
      await using router = new Router(run.S);
      await using dealer = new Dealer(run.C);
      await using monitor = router.monitor(["disconnected"]);
      const endpoint = router.bind("tcp://127.0.0.1:*");
      dealer.connect(endpoint);
      await dealer.send("x");
      await router.receive({ timeout: 5000 });
      dealer.close();
      const { event, seen } = await nextEventOf(monitor, ["disconnected"]);
      assertEquals(seen, []);
      assertEquals(event.type, "disconnected");
    },
  );

  Deno.test(
    run.title(
      "SocketMonitor.close() ends iteration and leaves the socket working",
    ),
    async () => {
      await using router = new Router(run.S);
      await using dealer = new Dealer(run.C);
      const first = router.monitor();
      const loop = (async () => {
        let n = 0;
        for await (const _ of first) n++;
        return n;
      })();
      const endpoint = router.bind("tcp://127.0.0.1:*");
      first.close();
      first.close();
      assertEquals(typeof await loop, "number");
      assertEquals(await first.next(), undefined);
      // A new monitor on the same socket gets the events from now on.
      await using second = router.monitor(["accepted"]);
      dealer.connect(endpoint);
      await nextEventOf(second, ["accepted"]);
      await dealer.send("still works");
      const [, body] = await router.receive({ timeout: 5000 });
      assertEquals(texts([body]), ["still works"]);
    },
  );

  Deno.test(
    run.title("Socket.monitor() called again replaces the previous monitor"),
    async () => {
      await using router = new Router(run.S);
      await using dealer = new Dealer(run.C);
      const first = router.monitor();
      await using second = router.monitor();
      // libzmq tells the first one it stopped, which closes it.
      await nextEventOf(first, ["monitorStopped"]);
      assertEquals(first.closed, true);
      assertEquals(await first.next(), undefined);
      dealer.connect(router.bind("tcp://127.0.0.1:*"));
      await nextEventOf(second, ["accepted"]);
      // Closing the old one must not stop the new one.
      first.close();
      dealer.close();
      await nextEventOf(second, ["disconnected"]);
    },
  );

  Deno.test(
    run.title(
      "Socket.close() with a live monitor does not stall later connections",
    ),
    async () => {
      // Regression: closing the monitor's PAIR before libzmq stopped feeding it
      // blocked libzmq's I/O thread in a send, and every later tcp link hung.
      for (let i = 0; i < 10; i++) {
        const router = new Router(run.S);
        const dealer = new Dealer(run.C);
        const monitor = router.monitor();
        try {
          dealer.connect(router.bind("tcp://127.0.0.1:*"));
          await dealer.send(`round ${i}`);
          const [, body] = await router.receive({ timeout: 5000 });
          assertEquals(texts([body]), [`round ${i}`]);
        } finally {
          dealer.close();
          router.close();
        }
        assertEquals(monitor.closed, true);
      }
    },
  );

  if (run.single) {
    Deno.test(
      run.title(
        "Socket.monitor() left unread past 1000 events does not stall libzmq",
      ),
      async () => {
        // In a subprocess: the failure mode is a thread blocked for ever.
        const { code, stdout, stderr } = await runFixture("monitor_flood.ts", {
          env: run.serverEnv,
          args: ["1200"],
          timeout: 20_000,
        });
        assertEquals(code, 0, stderr);
        const { events, echoed } = JSON.parse(
          stdout.trim().split("\n").at(-1)!,
        );
        assertEquals(echoed, true);
        assert(events > 1000, `only ${events} events`);
      },
    );
  }

  testNoSocketLeft(run, "monitor");
}
