/**
 * The `security` field of a launch file: checked like the rest, with the
 * field and node named, and secure mode refused where it cannot hold.
 */

import { assertEquals, assertRejects, assertThrows } from "../_assert.ts";
import { validateLaunch } from "../../src/launch/_validate.ts";
import { secureKeys } from "../../src/launch/_secure.ts";
import { LaunchError } from "../../src/launch/errors.ts";
import { generateKeyPair, listKeys } from "../../src/launch/keys.ts";
import {
  exportPublicKeys,
  importPublicKeys,
} from "../../src/launch/key_exchange.ts";
import { outsideFolder } from "../project/_project.ts";

const MODULE = new URL("../launch/fixtures/ticker.ts", import.meta.url).href;
const nodes = [{ name: "calc", module: MODULE }, {
  name: "ui",
  module: MODULE,
}];

Deno.test("validateLaunch: security fields are checked, policy names launched or allowed nodes", () => {
  const bad: [unknown, string][] = [
    [{ curve: true, polcy: {} }, "security.polcy is not a known field"],
    [
      { curve: true, policy: { calc: { call: [] } } },
      "security.policy.calc.call is not a known field",
    ],
    [
      { curve: true, policy: { nobody: {} } },
      "security.policy.nobody names no node of this launch",
    ],
    [{ curve: true, allow: ["calc"] }, 'security.allow names node "calc"'],
    [{ curve: "yes" }, "security.curve"],
  ];
  for (const [security, message] of bad) {
    const e = assertThrows(
      () => validateLaunch({ nodes, security }),
      LaunchError,
    );
    assertEquals(e.message.includes(message), true, e.message);
  }
  const ok = validateLaunch({
    nodes,
    security: {
      curve: true,
      allow: ["py"],
      policy: { ui: { calls: ["Calc.add"] }, py: { provides: [] } },
    },
  });
  assertEquals(ok.security?.allow, ["py"]);
  assertEquals(ok.security?.policy.ui, { calls: ["Calc.add"] });
  assertEquals(validateLaunch({ nodes }).security, undefined);
});

Deno.test("validateLaunch: security.allow and security.policy follow the one names rule of wire/names.ts", () => {
  const NODE = "a node name is 1 to 255 characters";
  const bad: [unknown, string][] = [
    [{ allow: ["py node"] }, `security.allow[0] is not valid: ${NODE}`],
    // @cli is a key name, never a node's: it would hand out the operator's key.
    [{ allow: ["py", "@cli"] }, `security.allow[1] is not valid: ${NODE}`],
    [{ allow: ["x".repeat(256)] }, "security.allow[0]"],
    [
      { allow: ["a b"], policy: { "a b": {} } },
      "security.allow[0] is not valid",
    ],
    [{ policy: { "../ui": {} } }, `security.policy["../ui"] is not valid`],
    [
      { policy: { ui: { provides: ["Calc", "Calc add"] } } },
      "security.policy.ui.provides[1] is not valid: a service name is 1 to 128",
    ],
    [
      { policy: { ui: { provides: ["S".repeat(129)] } } },
      "security.policy.ui.provides[0] is not valid: a service name",
    ],
    [
      { policy: { ui: { calls: ["Calc.add", "Calc.add()"] } } },
      "security.policy.ui.calls[1] is not valid: a call is a service name or Service.method",
    ],
    [
      { policy: { ui: { calls: [".add"] } } },
      "security.policy.ui.calls[0] is not valid",
    ],
    [
      { policy: { ui: { publishes: ["/abs"] } } },
      "security.policy.ui.publishes[0] is not valid: a topic name",
    ],
    [
      { policy: { ui: { subscribes: ["ok", ""] } } },
      "security.policy.ui.subscribes[1]",
    ],
    [
      { policy: { ui: { params: ["ctl/x"] } } },
      "security.policy.ui.params[0] is not valid: a params namespace",
    ],
  ];
  for (const [security, message] of bad) {
    for (const curve of [true, false]) {
      const e = assertThrows(
        () =>
          validateLaunch({
            nodes,
            security: { curve, ...(security as object) },
          }),
        LaunchError,
      );
      assertEquals(e.message.startsWith("Cannot launch: "), true, e.message);
      assertEquals(e.message.includes(message), true, e.message);
      assertEquals(e.message.includes("\n"), false, e.message);
      assertEquals(e.field?.startsWith("security."), true, e.field);
    }
  }
  // What the rule allows passes: service names with dots, Service.method,
  // topics with slashes, node names with slashes and a leading _.
  const ok = validateLaunch({
    nodes,
    security: {
      curve: true,
      allow: ["cam/left.1", "_py"],
      policy: {
        ui: {
          provides: ["zmp.Calc-2"],
          calls: ["zmp.Calc-2", "Calc.$add", "Calc"],
          publishes: ["sensors/raw.1"],
          subscribes: ["_x"],
          params: ["control.pid"],
        },
        "cam/left.1": {},
      },
    },
  });
  assertEquals(ok.security?.allow, ["cam/left.1", "_py"]);
});

