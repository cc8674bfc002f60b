/**
 * The zmtp engine against the C peer of `bench:zmq` (libzmq's own DEALER
 * and ROUTER): zmtp DEALER to a C ROUTER, and the C client's whole plan
 * (round trips and pipelined echo) against a zmtp ROUTER, over tcp and ipc.
 * The C peer is built as the bench builds it; without a compiler or the
 * libzmq headers (`.ci/run` installs libzmq3-dev) the test is ignored.
 */

import { assert, assertEquals } from "../_assert.ts";
import { cStack, type PreparedStack } from "../../bench/zmq/_stacks.ts";
import { Context, Dealer, Router } from "../../src/zmq/mod.ts";
import { Endpoints } from "./_helpers.ts";

const built = await cStack(undefined, () => {});
const C = "skipped" in built ? undefined : built as PreparedStack;
if (C === undefined) {
  console.error(`interop_c: ${(built as { skipped: string }).skipped}`);
}

for (const transport of ["tcp", "ipc"] as const) {
  Deno.test({
    name:
      `zmtp Dealer round-trips 16 B and 1 KiB through the C Router over ${transport}`,
    ignore: C === undefined,
    async fn() {
      await using eps = new Endpoints();
      const cmd = C!.server(await eps.bindAddress(transport, "c"));
      const child = new Deno.Command(cmd.cmd, {
        args: cmd.args,
        stdin: "piped",
        stdout: "piped",
      }).spawn();
      const lines = child.stdout.pipeThrough(new TextDecoderStream())
        .getReader();
      try {
        const { value } = await lines.read();
        const { endpoint } = JSON.parse(value!.split("\n")[0]);
        await using ctx = new Context({ engine: "zmtp" });
        await using dealer = new Dealer({ context: ctx });
        dealer.connect(endpoint);
        for (const size of [16, 1024]) {
          for (let i = 0; i < 100; i++) {
            const payload = new Uint8Array(size).fill(i);
            await dealer.send(payload);
            assertEquals(await dealer.receive({ timeout: 5000 }), [payload]);
          }
        }
      } finally {
        await child.stdin.close().catch(() => {});
        child.kill("SIGKILL");
        await child.status;
        await lines.cancel().catch(() => {});
      }
    },
  });

  Deno.test({
    name:
      `the C Dealer runs its bench plan against a zmtp Router over ${transport}`,
    ignore: C === undefined,
    async fn() {
      await using eps = new Endpoints();
      await using ctx = new Context({ engine: "zmtp" });
      await using router = new Router({ context: ctx, routerMandatory: true });
      const endpoint = router.bind(await eps.bindAddress(transport, "cc"));
      const echo = (async () => {
        for await (const m of router) await router.send(m);
      })();
      try {
        const cmd = C!.client(endpoint, [
          "16,1024",
          "50",
          "5",
          "2000",
          "100",
          "1",
        ]);
        const out = await new Deno.Command(cmd.cmd, {
          args: cmd.args,
          stdin: "piped",
          stdout: "piped",
          stderr: "piped",
          signal: AbortSignal.timeout(30_000),
        }).spawn().output();
        assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
        const { results } = JSON.parse(new TextDecoder().decode(out.stdout));
        for (const size of ["16", "1024"]) {
          assertEquals(results[size].rtt_us.length, 50);
          assert(results[size].trials[0].msgs === 2000);
        }
      } finally {
        router.close();
        await echo;
      }
    },
  });
}
