/**
 * What only the etcd backend does: endpoints, a three-member cluster that
 * loses members (the leader first) while params are written and watched.
 */

import {
  assert,
  assertEquals,
  assertRejects,
  assertThrows,
  waitFor,
} from "../_assert.ts";
import {
  connectRegistry,
  type ParamEvent,
  RegistryUnavailableError,
} from "../../mod.ts";
import { parseRegistryEndpoint } from "../../src/registry/_endpoint.ts";
// Loaded here, so that the timeout test below times the wait for etcd, not
// the first load of gRPC and etcd's protocol files.
import "../../src/registry/etcd.ts";
import { EtcdCluster, freePort } from "../_etcd.ts";
import { Recorder } from "./_helpers.ts";

const quiet = { warn() {}, error() {} };

Deno.test("parseRegistryEndpoint() reads etcd://host:port,host:port/prefix and names what is wrong", () => {
  assertEquals(parseRegistryEndpoint("etcd://10.0.0.1,b.lan:22379/lab", "x"), {
    backend: "etcd",
    endpoint: "etcd://10.0.0.1:2379,b.lan:22379/lab",
    hosts: ["10.0.0.1:2379", "b.lan:22379"],
    prefix: "lab",
    tls: false,
  });
  assertEquals(parseRegistryEndpoint("etcds://b.lan", "x"), {
    backend: "etcd",
    endpoint: "etcds://b.lan:2379",
    hosts: ["b.lan:2379"],
    prefix: "zmp",
    tls: true,
  });
  assertEquals(parseRegistryEndpoint("tcp://127.0.0.1:7350", "x"), {
    backend: "embedded",
    endpoint: "tcp://127.0.0.1:7350",
  });
  assertThrows(
    () => parseRegistryEndpoint("etcd://", "connect to the registry"),
    TypeError,
    'Cannot connect to the registry: "etcd://" is not a valid etcd endpoint (no host; expected etcd://host:port,host:port[/prefix], or etcds:// for TLS)',
  );
  assertThrows(
    () => parseRegistryEndpoint("etcd://a:99999", "x"),
    TypeError,
    "bad port in a:99999",
  );
  assertThrows(
    () => parseRegistryEndpoint("etcd://a b", "x"),
    TypeError,
    'bad host "a b"',
  );
});

Deno.test("connectRegistry() of an etcd endpoint where nothing listens rejects with RegistryUnavailableError within its timeout", async () => {
  const endpoint = `etcd://127.0.0.1:${freePort()}`;
  const started = performance.now();
  const error = await assertRejects(
    () => connectRegistry({ endpoint, timeout: 800, logger: quiet }),
    RegistryUnavailableError,
  );
  const elapsed = performance.now() - started;
  assert(elapsed >= 700 && elapsed < 2500, `rejected after ${elapsed} ms`);
  assertEquals(
    error.message,
    `Cannot reach the zmp registry at ${endpoint} (waited 800 ms): start etcd there, or set ZMP_REGISTRY`,
  );
});

Deno.test("etcd: with the leader killed, then another member, params stay readable and writable, the first put is quick, and a watch misses and repeats nothing", async () => {
  await using etcd = await EtcdCluster.start({ members: 3 });
  await using registry = await connectRegistry({
    endpoint: etcd.url,
    logger: quiet,
  });
  const params = registry.params;
  await using watch = new Recorder<ParamEvent>((signal) =>
    params.watch("w", { signal })
  );
  await waitFor(() => watch.items.length >= 1, "the snapshot");
  const acked = new Map<string, number>();
  let n = 0;
  const write = async () => {
    const key = `w.k${n % 7}`;
    const value = ++n;
    await params.set(key, value, { timeout: 8000 });
    acked.set(key, value);
  };
  for (let i = 0; i < 10; i++) await write();

  const firstPuts: number[] = [];
  for (const victim of [await leaderIndex(etcd), undefined]) {
    const i = victim ?? (await leaderIndex(etcd) + 1) % 3;
    await etcd.kill(i);
    const t0 = performance.now();
    await write();
    firstPuts.push(performance.now() - t0);
    for (let k = 0; k < 10; k++) await write();
    for (const [key, value] of acked) {
      assertEquals(await params.get(key), value, `${key} after killing m${i}`);
    }
    await etcd.restart(i);
  }
  // etcd needs an election (500 ms here) before it takes writes again.
  for (const ms of firstPuts) {
    assert(ms < 3000, `first put after a kill took ${Math.round(ms)} ms`);
  }
  await waitFor(
    () => watch.items.filter((e) => e.type === "set").length >= n,
    "every write in the watch",
    { timeout: 10000 },
  );
  const sets = watch.items.filter((e) => e.type === "set");
  assertEquals(
    sets.map((e) => e.type === "set" && e.value),
    Array.from({ length: n }, (_, i) => i + 1),
  );
  assertEquals(watch.items.filter((e) => e.type === "snapshot").length, 1);
  assertEquals(watch.error, undefined);
});

/** The index of the member that leads, read from each member's status. */
async function leaderIndex(etcd: EtcdCluster): Promise<number> {
  for (let tries = 0; tries < 50; tries++) {
    for (const [i, host] of etcd.endpoints.entries()) {
      if (!etcd.running(i)) continue;
      try {
        const res = await fetch(`http://${host}/v3/maintenance/status`, {
          method: "POST",
          body: "{}",
          signal: AbortSignal.timeout(1000),
        });
        const status = await res.json();
        if (
          status.leader !== undefined &&
          status.leader === status.header?.member_id
        ) {
          return i;
        }
      } catch {
        // that member is down or busy
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("no etcd member says it leads");
}