Deno.test("validateLaunch: --secure (secure: true) applies the file's allow, policy and keys even when curve is false", async () => {
  const security = {
    curve: false,
    allow: ["py"],
    keys: "/tmp/k",
    policy: { ui: { calls: ["Calc.add"] } },
  };
  assertEquals(validateLaunch({ nodes, security }).security, undefined);
  const secure = validateLaunch({ nodes, security }, undefined, {
    secure: true,
  });
  assertEquals(secure.security, {
    allow: ["py"],
    keys: "/tmp/k",
    policy: { ui: { calls: ["Calc.add"] } },
  });
  // The allowed node gets its key, as with curve: true.
  await using tmp = await outsideFolder();
  const keys = await secureKeys(secure, { keys: tmp.path });
  assertEquals(Object.keys(keys.registry!.nodes).sort(), ["calc", "py", "ui"]);
  assertEquals(keys.registry!.policy, { ui: { calls: ["Calc.add"] } });
  // And it is checked as with curve: true.
  const e = assertThrows(
    () =>
      validateLaunch(
        { nodes, security: { curve: false, policy: { nobody: {} } } },
        undefined,
        { secure: true },
      ),
    LaunchError,
  );
  assertEquals(
    e.message.includes("security.policy.nobody names no node"),
    true,
    e.message,
  );
  // Without a security field, --secure is secure mode with no policy.
  assertEquals(
    validateLaunch({ nodes }, undefined, { secure: true }).security,
    { allow: [], policy: {} },
  );
});

Deno.test("secureKeys: one key per node and allowed name, workers included, refused for other registries", async () => {
  await using tmp = await outsideFolder();
  const launch = validateLaunch({
    nodes,
    security: { curve: true, allow: ["py"] },
  });
  const keys = await secureKeys(launch, { keys: tmp.path });
  assertEquals(Object.keys(keys.registry!.nodes).sort(), ["calc", "py", "ui"]);
  assertEquals(Object.keys(keys.registry!.clients ?? {}), ["@cli"]);
  assertEquals(keys.nodes.get("ui")?.registryKey, keys.registry!.publicKey);
  assertEquals(keys.launcher?.serverKey, keys.registry!.publicKey);
  // A worker node gets keys like the others (posted to its Worker).
  const worker = await secureKeys(
    validateLaunch({
      nodes: [{ name: "w", module: MODULE, mode: "worker" }],
    }),
    { keys: tmp.path },
  );
  assertEquals(worker.nodes.get("w")?.registryKey, keys.registry!.publicKey);
  await assertRejects(
    () =>
      secureKeys(
        validateLaunch({ nodes, registry: { etcd: ["127.0.0.1:2379"] } }),
        { keys: tmp.path },
      ),
    LaunchError,
    "Cannot launch in secure mode on etcd://127.0.0.1:2379: etcd needs TLS with client certificates (etcds://",
  );
  await assertRejects(
    () =>
      secureKeys(
        validateLaunch({
          nodes,
          registry: { external: "tcp://10.0.0.1:7350" },
        }),
        { keys: tmp.path },
      ),
    LaunchError,
    "it needs the embedded registry or etcd over TLS (etcds://), not an external registry",
  );
  // etcd over TLS: no registry key; each node gets the allow-list of the
  // whole launch (every host's nodes) and the policy, and checks itself.
  const overEtcd = await secureKeys(
    validateLaunch({
      nodes,
      registry: { etcd: ["https://localhost:2379"] },
      security: { curve: true, allow: ["py"], policy: { ui: { params: [] } } },
    }),
    { keys: tmp.path, everyone: [...nodes, { name: "far" }] },
  );
  assertEquals(overEtcd.etcd, true);
  assertEquals(overEtcd.launcher, undefined);
  const ui = overEtcd.nodes.get("ui");
  assertEquals(ui?.registryKey, undefined);
  assertEquals(Object.keys(ui?.peers ?? {}).sort(), [
    "calc",
    "far",
    "py",
    "ui",
  ]);
  assertEquals(ui?.peers?.calc, keys.registry!.nodes.calc);
  assertEquals(ui?.policy, { ui: { params: [] } });
});

