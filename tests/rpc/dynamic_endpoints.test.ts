/**
 * `RpcClient` endpoints that change while it runs: `addEndpoint`,
 * `removeEndpoint`, `setEndpoints`. Two in-process servers answer with
 * their own number, so the tests see where each call went.
 */

import { assert, assertEquals, assertRejects, waitFor } from "../_assert.ts";
import { type CallContext, RpcClient, RpcError, RpcServer } from "../../mod.ts";
import { Calculator } from "./fixtures/services.ts";
import { calculatorImpl, observations } from "./fixtures/calculator_impl.ts";

const M = Calculator.methods;

/** A server whose `pid` and `slowPid…` answer `tag`. */
function tagged(tag: number): { server: RpcServer; endpoint: string } {
  // Replies to calls whose endpoint was removed are dropped: no log noise.
  const server = new RpcServer({
    heartbeat: 200,
    logger: { warn: () => {}, error: () => {} },
  });
  const wait = (ms: number, signal: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, ms);
      signal.addEventListener("abort", () => {
        clearTimeout(timer);
        reject(signal.reason);
      }, { once: true });
    });
  server.register(Calculator, {
    ...calculatorImpl(observations()),
    pid: () => tag,
    async slowPid(ms: number, ctx: CallContext) {
      await wait(ms, ctx.signal);
      return tag;
    },
    async slowPidOnce(ms: number, ctx: CallContext) {
      await wait(ms, ctx.signal);
      return tag;
    },
  });
  return { server, endpoint: server.bind("tcp://127.0.0.1:*") };
}

Deno.test("RpcClient.setEndpoints() adds and removes servers while calls run", async (t) => {
  const a = tagged(1);
  const b = tagged(2);
  await using _a = a.server;
  await using _b = b.server;
  await using client = new RpcClient({
    endpoints: [a.endpoint],
    heartbeat: 200,
  });
  assertEquals(await client.call(Calculator, M.pid, []), 1);

  await t.step("an added endpoint takes calls once connected", async () => {
    await client.setEndpoints([a.endpoint, b.endpoint]);
    assertEquals(client.endpoints, [a.endpoint, b.endpoint]);
    await client.ping({ endpoint: b.endpoint });
    const seen = new Set<unknown>();
    for (let i = 0; i < 4; i++) {
      seen.add(await client.call(Calculator, M.pid, []));
    }
    assertEquals(seen, new Set([1, 2]));
  });

  await t.step(
    "a removed endpoint's idempotent calls fail over; others get UNAVAILABLE",
    async () => {
      const retried = [
        client.call(Calculator, M.slowPid, [400]),
        client.call(Calculator, M.slowPid, [400]),
      ];
      const once = [
        client.call(Calculator, M.slowPidOnce, [400]),
        client.call(Calculator, M.slowPidOnce, [400]),
      ].map((p) => p.then((v) => ({ ok: v }), (e) => ({ error: e })));
      await client.ping({ endpoint: a.endpoint });
      await client.ping({ endpoint: b.endpoint });
      assert(await client.removeEndpoint(a.endpoint));
      assertEquals(client.endpoints, [b.endpoint]);
      assertEquals(await Promise.all(retried), [2, 2]);
      const outcomes = await Promise.all(once);
      assertEquals(outcomes.filter((o) => "ok" in o), [{ ok: 2 }]);
      const failed = outcomes.filter((o) => "error" in o) as {
        error: unknown;
      }[];
      assertEquals(failed.length, 1);
      assert(failed[0].error instanceof RpcError);
      assertEquals(failed[0].error.code, "UNAVAILABLE");
      assertEquals(
        failed[0].error.message,
        `Call to Calculator.slowPidOnce failed: ${a.endpoint} was removed from the client`,
      );
      assertEquals(await client.removeEndpoint(a.endpoint), false);
    },
  );

  await t.step(
    "a drained endpoint finishes its calls in flight and takes no new one",
    async () => {
      client.addEndpoint(a.endpoint);
      await client.ping({ endpoint: a.endpoint });
      const slow = [
        client.call(Calculator, M.slowPidOnce, [200]),
        client.call(Calculator, M.slowPidOnce, [200]),
      ];
      await client.ping({ endpoint: a.endpoint });
      await client.ping({ endpoint: b.endpoint });
      const removed = client.removeEndpoint(a.endpoint, { drain: true });
      assertEquals(client.endpoints, [b.endpoint]);
      assertEquals(await client.call(Calculator, M.pid, []), 2);
      assertEquals((await Promise.all(slow)).sort(), [1, 2]);
      assertEquals(await removed, true);
    },
  );

  await t.step(
    "with no endpoint, calls wait for one to be added",
    async () => {
      await client.setEndpoints([]);
      assertEquals(client.endpoints, []);
      const waiting = client.call(Calculator, M.pid, []);
      await waitFor(() => client.pending === 1, "the call to wait");
      assert(client.addEndpoint(a.endpoint));
      assertEquals(client.addEndpoint(a.endpoint), false);
      assertEquals(await waiting, 1);
    },
  );
});

Deno.test("RpcClient.removeEndpoint() fails a ping aimed at it", async () => {
  await using client = new RpcClient({
    endpoints: ["tcp://127.0.0.1:1"],
    connectTimeout: 10000,
  });
  const ping = client.ping({ endpoint: "tcp://127.0.0.1:1" });
  // The ping fails at once, before its connection has closed: handle it
  // before waiting for the removal.
  const failed = assertRejects(() => ping, RpcError);
  await client.removeEndpoint("tcp://127.0.0.1:1");
  const e = await failed;
  assertEquals(e.code, "UNAVAILABLE");
  assertEquals(
    e.message,
    "Cannot call ping: tcp://127.0.0.1:1 was removed from the client",
  );
});

Deno.test("RpcClient with no endpoint left fails calls after connectTimeout", async () => {
  await using client = new RpcClient({
    endpoints: ["tcp://127.0.0.1:1"],
    connectTimeout: 50,
  });
  await client.setEndpoints([]);
  const e = await assertRejects(
    () => client.call(Calculator, M.pid, []),
    RpcError,
  );
  assertEquals(e.code, "UNAVAILABLE");
  assertEquals(
    e.message,
    "Cannot call Calculator.pid: the client has had no endpoint for 50 ms",
  );
});

Deno.test("RpcClient endpoint changes reject bad input and a closed client", async () => {
  const client = new RpcClient({ endpoints: ["tcp://127.0.0.1:1"] });
  try {
    const e = await assertRejects(
      // deno-lint-ignore no-explicit-any
      () => client.setEndpoints([""] as any),
      TypeError,
    );
    assertEquals(
      e.message,
      "Cannot set endpoints: expected an array of endpoint strings",
    );
    try {
      client.addEndpoint("");
      throw new Error("addEndpoint did not throw");
    } catch (err) {
      assert(err instanceof TypeError);
      assertEquals(
        err.message,
        'Cannot add endpoint "": expected a non-empty string',
      );
    }
  } finally {
    await client.close();
  }
  const closed = await assertRejects(
    () => client.setEndpoints(["tcp://127.0.0.1:2"]),
    TypeError,
  );
  assertEquals(closed.message, "Cannot set endpoints: the client is closed");
  const removed = await assertRejects(
    () => client.removeEndpoint("tcp://127.0.0.1:1"),
    TypeError,
  );
  assertEquals(
    removed.message,
    "Cannot remove an endpoint: the client is closed",
  );
});
