/**
 * `MethodStats`: every call counted, every call's duration timed up to the
 * 1024th, then one in four (two clock reads were most of what metrics cost
 * a call), and always when asked (a recorder's tap needs the duration).
 */

import { assert, assertEquals } from "../_assert.ts";
import {
  LATENCY_EXACT_CALLS,
  LATENCY_SAMPLE_EVERY,
  MethodStats,
} from "../../src/observe/metrics.ts";

Deno.test("MethodStats times every call up to LATENCY_EXACT_CALLS, then one in LATENCY_SAMPLE_EVERY, and counts them all", () => {
  const stats = new MethodStats("S", "m", "unary");
  let timed = 0;
  const calls = LATENCY_EXACT_CALLS + 400;
  for (let i = 0; i < calls; i++) {
    const started = stats.start();
    if (started >= 0) timed++;
    stats.end(started, i % 8 === 0 ? "INTERNAL" : undefined);
  }
  assertEquals(stats.calls, calls);
  assertEquals(stats.inFlight, 0);
  assertEquals(timed, LATENCY_EXACT_CALLS + 400 / LATENCY_SAMPLE_EVERY);
  assertEquals(stats.latency.count, timed);
  assertEquals(stats.errors.get("INTERNAL"), calls / 8);
  const snapshot = stats.snapshot();
  assertEquals(snapshot.calls, calls);
  assertEquals(snapshot.latency.count, timed);
});

Deno.test("MethodStats.start(true) times the call whatever the sample says", () => {
  const stats = new MethodStats("S", "m", "unary");
  for (let i = 0; i < LATENCY_EXACT_CALLS; i++) stats.end(stats.start());
  for (let i = 0; i < 8; i++) {
    const started = stats.start(true);
    assert(started >= 0);
    stats.end(started);
  }
  assertEquals(stats.latency.count, LATENCY_EXACT_CALLS + 8);
});
