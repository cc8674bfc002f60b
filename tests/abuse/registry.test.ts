/**
 * The registry probes of issue #14 as regression tests: a registry in its
 * own process with a short lease ttl, a healthy node in another (it
 * heartbeats every ttl / 3), an attacker in a third, and a good client here
 * that lists the nodes in quiet time and under attack and watches for the
 * healthy node's removal. Each attack lasts at least three ttls, so that a
 * refused or stalled heartbeat would cost the node its lease. Latency
 * ratios are printed, not asserted: they are `deno task bench:soak`'s.
 */

import { assert, assertEquals } from "../_assert.ts";
import { connectRegistry, type RegistryEvent } from "../../mod.ts";
import {
  ClientProcess,
  Recorder,
  RegistryProcess,
} from "../registry/_helpers.ts";
import {
  assertGoodClientsUnharmed,
  compareUnderAttack,
  processCost,
  RssSampler,
  startAttacker,
} from "./_harness.ts";

/** The registry's lease ttl, in ms. */
const TTL = 1000;
/** The shortest attack, in ms. */
const HOLD = 3 * TTL;
/** Calls per phase. */
const N = 200;

async function registryProbe(
  mode: string,
  more: { count?: number; connections?: number } = {},
): Promise<{ rssGrowth: number; log: string }> {
  await using registry = await RegistryProcess.start(["--ttl", String(TTL)]);
  await using healthy = await ClientProcess.start(registry.endpoint, "healthy");
  await using client = await connectRegistry({ endpoint: registry.endpoint });
  await using watch = new Recorder<RegistryEvent>((signal) =>
    client.watch({ signal })
  );
  const base = await processCost(registry.pid);
  const sampler = new RssSampler(registry.pid);
  try {
    const c = await compareUnderAttack(
      () => client.nodes({ timeout: 5000 }),
      N,
      async () => {
        const started = performance.now();
        const attacker = await startAttacker(mode, registry.endpoint, more);
        return async () => {
          // The attack lasts long enough to cost leases, were it able to.
          const left = started + HOLD - performance.now();
          if (left > 0) await new Promise((r) => setTimeout(r, left));
          await attacker.kill();
        };
      },
    );
    assertGoodClientsUnharmed(c, `registry ${mode} [${engine()}]`);
  } finally {
    await sampler.stop();
  }
  // A registry that died (libzmq 4.3.5 can abort on `!_io_error` when a
  // heartbeat fires on a connection whose input was stopped) fails here.
  const alive = await processCost(registry.pid).then(() => true, () => false);
  assert(alive, `the registry process died: ${registry.stderr.slice(-1000)}`);
  const removed = watch.items.filter((e) => e.type === "removed");
  assertEquals(removed, [], "the healthy node lost its lease");
  assertEquals(
    (await client.nodes({ timeout: 5000 })).map((n) => n.name),
    ["healthy"],
  );
  assert(healthy.pid > 0);
  return { rssGrowth: sampler.peak - base.rss, log: registry.stderr };
}

function engine(): string {
  return Deno.env.get("ZMP_ENGINE") ?? "default";
}

function lines(log: string): string[] {
  return log === "" ? [] : log.replace(/\n$/, "").split("\n");
}

Deno.test("probe: 16,384 unread watch streams on the registry cost no lease and no listing", async () => {
  const o = await registryProbe("watches", {
    count: 16384,
    connections: 16,
  });
  assert(
    o.rssGrowth < 200,
    `the registry grew by ${o.rssGrowth.toFixed(0)} MiB`,
  );
  assert(lines(o.log).length <= 40, o.log);
});

Deno.test("probe: 3,000 unread nodes() calls cost no lease", async () => {
  const o = await registryProbe("nodes", { count: 3000 });
  assert(
    o.rssGrowth < 200,
    `the registry grew by ${o.rssGrowth.toFixed(0)} MiB`,
  );
  assert(lines(o.log).length <= 40, o.log);
});

Deno.test("probe: an unread 3 MB register of invalid services costs no lease and little memory", async () => {
  const o = await registryProbe("register", { count: 1 });
  assert(
    o.rssGrowth < 300,
    `the registry grew by ${o.rssGrowth.toFixed(0)} MiB`,
  );
  assert(o.log.length < 8192, `${o.log.length} characters of log`);
});
