/**
 * Fuzzing CURVE (fast-check), as `zmtp_codec.test.ts` does for the frame
 * parser: the command parsers and both mechanisms, fed random or mutated
 * commands, only ever raise `ZmtpProtocolError` (`CurveCommandError`) or
 * `HandshakeError`; a handshake between the two mechanisms in memory
 * carries any frames, and a MESSAGE that is altered or replayed is refused;
 * a live zmtp CURVE server fed mutated handshakes by raw TCP peers keeps
 * serving a real client.
 */

import fc from "fast-check";
import { assert, assertEquals, assertThrows } from "../_assert.ts";
import {
  COMMAND,
  encodeGreeting,
  MORE,
  ZmtpProtocolError,
} from "../../src/zmq/zmtp/_codec.ts";
import {
  checkMessage,
  commandName,
  CurveCommandError,
  parseError,
  parseHello,
  parseInitiate,
  parseInitiateContent,
  parseReady,
  parseWelcome,
  PROTOCOL_ERROR,
} from "../../src/zmq/zmtp/_curve_codec.ts";
import { CurveClient, CurveServer } from "../../src/zmq/zmtp/_curve.ts";
import { HandshakeError } from "../../src/zmq/zmtp/_mechanism.ts";
import { loadSodium } from "../../src/zmq/_sodium.ts";
import {
  Context,
  curveKeyBytes,
  curveKeypair,
  Dealer,
  Router,
} from "../../src/zmq/mod.ts";
import { texts } from "./_helpers.ts";

await loadSodium();
const encoder = new TextEncoder();
const serverKeys = await curveKeypair();
const clientKeys = await curveKeypair();

function mechanisms() {
  const server = new CurveServer({
    metadata: { "Socket-Type": encoder.encode("ROUTER") },
    asServer: true,
    secretKey: curveKeyBytes(serverKeys.secretKey),
  });
  const client = new CurveClient({
    metadata: {
      "Socket-Type": encoder.encode("DEALER"),
      Identity: new Uint8Array(),
    },
    asServer: false,
    serverKey: curveKeyBytes(serverKeys.publicKey),
    publicKey: curveKeyBytes(clientKeys.publicKey),
    secretKey: curveKeyBytes(clientKeys.secretKey),
  });
  return { server, client };
}

/** A whole handshake in memory; every command on the way. */
function handshake() {
  const { server, client } = mechanisms();
  const [hello] = client.start();
  const [welcome] = server.onCommand(hello).send;
  const [initiate] = client.onCommand(welcome).send;
  const last = server.onCommand(initiate);
  const [ready] = last.send;
  const done = client.onCommand(ready);
  return { server, client, hello, welcome, initiate, ready, last, done };
}

/** Runs `fn`; fails unless it returns or throws one of the protocol errors. */
function onlyProtocolErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (e instanceof ZmtpProtocolError || e instanceof HandshakeError) return;
    throw e;
  }
}

Deno.test("CURVE mechanisms complete a handshake in memory and learn each other's metadata and key", () => {
  const h = handshake();
  assertEquals(h.hello.byteLength, 200);
  assertEquals(h.welcome.byteLength, 168);
  assertEquals(commandName(h.initiate), "INITIATE");
  assertEquals(
    new TextDecoder().decode(h.last.done!.get("socket-type")),
    "DEALER",
  );
  assertEquals(h.last.peerKey, curveKeyBytes(clientKeys.publicKey));
  assertEquals(
    new TextDecoder().decode(h.done.done!.get("socket-type")),
    "ROUTER",
  );
});

Deno.test("CURVE MESSAGE boxes carry any frames with their flags, both ways", () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          body: fc.uint8Array({ maxLength: 2000 }),
          flags: fc.constantFrom(0, MORE, COMMAND),
          toServer: fc.boolean(),
        }),
        { maxLength: 30 },
      ),
      (frames) => {
        const { server, client } = handshake();
        for (const f of frames) {
          const [from, to] = f.toServer ? [client, server] : [server, client];
          const boxed = from.encodeFrame(f.body, f.flags).slice();
          const opened = to.decodeFrame(boxed);
          assertEquals(opened.body, f.body);
          assertEquals(opened.flags, f.flags);
        }
      },
    ),
    { numRuns: 100 },
  );
});

Deno.test("CURVE refuses a MESSAGE that is altered, replayed or from the wrong side", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 1, maxLength: 200 }),
      fc.nat(),
      fc.integer({ min: 1, max: 255 }),
      (body, where, xor) => {
        const { server, client } = handshake();
        const boxed = client.encodeFrame(body, 0).slice();
        // Any byte after the name changed: refused.
        const at = 8 + (where % (boxed.byteLength - 8));
        const altered = boxed.slice();
        altered[at] ^= xor;
        const e = assertThrows(
          () => server.decodeFrame(altered),
          CurveCommandError,
        );
        assert(
          e.code === PROTOCOL_ERROR.cryptographic ||
            e.code === PROTOCOL_ERROR.invalidSequence,
          `code ${e.code.toString(16)}`,
        );
        // The real one opens once, and never again.
        assertEquals(server.decodeFrame(boxed).body, body);
        const replay = assertThrows(
          () => server.decodeFrame(boxed),
          CurveCommandError,
          "does not follow",
        );
        assertEquals(replay.code, PROTOCOL_ERROR.invalidSequence);
        // A client's box is not a server's: the nonce prefixes differ.
        const own = client.encodeFrame(body, 0).slice();
        const wrongSide = assertThrows(
          () => client.decodeFrame(own),
          CurveCommandError,
        );
        assertEquals(wrongSide.code, PROTOCOL_ERROR.cryptographic);
      },
    ),
    { numRuns: 100 },
  );
});

