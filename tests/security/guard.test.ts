/**
 * `NodeGuard` under a peer that tries key after key: what it asks of the
 * registry, and what it logs, stay bounded whatever the number of keys.
 */

import { assert, assertEquals } from "../_assert.ts";
import { NodeGuard } from "../../src/node/_security.ts";
import { startRegistry } from "../../src/registry/server.ts";
import { connectRegistry } from "../../src/registry/client.ts";
import { RegistryView } from "../../src/registry/view.ts";
import type { NodeInfo } from "../../src/registry/types.ts";
import { curveKeypair } from "../../src/zmq/curve.ts";

Deno.test("NodeGuard judges unknown keys, at once or one by one, with a few registry listings and one log line per interval", async () => {
  await using registry = await startRegistry({
    endpoint: "tcp://127.0.0.1:*",
    logger: { warn() {}, error() {} },
  });
  await using client = await connectRegistry({ endpoint: registry.endpoint });
  const view = new RegistryView(client);
  const own = await curveKeypair();
  const lines: string[] = [];
  let fetches = 0;
  const guard = new NodeGuard(
    { ...own, registryKey: own.publicKey },
    view,
    {
      debug() {},
      info() {},
      warn: (m: string) => lines.push(m),
      error: (m: string) => lines.push(m),
    },
    (): Promise<NodeInfo[]> => {
      fetches++;
      return client.nodes();
    },
  );
  try {
    const hook = guard.subscribers("test/status");
    // Handshakes that arrive together: 1,500 keys judged at once.
    const together = await Promise.all(
      Array.from({ length: 1500 }, () => curveKeypair()),
    );
    const verdicts = await Promise.all(
      together.map((k) => hook({ publicKey: k.publicKey })),
    );
    assert(verdicts.every((v) => v === false));
    // One after another, for up to 1.5 s: 500 keys.
    const oneByOne = await Promise.all(
      Array.from({ length: 500 }, () => curveKeypair()),
    );
    const before = fetches;
    const started = performance.now();
    let judged = 0;
    for (const k of oneByOne) {
      if (performance.now() - started > 1500) break;
      assertEquals(await hook({ publicKey: k.publicKey }), false);
      judged++;
    }
    const seconds = (performance.now() - started) / 1000;
    const sequential = fetches - before;
    // Before: one listing per key judged one by one, one line per key.
    assert(
      sequential <= 2 + Math.ceil(seconds / 0.25),
      `${sequential} listings for ${judged} keys in ${seconds.toFixed(1)} s`,
    );
    assertEquals(lines.length, 1, lines.join("\n"));
    console.log(
      `1,500 unknown keys at once: ${before} listings; ${judged} one by one in ${
        seconds.toFixed(1)
      } s: ${sequential} listings; ${lines.length} log line`,
    );
  } finally {
    guard.close();
    await view.close();
  }
  // close() writes the summary of the others.
  assertEquals(lines.length, 2, lines.join("\n"));
  assert(
    /[\d,]+ more refused subscribers of test\/status/.test(lines[1]),
    lines[1],
  );
});
