/**
 * The zmp peers of `deno task bench:rpc`, each its own Deno process:
 *
 *     zmp_peer.ts server ENDPOINT
 *     zmp_peer.ts client ENDPOINT msgpack|superjson PLAN
 *
 * The server serves both services of `bench.api.ts` with the generated
 * skeletons on one `RpcServer` (defaults: arguments and results
 * validated); the client calls one of them through the generated client
 * over one `RpcClient` (defaults). With `observed` last, both ends run
 * the interceptors every node runs (metrics, call taps, tracing), and the
 * server serves `zmp.Observe`: the cost of observing, against the same
 * stack without. `ZMP_BENCH_MODULE` (a URL) loads another copy of zmp's
 * `mod.ts` for the runtime classes, for experiments.
 *
 * @module
 */

import type { CurveKeyPair } from "../../src/zmq/mod.ts";
import type * as Zmp from "../../mod.ts";
import {
  BenchMsgpackClient,
  BenchSuperjsonClient,
  serveBenchMsgpack,
  serveBenchSuperjson,
} from "./bench.api.gen.ts";
import { reply, SAMPLE } from "./_sample.mjs";
import { NodeObserver } from "../../src/observe/node_observer.ts";
import {
  announce,
  exitWhenStdinCloses,
  measureAndExit,
  usage,
} from "./_peer.ts";

const { RpcClient, RpcServer }: typeof Zmp = await import(
  Deno.env.get("ZMP_BENCH_MODULE") ?? "../../mod.ts"
);

const USAGE = "zmp_peer.ts server ENDPOINT [observed]\n" +
  "       zmp_peer.ts client ENDPOINT msgpack|superjson PLAN [observed]";

async function main(args: string[]): Promise<void> {
  const [role, endpoint, codec, plan] = args;
  if (endpoint === undefined) usage(USAGE);
  exitWhenStdinCloses();
  // Throwaway CURVE keys from the driver: both ends use CURVE, and the
  // server accepts only the client's key.
  const keys = Deno.env.get("ZMP_BENCH_CURVE");
  const curve: { server: CurveKeyPair; client: CurveKeyPair } | undefined =
    keys === undefined ? undefined : JSON.parse(keys);
  const observer = args.at(-1) === "observed"
    ? new NodeObserver("bench")
    : undefined;
  if (role === "server") {
    const server = new RpcServer({
      interceptors: observer === undefined ? [] : [observer.serverInterceptor],
      ...(curve === undefined ? {} : {
        curve: {
          ...curve.server,
          authenticate: ({ publicKey }) => publicKey === curve.client.publicKey,
        },
      }),
    });
    observer?.serve(server);
    serveBenchMsgpack(server, { echo: (sample) => reply(sample) });
    serveBenchSuperjson(server, { echo: (sample) => reply(sample) });
    announce(server.bind(endpoint));
    return;
  }
  if (role === "client" && (codec === "msgpack" || codec === "superjson")) {
    const rpc = new RpcClient({
      endpoints: [endpoint],
      interceptors: observer === undefined ? [] : [observer.clientInterceptor],
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
