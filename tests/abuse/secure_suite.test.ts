/**
 * Issue #13's "secure mode passes the hardening issue's suite too": the
 * probes of issue #14 (`_probes.ts`, as `rpc.test.ts` and
 * `registry.test.ts` run them in plain mode) against a secure system
 * (`fixtures/secure_system.ts`: a CURVE registry with a 1 s lease ttl and a
 * node `calc` that serves `Calculator`; for the registry probes, a node
 * `healthy` in a process of its own heartbeats too). The attacker holds
 * a key the system admits (`@attacker`): an authenticated client that
 * misbehaves, the threat that CURVE does not keep out. The good client
 * (`@cli`, another admitted key) asserts what the plain probes assert: no
 * call and no lease lost, the server's fds back, its RSS and log bounded.
 * Latency ratios are printed, not asserted.
 */

import { RpcClient } from "../../src/rpc/client.ts";
import { connectRegistry } from "../../mod.ts";
import { SecureSystem, startSecureNode } from "./_harness.ts";
import {
  REGISTRY_PROBES,
  registryProbe,
  SERVICE_PROBES,
  serviceProbe,
} from "./_probes.ts";

/** The registry's lease ttl, in ms: `calc` heartbeats every ttl / 3. */
const TTL = 1000;

const admitted = (system: SecureSystem, serverKey: string) => ({
  serverKey,
  key: JSON.stringify(system.info.attacker),
});

for (const p of SERVICE_PROBES) {
  Deno.test(`secure probe: ${p.name}, from an admitted key`, async () => {
    await using system = await SecureSystem.start();
    const { info } = system;
    const o = await serviceProbe(
      {
        server: system,
        endpoint: info.calc,
        client: () =>
          new RpcClient({
            endpoints: [info.calc],
            timeout: 10_000,
            curve: { ...info.tool, serverKey: () => info.calcKey },
          }),
        attacker: admitted(system, info.calcKey),
        label: "secure",
      },
      p.call,
      p.mode,
      { count: p.count, window: p.window, settled: p.settled },
    );
    p.check(o);
  });
}

for (const p of REGISTRY_PROBES) {
  Deno.test(`secure probe: ${p.name}, from an admitted key`, async () => {
    await using system = await SecureSystem.start(["--ttl", String(TTL)]);
    const { info } = system;
    await using _healthy = await startSecureNode(info);
    const o = await registryProbe(
      {
        process: system,
        endpoint: info.registry,
        nodes: ["calc", "healthy"],
        connect: () =>
          connectRegistry({
            endpoint: info.registry,
            curve: { ...info.tool, serverKey: info.registryKey },
          }),
        attacker: admitted(system, info.registryKey),
        label: "secure",
        ttl: TTL,
      },
      p.mode,
      { count: p.count, connections: p.connections },
    );
    p.check(o);
  });
}
