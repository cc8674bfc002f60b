/**
 * Server streaming with credit-based flow control, against the fixture
 * server running as a separate process.
 */

import { assert, assertEquals, assertRejects, waitFor } from "../_assert.ts";
import { RpcClient, RpcError } from "../../mod.ts";
import { ServerProcess } from "./_server_process.ts";
import { Calculator, CalculatorWrongKind } from "./fixtures/services.ts";

const M = Calculator.methods;

async function collect(items: AsyncIterable<unknown>): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const x of items) out.push(x);
  return out;
}

Deno.test("RpcClient streams against a server process", async (t) => {
  await using server = await ServerProcess.start();
  const window = 8;
  await using client = new RpcClient({
    endpoints: [server.endpoint],
    streamWindow: window,
  });
  const progress = (tag: string) =>
    client.call(Calculator, M.progress, [tag]) as Promise<number>;

  await t.step(
    "RpcClient.stream() delivers every item in order, then ends",
    async () => {
      const items = await collect(
        client.stream(Calculator, M.count, [1000, "all"]),
      );
      assertEquals(items.length, 1000);
      assertEquals(items, Array.from({ length: 1000 }, (_, i) => ({ i })));
    },
  );

  await t.step(
    "RpcClient.stream() does not start the call before iteration",
    async () => {
      const lazy = client.stream(Calculator, M.count, [5, "lazy"]);
      assertEquals(await progress("lazy"), 0);
      assertEquals((await collect(lazy)).length, 5);
      assertEquals(await progress("lazy"), 5);
    },
  );

  await t.step(
    "flow control: the server never runs more than the credit window ahead of a slow reader",
    async () => {
      const total = 200;
      const it = client.stream(Calculator, M.count, [total, "slow"])[
        Symbol.asyncIterator
      ]();
      // Before reading anything, the server fills exactly the window and stops.
      const first = await it.next();
      assertEquals(first.value, { i: 0 });
      let consumed = 1;
      await waitFor(
        async () => (await progress("slow")) === window,
        "the first window",
      );
      for (let round = 0; round < 5; round++) {
        assert((await progress("slow")) <= consumed + window);
      }
      // Read slowly; after each item the server may be at most a window ahead.
      let maxAhead = 0;
      for (;;) {
        const r = await it.next();
        if (r.done) break;
        assertEquals(r.value, { i: consumed });
        consumed++;
        const produced = await progress("slow");
        maxAhead = Math.max(maxAhead, produced - consumed);
        assert(
          produced <= consumed + window,
          `server produced ${produced} with ${consumed} consumed, window ${window}`,
        );
      }
      assertEquals(consumed, total);
      assert(maxAhead > 0, "the server should pipeline within its window");
    },
  );

  await t.step("leaving a stream early cancels it on the server", async () => {
    let n = 0;
    for await (
      const _ of client.stream(Calculator, M.ticks, [1000, 5, "early"])
    ) {
      if (++n === 3) break;
    }
    await waitFor(async () => {
      const events = await client.call(Calculator, M.events, []) as string[];
      return events.includes("early:aborted:CANCELLED") &&
        events.includes("early:finally:CANCELLED");
    }, "the handler to see the cancel");
  });

  await t.step(
    "an error thrown mid-stream ends the stream with that RpcError after the items",
    async () => {
      const items: unknown[] = [];
      const e = await assertRejects(
        async () => {
          for await (
            const x of client.stream(Calculator, M.failAfter, [3])
          ) items.push(x);
        },
        RpcError,
        "Stopped after 3 items",
      );
      assertEquals(e.code, "ABORTED");
      assertEquals(items, [{ i: 0 }, { i: 1 }, { i: 2 }]);
    },
  );

  await t.step(
    "an invalid stream item ends the stream with INTERNAL",
    async () => {
      const items: unknown[] = [];
      const e = await assertRejects(
        async () => {
          for await (
            const x of client.stream(Calculator, M.badStream, [])
          ) items.push(x);
        },
        RpcError,
        "Calculator.badStream returned an invalid result",
      );
      assertEquals(e.code, "INTERNAL");
      assertEquals(items, [{ i: 0 }]);
    },
  );

  await t.step(
    "invalid stream arguments fail the iterator with INVALID_ARGUMENT",
    async () => {
      const e = await assertRejects(
        () => collect(client.stream(Calculator, M.count, ["many", "x"])),
        RpcError,
        'Invalid arguments for Calculator.count: args[0]: expected number, got string "many"',
      );
      assertEquals(e.code, "INVALID_ARGUMENT");
    },
  );

  await t.step("a stream call of a unary method is UNIMPLEMENTED", async () => {
    const e = await assertRejects(
      () =>
        collect(
          client.stream(CalculatorWrongKind, CalculatorWrongKind.methods.add, [
            1,
            2,
          ]),
        ),
      RpcError,
      "Calculator.add is a unary method, called as a stream",
    );
    assertEquals(e.code, "UNIMPLEMENTED");
  });

  await t.step("a stream's deadline covers the whole stream", async () => {
    const items: unknown[] = [];
    const e = await assertRejects(async () => {
      for await (
        const x of client.stream(Calculator, M.ticks, [1000, 20, "late"], {
          timeout: 150,
        })
      ) items.push(x);
    }, RpcError);
    assertEquals(e.code, "DEADLINE_EXCEEDED");
    assert(items.length >= 1 && items.length < 1000);
    await waitFor(async () => {
      const events = await client.call(Calculator, M.events, []) as string[];
      return events.includes("late:finally:DEADLINE_EXCEEDED");
    }, "the handler to see the deadline");
  });

  await t.step(
    "aborting a stream's signal rejects with the reason and cancels the handler",
    async () => {
      const controller = new AbortController();
      const reason = new DOMException("user stopped", "AbortError");
      const e = await assertRejects(
        async () => {
          let n = 0;
          for await (
            const _ of client.stream(
              Calculator,
              M.ticks,
              [1000, 5, "aborted"],
              {
                signal: controller.signal,
              },
            )
          ) {
            if (++n === 2) controller.abort(reason);
          }
        },
        DOMException,
        "user stopped",
      );
      assertEquals(e, reason);
      await waitFor(async () => {
        const events = await client.call(Calculator, M.events, []) as string[];
        return events.includes("aborted:finally:CANCELLED");
      }, "the handler to see the cancel");
    },
  );
});
