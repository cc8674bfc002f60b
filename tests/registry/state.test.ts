/**
 * The embedded registry's state without sockets: what `nodes()` hands the
 * RPC server.
 */

import { assert, assertEquals, waitFor } from "../_assert.ts";
import { RegistryState } from "../../src/registry/_state.ts";
import type { NodeInfo } from "../../mod.ts";
import { nodeInfo } from "./_helpers.ts";

Deno.test("RegistryState.nodes() is one frozen array until the nodes change, so that its reply is encoded once", async () => {
  const state = new RegistryState({ ttl: 100, keepalive: 1000 });
  try {
    const a = nodeInfo("a");
    const { token } = state.register(a);
    const first = state.nodes();
    assert(Object.isFrozen(first));
    // A flood of nodes() calls, or heartbeats, share it.
    state.heartbeat("a", a.instanceId, token);
    state.register(a, token);
    assert(state.nodes() === first);

    state.register(nodeInfo("b"));
    const second = state.nodes();
    assert(second !== first);
    assertEquals(second.map((n) => n.name), ["a", "b"]);

    state.update({ ...a, pid: a.pid + 1 }, token);
    const third = state.nodes();
    assert(third !== second);
    assertEquals(third[0].pid, a.pid + 1);

    state.unregister("a", a.instanceId, token);
    assertEquals(state.nodes().map((n) => n.name), ["b"]);
    // b's lease (100 ms) runs out: it expires, and nodes() says so.
    await waitFor(() => state.nodes().length === 0, "b to expire");
  } finally {
    state.close();
  }
});

Deno.test("RegistryState: watchers that start between two changes share one frozen snapshot", async () => {
  const state = new RegistryState({ ttl: 10_000, keepalive: 60_000 });
  const ac = new AbortController();
  try {
    state.register(nodeInfo("a"));
    const first = (await state.watchNodes(ac.signal).next()).value;
    const second = (await state.watchNodes(ac.signal).next()).value;
    assert(first === second);
    assert(Object.isFrozen(first));
    state.register(nodeInfo("b"));
    const third = (await state.watchNodes(ac.signal).next()).value;
    assert(third !== first);
    assert(third?.type === "snapshot");
    assertEquals((third as { nodes: NodeInfo[] }).nodes.map((n) => n.name), [
      "a",
      "b",
    ]);
  } finally {
    ac.abort();
    state.close();
  }
});
