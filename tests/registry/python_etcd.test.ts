/**
 * Runs the Python node of docs/PROTOCOL.md §14 "On etcd" against a real
 * etcd: it joins through etcd alone (no zmp registry process), a zmp node
 * finds it and calls it, `zmp call --registry etcd://…` too, and on SIGTERM
 * it leaves with reason `unregistered`. Skipped, like the other Python
 * listings, when no Python with pyzmq and msgpack is found.
 */

import { assertEquals, assertStringIncludes, waitFor } from "../_assert.ts";
import { findPython } from "../_python.ts";
import { runZmp } from "../launch/_harness.ts";
import {
  connectRegistry,
  createNode,
  type RegistryEvent,
  type ServiceDescriptor,
} from "../../mod.ts";
import { EtcdCluster } from "../_etcd.ts";
import { Recorder } from "./_helpers.ts";

const DOC = new URL("../../docs/PROTOCOL.md", import.meta.url);
const PYTHON = await findPython();
const NAME = "py-etcd-test";
const quiet = { warn() {}, error() {} };

const PyEcho: ServiceDescriptor<{ echo(text: string): Promise<string> }> = {
  name: "py.Echo",
  codec: "msgpack",
  source: "tests/registry/python_etcd.test.ts",
  methods: {
    echo: {
      name: "echo",
      kind: "unary",
      idempotent: true,
      params: ["text"],
      requiredParams: 1,
      validateArgs: () => {},
      validateResult: () => {},
      argsSchema: {},
      resultSchema: {},
    },
  },
};

async function listing(): Promise<string> {
  const doc = await Deno.readTextFile(DOC);
  const section = doc.slice(doc.indexOf("#### A Python node on etcd"));
  const code = /```python\n([\s\S]*?)```/.exec(section)?.[1];
  if (code === undefined) throw new Error('no Python listing in "On etcd"');
  return code;
}

Deno.test({
  name:
    "docs/PROTOCOL.md Python node joins through etcd alone, is called by name, and leaves as unregistered",
  ignore: PYTHON === undefined,
  async fn() {
    await using etcd = await EtcdCluster.start();
    const file = await Deno.makeTempFile({ suffix: ".py" });
    await Deno.writeTextFile(file, await listing());
    const child = new Deno.Command(PYTHON!, {
      args: [file, etcd.endpoints.join(","), NAME],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const output = child.output();
    try {
      await using registry = await connectRegistry({
        endpoint: etcd.url,
        logger: quiet,
      });
      await using events = new Recorder<RegistryEvent>((signal) =>
        registry.watch({ signal })
      );
      await waitFor(
        async () => (await registry.nodes()).some((n) => n.name === NAME),
        "the Python node to register in etcd",
        { timeout: 15000 },
      );
      const [info] = await registry.nodes();
      assertEquals(info.pid, child.pid);
      assertEquals(info.services[0].name, "py.Echo");

      await using node = await createNode("py-etcd-caller", {
        registry,
        logger: { debug() {}, info() {}, ...quiet },
      });
      const echo = await node.client(PyEcho, { timeout: 5000 });
      assertEquals(await echo.echo("hi over etcd"), "hi over etcd");

      const cli = await runZmp([
        "call",
        "py.Echo.echo",
        "hi",
        "--registry",
        etcd.url,
      ]);
      assertEquals(cli.code, 0, cli.stderr);
      assertStringIncludes(cli.stdout, '"hi"');

      // Its lease is kept alive: still there after two ttls.
      await new Promise((r) => setTimeout(r, 6500));
      assertEquals((await registry.nodes()).map((n) => n.name), [
        "py-etcd-caller",
        NAME,
      ]);

      child.kill("SIGTERM");
      await waitFor(
        () => events.items.some((e) => e.type === "removed" && e.name === NAME),
        "the Python node to leave",
        { timeout: 10000 },
      );
      const removed = events.items.find((e) =>
        e.type === "removed" && e.name === NAME
      );
      assertEquals(removed, {
        type: "removed",
        name: NAME,
        instanceId: info.instanceId,
        reason: "unregistered",
      });
    } finally {
      try {
        child.kill("SIGKILL");
      } catch {
        // exited
      }
      const out = await output;
      await Deno.remove(file);
      if (!out.success && out.signal === null && out.code !== 0) {
        console.error(new TextDecoder().decode(out.stderr));
      }
    }
  },
});
