/**
 * What the RPC server allocates per malformed message (issue #14): a flood
 * of them made ~30 scavenges a second, and the good clients' p99 was
 * their pauses. Bytes of heap, counted by `bench/rpc/alloc.ts` in a
 * server process with a young generation large enough that no gc runs
 * during the round: a count, not a time.
 *
 * @module
 */

import { assert } from "../_assert.ts";

const ALLOC = new URL("../../bench/rpc/alloc.ts", import.meta.url).pathname;

Deno.test("the RPC server allocates at most 2.6 KB of heap per malformed message it answers", async () => {
  // Before: 3.85-3.88 KB (an error object and its stack, a fresh
  // ArrayBuffer for the ERROR body, strings for a log line the limiter
  // dropped, arrays with room for 16 more frames); now ~1.6 KB.
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      ALLOC,
      "--kinds",
      "malformed",
      "--count",
      "20000",
      "--scavenge-count",
      "0",
      "--json",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert(out.success, stderr);
  const { malformed } = JSON.parse(new TextDecoder().decode(out.stdout));
  console.log(`${malformed.bytes.toFixed(0)} bytes per malformed message`);
  assert(
    malformed.bytes < 2600,
    `${malformed.bytes.toFixed(0)} bytes of heap per malformed message`,
  );
});
