/**
 * `Backoff`: restart decisions and delays.
 *
 * @module
 */

import { assertEquals } from "../_assert.ts";
import { Backoff } from "../../src/launch/_backoff.ts";
import { DEFAULT_RESTART } from "../../src/launch/_validate.ts";

Deno.test("Backoff.next() grows delays by the factor up to maxDelay, then fails at the limit", () => {
  const b = new Backoff({
    ...DEFAULT_RESTART,
    policy: "on-failure",
    initialDelay: 100,
    maxDelay: 500,
    factor: 3,
    maxRestarts: 4,
  });
  const delays = [1, 2, 3, 4].map(() => {
    const d = b.next(1, 10);
    return d.action === "restart" ? [d.delay, d.attempt, d.limit] : d.action;
  });
  assertEquals(delays, [[100, 1, 4], [300, 2, 4], [500, 3, 4], [500, 4, 4]]);
  assertEquals(b.next(1, 10), {
    action: "fail",
    reason: "exited with code 1 after 4 restarts (limit 4)",
  });
});

Deno.test("Backoff.next() follows the policy for clean and failed exits", () => {
  const never = new Backoff({ ...DEFAULT_RESTART, policy: "never" });
  assertEquals(never.next(0, 1), { action: "done" });
  assertEquals(never.next(3, 1), {
    action: "fail",
    reason: "exited with code 3",
  });
  const onFailure = new Backoff({ ...DEFAULT_RESTART, policy: "on-failure" });
  assertEquals(onFailure.next(0, 1), { action: "done" });
  const always = new Backoff({
    ...DEFAULT_RESTART,
    policy: "always",
    maxRestarts: 1,
  });
  assertEquals(always.next(0, 1).action, "restart");
  assertEquals(always.next(0, 1), { action: "done" }, "out of restarts, clean");
});

Deno.test("Backoff.next() starts over after a run that lasted resetAfter", () => {
  const b = new Backoff({
    ...DEFAULT_RESTART,
    policy: "always",
    maxRestarts: 2,
    resetAfter: 1000,
  });
  assertEquals(b.next(1, 5).action, "restart");
  assertEquals(b.next(1, 5).action, "restart");
  const d = b.next(1, 1000);
  assertEquals(d.action === "restart" && [d.delay, d.attempt], [200, 1]);
});
