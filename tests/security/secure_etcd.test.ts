/**
 * Secure mode over etcd: etcd over TLS with client certificates keeps out
 * whoever has no certificate; nodes speak CURVE to each other and, as etcd
 * checks no CURVE key, each node believes a listed node only when it lists
 * the key the launch gave its name (`NodeSecurity.peers`). So even a
 * process with an etcd certificate that rewrites a registration cannot get
 * a call: the client pins the named node's key.
 */

import {
  assert,
  assertEquals,
  assertRejects,
  assertStringIncludes,
  waitFor,
} from "../_assert.ts";
import { Buffer } from "node:buffer";
import { Etcd3 } from "etcd3";
import { createNode } from "../../src/node/node.ts";
import { createNodeLogger } from "../../src/node/logger.ts";
import { connectRegistry } from "../../src/registry/client.ts";
import { RegistryUnavailableError } from "../../src/registry/errors.ts";
import { RpcError } from "../../src/wire/errors.ts";
import type { CallContext } from "../../src/rpc/context.ts";
import { curveKeypair } from "../../src/zmq/curve.ts";
import { EtcdCluster } from "../_etcd.ts";
import { makeEtcdCerts } from "../_etcd_certs.ts";
import { EchoService } from "../node/fixtures/api.ts";
import { CLI, Running } from "../project/_project.ts";
import { setupEtcdAuth } from "../../src/registry/etcd_auth.ts";

const quiet = { warn() {}, error() {} };

function logger(name: string, lines: string[]) {
  return createNodeLogger(name, {
    level: "warn",
    write: (l) => lines.push(l),
  });
}

Deno.test("secure mode over etcd: CURVE between nodes, keys pinned by the allow-list, no registry without a certificate", async () => {
  await using certs = await makeEtcdCerts(["calc", "client", "insider"]);
  await using etcd = await EtcdCluster.start({
    tls: {
      ca: certs.path("ca.crt"),
      cert: certs.path("etcd.crt"),
      key: certs.path("etcd.key"),
    },
  });
  const ca = certs.read("ca.crt");
  const tls = (user: string) => ({
    ca,
    cert: certs.read(`${user}.crt`),
    key: certs.read(`${user}.key`),
  });
  const [calc, client, rogue, tool, nosy] = await Promise.all(
    Array.from({ length: 5 }, () => curveKeypair()),
  );
  const peers = {
    calc: calc.publicKey,
    client: client.publicKey,
    nosy: nosy.publicKey,
  };
  // Every node judges by the same policy: nosy may call nothing.
  const policy = { nosy: { calls: [] } };
  const security = (pair: typeof calc) => ({
    ...pair,
    peers,
    policy,
    tools: [tool.publicKey],
  });
  await using calcRegistry = await connectRegistry({
    endpoint: etcd.url,
    logger: quiet,
    etcdTls: tls("calc"),
  });
  const calcLog: string[] = [];
  await using calcNode = await createNode("calc", {
    registry: calcRegistry,
    security: security(calc),
    logger: logger("calc", calcLog),
  });
  const seen: unknown[] = [];
  const handlers = {
    echo: (v: unknown, ctx: CallContext) => {
      seen.push(ctx.caller);
      return v;
    },
    whoami: () => ({ node: "calc", mode: "", pid: 0 }),
    slow: () => ({ node: "calc", mode: "", pid: 0 }),
    slowOnce: () => ({ node: "calc", mode: "", pid: 0 }),
    async *count() {},
    burst: () => 0,
  };
  await calcNode.provide(EchoService, handlers);
  assertEquals(calcNode.info.publicKey, calc.publicKey);

  await using clientRegistry = await connectRegistry({
    endpoint: etcd.url,
    logger: quiet,
    etcdTls: tls("client"),
  });
  const clientLog: string[] = [];
  await using clientNode = await createNode("client", {
    registry: clientRegistry,
    security: security(client),
    logger: logger("client", clientLog),
  });
  const echo = await clientNode.client(EchoService);
  assertEquals(
    await echo.echo("over CURVE, found in etcd"),
    "over CURVE, found in etcd",
  );
  assertEquals(seen.at(-1), { publicKey: client.publicKey, node: "client" });

  // A node the policy grants no calls declares one anyway: calc, reading
  // its registration, narrows it by the policy and refuses the call.
  await using nosyNode = await createNode("nosy", {
    registry: clientRegistry,
    security: security(nosy),
    logger: logger("nosy", []),
  });
  const nosyEcho = await nosyNode.client(EchoService);
  const denied = await assertRejects(() => nosyEcho.echo("may I?"), RpcError);
  assertEquals(denied.code, "PERMISSION_DENIED");
  assertStringIncludes(denied.message, "nosy may not call test.Echo.echo");

  // The policy binds the node itself: it checks its own registration.
  await using limited = await createNode("client2", {
    registry: clientRegistry,
    security: {
      ...client,
      peers: { ...peers, client2: client.publicKey },
      policy: { client2: { provides: [] } },
      tools: [],
    },
    logger: logger("client2", []),
  });
  const refused = await assertRejects(
    () => limited.provide(EchoService, handlers),
    RpcError,
  );
  assertEquals(refused.code, "PERMISSION_DENIED");
  assertStringIncludes(refused.message, 'may not provide "test.Echo"');

  // Without a certificate, no registry at all: not to read, not to register.
  const none = await assertRejects(
    () =>
      createNode("calc", {
        registry: etcd.url,
        registryTimeout: 1500,
        security: security(rogue),
        logger: logger("rogue", []),
      }),
    RegistryUnavailableError,
  );
  assertStringIncludes(none.message, "no TLS session with etcd");

  // An insider with an etcd certificate (no RBAC here) rewrites calc's
  // registration: its own endpoint, then its own key too. The client pins
  // calc's key from the allow-list: no call reaches the impostor.
  const raw = new Etcd3({
    hosts: etcd.endpoints.map((e) =>
      `https://${e.replace("127.0.0.1", "localhost")}`
    ),
    credentials: {
      rootCertificate: Buffer.from(ca),
      certChain: Buffer.from(certs.read("insider.crt")),
      privateKey: Buffer.from(certs.read("insider.key")),
    },
  });
  try {
    const key = "zmp/nodes/calc";
    const stored = JSON.parse((await raw.get(key).string())!);
    const lease = (await raw.get(key).exec()).kvs[0].lease;
    let hits = 0;
    await using trap = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const trapping = (async () => {
      for await (const conn of trap) {
        hits++;
        conn.close();
      }
    })().catch(() => {});
    const fake = `tcp://127.0.0.1:${(trap.addr as Deno.NetAddr).port}`;
    const forged = {
      ...stored,
      services: stored.services.map((s: { endpoint: string }) => ({
        ...s,
        endpoint: fake,
      })),
      publicKey: rogue.publicKey,
    };
    await raw.put(key).value(JSON.stringify(forged)).lease(String(lease))
      .exec();
    await waitFor(
      () =>
        clientLog.some((l) => l.includes("this key is not the key of node")),
      "the client to ignore the forged registration",
      { timeout: 5000 },
    );
    const hijacked = await assertRejects(
      () => echo.echo("to whom?", { timeout: 1500 }),
      RpcError,
    );
    assert(
      ["UNAVAILABLE", "DEADLINE_EXCEEDED"].includes(hijacked.code),
      hijacked.message,
    );
    assertEquals(seen.length, 1);
    trap.close();
    await trapping;
    // The client never even dialled the forged endpoint.
    assertEquals(hits, 0);
  } finally {
    raw.close();
  }
});

