import { assertEquals, assertRejects } from "../../_assert.ts";
import { Dealer, Pair, Router, ZmqError } from "../../../src/zmq/mod.ts";
import type { EngineRun } from "../_suite.ts";

/** Registers the smoke cases for one engine run. */
export function smokeCases(run: EngineRun): void {
  Deno.test(
    run.title("Dealer/Router echo over tcp round-trips frames"),
    async () => {
      await using router = new Router(run.S);
      await using dealer = new Dealer(run.C);
      dealer.connect(router.bind("tcp://127.0.0.1:*"));
      await dealer.send(["a", new Uint8Array([1, 2, 3])]);
      const [id, a, b] = await router.receive();
      await router.send([id, b, a]);
      const reply = await dealer.receive();
      assertEquals(reply, [
        new Uint8Array([1, 2, 3]),
        new TextEncoder().encode("a"),
      ]);
    },
  );

  if (run.single) {
    Deno.test(
      run.title(
        "Pair.receive() rejects with ENOTSOCK when closed while pending",
      ),
      async () => {
        await using a = new Pair(run.S);
        a.bind("inproc://smoke-close");
        const pending = a.receive();
        a.close();
        const err = await assertRejects(() => pending, ZmqError);
        assertEquals(err.code, "ENOTSOCK");
      },
    );
  }
}
