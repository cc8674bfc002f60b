/**
 * Long-lived watch streams over real sockets: idle streams stay up (no
 * deadline, keepalives consumed), and a reader that stops reading does not
 * make the registry queue without bound: it gets a fresh snapshot instead.
 */

import { assert, assertEquals, waitFor } from "../_assert.ts";
import { connectRegistry, type ParamEvent, startRegistry } from "../../mod.ts";
import { Recorder } from "./_helpers.ts";

Deno.test("ParamStore.watch() stays up while idle across many keepalives", async () => {
  await using server = await startRegistry({
    endpoint: "tcp://127.0.0.1:*",
    keepalive: 50,
  });
  await using client = await connectRegistry({ endpoint: server.endpoint });
  await using watch = new Recorder<ParamEvent>((signal) =>
    client.params.watch("idle", { signal })
  );
  await waitFor(() => watch.items.length === 1, "the snapshot");
  // Idle on purpose for 40 keepalive intervals (this is the behaviour
  // under test, not a race being dodged).
  await new Promise((r) => setTimeout(r, 2000));
  await client.params.set("idle.x", 1);
  await waitFor(() => watch.items.length === 2, "the set event");
  assertEquals(watch.items, [
    { type: "snapshot", values: {} },
    { type: "set", key: "idle.x", value: 1 },
  ]);
  assertEquals(server.watchers, 1);
});

Deno.test("ParamStore.watch() of a reader that stops reading collapses into a fresh snapshot", async () => {
  await using server = await startRegistry({ endpoint: "tcp://127.0.0.1:*" });
  await using client = await connectRegistry({ endpoint: server.endpoint });
  const controller = new AbortController();
  const it = client.params.watch("load", { signal: controller.signal })[
    Symbol.asyncIterator
  ]();
  try {
    assertEquals((await it.next()).value, { type: "snapshot", values: {} });
    // The reader stops; 3000 changes happen (more than the queue bound).
    const total = 3000;
    for (let i = 0; i < total; i += 100) {
      await Promise.all(
        Array.from(
          { length: 100 },
          (_, j) => client.params.set(`load.k${i + j}`, i + j),
        ),
      );
    }
    // It reads again: a few buffered events, then one snapshot with it all.
    const state = new Map<string, unknown>();
    let read = 0;
    let snapshots = 0;
    while (state.size < total && read < total) {
      const r = await it.next();
      assert(!r.done);
      read++;
      const e = r.value;
      if (e.type === "snapshot") {
        snapshots++;
        state.clear();
        for (const [k, v] of Object.entries(e.values)) state.set(k, v);
      } else if (e.type === "set") state.set(e.key, e.value);
    }
    assertEquals(state.size, total);
    assertEquals(snapshots, 1);
    assert(read < 200, `read ${read} items for ${total} changes`);
  } finally {
    controller.abort();
    await it.return?.();
  }
});