Deno.test("zmp launch --registry etcds://…: a secure launch over a TLS etcd with RBAC calls over CURVE, each node with its own etcd certificate", async () => {
  await using certs = await makeEtcdCerts(["root", "zmp", "echo", "caller"]);
  await using etcd = await EtcdCluster.start({
    tls: {
      ca: certs.path("ca.crt"),
      cert: certs.path("etcd.crt"),
      key: certs.path("etcd.key"),
    },
  });
  const tls = (user: string) => ({
    ca: certs.read("ca.crt"),
    cert: certs.read(`${user}.crt`),
    key: certs.read(`${user}.key`),
  });
  // The launcher's certificate (zmp) may only read: each node must use
  // its own to register.
  await setupEtcdAuth({
    endpoint: etcd.url,
    etcdTls: tls("root"),
    nodes: { echo: {}, caller: { params: [] } },
    users: { zmp: [{ permission: "Read", key: "zmp/", end: "zmp0" }] },
  });
  await using keys = await tempDir();
  const launchFile = new URL("./fixtures/etcd_launch.ts", import.meta.url);
  await using launch = new Running(Deno.execPath(), [
    "run",
    "-A",
    CLI,
    "launch",
    launchFile.pathname,
    "--registry",
    etcd.url,
    "--keys",
    keys.path,
  ], {
    cwd: keys.path,
    env: {
      ZMP_ETCD_CA: certs.path("ca.crt"),
      ZMP_ETCD_CERT: certs.path("zmp.crt"),
      ZMP_ETCD_KEY: certs.path("zmp.key"),
      ZMP_ETCD_CERTS: certs.dir,
    },
  });
  await launch.line(/secure mode: CURVE on every socket, 2 node keys in /);
  await launch.line(/caller +│ answered: over CURVE #\d+/);
  // The echo node lists the key of its name.
  await using registry = await connectRegistry({
    endpoint: etcd.url,
    logger: quiet,
    etcdTls: tls("zmp"),
  });
  const listed = await registry.nodes();
  const echoKey = JSON.parse(
    await Deno.readTextFile(`${keys.path}/echo.key`),
  ).publicKey;
  assertEquals(listed.find((n) => n.name === "echo")?.publicKey, echoKey);
  // The launcher's read-only certificate may not register anything.
  const refused = await assertRejects(
    () => registry.register({ ...listed[0], instanceId: crypto.randomUUID() }),
    RpcError,
  );
  assertEquals(refused.code, "PERMISSION_DENIED");
});

async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "zmp-keys-" });
  await Deno.chmod(path, 0o700);
  return {
    path,
    [Symbol.asyncDispose]: () =>
      Deno.remove(path, { recursive: true }).catch(() => {}),
  };
}