Deno.test("CURVE command parsers raise only CurveCommandError on random bytes", () => {
  const parsers = [
    parseHello,
    parseWelcome,
    parseInitiate,
    parseReady,
    parseError,
    checkMessage,
    parseInitiateContent,
  ];
  fc.assert(
    fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 400 }),
        // Random bodies behind each real command name.
        fc.tuple(
          fc.constantFrom(
            "\x05HELLO",
            "\x07WELCOME",
            "\x08INITIATE",
            "\x05READY",
            "\x07MESSAGE",
            "\x05ERROR",
          ),
          fc.uint8Array({ maxLength: 400 }),
        ).map(([name, rest]) => {
          const out = new Uint8Array(name.length + rest.byteLength);
          out.set(encoder.encode(name));
          out.set(rest, name.length);
          return out;
        }),
      ),
      (bytes) => {
        commandName(bytes);
        for (const parse of parsers) {
          try {
            parse(bytes);
          } catch (e) {
            if (!(e instanceof CurveCommandError)) throw e;
            assert(e instanceof ZmtpProtocolError && e instanceof SyntaxError);
            assert(e.code > 0, "a protocol error code");
          }
        }
      },
    ),
    { numRuns: 1000 },
  );
});

Deno.test("CURVE mechanisms fed mutated handshake commands raise only protocol errors", () => {
  const h = handshake();
  const mutation = (cmd: Uint8Array) =>
    fc.oneof(
      // Flip some bytes.
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), {
        minLength: 1,
        maxLength: 4,
      }).map((flips) => {
        const out = cmd.slice();
        for (const [i, x] of flips) out[i % out.byteLength] ^= x;
        return out;
      }),
      // Cut or extend it.
      fc.nat({ max: cmd.byteLength + 64 }).map((n) => {
        const out = new Uint8Array(n);
        out.set(cmd.subarray(0, Math.min(n, cmd.byteLength)));
        return out;
      }),
    );
  fc.assert(
    fc.property(
      mutation(h.hello),
      mutation(h.welcome),
      mutation(h.initiate),
      mutation(h.ready),
      (hello, welcome, initiate, ready) => {
        // Each mechanism at each step, given a mutated command.
        onlyProtocolErrors(() => mechanisms().server.onCommand(hello));
        onlyProtocolErrors(() => {
          const { client } = mechanisms();
          client.start();
          client.onCommand(welcome);
        });
        onlyProtocolErrors(() => {
          const { server, client } = mechanisms();
          const [welcome] = server.onCommand(client.start()[0]).send;
          client.onCommand(welcome);
          server.onCommand(initiate); // another connection's: refused
        });
        onlyProtocolErrors(() => {
          const { server, client } = mechanisms();
          const [w] = server.onCommand(client.start()[0]).send;
          client.onCommand(w);
          client.onCommand(ready); // another connection's: refused
        });
      },
    ),
    { numRuns: 150 },
  );
});

Deno.test("CURVE server refuses an INITIATE replayed from another connection", () => {
  const h = handshake();
  const { server, client } = mechanisms();
  const [welcome] = server.onCommand(client.start()[0]).send;
  client.onCommand(welcome);
  const e = assertThrows(() => server.onCommand(h.initiate), HandshakeError);
  assertEquals(e.kind, "protocol");
  assertEquals(e.code, PROTOCOL_ERROR.cryptographic);
});

Deno.test("a zmtp CURVE Router fed mutated handshakes by raw TCP peers keeps serving a real client", async () => {
  await using ctx = new Context({ engine: "zmtp" });
  await using router = new Router({
    context: ctx,
    curveServer: true,
    curveSecretKey: serverKeys.secretKey,
  });
  const endpoint = router.bind("tcp://127.0.0.1:*");
  const port = Number(endpoint.slice(endpoint.lastIndexOf(":") + 1));
  await using dealer = new Dealer({
    context: ctx,
    curveServerKey: serverKeys.publicKey,
    curvePublicKey: clientKeys.publicKey,
    curveSecretKey: clientKeys.secretKey,
  });
  dealer.connect(endpoint);
  const h = handshake();
  const samples = fc.sample(
    fc.tuple(
      fc.constantFrom(h.hello, h.initiate, h.welcome),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), {
        maxLength: 3,
      }),
      fc.boolean(),
    ),
    { numRuns: 40, seed: 13 },
  );
  let round = 0;
  for (const [command, flips, twice] of samples) {
    const body = command.slice();
    for (const [i, x] of flips) body[i % body.byteLength] ^= x;
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      await conn.write(encodeGreeting("CURVE", false));
      const frame = new Uint8Array(9 + body.byteLength);
      frame[0] = COMMAND | 2;
      new DataView(frame.buffer).setBigUint64(1, BigInt(body.byteLength));
      frame.set(body, 9);
      await conn.write(frame);
      if (twice) await conn.write(frame);
      // The server answers (WELCOME to an intact HELLO) or hangs up; either
      // way this peer goes away now.
      await conn.read(new Uint8Array(4096)).catch(() => null);
    } finally {
      conn.close();
    }
    await dealer.send(String(round));
    const [id, got] = await router.receive({ timeout: 5000 });
    assertEquals(texts([got]), [String(round)]);
    await router.send([id, got]);
    assertEquals(texts(await dealer.receive({ timeout: 5000 })), [
      String(round),
    ]);
    round++;
  }
});
