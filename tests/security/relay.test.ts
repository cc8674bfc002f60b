/**
 * What an eavesdropper on the wire sees: a recording TCP relay on loopback
 * between a client and a server. Plain, the payload is there to read; over
 * CURVE, neither the request nor the reply is.
 */

import { assert, assertEquals } from "../_assert.ts";
import { RpcClient } from "../../src/rpc/client.ts";
import { RpcServer } from "../../src/rpc/server.ts";
import { curveKeypair } from "../../src/zmq/curve.ts";
import { EchoService } from "../node/fixtures/api.ts";

const quiet = { warn() {}, error() {} };
const MARKER = "PLAINTEXT-MARKER-4f1d";

/** Forwards every connection to `target`, recording both directions. */
function relay(target: number) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const recorded: Uint8Array[] = [];
  const conns: Deno.Conn[] = [];
  const pipes: Promise<void>[] = [];
  const pipe = async (from: Deno.Conn, to: Deno.Conn) => {
    const buf = new Uint8Array(65536);
    try {
      while (true) {
        const n = await from.read(buf);
        if (n === null) break;
        recorded.push(buf.slice(0, n));
        let at = 0;
        while (at < n) at += await to.write(buf.subarray(at, n));
      }
    } catch {
      // closed
    }
    try {
      await to.closeWrite();
    } catch {
      // closed
    }
  };
  const accepting = (async () => {
    for await (const inbound of listener) {
      const outbound = await Deno.connect({
        hostname: "127.0.0.1",
        port: target,
      });
      conns.push(inbound, outbound);
      pipes.push(pipe(inbound, outbound), pipe(outbound, inbound));
    }
  })();
  return {
    endpoint: `tcp://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    text: () => new TextDecoder("latin1").decode(concat(recorded)),
    bytes: () => recorded.reduce((n, c) => n + c.byteLength, 0),
    async close() {
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch {
          // closed
        }
      }
      await accepting;
      await Promise.all(pipes);
    },
  };
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

async function roundTrip(secure: boolean): Promise<string> {
  const [server, client] = await Promise.all([curveKeypair(), curveKeypair()]);
  await using rpcServer = new RpcServer({
    logger: quiet,
    ...(secure
      ? {
        curve: {
          ...server,
          authenticate: ({ publicKey }) => publicKey === client.publicKey,
        },
      }
      : {}),
  });
  const none = () => ({ node: "", mode: "", pid: 0 });
  rpcServer.register(EchoService, {
    echo: (v: unknown) => `${v} back`,
    whoami: none,
    slow: none,
    slowOnce: none,
    async *count() {},
    burst: () => 0,
  });
  const bound = rpcServer.bind("tcp://127.0.0.1:*");
  const recorder = relay(Number(bound.slice(bound.lastIndexOf(":") + 1)));
  try {
    await using rpc = new RpcClient({
      endpoints: [recorder.endpoint],
      logger: quiet,
      ...(secure
        ? { curve: { ...client, serverKey: () => server.publicKey } }
        : {}),
    });
    assertEquals(
      await rpc.call(EchoService, EchoService.methods.echo, [MARKER]),
      `${MARKER} back`,
    );
  } finally {
    await recorder.close();
  }
  assert(recorder.bytes() > 0);
  return recorder.text();
}

Deno.test("a recording relay reads the payload of a plain call, and none of a CURVE one", async () => {
  const plain = await roundTrip(false);
  assert(plain.includes(MARKER), "the plain call is readable on the wire");
  assert(plain.includes("test.Echo.echo"));
  const secure = await roundTrip(true);
  assert(secure.includes("CURVE"), "the greeting names the mechanism");
  assert(!secure.includes(MARKER), "no payload in clear");
  assert(!secure.includes("back"));
  assert(!secure.includes("test.Echo"), "not even the method name");
});