Deno.test("setupEtcdAuth(): with etcd RBAC, a node's certificate writes its own registration and params it is granted, and cannot overwrite another node's", async () => {
  await using certs = await makeEtcdCerts(["root", "calc", "client"]);
  await using etcd = await EtcdCluster.start({
    tls: {
      ca: certs.path("ca.crt"),
      cert: certs.path("etcd.crt"),
      key: certs.path("etcd.key"),
    },
  });
  const ca = certs.read("ca.crt");
  const tls = (user: string) => ({
    ca,
    cert: certs.read(`${user}.crt`),
    key: certs.read(`${user}.key`),
  });
  await setupEtcdAuth({
    endpoint: etcd.url,
    etcdTls: tls("root"),
    nodes: { calc: { params: [] }, client: { params: ["echo"] } },
  });
  const [calc, client] = await Promise.all([curveKeypair(), curveKeypair()]);
  const peers = { calc: calc.publicKey, client: client.publicKey };
  const security = (pair: typeof calc) => ({ ...pair, peers, policy: {} });
  await using calcRegistry = await connectRegistry({
    endpoint: etcd.url,
    logger: quiet,
    etcdTls: tls("calc"),
  });
  await using calcNode = await createNode("calc", {
    registry: calcRegistry,
    security: security(calc),
    logger: logger("calc", []),
  });
  await calcNode.provide(EchoService, {
    echo: (v: unknown) => v,
    whoami: () => ({ node: "calc", mode: "", pid: 0 }),
    slow: () => ({ node: "calc", mode: "", pid: 0 }),
    slowOnce: () => ({ node: "calc", mode: "", pid: 0 }),
    async *count() {},
    burst: () => 0,
  });
  await using clientRegistry = await connectRegistry({
    endpoint: etcd.url,
    logger: quiet,
    etcdTls: tls("client"),
  });
  await using clientNode = await createNode("client", {
    registry: clientRegistry,
    security: security(client),
    logger: logger("client", []),
  });
  const echo = await clientNode.client(EchoService);
  assertEquals(await echo.echo("under RBAC"), "under RBAC");

  // The client's certificate may set params in "echo", not elsewhere.
  await clientRegistry.params.set("echo.greeting", "hi");
  const param = await assertRejects(
    () => calcRegistry.params.set("echo.greeting", "mine"),
    RpcError,
  );
  assertEquals(param.code, "PERMISSION_DENIED");
  assertStringIncludes(param.message, "permission denied");

  // It may not take calc's name through zmp's registry client (which a
  // node in secure mode would not even try) …
  const taken = await assertRejects(
    () =>
      clientRegistry.register({
        ...calcNode.info,
        instanceId: crypto.randomUUID(),
        publicKey: client.publicKey,
      }),
    RpcError,
  );
  assertEquals(taken.code, "PERMISSION_DENIED");
  assertStringIncludes(taken.message, "permission denied");
  // … nor by writing or deleting calc's key in etcd directly.
  const raw = new Etcd3({
    hosts: etcd.endpoints.map((e) =>
      `https://${e.replace("127.0.0.1", "localhost")}`
    ),
    credentials: {
      rootCertificate: Buffer.from(ca),
      certChain: Buffer.from(certs.read("client.crt")),
      privateKey: Buffer.from(certs.read("client.key")),
    },
  });
  try {
    for (
      const attempt of [
        () => raw.put("zmp/nodes/calc").value("{}").exec(),
        () => raw.delete().key("zmp/nodes/calc").exec(),
        () => raw.put("zmp/tokens/calc").value("x").exec(),
      ]
    ) {
      const e = await assertRejects(attempt);
      assertStringIncludes(e.message, "permission denied");
    }
  } finally {
    raw.close();
  }
  assertEquals(
    (await clientRegistry.nodes()).find((n) => n.name === "calc")?.publicKey,
    calc.publicKey,
  );
  assertEquals(await echo.echo("still calc"), "still calc");
});
