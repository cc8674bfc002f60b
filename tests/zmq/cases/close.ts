/**
 * Closing: pending waits reject with ENOTSOCK at once, close() is
 * idempotent, every later use fails clearly, iteration ends cleanly.
 */

import {
  assert,
  assertEquals,
  assertRejects,
  assertThrows,
  waitFor,
} from "../../_assert.ts";
import {
  Context,
  Dealer,
  Pair,
  Pull,
  Push,
  Router,
  Subscriber,
  ZmqError,
} from "../../../src/zmq/mod.ts";
import { isSettled, texts } from "../_helpers.ts";
import { type EngineRun, testNoSocketLeft } from "../_suite.ts";

/** Registers the close cases for one engine run. */
export function closeCases(run: EngineRun): void {
  function assertClosedError(e: ZmqError, operation: string): void {
    assertEquals(e.code, "ENOTSOCK");
    assertEquals(e.operation, operation);
    assertEquals(
      e.message,
      `${operation} failed: the socket is closed (ENOTSOCK)`,
    );
  }

  Deno.test(
    run.title(
      "Router.receive() rejects with ZmqError ENOTSOCK promptly after close()",
    ),
    async () => {
      await using router = new Router(run.S);
      router.bind("tcp://127.0.0.1:*");
      const pending = router.receive({ timeout: 10_000 });
      assertEquals(await isSettled(pending), false);
      const started = performance.now();
      router.close();
      const e = await assertRejects(() => pending, ZmqError);
      assert(performance.now() - started < 100, "the rejection was not prompt");
      assertClosedError(e, "receive");
      assertEquals(router.closed, true);
    },
  );

  Deno.test(
    run.title(
      "Push.send() pending without peers rejects with ENOTSOCK after close()",
    ),
    async () => {
      await using push = new Push(run.S);
      // No peer: PUSH has nowhere to queue, so the send waits.
      const pending = push.send("nobody", { timeout: 10_000 });
      assertEquals(await isSettled(pending), false);
      push.close();
      assertClosedError(await assertRejects(() => pending, ZmqError), "send");
    },
  );

  Deno.test(
    run.title("Socket.close() is idempotent, also with asyncDispose"),
    async () => {
      const dealer = new Dealer(run.C);
      assertEquals(dealer.closed, false);
      dealer.close();
      dealer.close();
      await dealer[Symbol.asyncDispose]();
      assertEquals(dealer.closed, true);
    },
  );

  Deno.test(
    run.title("Socket methods fail with ENOTSOCK after close()"),
    async () => {
      const dealer = new Dealer(run.C);
      const endpoint = dealer.bind("tcp://127.0.0.1:*");
      dealer.close();
      assertClosedError(
        await assertRejects(() => dealer.send("x"), ZmqError),
        "send",
      );
      assertClosedError(
        await assertRejects(() => dealer.receive(), ZmqError),
        "receive",
      );
      const sync: [string, () => unknown][] = [
        ["bind", () => dealer.bind("tcp://127.0.0.1:*")],
        ["connect", () => dealer.connect(endpoint)],
        ["unbind", () => dealer.unbind(endpoint)],
        ["disconnect", () => dealer.disconnect(endpoint)],
        ['setOption("linger")', () => dealer.setOption("linger", 10)],
        ['getOption("linger")', () => dealer.getOption("linger")],
        ["monitor", () => dealer.monitor()],
      ];
      for (const [operation, fn] of sync) {
        assertClosedError(assertThrows(fn, ZmqError), operation);
      }
      const sub = new Subscriber(run.C);
      sub.close();
      assertClosedError(
        assertThrows(() => sub.subscribe("x"), ZmqError),
        'setOption("subscribe")',
      );
    },
  );

  Deno.test(
    run.title("Pair async iteration ends cleanly when the socket closes"),
    async () => {
      await using a = new Pair(run.S);
      await using b = new Pair(run.C);
      b.connect(a.bind("inproc://iterate-close"));
      const got: string[] = [];
      const loop = (async () => {
        for await (const message of b) got.push(...texts(message));
        return "ended";
      })();
      for (const s of ["one", "two", "three"]) await a.send(s);
      await waitFor(() => got.length === 3, "three messages");
      b.close();
      assertEquals(await loop, "ended");
      assertEquals(got, ["one", "two", "three"]);
      // Iterating a closed socket ends at once.
      for await (const _ of b) throw new Error("a closed socket yielded");
    },
  );

  Deno.test(
    run.title("Pull.close() leaves pending receives of other sockets working"),
    async () => {
      await using push = new Push(run.S);
      await using doomed = new Pull(run.S);
      await using survivor = new Pull(run.C);
      survivor.connect(push.bind("inproc://survivor"));
      doomed.bind("inproc://doomed");
      const lost = doomed.receive();
      const kept = survivor.receive({ timeout: 5000 });
      await isSettled(kept);
      doomed.close();
      assertClosedError(await assertRejects(() => lost, ZmqError), "receive");
      await push.send("still here");
      assertEquals(texts(await kept), ["still here"]);
    },
  );

  Deno.test(
    run.title(
      "Context.close() closes its sockets and rejects their pending receives",
    ),
    async () => {
      const ctx = new Context({ engine: run.serverEngine });
      const a = new Pair({ ...run.S, context: ctx });
      const b = new Pair({ ...run.C, context: ctx });
      b.connect(a.bind("inproc://ctx-close"));
      assertEquals(ctx.sockets, 2);
      const pending = [a.receive(), b.receive({ timeout: 10_000 })]
        .map((p) => assertRejects(() => p, ZmqError));
      await ctx.close();
      for (const e of await Promise.all(pending)) {
        assertClosedError(e, "receive");
      }
      assertEquals([a.closed, b.closed, ctx.closed], [true, true, true]);
      assertEquals(ctx.sockets, 0);
      await ctx.close();
      assertThrows(
        () => new Pair({ context: ctx }),
        TypeError,
        "Cannot use context: it is closed",
      );
    },
  );

  testNoSocketLeft(run, "close");
}
