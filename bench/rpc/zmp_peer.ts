/**
 * The zmp peers of `deno task bench:rpc`, each its own Deno process:
 *
 *     zmp_peer.ts server ENDPOINT
 *     zmp_peer.ts client ENDPOINT msgpack|superjson PLAN
 *
 * The server serves both services of `bench.api.ts` with the generated
 * skeletons on one `RpcServer` (defaults: arguments and results
 * validated); the client calls one of them through the generated client
 * over one `RpcClient` (defaults). With `ZMP_BENCH_CURVE` (JSON
 * `{server, client}` key pairs, throwaway ones the driver made), both ends
 * use CURVE and the server accepts only the client's key. `ZMP_BENCH_MODULE` (a URL) loads
 * another copy of zmp's `mod.ts` for the runtime classes, for experiments.
 *
 * @module
 */

import type * as Zmp from "../../mod.ts";
import type { CurveKeyPair } from "../../src/zmq/mod.ts";
import {
  BenchMsgpackClient,
  BenchSuperjsonClient,
  serveBenchMsgpack,
  serveBenchSuperjson,
} from "./bench.api.gen.ts";
import { reply, SAMPLE } from "./_sample.mjs";
import {
  announce,
  exitWhenStdinCloses,
  measureAndExit,
  usage,
} from "./_peer.ts";

const { RpcClient, RpcServer }: typeof Zmp = await import(
  Deno.env.get("ZMP_BENCH_MODULE") ?? "../../mod.ts"
);

const USAGE = "zmp_peer.ts server ENDPOINT\n" +
  "       zmp_peer.ts client ENDPOINT msgpack|superjson PLAN";

async function main(args: string[]): Promise<void> {
  const [role, endpoint, codec, plan] = args;
  if (endpoint === undefined) usage(USAGE);
  exitWhenStdinCloses();
  const keys = Deno.env.get("ZMP_BENCH_CURVE");
  const curve: {
    server: CurveKeyPair;
    client: CurveKeyPair;
  } | undefined = keys === undefined ? undefined : JSON.parse(keys);
  if (role === "server") {
    const server = new RpcServer(
      curve === undefined ? {} : {
        curve: {
          ...curve.server,
          authenticate: ({ publicKey }) => publicKey === curve.client.publicKey,
        },
      },
    );
    serveBenchMsgpack(server, { echo: (sample) => reply(sample) });
    serveBenchSuperjson(server, { echo: (sample) => reply(sample) });
    announce(server.bind(endpoint));
    return;
  }
  if (role === "client" && (codec === "msgpack" || codec === "superjson")) {
    const rpc = new RpcClient({
      endpoints: [endpoint],
      ...(curve === undefined ? {} : {
        curve: { ...curve.client, serverKey: () => curve.server.publicKey },
      }),
    });
    const client = codec === "msgpack"
      ? new BenchMsgpackClient(rpc)
      : new BenchSuperjsonClient(rpc);
    await measureAndExit(() => client.echo(SAMPLE), plan, {
      close: () => rpc.close(),
    });
  }
  usage(USAGE);
}

await main(Deno.args);
