/**
 * The zmp peer of the benchmark, run by `main.ts` as its own Deno process:
 *
 *     zmp_peer.ts server ENDPOINT
 *     zmp_peer.ts client ENDPOINT SIZES RTT WARMUP MSGS WINDOW TRIALS
 *
 * The server prints `{"endpoint", "libzmq"}` on one line once bound, then
 * echoes; the client prints one JSON line of results. Both exit when their
 * standard input closes, so they never outlive the driver. The loops are
 * the ones the Node peer runs (`_echo.mjs`). `ZMP_BENCH_MODULE` (a URL,
 * set by `--zmp-module`) loads another copy of zmp, for experiments.
 * `ZMP_BENCH_CURVE` (JSON: the server's and the client's key pairs) turns
 * CURVE on, for the `*_curve` stacks.
 *
 * @module
 */

import type * as Zmp from "../../src/zmq/mod.ts";
import { echo, type EchoSocket, measure, parsePlan } from "./_echo.mjs";

// `--zmp-module` of main.ts: benchmark a scratch copy of zmp instead.
const { Context, Dealer, libzmq, Router }: typeof Zmp = await import(
  Deno.env.get("ZMP_BENCH_MODULE") ?? "../../src/zmq/mod.ts"
);

function libzmqInfo(): { path: string; version: string } {
  // On the zmtp engine no libzmq is loaded: say so rather than load one.
  if (Context.default.engine === "zmtp") return { path: "none", version: "-" };
  const { path, version } = libzmq();
  return { path, version: version.join(".") };
}

function exitWhenStdinCloses(): void {
  (async () => {
    try {
      for await (const _ of Deno.stdin.readable) {
        // the driver never writes: wait for end of file
      }
    } finally {
      Deno.exit(0);
    }
  })();
}

/** CURVE options for one role, from `ZMP_BENCH_CURVE`. */
function curveOptions(role: "server" | "client"): Record<string, unknown> {
  const json = Deno.env.get("ZMP_BENCH_CURVE");
  if (json === undefined || json === "") return {};
  const keys = JSON.parse(json);
  return role === "server"
    ? { curveServer: true, curveSecretKey: keys.server.secretKey }
    : {
      curveServerKey: keys.server.publicKey,
      curvePublicKey: keys.client.publicKey,
      curveSecretKey: keys.client.secretKey,
    };
}

async function main(args: string[]): Promise<void> {
  const [role, endpoint, ...rest] = args;
  if (role === "server" && endpoint !== undefined) {
    exitWhenStdinCloses();
    // Mandatory: a full pipe makes send() wait instead of dropping.
    const router = new Router({
      routerMandatory: true,
      ...curveOptions("server"),
    });
    const bound = router.bind(endpoint);
    console.log(JSON.stringify({ endpoint: bound, libzmq: libzmqInfo() }));
    await echo(router as EchoSocket);
    return;
  }
  if (role === "client" && endpoint !== undefined && rest.length === 6) {
    exitWhenStdinCloses();
    const plan = parsePlan(rest);
    const dealer = new Dealer(curveOptions("client"));
    dealer.connect(endpoint);
    const results = await measure(dealer as EchoSocket, plan);
    console.log(JSON.stringify({ libzmq: libzmqInfo(), results }));
    dealer.close();
    Deno.exit(0);
  }
  console.error(
    "usage: zmp_peer.ts server ENDPOINT\n" +
      "       zmp_peer.ts client ENDPOINT SIZES RTT WARMUP MSGS WINDOW TRIALS",
  );
  Deno.exit(2);
}

await main(Deno.args);
