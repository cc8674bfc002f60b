/**
 * The registry conformance suite (`_conformance.ts`), run against both
 * backends: the embedded registry (a registry process) and etcd (a real
 * etcd member started for the test).
 */

import { EtcdCluster } from "../_etcd.ts";
import { type Backend, registryConformance } from "./_conformance.ts";
import { RegistryProcess } from "./_helpers.ts";

Deno.test("Registry conformance: embedded registry", async (t) => {
  let registry = await RegistryProcess.start(["--ttl", "1000"]);
  const endpoint = registry.endpoint;
  const backend: Backend = {
    endpoint,
    ttl: 1000,
    slack: 600,
    durable: false,
    restart: async () => {
      await registry.kill("SIGKILL");
      registry = await RegistryProcess.start([
        "--endpoint",
        endpoint,
        "--ttl",
        "1000",
      ]);
    },
    [Symbol.asyncDispose]: async () => {
      await registry.kill();
    },
  };
  await using _ = backend;
  await registryConformance(t, backend);
});

Deno.test("Registry conformance: etcd", async (t) => {
  await using etcd = await EtcdCluster.start();
  const backend: Backend = {
    endpoint: etcd.url,
    // etcd counts leases in whole seconds and checks them every 500 ms.
    ttl: 2000,
    slack: 1200,
    durable: true,
    restart: async () => {
      await etcd.kill(0);
      await etcd.restart(0);
    },
    [Symbol.asyncDispose]: () => Promise.resolve(),
  };
  await registryConformance(t, backend);
});
