/**
 * A round-trip peer for `bench:system`'s cross-host part, run inside a
 * network namespace: `server <bind-endpoint>` serves `test.Echo` and prints
 * its endpoint; `client <endpoint> <calls>` makes that many sequential
 * `echo` calls (after a warm-up) and prints one JSON line with the round
 * trip's median and 90th percentile in µs.
 *
 * @module
 */

import { RpcClient, RpcServer } from "../../mod.ts";
import { EchoService } from "../../tests/node/fixtures/api.ts";

const [mode, endpoint, count] = Deno.args;
if (mode === "server") {
  const server = new RpcServer();
  server.register(EchoService, {
    echo: (v: unknown) => v,
    whoami: () => ({ node: "rtt", mode: "bench", pid: Deno.pid }),
    slow: () => ({ node: "rtt", mode: "bench", pid: Deno.pid }),
    slowOnce: () => ({ node: "rtt", mode: "bench", pid: Deno.pid }),
    async *count() {},
    burst: () => 0,
  } as never);
  console.log(JSON.stringify({ endpoint: server.bind(endpoint) }));
  await new Promise<void>((resolve) => {
    Deno.addSignalListener("SIGTERM", () => resolve());
  });
  await server.close();
  Deno.exit(0);
} else {
  await using rpc = new RpcClient({ endpoints: [endpoint], timeout: 5000 });
  const payload = "x".repeat(16);
  const call = () => rpc.call(EchoService, EchoService.methods.echo, [payload]);
  for (let i = 0; i < 200; i++) await call();
  const us: number[] = [];
  for (let i = 0; i < Number(count); i++) {
    const t0 = performance.now();
    await call();
    us.push((performance.now() - t0) * 1000);
  }
  us.sort((a, b) => a - b);
  const at = (q: number) => Math.round(us[Math.floor((us.length - 1) * q)]);
  console.log(JSON.stringify({ p50Us: at(0.5), p90Us: at(0.9) }));
}
