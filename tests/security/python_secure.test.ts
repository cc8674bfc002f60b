/**
 * Runs the pyzmq tool listed in docs/PROTOCOL.md §15 ("Joining a secure
 * system") against a secure registry and node: with the system's keys it
 * calls through, with another key directory it gets nothing. Skipped when
 * no Python with pyzmq and msgpack is found (tests/_python.ts).
 */

import { assertEquals, assertStringIncludes } from "../_assert.ts";
import { findPython } from "../_python.ts";
import { createNode } from "../../src/node/node.ts";
import { createNodeLogger } from "../../src/node/logger.ts";
import { startRegistry } from "../../src/registry/server.ts";
import {
  CLI_KEY_NAME,
  ensureKeyPair,
  REGISTRY_KEY_NAME,
} from "../../src/launch/keys.ts";
import { EchoService } from "../node/fixtures/api.ts";
import { outsideFolder } from "../project/_project.ts";

const PYTHON = await findPython();
const DOC = new URL("../../docs/PROTOCOL.md", import.meta.url);

Deno.test({
  name:
    "docs/PROTOCOL.md §15 secure pyzmq tool calls with the system's keys, and gets nothing with others",
  ignore: PYTHON === undefined,
  async fn() {
    const doc = await Deno.readTextFile(DOC);
    const listing =
      /```python\n("""Calls a service of a secure zmp system[\s\S]*?)```/
        .exec(doc)?.[1];
    if (listing === undefined) throw new Error("no secure listing in §15");
    await using tmp = await outsideFolder();
    const file = `${tmp.path}/secure_call.py`;
    await Deno.writeTextFile(file, listing);
    const keys = `${tmp.path}/keys`;
    const reg = await ensureKeyPair(keys, REGISTRY_KEY_NAME);
    const cli = await ensureKeyPair(keys, CLI_KEY_NAME);
    const calc = await ensureKeyPair(keys, "calc");
    await using registry = await startRegistry({
      endpoint: "tcp://127.0.0.1:*",
      logger: { warn() {}, error() {} },
      security: {
        ...reg,
        nodes: { calc: calc.publicKey },
        clients: { [CLI_KEY_NAME]: cli.publicKey },
      },
    });
    await using node = await createNode("calc", {
      registry: registry.endpoint,
      security: { ...calc, registryKey: reg.publicKey, tools: [cli.publicKey] },
      logger: createNodeLogger("calc", { level: "silent" }),
    });
    const none = () => ({ node: "", mode: "", pid: 0 });
    await node.provide(EchoService, {
      echo: (v: unknown) => v,
      whoami: none,
      slow: none,
      slowOnce: none,
      async *count() {},
      burst: () => 0,
    });
    const run = (dir: string) =>
      new Deno.Command(PYTHON!, {
        args: [file, registry.endpoint, dir, "test.Echo.echo", '["hi"]'],
        stdin: "null",
      }).output();
    const ok = await run(keys);
    assertEquals(ok.code, 0, new TextDecoder().decode(ok.stderr));
    assertEquals(new TextDecoder().decode(ok.stdout), '"hi"\n');

    const other = `${tmp.path}/other`;
    await ensureKeyPair(other, CLI_KEY_NAME);
    await Deno.copyFile(
      `${keys}/${REGISTRY_KEY_NAME}.key`,
      `${other}/${REGISTRY_KEY_NAME}.key`,
    );
    const refused = await run(other);
    assertEquals(refused.code, 1);
    assertEquals(new TextDecoder().decode(refused.stdout), "");
    assertStringIncludes(
      new TextDecoder().decode(refused.stderr),
      "no answer from tcp://127.0.0.1:",
    );
  },
});
