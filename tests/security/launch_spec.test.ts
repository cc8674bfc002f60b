/**
 * The `security` field of a launch file: checked like the rest, with the
 * field and node named, and secure mode refused where it cannot hold.
 */

import { assertEquals, assertRejects, assertThrows } from "../_assert.ts";
import { validateLaunch } from "../../src/launch/_validate.ts";
import { secureKeys } from "../../src/launch/_secure.ts";
import { LaunchError } from "../../src/launch/errors.ts";
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

Deno.test("secureKeys: one key per node and allowed name, workers included, refused for other registries", async () => {
  await using tmp = await outsideFolder();
  const launch = validateLaunch({
    nodes,
    security: { curve: true, allow: ["py"] },
  });
  const keys = await secureKeys(launch, { keys: tmp.path });
  assertEquals(Object.keys(keys.registry.nodes).sort(), ["calc", "py", "ui"]);
  assertEquals(Object.keys(keys.registry.clients ?? {}), ["@cli"]);
  assertEquals(keys.nodes.get("ui")?.registryKey, keys.registry.publicKey);
  assertEquals(keys.launcher?.serverKey, keys.registry.publicKey);
  // A worker node gets keys like the others (posted to its Worker).
  const worker = await secureKeys(
    validateLaunch({
      nodes: [{ name: "w", module: MODULE, mode: "worker" }],
    }),
    { keys: tmp.path },
  );
  assertEquals(worker.nodes.get("w")?.registryKey, keys.registry.publicKey);
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
  assertEquals(ui?.peers?.calc, keys.registry.nodes.calc);
  assertEquals(ui?.policy, { ui: { params: [] } });
});
