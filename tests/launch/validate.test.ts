/**
 * `validateLaunch`: the run-time check of a launch spec.
 *
 * @module
 */

import { assertEquals, assertThrows } from "../_assert.ts";
import { LaunchError } from "../../src/launch/errors.ts";
import { validateLaunch } from "../../src/launch/_validate.ts";
import { resolveRef } from "../../src/launch/_validate.ts";

const FILE = "file:///project/app/launch.ts";

function refused(spec: unknown, message: string): LaunchError {
  const e = assertThrows(() => validateLaunch(spec, FILE), LaunchError);
  assertEquals(e.message, message);
  assertEquals(e.message.includes("\n"), false, "one line");
  return e;
}

Deno.test("validateLaunch() fills in the defaults and resolves modules against the file", () => {
  const launch = validateLaunch({
    kind: "zmp.launch",
    nodes: [{ name: "a", module: "./a.ts" }, {
      name: "b",
      module: "https://example.com/b.ts",
      mode: "worker",
      restart: "on-failure",
      after: [{ node: "a" }],
    }],
  }, FILE);
  assertEquals(launch.registry, {
    kind: "embedded",
    endpoint: "tcp://127.0.0.1:7350",
    ttl: 3000,
  });
  assertEquals(launch.gracePeriod, 5000);
  assertEquals(launch.nodes[0].moduleUrl, "file:///project/app/a.ts");
  assertEquals(launch.nodes[0].mode, "subprocess");
  assertEquals(launch.nodes[0].restart, {
    policy: "never",
    initialDelay: 200,
    maxDelay: 10000,
    factor: 2,
    maxRestarts: 5,
    resetAfter: 30000,
  });
  assertEquals(launch.nodes[1].moduleUrl, "https://example.com/b.ts");
  assertEquals(launch.nodes[1].restart.policy, "on-failure");
  assertEquals(launch.nodes[1].after, [{ node: "a" }]);
});

Deno.test("validateLaunch() resolves relative permission paths and keeps the others", () => {
  const launch = validateLaunch({
    nodes: [{
      name: "a",
      module: "a.ts",
      permissions: {
        read: ["./data", "/etc/hosts"],
        write: false,
        net: ["example.com:443"],
        env: true,
      },
      env: { GREETING: "hi" },
    }],
    registry: { paramsFile: "./params.json", endpoint: "tcp://127.0.0.1:*" },
  }, FILE);
  assertEquals(launch.nodes[0].permissions, {
    read: ["/project/app/data", "/etc/hosts"],
    net: ["example.com:443"],
    env: true,
  });
  assertEquals(launch.registry, {
    kind: "embedded",
    endpoint: "tcp://127.0.0.1:*",
    ttl: 3000,
    paramsFile: "/project/app/params.json",
  });
});

Deno.test("validateLaunch() takes the embedded registry's maxElements, a whole number >= 1", () => {
  assertEquals(
    validateLaunch({ registry: { maxElements: 500_000 }, nodes: [] }, FILE)
      .registry,
    {
      kind: "embedded",
      endpoint: "tcp://127.0.0.1:7350",
      ttl: 3000,
      maxElements: 500_000,
    },
  );
  refused(
    { registry: { maxElements: 0 }, nodes: [] },
    "Cannot launch: registry.maxElements must be >= 1, got 0",
  );
  refused(
    { registry: { maxElements: 1.5 }, nodes: [] },
    "Cannot launch: registry.maxElements must be integer, got number 1.5",
  );
});

Deno.test("validateLaunch() checks a registry as the kind its keys say, naming the field", () => {
  // Before, the union took { external: 5 } for an embedded registry with
  // an unknown field, and { etcd: "x" } threw a TypeError of its own.
  refused(
    { registry: { external: 5 }, nodes: [] },
    "Cannot launch: registry.external must be string, got number 5",
  );
  refused(
    { registry: { etcd: "x" }, nodes: [] },
    'Cannot launch: registry.etcd must be string[], got string "x"',
  );
  refused(
    { registry: { ttl: 5 }, nodes: [] },
    "Cannot launch: registry.ttl must be >= 10, got 5",
  );
  refused(
    { registry: 7, nodes: [] },
    "Cannot launch: registry must be EmbeddedRegistrySpec | ExternalRegistrySpec | EtcdRegistrySpec, got number 7",
  );
});

