/**
 * The raw transport peers of `deno task bench:rpc`: zmp's DEALER and ROUTER
 * (`src/zmq`) with no RPC layer, each its own Deno process:
 *
 *     raw_peer.ts server ENDPOINT [single|rpc]
 *     raw_peer.ts client ENDPOINT SIZE PLAN [single|rpc]
 *
 * `single` (the default): the client sends one frame of `SIZE` bytes (the
 * size of the msgpack-encoded RPC arguments) per call and the server echoes
 * it. `rpc`: the same bytes in zmp's frame layout, with no RPC logic — the
 * client sends a 16-byte header, the method name and the payload, the
 * server answers with an 8-byte header and the payload — which separates
 * the cost of the extra frames from the cost of `src/rpc` itself.
 *
 * Echoes come back in order on the one connection, so a call resolves with
 * the next echo: the least an RPC layer over this transport could do.
 *
 * @module
 */

import type * as Zmp from "../../src/zmq/mod.ts";
import {
  announce,
  exitWhenStdinCloses,
  measureAndExit,
  usage,
} from "./_peer.ts";

const { Dealer, Router }: typeof Zmp = await import(
  Deno.env.get("ZMP_BENCH_MODULE") ?? "../../src/zmq/mod.ts"
);

const USAGE = "raw_peer.ts server ENDPOINT [single|rpc]\n" +
  "       raw_peer.ts client ENDPOINT SIZE PLAN [single|rpc]";

/** How a call's bytes are split into frames. */
type Layout = "single" | "rpc";

/** `Service.method` as zmp sends it for the benchmark's method. */
const METHOD = new TextEncoder().encode("zmp.bench.BenchMsgpack.echo");

async function serve(endpoint: string, layout: Layout): Promise<void> {
  const router = new Router();
  announce(router.bind(endpoint));
  if (layout === "single") {
    for (;;) await router.send(await router.receive());
  }
  for (;;) {
    const [peer, header, _method, payload] = await router.receive();
    await router.send([peer, header.subarray(0, 8), payload]);
  }
}

async function client(
  endpoint: string,
  size: number,
  plan: string,
  layout: Layout,
) {
  const dealer = new Dealer();
  dealer.connect(endpoint);
  const body = new Uint8Array(size).fill(0x78);
  const header = new Uint8Array(16).fill(1);
  const payload = layout === "single" ? [body] : [header, METHOD, body];
  const replyFrames = layout === "single" ? 1 : 2;
  const waiting: ((frames: Uint8Array[]) => void)[] = [];
  (async () => {
    while (!dealer.closed) {
      const frames = await dealer.receive();
      waiting.shift()?.(frames);
    }
  })().catch(() => {});
  const call = () =>
    new Promise<Uint8Array[]>((resolve, reject) => {
      waiting.push(resolve);
      dealer.send(payload).catch(reject);
    });
  await measureAndExit(call, plan, {
    check: (reply) => {
      const frames = reply as Uint8Array[];
      if (
        frames.length !== replyFrames || frames.at(-1)!.byteLength !== size
      ) {
        throw new Error(`Wrong echo: ${frames.length} frames`);
      }
    },
    close: () => dealer.close(),
  });
}

function layoutOf(arg: string | undefined): Layout {
  if (arg === undefined || arg === "single") return "single";
  if (arg === "rpc") return "rpc";
  usage(USAGE);
}

async function main(args: string[]): Promise<void> {
  const [role, endpoint, size, plan, layout] = args;
  if (endpoint === undefined) usage(USAGE);
  exitWhenStdinCloses();
  if (role === "server") return await serve(endpoint, layoutOf(size));
  const n = Number(size);
  if (role === "client" && Number.isInteger(n) && n >= 0) {
    return await client(endpoint, n, plan, layoutOf(layout));
  }
  usage(USAGE);
}

await main(Deno.args);
