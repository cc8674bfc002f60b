/**
 * Round robin over two server processes, and failover when one is killed.
 */

import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { RpcClient, RpcError } from "../../mod.ts";
import { ServerProcess } from "./_server_process.ts";
import { Calculator } from "./fixtures/services.ts";

const M = Calculator.methods;

Deno.test("RpcClient round-robins over endpoints and fails over when a server dies", async (t) => {
  await using a = await ServerProcess.start();
  await using b = await ServerProcess.start();
  await using client = new RpcClient({
    endpoints: [a.endpoint, b.endpoint],
    heartbeat: 200,
  });
  await client.ping({ endpoint: a.endpoint });
  await client.ping({ endpoint: b.endpoint });
  assertEquals(
    client.connectedEndpoints.sort(),
    [a.endpoint, b.endpoint].sort(),
  );

  await t.step(
    "RpcClient.call() alternates between the live endpoints",
    async () => {
      const pids: number[] = [];
      for (let i = 0; i < 6; i++) {
        pids.push(await client.call(Calculator, M.pid, []) as number);
      }
      assertEquals(new Set(pids), new Set([a.pid, b.pid]));
      for (let i = 1; i < pids.length; i++) assert(pids[i] !== pids[i - 1]);
    },
  );

  await t.step(
    "a killed server's idempotent calls are retried on the other one; others get UNAVAILABLE",
    async () => {
      // Two of each in flight: round robin puts one of each kind on each server.
      const retried = [
        client.call(Calculator, M.slowPid, [800]),
        client.call(Calculator, M.slowPid, [800]),
      ];
      const once = [
        client.call(Calculator, M.slowPidOnce, [800]),
        client.call(Calculator, M.slowPidOnce, [800]),
      ].map((p) => p.then((v) => ({ ok: v }), (e) => ({ error: e })));
      // A PING answered means the calls sent before it on that connection
      // have reached the server.
      await client.ping({ endpoint: a.endpoint });
      await client.ping({ endpoint: b.endpoint });
      await a.kill("SIGKILL");
      const started = performance.now();
      assertEquals(await Promise.all(retried), [b.pid, b.pid]);
      const outcomes = await Promise.all(once);
      const failed = outcomes.filter((o) => "error" in o);
      assertEquals(failed.length, 1, JSON.stringify(outcomes));
      const error = (failed[0] as { error: unknown }).error;
      assert(error instanceof RpcError);
      assertEquals(error.code, "UNAVAILABLE");
      assertEquals(
        error.message,
        `Call to Calculator.slowPidOnce failed: the connection to ${a.endpoint} was lost`,
      );
      assertEquals(outcomes.filter((o) => "ok" in o), [{ ok: b.pid }]);
      assert(performance.now() - started < 10000);
    },
  );

  await t.step(
    "after the failover every call goes to the live server",
    async () => {
      assertEquals(client.connectedEndpoints, [b.endpoint]);
      for (let i = 0; i < 5; i++) {
        assertEquals(await client.call(Calculator, M.pid, []), b.pid);
      }
    },
  );
});

Deno.test("RpcClient gives up retrying after maxAttempts with the last error", async () => {
  await using a = await ServerProcess.start();
  await using client = new RpcClient({
    endpoints: [a.endpoint],
    heartbeat: 200,
    connectTimeout: 200,
    retry: { maxAttempts: 2, initialBackoff: 10 },
  });
  await client.ping();
  const pending = client.call(Calculator, M.slowPid, [5000]);
  await client.ping();
  await a.kill("SIGKILL");
  const e = await assertRejects(() => pending, RpcError);
  assertEquals(e.code, "UNAVAILABLE");
  assertEquals(
    e.message,
    `Cannot call Calculator.slowPid: no server reachable at ${a.endpoint} within 200 ms`,
  );
});

Deno.test("RpcClient fails a stream with UNAVAILABLE when its server dies mid-stream", async () => {
  await using a = await ServerProcess.start();
  await using client = new RpcClient({
    endpoints: [a.endpoint],
    heartbeat: 200,
  });
  const items: unknown[] = [];
  const e = await assertRejects(async () => {
    for await (
      const x of client.stream(Calculator, M.ticks, [1000, 10, "die"])
    ) {
      items.push(x);
      if (items.length === 2) await a.kill("SIGKILL");
    }
  }, RpcError);
  assertEquals(e.code, "UNAVAILABLE");
  assertEquals(
    e.message,
    `Call to Calculator.ticks failed: the connection to ${a.endpoint} was lost`,
  );
  assert(items.length >= 2);
});