Deno.test("validateLaunch() accepts an external registry alone", () => {
  assertEquals(
    validateLaunch({ registry: { external: "tcp://10.0.0.5:7350" }, nodes: [] })
      .registry,
    { kind: "external", endpoint: "tcp://10.0.0.5:7350" },
  );
  refused(
    { registry: { external: "tcp://10.0.0.5:7350", ttl: 5 }, nodes: [] },
    "Cannot launch: registry.ttl is not a known field (expected one of: external)",
  );
});

Deno.test("validateLaunch() refuses duplicate names, naming the node and field", () => {
  const e = refused(
    { nodes: [{ name: "a", module: "a.ts" }, { name: "a", module: "b.ts" }] },
    'Cannot launch: node "a": name is used by two nodes',
  );
  assertEquals([e.node, e.field, e.file], ["a", "name", FILE]);
});

Deno.test("validateLaunch() refuses unknown keys at every level", () => {
  refused(
    { nodes: [], graceperiod: 5 },
    "Cannot launch: graceperiod is not a known field (expected one of: registry, gracePeriod, nodes, security, kind)",
  );
  const e = refused(
    { nodes: [{ name: "a", module: "a.ts", restrat: "always" }] },
    'Cannot launch: node "a": restrat is not a known field (expected one of: name, module, mode, args, env, permissions, unsafeFfi, restart, after, required, host)',
  );
  assertEquals([e.node, e.field], ["a", "restrat"]);
  refused(
    {
      nodes: [{
        name: "a",
        module: "a.ts",
        restart: { policy: "always", delay: 5 },
      }],
    },
    'Cannot launch: node "a": restart.delay is not a known field (expected one of: policy, initialDelay, maxDelay, factor, maxRestarts, resetAfter)',
  );
  refused(
    { nodes: [{ name: "a", module: "a.ts", permissions: { hrtime: true } }] },
    'Cannot launch: node "a": permissions.hrtime is not a known field (expected one of: read, write, net, env, run, sys, ffi)',
  );
});

Deno.test("validateLaunch() refuses bad restart policies", () => {
  const e = refused(
    { nodes: [{ name: "a", module: "a.ts", restart: "sometimes" }] },
    'Cannot launch: node "a": restart must be "never" | "on-failure" | "always" | RestartOptions, got string "sometimes"',
  );
  assertEquals(e.field, "restart");
  refused(
    {
      nodes: [{ name: "a", module: "a.ts", restart: { policy: "on-fail" } }],
    },
    'Cannot launch: node "a": restart.policy must be "never" | "on-failure" | "always", got string "on-fail"',
  );
  refused(
    {
      nodes: [{
        name: "a",
        module: "a.ts",
        restart: { policy: "always", factor: 0.5 },
      }],
    },
    'Cannot launch: node "a": restart.factor must be >= 1, got 0.5',
  );
  refused(
    {
      nodes: [{
        name: "a",
        module: "a.ts",
        restart: { policy: "always", maxRestarts: 1.5 },
      }],
    },
    'Cannot launch: node "a": restart.maxRestarts must be a whole number or Infinity, got number 1.5',
  );
  refused(
    {
      nodes: [{
        name: "a",
        module: "a.ts",
        restart: { policy: "always", initialDelay: 500, maxDelay: 100 },
      }],
    },
    'Cannot launch: node "a": restart.maxDelay must be ≥ restart.initialDelay (500), got 100',
  );
});

