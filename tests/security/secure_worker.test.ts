/**
 * Worker nodes in secure mode: the launcher posts each Worker its keys
 * (same process: never argv or the environment), and the node serves over
 * CURVE with them, admitted by the registry under its own key.
 */

import { assertEquals } from "../_assert.ts";
import { defineLaunch, type LaunchLogger, startLaunch } from "../../mod.ts";
import { readKeyPair } from "../../src/launch/keys.ts";
import { connectRegistry } from "../../src/registry/client.ts";
import { RpcClient } from "../../src/rpc/client.ts";
import { CalculatorService } from "../../examples/calculator/calculator.api.gen.ts";
import { outsideFolder } from "../project/_project.ts";
import { waitFor } from "../_assert.ts";

const SERVER = new URL(
  "../../examples/calculator/server_node.ts",
  import.meta.url,
).href;

Deno.test("secure launch: a worker node gets its keys by postMessage and serves over CURVE", async () => {
  await using tmp = await outsideFolder();
  const lines: string[] = [];
  const logger: LaunchLogger = {
    log: (level, message) => lines.push(`${level} ${message}`),
    line: (node, stream, text) => lines.push(`${node} ${stream} ${text}`),
  };
  const running = await startLaunch(
    defineLaunch({
      registry: { endpoint: "tcp://127.0.0.1:*" },
      nodes: [{ name: "calc", module: SERVER, mode: "worker" }],
    }),
    { logger, secure: true, keys: tmp.path },
  );
  try {
    await waitFor(
      () => lines.some((l) => /^info calc registered/.test(l)),
      `calc to register:\n${lines.join("\n")}`,
      { timeout: 30_000 },
    );
    const [cli, registryKey, calc] = await Promise.all(
      ["@cli", "@registry", "calc"].map((n) => readKeyPair(tmp.path, n)),
    );
    await using registry = await connectRegistry({
      endpoint: running.registry,
      curve: { ...cli!, serverKey: registryKey!.publicKey },
    });
    const info = (await registry.nodes()).find((n) => n.name === "calc");
    // Admitted under its own key, which its server proves.
    assertEquals(info?.mode, "worker");
    assertEquals(info?.publicKey, calc!.publicKey);
    await using client = new RpcClient({
      endpoints: [info!.services[0].endpoint],
      curve: { ...cli!, serverKey: () => info!.publicKey },
    });
    assertEquals(
      await client.call(CalculatorService, CalculatorService.methods.add, [
        2,
        3,
      ]),
      5,
    );
    assertEquals((await running.stop()).code, 0, lines.join("\n"));
  } finally {
    await running.kill();
  }
});
