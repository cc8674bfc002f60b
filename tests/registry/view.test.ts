/**
 * RegistryView: the one live view of the nodes that nodes, the launcher and
 * the CLI share. The event-order cases use a scripted `watch()`; the
 * reconnection case a real registry process that restarts.
 */

import { assertEquals, assertRejects, waitFor } from "../_assert.ts";
import {
  connectRegistry,
  type NodeInfo,
  type Registry,
  type RegistryEvent,
  RegistryView,
  RpcError,
  type ViewChange,
} from "../../mod.ts";
import { ClientProcess, nodeInfo, RegistryProcess } from "./_helpers.ts";

/** A registry whose watch() plays `script`, then fails with `end` if given. */
function scripted(script: RegistryEvent[], end?: Error): Registry {
  let watches = 0;
  return {
    backend: "embedded",
    endpoint: "scripted",
    get watches() {
      return watches;
    },
    async *watch(options: { signal?: AbortSignal } = {}) {
      watches++;
      for (const event of script) {
        await Promise.resolve();
        yield event;
      }
      if (end !== undefined) throw end;
      // Stays open until aborted.
      await new Promise((resolve) =>
        options.signal?.addEventListener("abort", resolve, { once: true })
      );
    },
  } as unknown as Registry;
}

Deno.test("RegistryView ignores the removal of another instance of a name (a ghost)", async () => {
  const ghost = nodeInfo("phoenix");
  const reborn = { ...nodeInfo("phoenix"), pid: ghost.pid + 1 };
  const registry = scripted([
    { type: "snapshot", nodes: [ghost] },
    { type: "added", node: reborn },
    {
      type: "removed",
      name: "phoenix",
      instanceId: ghost.instanceId,
      reason: "expired",
    },
  ]);
  const view = new RegistryView(registry);
  const changes: ViewChange[] = [];
  view.listen((c) => changes.push(c));
  await view.start();
  await waitFor(() => changes.length >= 2, "two changes");
  await new Promise((r) => setTimeout(r, 20));
  assertEquals(view.nodes, [reborn]);
  assertEquals(changes, [
    { type: "removed", node: ghost, reason: "expired" },
    { type: "added", node: reborn },
  ]);
  await view.close();
});

Deno.test("RegistryView stops on a failure that reconnecting cannot cure: waiters get it, it is logged once, no retry loop", async () => {
  const failure = new RpcError("INVALID_ARGUMENT", "no such watch");
  const registry = scripted([], failure);
  const logged: string[] = [];
  await using view = new RegistryView(registry, {
    logger: { error: (m) => logged.push(m) },
  });
  const error = await assertRejects(
    () => view.until((nodes) => nodes.length > 0),
    RpcError,
  );
  assertEquals(error, failure);
  await assertRejects(() => view.start(), RpcError, "no such watch");
  await new Promise((r) => setTimeout(r, 200));
  assertEquals(logged, [
    "the registry watch failed and stopped: no such watch",
  ]);
  assertEquals((registry as unknown as { watches: number }).watches, 1);
});

Deno.test("RegistryView.until() rejects with TimeoutError, or the signal's reason", async () => {
  await using view = new RegistryView(
    scripted([{ type: "snapshot", nodes: [] }]),
  );
  const timeout = await assertRejects(
    () => view.until(() => undefined, { timeout: 50 }),
    DOMException,
  );
  assertEquals(timeout.name, "TimeoutError");
  const controller = new AbortController();
  const waiting = view.until(() => false, { signal: controller.signal });
  controller.abort(new Error("stop"));
  await assertRejects(() => waiting, Error, "stop");
});

Deno.test("RegistryView reports what changed while a restarted registry was away, from its new snapshot", async () => {
  const first = await RegistryProcess.start(["--ttl", "1000"]);
  const endpoint = first.endpoint;
  let second: RegistryProcess | undefined;
  try {
    await using stays = await ClientProcess.start(endpoint, "stays");
    await using goes = await ClientProcess.start(endpoint, "goes");
    await using registry = await connectRegistry({
      endpoint,
      logger: { warn() {}, error() {} },
    });
    await using view = new RegistryView(registry);
    const found = await view.until((nodes) =>
      nodes.length === 2 ? nodes.map((n: NodeInfo) => n.name) : undefined
    );
    assertEquals(found, ["goes", "stays"]);
    const changes: ViewChange[] = [];
    view.listen((c) => changes.push(c));
    await first.kill("SIGKILL");
    await goes.kill("SIGKILL");
    second = await RegistryProcess.start([
      "--endpoint",
      endpoint,
      "--ttl",
      "1000",
    ]);
    await view.until(
      (nodes) => nodes.length === 1 && nodes[0].name === "stays",
      { timeout: 10000 },
    );
    const removed = changes.filter((c) => c.type === "removed");
    assertEquals(removed.map((c) => c.node.name).includes("goes"), true);
    assertEquals(view.get("stays")?.instanceId, stays.info.instanceId);
  } finally {
    await first.kill();
    await second?.kill();
  }
});