Deno.test("validateLaunch() refuses bad names, modes, args, env and after", () => {
  refused(
    { nodes: [{ name: "has space", module: "a.ts" }] },
    'Cannot launch: nodes[0].name is not valid: a node name is 1 to 255 characters of A-Z a-z 0-9 _ . / -, the first a letter, a digit or _, got string "has space"',
  );
  refused(
    { nodes: [{ name: "a", module: "a.ts", mode: "thread" }] },
    'Cannot launch: node "a": mode must be "subprocess" | "worker" | "inprocess", got string "thread"',
  );
  refused(
    { nodes: [{ name: "a", module: "a.ts", args: [1] }] },
    'Cannot launch: node "a": args[0] must be string, got number 1',
  );
  refused(
    { nodes: [{ name: "a", module: "a.ts", env: { ZMP_NODE_NAME: "b" } }] },
    'Cannot launch: node "a": env.ZMP_NODE_NAME is set by the launcher and cannot be given',
  );
  // The end of standard input is how the launcher asks a node to stop.
  refused(
    { nodes: [{ name: "a", module: "a.ts", env: { ZMP_STDIN_WATCH: "0" } }] },
    'Cannot launch: node "a": env.ZMP_STDIN_WATCH is set by the launcher and cannot be given',
  );
  refused(
    { nodes: [{ name: "a", module: "a.ts", after: [{ service: "S", x: 1 }] }] },
    'Cannot launch: node "a": after[0] must be { service: name }, { service: name, count: n }, { node: name } or { topic: name }, got { service, x }',
  );
  for (const count of [0, 1.5, "2"]) {
    refused(
      {
        nodes: [{
          name: "a",
          module: "a.ts",
          after: [{ service: "S", count }],
        }],
      },
      `Cannot launch: node "a": after[0].count must be an integer of at least 1, got ${
        JSON.stringify(count)
      }`,
    );
  }
  refused(
    {
      nodes: [{
        name: "a",
        module: "a.ts",
        after: [{ node: "b", count: 2 }],
      }],
    },
    'Cannot launch: node "a": after[0] must be { service: name }, { service: name, count: n }, { node: name } or { topic: name }, got { node, count }',
  );
  refused(
    { nodes: [{ name: "a", module: "a.ts", after: [{ node: "a" }] }] },
    'Cannot launch: node "a": after[0].node names the node itself',
  );
  refused(
    { nodes: [{ name: "a", module: "a.ts", after: [{ topic: "/abs" }] }] },
    'Cannot launch: node "a": after[0].topic is not valid: a topic name is 1 to 255 characters of A-Z a-z 0-9 _ . / -, the first a letter, a digit or _, got string "/abs"',
  );
  refused(
    { nodes: [{ name: "x".repeat(256), module: "a.ts" }] },
    "Cannot launch: nodes[0].name must have at most 255 characters, got 256 characters",
  );
  // The node rule of wire/names.ts, not a launcher's own: 255 characters
  // and a leading `_` are node names, as createNode() takes them.
  const names = ["x".repeat(255), "_tool", "cam/left.1"];
  assertEquals(
    validateLaunch(
      { nodes: names.map((name) => ({ name, module: "a.ts" })) },
      FILE,
    ).nodes.map((n) => n.name),
    names,
  );
  refused(
    { nodes: [{ name: "a", module: "a.ts", permissions: { read: ["a,b"] } }] },
    'Cannot launch: node "a": permissions.read[0] must not contain a comma',
  );
  refused(
    {
      nodes: [{
        name: "a",
        module: "a.ts",
        mode: "worker",
        permissions: { read: true },
      }],
    },
    'Cannot launch: node "a": permissions needs mode "subprocess": a worker node shares the launcher\'s permissions',
  );
  refused(
    { nodes: "a.ts" },
    'Cannot launch: nodes must be NodeSpec[], got string "a.ts"',
  );
  refused(
    undefined,
    "Cannot launch: the default export must be defineLaunch({ ... }), got undefined",
  );
});

Deno.test("validateLaunch() refuses a cycle of after: { node }", () => {
  refused(
    {
      nodes: [
        { name: "a", module: "a.ts", after: [{ node: "c" }] },
        { name: "b", module: "b.ts", after: [{ node: "a" }] },
        { name: "c", module: "c.ts", after: [{ node: "b" }] },
      ],
    },
    'Cannot launch: node "a": after makes a cycle: a → c → b → a',
  );
});

Deno.test("resolveRef() keeps # and ? in paths: they are file names, not URL parts", () => {
  assertEquals(
    resolveRef("./node #1?.ts", "file:///app/launch.ts"),
    "file:///app/node%20%231%3F.ts",
  );
  assertEquals(
    resolveRef("/srv/a#b/n.ts", undefined),
    "file:///srv/a%23b/n.ts",
  );
  assertEquals(
    resolveRef("n.ts", "file:///my%20app/launch.ts"),
    "file:///my%20app/n.ts",
  );
  assertEquals(
    resolveRef("https://example.com/n.ts", "file:///app/launch.ts"),
    "https://example.com/n.ts",
  );
  assertEquals(
    resolveRef("./n#1.ts", "https://example.com/app/launch.ts"),
    "https://example.com/app/n%231.ts",
  );
});
