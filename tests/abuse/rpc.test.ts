/**
 * The RPC probes of issue #14 as regression tests: a server in its own
 * process (the RPC tests' fixture server, or the example calculator for
 * what only its `sum` shows), an attacker in its own (written from
 * docs/PROTOCOL.md with a raw DEALER), and a good client here that makes
 * bounded runs of calls in quiet time and under attack. Each asserts what
 * the good client sees (no lost call, no error), the server's RSS, and its
 * log volume. Latency ratios are printed, not asserted: they are
 * `deno task bench:soak`'s to report. The probes themselves are in
 * `_probes.ts`; `secure_suite.test.ts` runs them in secure mode.
 */

import { RpcClient } from "../../mod.ts";
import { CalculatorProcess, FixtureServerProcess } from "./_harness.ts";
import { SERVICE_PROBES, serviceProbe } from "./_probes.ts";

for (const p of SERVICE_PROBES) {
  Deno.test(`probe: ${p.name}`, async () => {
    await using server = p.server === "calculator"
      ? await CalculatorProcess.start()
      : await FixtureServerProcess.start();
    const o = await serviceProbe(
      {
        server,
        endpoint: server.endpoint,
        client: () =>
          new RpcClient({ endpoints: [server.endpoint], timeout: 10_000 }),
      },
      p.call,
      p.mode,
      { count: p.count, window: p.window, settled: p.settled },
    );
    p.check(o);
  });
}