Deno.test("secureKeys with a host: key pairs for that host's nodes and @cli only, the others' public keys needed, a missing one named with how to bring it", async () => {
  await using tmp = await outsideFolder();
  const h2 = `${tmp.path}/h2`;
  const h3 = `${tmp.path}/h3`;
  const spread = [
    { name: "calc", module: MODULE, host: "h2" },
    { name: "ui", module: MODULE, host: "h3" },
  ];
  const all = validateLaunch({
    nodes: spread,
    registry: { etcd: ["https://localhost:2379"] },
    security: { curve: true, allow: ["py"] },
  });
  const on = (host: string) => ({
    ...all,
    nodes: all.nodes.filter((n) => n.host === host),
  });
  // h2 makes its own keys, then misses ui's public key.
  await assertRejects(
    () => secureKeys(on("h2"), { keys: h2, everyone: all.nodes, host: "h2" }),
    LaunchError,
    `Cannot launch on host "h2" in secure mode: no key for ui in ${h2} (ui runs on host "h3"); there, run zmp keys export ui > ui.pub, and here zmp keys import ui.pub --keys ${h2}`,
  );
  assertEquals(
    (await listKeys(h2)).map((k) => [k.name, k.secret]),
    [["@cli", true], ["calc", true]],
  );
  await secureKeys(on("h3"), { keys: h3, everyone: all.nodes, host: "h3" })
    .catch(() => {});
  await importPublicKeys(h2, await exportPublicKeys(h3, ["ui"]));
  await importPublicKeys(h3, await exportPublicKeys(h2, ["calc"]));
  // An allowed name is made where it runs, never by a host's launch.
  await assertRejects(
    () => secureKeys(on("h2"), { keys: h2, everyone: all.nodes, host: "h2" }),
    LaunchError,
    `no key for py in ${h2} (py is named in security.allow; make its key where it runs, with zmp keys gen)`,
  );
  await generateKeyPair(`${tmp.path}/py`, "py");
  for (const dir of [h2, h3]) {
    await importPublicKeys(
      dir,
      await exportPublicKeys(`${tmp.path}/py`, ["py"]),
    );
  }
  const k2 = await secureKeys(on("h2"), {
    keys: h2,
    everyone: all.nodes,
    host: "h2",
  });
  const k3 = await secureKeys(on("h3"), {
    keys: h3,
    everyone: all.nodes,
    host: "h3",
  });
  assertEquals([...k2.nodes.keys()], ["calc"]);
  assertEquals(k2.foreignSecrets, []);
  assertEquals(k2.registry, undefined);
  assertEquals(k2.nodes.get("calc")?.peers, k3.nodes.get("ui")?.peers);
  assertEquals(Object.keys(k2.allowed).sort(), ["calc", "py", "ui"]);
  // No secret key of another host's node, nor any @registry key.
  assertEquals(
    (await listKeys(h2)).map((k) => [k.name, k.secret]),
    [["@cli", true], ["calc", true], ["py", false], ["ui", false]],
  );
  // A node placed here whose key pair is elsewhere: named, not remade.
  await assertRejects(
    () =>
      secureKeys({ ...all, nodes: all.nodes }, {
        keys: h2,
        everyone: all.nodes,
        host: "h2",
      }),
    LaunchError,
    `Cannot launch in secure mode: ui runs on host "h2", but ${h2} holds only its public key (ui.pub); bring its key pair from the host that made it, or make a new one with zmp keys gen ui --replace`,
  );
  // A directory copied to every host works, and says whose secret key it
  // holds that it should not.
  const shared = await secureKeys(on("h2"), {
    keys: `${tmp.path}/py`,
    everyone: all.nodes,
    host: "h2",
  }).catch((e) => e);
  assertEquals(shared instanceof LaunchError, true); // ui: no key at all
  await generateKeyPair(`${tmp.path}/py`, "ui");
  assertEquals(
    (await secureKeys(on("h2"), {
      keys: `${tmp.path}/py`,
      everyone: all.nodes,
      host: "h2",
    })).foreignSecrets,
    ["ui"], // py, an allowed name, may well run here
  );
  // One host (no --host): every key pair made on first use, as before.
  const single = await secureKeys(
    validateLaunch({ nodes, security: { curve: true } }),
    { keys: `${tmp.path}/one` },
  );
  assertEquals(
    (await listKeys(`${tmp.path}/one`)).map((k) => [k.name, k.secret]),
    [["@cli", true], ["@registry", true], ["calc", true], ["ui", true]],
  );
  assertEquals(single.registry?.nodes, single.allowed);
});
