/**
 * Secure mode across hosts over a TLS etcd, on a real (virtual) network:
 * three network namespaces, etcd with `--client-cert-auth` on host 1, a
 * launch split over hosts 2 and 3 whose nodes call each other over CURVE,
 * each host with a key directory of its own (its nodes' key pairs, the
 * other host's public keys, handed over with `zmp keys export|import`),
 * and an intruder on host 1 without a certificate that can neither list
 * nor register. Needs root (CAP_NET_ADMIN), `ip`, etcd and openssl.
 */

import {
  assert,
  assertEquals,
  assertNotEquals,
  assertStringIncludes,
} from "../_assert.ts";
import { EtcdCluster } from "../_etcd.ts";
import { makeEtcdCerts } from "../_etcd_certs.ts";
import { listKeys, readKeyPair } from "../../src/launch/keys.ts";
import { run } from "../project/_project.ts";
import { Hosts } from "./_netns.ts";

const ROOT = decodeURIComponent(new URL("../../", import.meta.url).pathname);
const CLI = `${ROOT}src/cli/main.ts`;
const ECHO = new URL("../node/fixtures/echo_node.ts", import.meta.url).href;
const CALLER = new URL("../security/fixtures/etcd_caller.ts", import.meta.url)
  .href;

/** Runs `zmp keys …` (files only: no network, so outside the hosts). */
async function keys(args: string[], cwd: string): Promise<string> {
  const r = await run(Deno.execPath(), ["run", "-A", CLI, "keys", ...args], {
    cwd,
    env: {},
    timeout: 60000,
  });
  assertEquals(r.code, 0, `zmp keys ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

Deno.test("secure mode on two hosts over a TLS etcd on a third, each with only its own nodes' secret keys: a call over CURVE across hosts; no certificate, no registry", async () => {
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
    // A key directory per host: h2's and h3's (the launches make their own
    // nodes' key pairs).
    const k2 = `${dir}/h2-keys`;
    const k3 = `${dir}/h3-keys`;
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
  security: { curve: true },
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
    const launch = (i: number, keyDir: string) =>
      hosts.spawn(i, Deno.execPath(), [
        "run",
        "-A",
        CLI,
        "launch",
        "--no-check",
        file,
        "--host",
        `h${i + 1}`,
        "--keys",
        keyDir,
      ], { env: tlsEnv });

    // h2 first, alone: it makes its own key pairs, then stops, naming the
    // node whose public key it lacks and how to bring it.
    const first = launch(1, k2);
    outputs.push(["first launcher h2", first.lines]);
    const firstTimer = setTimeout(() => first.child.kill("SIGKILL"), 60000);
    const firstStatus = await first.child.status;
    clearTimeout(firstTimer);
    await new Promise((r) => setTimeout(r, 0));
    assertEquals(firstStatus.code, 2, first.lines.join("\n")); // a LaunchError
    assertStringIncludes(
      first.lines.join("\n"),
      `Cannot launch on host "h2" in secure mode: no key for caller in ${k2} (caller runs on host "h3"); there, run zmp keys export caller > caller.pub, and here zmp keys import caller.pub --keys ${k2}`,
    );
    assertEquals(
      (await listKeys(k2)).map((k) => [k.name, k.secret]),
      [["@cli", true], ["echo", true]],
    );

    // Hand the public keys over, as the message says (h3's key pair is
    // made with zmp keys gen this time).
    await keys(["gen", "caller", "--keys", k3], dir);
    await Deno.writeTextFile(
      `${dir}/caller.pub`,
      await keys(["export", "caller", "--keys", k3], dir),
    );
    await keys(
      ["export", "echo", "--keys", k2, "--out", `${dir}/from-h2`],
      dir,
    );
    await keys(["import", "caller.pub", "--keys", k2], dir);
    await keys(["import", `${dir}/from-h2`, "--keys", k3], dir);

    const launchers = [launch(1, k2), launch(2, k3)];
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
        l.includes(
          `secure mode: CURVE on every socket, 2 node keys in ${k2} (the secret keys of 1 here)`,
        )
      ),
    );
    // h2 holds no secret key of h3's node, and h3 none of h2's: only
    // public keys, and nothing of the other's secret in any file.
    const caller = (await readKeyPair(k3, "caller"))!;
    const echo = (await readKeyPair(k2, "echo"))!;
    const held: [string, string, string, [string, boolean][]][] = [
      [k2, "caller", caller.secretKey, [
        ["@cli", true],
        ["caller", false],
        ["echo", true],
      ]],
      [k3, "echo", echo.secretKey, [
        ["@cli", true],
        ["caller", true],
        ["echo", false],
      ]],
    ];
    for (const [mine, other, secret, expected] of held) {
      assertEquals(
        (await listKeys(mine)).map((k) => [k.name, k.secret]),
        expected,
      );
      assertEquals(await readKeyPair(mine, other), undefined);
      for await (const entry of Deno.readDir(mine)) {
        const text = await Deno.readTextFile(`${mine}/${entry.name}`);
        assert(!text.includes(secret), `${mine}/${entry.name}`);
      }
    }

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
