/**
 * Server limits: bounded concurrency and message size, against fixture
 * servers started with small limits.
 */

import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { RpcClient, RpcError } from "../../mod.ts";
import { ServerProcess } from "./_server_process.ts";
import { Calculator } from "./fixtures/services.ts";

const M = Calculator.methods;

Deno.test("RpcServer maxConcurrency answers RESOURCE_EXHAUSTED beyond the bound", async () => {
  await using server = await ServerProcess.start(["--max-concurrency", "2"]);
  await using client = new RpcClient({ endpoints: [server.endpoint] });
  await client.ping();
  // One connection keeps order: when `add` arrives, both sleeps are running.
  const a = client.call(Calculator, M.sleep, [300, "a"]);
  const b = client.call(Calculator, M.sleep, [300, "b"]);
  const e = await assertRejects(
    () => client.call(Calculator, M.add, [1, 2]),
    RpcError,
    "The server is busy: 2 calls in flight (maxConcurrency 2)",
  );
  assertEquals(e.code, "RESOURCE_EXHAUSTED");
  assertEquals(await Promise.all([a, b]), [300, 300]);
  assertEquals(await client.call(Calculator, M.add, [1, 2]), 3);
});

Deno.test("RpcServer maxMessageSize answers RESOURCE_EXHAUSTED and keeps serving", async () => {
  await using server = await ServerProcess.start([
    "--max-message-size",
    "1024",
  ]);
  await using client = new RpcClient({ endpoints: [server.endpoint] });
  const big = "x".repeat(2000);
  const e = await assertRejects(
    () => client.call(Calculator, M.echo, [big]),
    RpcError,
  );
  assertEquals(e.code, "RESOURCE_EXHAUSTED");
  assert(
    /^Request of \d+ bytes exceeds the limit of 1024 bytes$/.test(e.message),
    e.message,
  );
  // Machine-readable: a refusal for size, not for lack of room.
  const size = Number(/^Request of (\d+) bytes/.exec(e.message)![1]);
  assertEquals(e.details, {
    reason: "REQUEST_TOO_LARGE",
    limit: "maxMessageSize",
    max: 1024,
    size,
  });
  assertEquals(await client.call(Calculator, M.echo, ["small"]), "small");
  const logs = await client.call(Calculator, M.logs, []) as string[];
  assertEquals(
    logs.filter((l) => l.includes("exceeds the limit of 1024 bytes")).length,
    1,
  );
});
