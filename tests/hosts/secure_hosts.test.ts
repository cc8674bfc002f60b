/**
 * Secure mode across hosts over a TLS etcd, on a real (virtual) network:
 * three network namespaces, etcd with `--client-cert-auth` on host 1, a
 * launch split over hosts 2 and 3 whose nodes call each other over CURVE,
 * and an intruder on host 1 without a certificate that can neither list
 * nor register. Needs root (CAP_NET_ADMIN), `ip`, etcd and openssl.
 */

import { assert, assertNotEquals, assertStringIncludes } from "../_assert.ts";
import { EtcdCluster } from "../_etcd.ts";
import { makeEtcdCerts } from "../_etcd_certs.ts";
import { ensureKeyPair } from "../../src/launch/keys.ts";
import { Hosts } from "./_netns.ts";

const ROOT = decodeURIComponent(new URL("../../", import.meta.url).pathname);
const CLI = `${ROOT}src/cli/main.ts`;
const ECHO = new URL("../node/fixtures/echo_node.ts", import.meta.url).href;
const CALLER = new URL("../security/fixtures/etcd_caller.ts", import.meta.url)
  .href;

Deno.test("secure mode on two hosts over a TLS etcd on a third: a call over CURVE across hosts; no certificate, no registry", async () => {
  await using hosts = await Hosts.create(3);
  await using certs = await makeEtcdCerts(["zmp"]);
  await using etcd = await EtcdCluster.start({
    placement: [{ ip: hosts.ip(0), netns: hosts.namespaces[0] }],
    tls: {
      ca: certs.path("ca.crt"),
      cert: certs.path("etcd.crt"),
      key: certs.path("etcd.key"),
    },
  });
  const url = etcd.url; // etcds://10.77.0.1:2379: an IP, so a server name
  const dir = await Deno.makeTempDir({ prefix: "zmp-secure-hosts-" });
  let passed = false;
  const outputs: [string, string[]][] = [];
  try {
    // The key directory every host shares (made once, before any launch).
    const keys = `${dir}/keys`;
    for (const name of ["@registry", "@cli", "echo", "caller"]) {
      await ensureKeyPair(keys, name);
    }
    const file = `${dir}/launch.ts`;
    await Deno.writeTextFile(
      file,
      `import { defineLaunch } from "${
        new URL("mod.ts", `file://${ROOT}`).href
      }";

export default defineLaunch({
  registry: { etcd: ${
        JSON.stringify(etcd.endpoints.map((e) => `https://${e}`))
      } },
  security: { curve: true, keys: ${JSON.stringify(keys)} },
  nodes: [
    { name: "echo", module: "${ECHO}", host: "h2" },
    {
      name: "caller",
      module: "${CALLER}",
      host: "h3",
      permissions: { read: [${JSON.stringify(`${ROOT}tests/node/fixtures`)}] },
    },
  ],
});
`,
    );
    const tlsEnv = {
      NO_COLOR: "1",
      ZMP_ETCD_CA: certs.path("ca.crt"),
      ZMP_ETCD_CERT: certs.path("zmp.crt"),
      ZMP_ETCD_KEY: certs.path("zmp.key"),
      ZMP_ETCD_SERVER_NAME: "localhost",
    };
    const launchers = [1, 2].map((i) =>
      hosts.spawn(i, Deno.execPath(), [
        "run",
        "-A",
        CLI,
        "launch",
        "--no-check",
        file,
        "--host",
        `h${i + 1}`,
      ], { env: tlsEnv })
    );
    launchers.forEach((l, i) => outputs.push([`launcher h${i + 2}`, l.lines]));
    const deadline = Date.now() + 60000;
    while (
      !launchers[1].lines.some((l) => /caller +│ answered: over CURVE/.test(l))
    ) {
      assert(Date.now() < deadline, "the caller on h3 never got an answer");
      await new Promise((r) => setTimeout(r, 100));
    }
    assert(
      launchers[0].lines.some((l) =>
        l.includes("secure mode: CURVE on every socket, 2 node keys")
      ),
    );

    // An intruder on host 1 without a certificate: no listing, no
    // registration (zmp list would show the nodes, zmp pub would register).
    for (const args of [["list", "nodes"], ["pub", "test/status", "{}"]]) {
      const p = hosts.spawn(0, Deno.execPath(), [
        "run",
        "-A",
        CLI,
        ...args,
        "--registry",
        url,
      ], {
        env: {
          NO_COLOR: "1",
          ZMP_ETCD_CA: certs.path("ca.crt"),
          ZMP_ETCD_SERVER_NAME: "localhost",
        },
      });
      const timer = setTimeout(() => p.child.kill("SIGKILL"), 60000);
      const status = await p.child.status;
      clearTimeout(timer);
      await new Promise((r) => setTimeout(r, 0));
      const out = p.lines.join("\n");
      assertNotEquals(status.code, 0, out);
      assertStringIncludes(out, "no TLS session with etcd");
    }
    passed = true;
  } finally {
    if (!passed) {
      for (const [name, lines] of outputs) {
        console.error(`--- ${name}:\n${lines.slice(-30).join("\n")}`);
      }
    }
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
