import { assert, assertEquals, waitFor } from "../_assert.ts";
import { Deadlines } from "../../src/rpc/_deadlines.ts";

interface Entry {
  name: string;
  deadlineKey?: number;
}

Deno.test("Deadlines fires entries once their time passes, in one shared timer", async () => {
  const fired: string[] = [];
  const wheel = new Deadlines<Entry>((e) => fired.push(e.name), 2);
  try {
    const now = performance.now();
    const a = { name: "a" }, b = { name: "b" }, c = { name: "c" };
    wheel.add(b, now + 40);
    wheel.add(a, now + 10);
    wheel.add(c, now + 40);
    assertEquals(wheel.size, 3);
    wheel.remove(c);
    wheel.remove(c);
    assertEquals(wheel.size, 2);
    await waitFor(() => fired.length === 2, "both deadlines");
    assertEquals(fired, ["a", "b"]);
    assert(performance.now() - now >= 40);
    assertEquals(wheel.size, 0);
  } finally {
    wheel.clear();
  }
});

Deno.test("Deadlines.remove() of the last entry leaves no timer running", () => {
  const wheel = new Deadlines<Entry>(() => {
    throw new Error("must not fire");
  });
  const e = { name: "x" };
  wheel.add(e, performance.now() + 60000);
  wheel.remove(e);
  assertEquals(wheel.size, 0);
  // The test sanitizer fails this test if a timer is still pending.
});
