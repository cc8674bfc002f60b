/**
 * One reactor, many sockets: 500 sockets each with a receive pending at
 * once, all served.
 */

import { assertEquals } from "../../_assert.ts";
import { Context, type Message, Pair } from "../../../src/zmq/mod.ts";
import { isSettled, texts } from "../_helpers.ts";
import { type EngineRun, testNoSocketLeft } from "../_suite.ts";

/** Registers the many_sockets cases for one engine run. */
export function many_socketsCases(run: EngineRun): void {
  const PAIRS = 250;

  Deno.test(
    run.title(
      `Pair: ${PAIRS * 2} sockets with a receive pending at once all complete`,
    ),
    async () => {
      await using ctx = new Context({ engine: run.serverEngine });
      const pairs: [Pair, Pair][] = [];
      for (let i = 0; i < PAIRS; i++) {
        const a = new Pair({ ...run.S, context: ctx });
        const b = new Pair({ ...run.C, context: ctx });
        b.connect(a.bind(`inproc://many-${i}`));
        pairs.push([a, b]);
      }
      assertEquals(ctx.sockets, PAIRS * 2);

      const pending: Promise<Message>[] = [];
      for (const [a, b] of pairs) {
        pending.push(
          a.receive({ timeout: 10_000 }),
          b.receive({ timeout: 10_000 }),
        );
      }
      const all = Promise.all(pending);
      // Nothing sent yet: every receive is parked on the reactor.
      assertEquals(await isSettled(all), false);
      for (const p of pending) assertEquals(await isSettled(p), false);

      // Send on every socket (to its partner), then check every receive.
      for (let i = 0; i < PAIRS; i++) {
        const [a, b] = pairs[i];
        await a.send(["to b", String(i)]);
        await b.send(["to a", String(i)]);
      }
      const messages = await all;
      for (let i = 0; i < PAIRS; i++) {
        assertEquals(texts(messages[2 * i]), ["to a", String(i)]);
        assertEquals(texts(messages[2 * i + 1]), ["to b", String(i)]);
      }
    },
  );

  testNoSocketLeft(run, "many_sockets");
}
