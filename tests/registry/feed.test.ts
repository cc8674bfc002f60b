/**
 * The server side of a watch stream: snapshot first, bounded queue, and a
 * fresh snapshot for a reader that fell too far behind.
 */

import { assertEquals } from "../_assert.ts";
import { Feed, KEEPALIVE } from "../../src/registry/_feed.ts";

type Ev = { type: "snapshot"; n: number } | { type: "e"; i: number };

function feed(state: { n: number }, signal = new AbortController().signal) {
  let closed = 0;
  const f = new Feed<Ev>({
    snapshot: () => ({ type: "snapshot", n: state.n }),
    maxQueue: 3,
    signal,
    onClose: () => closed++,
  });
  return { f, closed: () => closed };
}

Deno.test("Feed.next() gives the snapshot first, taken when read, then the queued events", async () => {
  const state = { n: 1 };
  const { f } = feed(state);
  f.push({ type: "e", i: 0 }); // before the snapshot was read: in it
  state.n = 2;
  assertEquals((await f.next()).value, { type: "snapshot", n: 2 });
  f.push({ type: "e", i: 1 });
  f.push({ type: "e", i: 2 });
  assertEquals((await f.next()).value, { type: "e", i: 1 });
  assertEquals((await f.next()).value, { type: "e", i: 2 });
  f.close();
});

Deno.test("Feed.push() past maxQueue drops the queue for one fresh snapshot", async () => {
  const state = { n: 0 };
  const { f } = feed(state);
  await f.next();
  for (let i = 0; i < 10; i++) {
    state.n = i;
    f.push({ type: "e", i });
  }
  assertEquals(f.queued, 0);
  assertEquals(f.overflows, 1);
  assertEquals((await f.next()).value, { type: "snapshot", n: 9 });
  f.push({ type: "e", i: 10 });
  assertEquals((await f.next()).value, { type: "e", i: 10 });
  f.close();
});

Deno.test("Feed.keepalive() reaches only a waiting reader", async () => {
  const { f } = feed({ n: 0 });
  await f.next();
  f.keepalive(); // nobody waiting: nothing queued
  assertEquals(f.queued, 0);
  const waiting = f.next();
  assertEquals(f.idle, true);
  f.keepalive();
  assertEquals((await waiting).value, KEEPALIVE);
  f.close();
});

Deno.test("Feed ends a waiting reader when its signal aborts, once", async () => {
  const controller = new AbortController();
  const { f, closed } = feed({ n: 0 }, controller.signal);
  await f.next();
  const waiting = f.next();
  controller.abort();
  assertEquals(await waiting, { value: undefined, done: true });
  assertEquals(await f.next(), { value: undefined, done: true });
  await f.return();
  assertEquals(closed(), 1);
});
