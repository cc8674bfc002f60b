/**
 * TLS to etcd with client certificates: a real etcd started with
 * `--client-cert-auth` on https://127.0.0.1, certificates made with the
 * openssl commands of docs/security.md. The right certificate works; none,
 * or one of another CA, gets a `RegistryUnavailableError` saying so, and
 * no data.
 */

import {
  assertEquals,
  assertMatch,
  assertRejects,
  assertStringIncludes,
} from "../_assert.ts";
import { connectRegistry, RegistryUnavailableError } from "../../mod.ts";
import "../../src/registry/etcd.ts";
import { EtcdCluster } from "../_etcd.ts";
import { makeEtcdCerts } from "../_etcd_certs.ts";

const quiet = { warn() {}, error() {} };

Deno.test("connectRegistry() of an etcds:// endpoint: the right client certificate reads and writes; none, or another CA's, is refused with RegistryUnavailableError", async () => {
  await using certs = await makeEtcdCerts(["zmp"]);
  await using other = await makeEtcdCerts(["zmp"]);
  await using etcd = await EtcdCluster.start({
    tls: {
      ca: certs.path("ca.crt"),
      cert: certs.path("etcd.crt"),
      key: certs.path("etcd.key"),
    },
  });
  const endpoint = etcd.url;
  assertMatch(endpoint, /^etcds:\/\/localhost:\d+$/);
  const ca = certs.read("ca.crt");

  {
    await using registry = await connectRegistry({
      endpoint,
      logger: quiet,
      etcdTls: { ca, cert: certs.read("zmp.crt"), key: certs.read("zmp.key") },
    });
    await registry.params.set("lab.secret", 42);
    assertEquals(await registry.params.get("lab.secret"), 42);
    await using _reg = await registry.register({
      name: "camera",
      instanceId: crypto.randomUUID(),
      pid: 1,
      host: "h",
      mode: "subprocess",
      services: [],
      publishes: [],
      subscribes: [],
      params: [],
      startedAt: Date.now(),
    });
    assertEquals((await registry.nodes()).map((n) => n.name), ["camera"]);
  }

  // No client certificate: etcd ends the handshake.
  const none = await assertRejects(
    () =>
      connectRegistry({
        endpoint,
        timeout: 1500,
        logger: quiet,
        etcdTls: { ca },
      }),
    RegistryUnavailableError,
  );
  assertStringIncludes(
    none.message,
    `Cannot use ${endpoint} as the zmp registry (no TLS session with etcd: it may want a client certificate`,
  );

  // A certificate of another CA: etcd does not trust it.
  const foreign = await assertRejects(
    () =>
      connectRegistry({
        endpoint,
        timeout: 1500,
        logger: quiet,
        etcdTls: {
          ca,
          cert: other.read("zmp.crt"),
          key: other.read("zmp.key"),
        },
      }),
    RegistryUnavailableError,
  );
  assertStringIncludes(
    foreign.message,
    "(no TLS session with etcd: does etcd trust this client certificate",
  );

  // Trusting another CA: the client does not trust etcd.
  await assertRejects(
    () =>
      connectRegistry({
        endpoint,
        timeout: 1500,
        logger: quiet,
        etcdTls: {
          ca: other.read("ca.crt"),
          cert: certs.read("zmp.crt"),
          key: certs.read("zmp.key"),
        },
      }),
    RegistryUnavailableError,
    "no TLS session with etcd",
  );

  // Plain etcd:// to a TLS etcd: nothing either.
  await assertRejects(
    () =>
      connectRegistry({
        endpoint: endpoint.replace("etcds://", "etcd://"),
        timeout: 1000,
        logger: quiet,
      }),
    RegistryUnavailableError,
  );
});

Deno.test("connectRegistry() of an etcds:// endpoint names what is wrong with its TLS options", async () => {
  await assertRejects(
    () =>
      connectRegistry({
        endpoint: "etcds://127.0.0.1:1",
        logger: quiet,
        etcdTls: { ca: "-----BEGIN CERTIFICATE-----" },
      }),
    TypeError,
    "Cannot connect to etcd at etcds://127.0.0.1:1: 127.0.0.1:1 is an IP address; give the DNS name etcd's certificate carries (tls.serverName or ZMP_ETCD_SERVER_NAME), or name the host",
  );
  await assertRejects(
    () =>
      connectRegistry({
        endpoint: "etcds://localhost:1",
        logger: quiet,
        etcdTls: { cert: "-----BEGIN CERTIFICATE-----" },
      }),
    TypeError,
    "a client certificate needs its key",
  );
  await assertRejects(
    () =>
      connectRegistry({
        endpoint: "etcd://localhost:1",
        logger: quiet,
        etcdTls: {},
      }),
    TypeError,
    "TLS options need an etcds:// endpoint, not etcd://",
  );
});
