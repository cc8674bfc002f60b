/**
 * The registry probes of issue #14 as regression tests: a registry in its
 * own process with a short lease ttl, a healthy node in another (it
 * heartbeats every ttl / 3), an attacker in a third, and a good client here
 * that lists the nodes in quiet time and under attack and watches for the
 * healthy node's removal. Each attack lasts at least three ttls, so that a
 * refused or stalled heartbeat would cost the node its lease. Latency
 * ratios are printed, not asserted: they are `deno task bench:soak`'s. The
 * probes themselves are in `_probes.ts`; `secure_suite.test.ts` runs them
 * in secure mode.
 */

import { assert } from "../_assert.ts";
import { connectRegistry } from "../../mod.ts";
import { ClientProcess, RegistryProcess } from "../registry/_helpers.ts";
import { REGISTRY_PROBES, registryProbe } from "./_probes.ts";

/** The registry's lease ttl, in ms. */
const TTL = 1000;

for (const p of REGISTRY_PROBES) {
  Deno.test(`probe: ${p.name}`, async () => {
    await using registry = await RegistryProcess.start(["--ttl", String(TTL)]);
    await using healthy = await ClientProcess.start(
      registry.endpoint,
      "healthy",
    );
    const o = await registryProbe(
      {
        process: registry,
        endpoint: registry.endpoint,
        nodes: ["healthy"],
        connect: () => connectRegistry({ endpoint: registry.endpoint }),
        ttl: TTL,
      },
      p.mode,
      { count: p.count, connections: p.connections },
    );
    assert(healthy.pid > 0);
    p.check(o);
  });
}
