/**
 * `zmp launch` beyond the embedded registry: etcd from the launch file or
 * `--registry`, nodes placed on hosts (`--host`), the CLI against etcd,
 * and the params file a launch keeps by default.
 */

import {
  assert,
  assertEquals,
  assertMatch,
  assertStringIncludes,
} from "../_assert.ts";
import { connectRegistry, type NodeInfo } from "../../mod.ts";
import { EtcdCluster } from "../_etcd.ts";
import { fixture, Launcher, runZmp, tempDir, writeLaunch } from "./_harness.ts";

const quiet = { warn() {}, error() {} };

Deno.test("zmp launch --host a and --host b share etcd: each starts its nodes, they see each other, and every zmp command works with --registry etcd://", async () => {
  await using etcd = await EtcdCluster.start();
  await using dir = await tempDir();
  const file = await writeLaunch(dir.path, {
    registry: { etcd: etcd.endpoints },
    nodes: [
      {
        name: "echo-a",
        module: fixture("../../node/fixtures/echo_node.ts"),
        host: "a",
      },
      {
        name: "echo-b",
        module: fixture("../../node/fixtures/echo_node.ts"),
        host: "b",
        after: [{ node: "echo-a" }],
      },
    ],
  });
  await using a = new Launcher(["--no-check", file, "--host", "a"]);
  await using b = new Launcher(["--no-check", file, "--host", "b"]);
  await a.line(/host a: 1 node, reached at 127\.0\.0\.1/);
  await b.line(/echo-b waits for node echo-a/);
  // echo-a's registration on a's own side first: if it never comes, the
  // failure shows a's output, not b's (once in CI, b waited 30 s for echo-a
  // and its output could not say why). The default wait allows for a cold
  // start in a fresh clone while the rest of the suite runs.
  await a.line(/echo-a registered/);
  // Each launcher sees the other host's node through etcd.
  await b.line(/echo-a registered/, 30000);
  await a.line(/echo-b registered/);
  assertEquals(b.indexOf(/started echo-a/), -1);

  const url = etcd.url;
  const list = await runZmp(["list", "nodes", "--json", "--registry", url]);
  assertEquals(list.code, 0, list.stderr);
  const nodes = JSON.parse(list.stdout) as NodeInfo[];
  assertEquals(
    nodes.map((n) => [n.name, n.host]),
    [["echo-a", "a"], ["echo-b", "b"]],
  );
  const table = await runZmp(["list", "nodes", "--registry", url]);
  assertMatch(table.stdout, /echo-a\s+\d+\s+a\s+subprocess/);

  const set = await runZmp([
    "param",
    "set",
    "echo.greeting",
    '"hello from etcd"',
    "--registry",
    url,
  ]);
  assertEquals(set.code, 0, set.stderr);
  const get = await runZmp([
    "param",
    "get",
    "echo.greeting",
    "--registry",
    url,
  ]);
  assertStringIncludes(get.stdout, "hello from etcd");

  const call = await runZmp([
    "call",
    "test.Echo.echo",
    '"over etcd"',
    "--registry",
    url,
  ]);
  assertEquals(call.code, 0, call.stderr);
  assertStringIncludes(call.stdout, "over etcd");

  const graph = await runZmp(["graph", "--registry", url]);
  assertStringIncludes(graph.stdout, 'subgraph "cluster_host:a"');
  assertStringIncludes(graph.stdout, 'subgraph "cluster_host:b"');

  for (const l of [b, a]) {
    l.child.kill("SIGTERM");
    assertEquals(await l.exited(), 0, l.text);
  }
  await using registry = await connectRegistry({
    endpoint: url,
    logger: quiet,
  });
  assertEquals(await registry.nodes(), []);
  // Params live in etcd: they outlive every launcher.
  assertEquals(await registry.params.get("echo.greeting"), "hello from etcd");
});

Deno.test("zmp launch refuses --host with an embedded registry, and a host no node is on", async () => {
  await using dir = await tempDir();
  const file = await writeLaunch(dir.path, {
    nodes: [{ name: "n", module: fixture("done.ts"), host: "a" }],
  });
  const embedded = await runZmp(["launch", "--no-check", file, "--host", "a"]);
  assertEquals(embedded.code, 2);
  assertStringIncludes(
    embedded.stderr,
    'Cannot launch on host "a": --host needs a registry that every host shares, and the launch file\'s is embedded (give one with --registry etcd://…, or registry: { etcd: [...] })',
  );
  const nowhere = await runZmp([
    "launch",
    "--no-check",
    file,
    "--host",
    "z",
    "--registry",
    "etcd://127.0.0.1:1",
  ]);
  assertEquals(nowhere.code, 2);
  assertStringIncludes(
    nowhere.stderr,
    'Cannot launch on host "z": no node of the launch file is placed there (hosts: a)',
  );
  const bad = await runZmp([
    "launch",
    "--no-check",
    file,
    "--registry",
    "etcd://",
  ]);
  assertEquals(bad.code, 2);
  assertStringIncludes(bad.stderr, "is not a valid etcd endpoint");
});

Deno.test("zmp launch keeps params in a file beside the launch file across a restart, and not with --no-params", async () => {
  await using dir = await tempDir();
  const file = await writeLaunch(dir.path, {
    registry: { endpoint: "tcp://127.0.0.1:*" },
    nodes: [],
  });
  const run = async (
    args: string[],
    body: (endpoint: string, l: Launcher) => Promise<void>,
  ) => {
    await using l = new Launcher(["--no-check", ...args, file], {}, {
      defaultParams: true,
    });
    const [, endpoint] = await l.line(/registry listening on (\S+)/);
    await body(endpoint, l);
    l.child.kill("SIGTERM");
    assertEquals(await l.exited(), 0, l.text);
  };
  const kept = `${dir.path}/launch.params.json`;
  await run([], async (endpoint, l) => {
    await l.line(new RegExp(`params kept in ${kept.replace(/\./g, "\\.")}`));
    await using r = await connectRegistry({ endpoint, logger: quiet });
    await r.params.set("keep.setpoint", 50);
  });
  assert((await Deno.stat(kept)).isFile);
  await run([], async (endpoint) => {
    await using r = await connectRegistry({ endpoint, logger: quiet });
    assertEquals(await r.params.get("keep.setpoint"), 50);
  });
  await run(["--no-params"], async (endpoint, l) => {
    await l.line(/params kept in memory: they end with this launch/);
    await using r = await connectRegistry({ endpoint, logger: quiet });
    assertEquals(await r.params.get("keep.setpoint"), undefined);
  });
  const other = `${dir.path}/elsewhere.json`;
  await run(["--params", other], async (endpoint) => {
    await using r = await connectRegistry({ endpoint, logger: quiet });
    await r.params.set("keep.other", true);
  });
  assertStringIncludes(await Deno.readTextFile(other), "keep.other");
});
