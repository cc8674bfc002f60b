/**
 * How a zmtp connection groups its writes (`Connection.#kick` in
 * `src/zmq/zmtp/_connection.ts`): a lone message goes at once, in a write
 * of its own; a burst goes in one write at the end of its turn of the event
 * loop; and while a connection sends bursts, the first message of a turn
 * waits for that end too, so that each burst costs one write, not two.
 *
 * The writes are counted by wrapping `write` of Deno's TCP connections for
 * the test's duration: the sockets, the loopback connection and the kernel
 * are real.
 */

import { assert, assertEquals } from "../_assert.ts";
import { Context, Dealer, Router } from "../../src/zmq/mod.ts";

/** Counts writes of more than one byte on every TCP connection until restored. */
async function countWrites(): Promise<
  { count(): number } & Disposable
> {
  // The class of Deno's TCP connections, from one made for the purpose.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const [a, b] = await Promise.all([
    Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }),
    listener.accept(),
  ]);
  const proto = Object.getPrototypeOf(a) as Deno.TcpConn;
  a.close();
  b.close();
  listener.close();
  const original = proto.write;
  let writes = 0;
  proto.write = function (this: Deno.TcpConn, p: Uint8Array) {
    // The forced turns of `_io_turn.ts` write one byte: not ours to count.
    if (p.byteLength > 1) writes++;
    return original.call(this, p);
  };
  return {
    count: () => writes,
    [Symbol.dispose]() {
      proto.write = original;
    },
  };
}

const turn = () => new Promise((r) => setTimeout(r, 5));

Deno.test("a zmtp connection writes a lone message at once, each later burst in one write, and lone messages at once again", async () => {
  await using context = new Context({ engine: "zmtp" });
  const router = new Router({ context });
  const dealer = new Dealer({ context });
  try {
    dealer.connect(router.bind("tcp://127.0.0.1:*"));
    await dealer.send(["hello"]);
    await router.receive();
    await turn();
    using writes = await countWrites();

    const lone = async (n: number) => {
      const before = writes.count();
      for (let i = 0; i < n; i++) {
        await dealer.send(["lone"]);
        await router.receive();
        await turn();
      }
      return writes.count() - before;
    };
    // One message a turn: each in a write of its own, at once.
    assertEquals(await lone(20), 20);

    const before = writes.count();
    for (let t = 0; t < 20; t++) {
      const sent = [];
      for (let i = 0; i < 10; i++) sent.push(dealer.send(["burst", `${i}`]));
      await Promise.all(sent);
      for (let i = 0; i < 10; i++) await router.receive();
      await turn();
    }
    const bursts = writes.count() - before;
    // The first burst goes as its first message, then the other nine; the
    // 19 after it as one write each (two each without the bursting rule).
    assert(
      bursts <= 22,
      `20 bursts of 10 messages took ${bursts} writes, not about 21`,
    );

    // After the bursts: the first lone message ends the bursting, and the
    // rest go at once again, one write each.
    assertEquals(await lone(20), 20);
  } finally {
    dealer.close();
    router.close();
  }
});
