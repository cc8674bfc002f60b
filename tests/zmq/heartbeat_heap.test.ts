/**
 * A long-lived zmtp connection's heartbeats cost no memory over time: each
 * PING's timeout check and each TTL check is a one-shot timer, and one
 * that has fired is not kept (they were, in the connection's list of
 * timers to clear, one more every few heartbeats for as long as the
 * connection lived: the soak's registry grew with its uptime, issue #14).
 */

import { assert, assertEquals } from "../_assert.ts";
import { runFixture } from "./_helpers.ts";

/** Pairs of sockets, and how long they heartbeat (every 10 ms), in ms. */
const PAIRS = 16;
const MS = 3000;

Deno.test("zmtp heartbeats on long-lived connections leave the heap after gc() where it was", async () => {
  const { code, stdout, stderr } = await runFixture("heartbeat_heap.ts", {
    args: [String(PAIRS), String(MS)],
    permissions: ["-A", "--v8-flags=--expose-gc"],
  });
  assertEquals(code, 0, stderr);
  const { before, after, ms } = JSON.parse(stdout.trim().split("\n").at(-1)!);
  const grew = after - before;
  // 32 connections, each with a PING every 10 ms: kept timers were ~6,000
  // objects, ~2 MB, in 3 s. Without them the heap moves by a few kB.
  console.log(
    `heap after gc: ${(before / 1024).toFixed(0)} kB, then ${
      (after / 1024).toFixed(0)
    } kB after ${ms.toFixed(0)} ms of heartbeats (${
      (grew / 1024).toFixed(0)
    } kB)`,
  );
  assert(
    grew < 512 * 1024,
    `the heap grew by ${(grew / 1024).toFixed(0)} kB over ${
      ms.toFixed(0)
    } ms of heartbeats on ${PAIRS * 2} connections`,
  );
});
