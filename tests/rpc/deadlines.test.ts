import { assert, assertEquals, waitFor } from "../_assert.ts";
import { Deadlines } from "../../src/rpc/_deadlines.ts";

const MODULE = new URL("../../src/rpc/_deadlines.ts", import.meta.url).href;

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

Deno.test("Deadlines.clear() leaves no timer running", () => {
  const wheel = new Deadlines<Entry>(() => {
    throw new Error("must not fire");
  });
  const e = { name: "x" };
  wheel.add(e, performance.now() + 60000);
  wheel.remove(e);
  assertEquals(wheel.size, 0);
  wheel.clear();
  // The test sanitizer fails this test if a timer is still pending.
});

Deno.test("Deadlines of one call at a time arm one timer, not one per call", () => {
  const real = globalThis.setTimeout;
  let armed = 0;
  globalThis.setTimeout = ((fn: () => void, ms?: number) => {
    armed++;
    return real(fn, ms);
  }) as typeof setTimeout;
  const wheel = new Deadlines<Entry>(() => {
    throw new Error("must not fire");
  });
  try {
    for (let i = 0; i < 1000; i++) {
      const e = { name: `call ${i}` };
      wheel.add(e, performance.now() + 60000);
      wheel.remove(e);
    }
    assertEquals(armed, 1);
    // An earlier deadline than the armed one arms it again.
    const soon = { name: "soon" };
    wheel.add(soon, performance.now() + 1000);
    assertEquals(armed, 2);
    wheel.remove(soon);
  } finally {
    globalThis.setTimeout = real;
    wheel.clear();
  }
});

Deno.test("an emptied Deadlines keeps no process alive", async () => {
  const script = `
    import { Deadlines } from ${JSON.stringify(MODULE)};
    const wheel = new Deadlines(() => {});
    const e = {};
    wheel.add(e, performance.now() + 20000);
    wheel.remove(e);
  `;
  const started = performance.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", script],
    stdout: "null",
    stderr: "piped",
  }).output();
  assert(out.success, new TextDecoder().decode(out.stderr));
  const took = performance.now() - started;
  assert(took < 10_000, `the process lived ${took.toFixed(0)} ms`);
});

Deno.test("an entry added to an emptied Deadlines still fires", async () => {
  const fired: string[] = [];
  const wheel = new Deadlines<Entry>((e) => fired.push(e.name), 2);
  try {
    const first = { name: "first" };
    wheel.add(first, performance.now() + 30);
    wheel.remove(first);
    // Later than the armed timer: the same timer fires, then arms again.
    const later = { name: "later" };
    wheel.add(later, performance.now() + 60);
    await waitFor(() => fired.length === 1, "the later deadline");
    assertEquals(fired, ["later"]);
  } finally {
    wheel.clear();
  }
});
