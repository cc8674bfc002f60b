/**
 * CURVE: key generation, an encrypted exchange, and a client with the wrong
 * server key that never gets through. On the libzmq engine: the zmtp engine
 * has no CURVE yet (binding or connecting with CURVE options fails with
 * `ENOTSUP` there).
 */

import {
  assert,
  assertEquals,
  assertMatch,
  assertNotEquals,
  assertRejects,
} from "../_assert.ts";
import {
  curveKeypair,
  Dealer,
  type MonitorEventType,
  Router,
} from "../../src/zmq/mod.ts";
import {
  Endpoints,
  NETWORK_TRANSPORTS,
  nextEventOf,
  texts,
} from "./_helpers.ts";
import { engineRun, testNoSocketLeft } from "./_suite.ts";

const run = engineRun("libzmq", "libzmq");

const Z85 = /^[0-9a-zA-Z.\-:+=^!/*?&<>()[\]{}@%$#]{40}$/;
const HANDSHAKE_FAILED: MonitorEventType[] = [
  "handshakeFailedNoDetail",
  "handshakeFailedProtocol",
  "handshakeFailedAuth",
];

Deno.test("curveKeypair() returns fresh 40-character Z85 keys", () => {
  const a = curveKeypair();
  const b = curveKeypair();
  for (const key of [a.publicKey, a.secretKey, b.publicKey, b.secretKey]) {
    assertEquals(key.length, 40);
    assertMatch(key, Z85);
  }
  assertNotEquals(a.publicKey, b.publicKey);
  assertNotEquals(a.secretKey, b.secretKey);
  assertNotEquals(a.publicKey, a.secretKey);
});

for (const transport of NETWORK_TRANSPORTS) {
  Deno.test(`Router with curveServer exchanges messages with a client that knows its key over ${transport}`, async () => {
    await using eps = new Endpoints();
    const server = curveKeypair();
    const client = curveKeypair();
    await using router = new Router({
      ...run.S,
      curveServer: true,
      curveSecretKey: server.secretKey,
    });
    await using dealer = new Dealer({
      ...run.C,
      curveServerKey: server.publicKey,
      curvePublicKey: client.publicKey,
      curveSecretKey: client.secretKey,
    });
    assertEquals(router.getOption("curveServer"), true);
    assertEquals(dealer.getOption("curveServerKey"), server.publicKey);
    assertEquals(dealer.getOption("curvePublicKey"), client.publicKey);
    await using monitor = router.monitor();
    dealer.connect(router.bind(await eps.bindAddress(transport, "curve")));
    await dealer.send(["secret", "payload"]);
    const [id, ...body] = await router.receive({ timeout: 5000 });
    assertEquals(texts(body), ["secret", "payload"]);
    await router.send([id, "reply"]);
    assertEquals(texts(await dealer.receive({ timeout: 5000 })), ["reply"]);
    const { seen } = await nextEventOf(monitor, ["handshakeSucceeded"]);
    for (const t of HANDSHAKE_FAILED) assert(!seen.includes(t), t);
  });

  Deno.test(`Router with curveServer never receives from a client with the wrong server key over ${transport}`, async () => {
    await using eps = new Endpoints();
    const server = curveKeypair();
    const impostor = curveKeypair();
    const client = curveKeypair();
    await using router = new Router({
      ...run.S,
      curveServer: true,
      curveSecretKey: server.secretKey,
    });
    await using dealer = new Dealer({
      ...run.C,
      curveServerKey: impostor.publicKey,
      curvePublicKey: client.publicKey,
      curveSecretKey: client.secretKey,
    });
    await using monitor = router.monitor();
    dealer.connect(router.bind(await eps.bindAddress(transport, "curve-bad")));
    await dealer.send("let me in");
    const { event, seen } = await nextEventOf(monitor, [
      ...HANDSHAKE_FAILED,
      "handshakeSucceeded",
    ]);
    assert(
      HANDSHAKE_FAILED.includes(event.type),
      `expected a handshake failure, got ${event.type} after ${seen}`,
    );
    const e = await assertRejects(
      () => router.receive({ timeout: 300 }),
      DOMException,
    );
    assertEquals(e.name, "TimeoutError");
  });
}

testNoSocketLeft(run, "curve.test.ts");
