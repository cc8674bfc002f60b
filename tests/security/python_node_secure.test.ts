/**
 * Runs the Python node listed in docs/PROTOCOL.md §14 in a secure system,
 * with a key directory (§15, "Joining a secure system"): it registers under
 * its own key, a zmp node calls it proving the key the registry lists for
 * it, `zmp call` calls it with the `@cli` key, and with a key the system
 * does not know it cannot register. Skipped when no Python with pyzmq and
 * msgpack is found (tests/_python.ts).
 */

import { assert, assertEquals, waitFor } from "../_assert.ts";
import { findPython } from "../_python.ts";
import { runZmp } from "../launch/_harness.ts";
import { createNode } from "../../src/node/node.ts";
import { startRegistry } from "../../src/registry/server.ts";
import { connectRegistry } from "../../src/registry/client.ts";
import type { NodeInfo } from "../../src/registry/types.ts";
import type { ServiceDescriptor } from "../../src/wire/descriptors.ts";
import {
  CLI_KEY_NAME,
  ensureKeyPair,
  REGISTRY_KEY_NAME,
} from "../../src/launch/keys.ts";
import { outsideFolder } from "../project/_project.ts";

const PYTHON = await findPython();
const DOC = new URL("../../docs/PROTOCOL.md", import.meta.url);
const NAME = "py-echo";
const quiet = { warn() {}, error() {} };
const quietNode = { debug() {}, info() {}, ...quiet };

/** `py.Echo`, as a zmp program would describe it. */
const PyEchoService: ServiceDescriptor<
  { echo(text: string): Promise<string> }
> = {
  name: "py.Echo",
  codec: "msgpack",
  source: "tests/security/python_node_secure.test.ts",
  methods: {
    echo: {
      name: "echo",
      kind: "unary",
      idempotent: true,
      params: ["text"],
      requiredParams: 1,
      validateArgs: () => {},
      validateResult: () => {},
      argsSchema: {
        type: "array",
        prefixItems: [{ title: "text", type: "string" }],
        minItems: 1,
        maxItems: 1,
      },
      resultSchema: { type: "string" },
    },
  },
};

async function listing(): Promise<string> {
  const doc = await Deno.readTextFile(DOC);
  const section = doc.slice(doc.indexOf("## 14. The registry"));
  const code = /```python\n([\s\S]*?)```/.exec(section)?.[1];
  if (code === undefined) throw new Error("no Python listing in §14");
  return code;
}

Deno.test({
  name:
    "docs/PROTOCOL.md §14 Python node joins a secure system with its key, and cannot without one the system knows",
  ignore: PYTHON === undefined,
  async fn() {
    await using tmp = await outsideFolder();
    const file = `${tmp.path}/py_node.py`;
    await Deno.writeTextFile(file, await listing());
    const keys = `${tmp.path}/keys`;
    const [reg, cli, py, caller] = await Promise.all(
      [REGISTRY_KEY_NAME, CLI_KEY_NAME, NAME, "caller"].map((n) =>
        ensureKeyPair(keys, n)
      ),
    );
    // What a launch with security.allow: ["py-echo"] runs.
    await using registry = await startRegistry({
      endpoint: "tcp://127.0.0.1:*",
      logger: quiet,
      security: {
        ...reg,
        nodes: { [NAME]: py.publicKey, caller: caller.publicKey },
        clients: { [CLI_KEY_NAME]: cli.publicKey },
      },
    });
    const start = (dir: string) =>
      new Deno.Command(PYTHON!, {
        args: [file, registry.endpoint, NAME, dir],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
    const child = start(keys);
    const output = child.output();
    try {
      await using tool = await connectRegistry({
        endpoint: registry.endpoint,
        curve: { ...cli, serverKey: reg.publicKey },
        logger: quiet,
      });
      let info: NodeInfo | undefined;
      await waitFor(
        async () =>
          (info = (await tool.nodes()).find((n) => n.name === NAME)) !==
            undefined,
        `node "${NAME}" to register`,
        { timeout: 15000, interval: 20 },
      );
      assertEquals(info!.publicKey, py.publicKey);

      // A zmp node calls it, checking the key the registry lists.
      await using node = await createNode("caller", {
        registry: registry.endpoint,
        security: {
          ...caller,
          registryKey: reg.publicKey,
          tools: [cli.publicKey],
        },
        logger: quietNode,
      });
      const echo = await node.client(PyEchoService, { timeout: 5000 });
      assertEquals(await echo.echo("over CURVE"), "over CURVE");

      // The tools, with the key directory.
      const call = await runZmp([
        "call",
        "py.Echo.echo",
        "hi",
        "--registry",
        registry.endpoint,
        "--keys",
        keys,
      ]);
      assertEquals(call, { code: 0, stdout: '"hi"\n', stderr: "" });
    } finally {
      child.kill("SIGTERM");
      await output;
    }

    // Another directory: the registry's key is right, the node's is not
    // on the allow-list. The handshake fails; nothing registers.
    const other = `${tmp.path}/other`;
    await ensureKeyPair(other, NAME);
    await Deno.copyFile(
      `${keys}/${REGISTRY_KEY_NAME}.key`,
      `${other}/${REGISTRY_KEY_NAME}.key`,
    );
    const stranger = await start(other).output();
    assert(stranger.code !== 0);
    assertEquals(new TextDecoder().decode(stranger.stdout), "");
    // One line, no traceback.
    assertEquals(stranger.code, 1);
    assertEquals(
      new TextDecoder().decode(stranger.stderr),
      `${NAME}: cannot register at ${registry.endpoint}: zmp.Registry.register: no answer\n`,
    );
  },
});
