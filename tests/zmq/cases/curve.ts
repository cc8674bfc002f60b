/**
 * CURVE (RFC 26) on every engine run: round trips for each pattern over tcp
 * and ipc, the authentication hook, clients that must get nothing, a
 * recording relay that must see no plaintext, and a server that keeps
 * serving through a stream of failed handshakes. The cross-engine runs make
 * these the interop tests of zmtp's CURVE against libzmq's, both ways.
 */

import {
  assert,
  assertEquals,
  assertRejects,
  assertThrows,
  waitFor,
} from "../../_assert.ts";
import {
  type CurveKeyPair,
  curveKeypair,
  Dealer,
  type MonitorEvent,
  type MonitorEventType,
  Publisher,
  Pull,
  Push,
  Router,
  type SocketMonitor,
  Subscriber,
} from "../../../src/zmq/mod.ts";
import { encodeGreeting } from "../../../src/zmq/zmtp/_codec.ts";
import { connectionsOn, portOfEndpoint } from "../../_sockets.ts";
import { bytes, Endpoints, nextEventOf, texts } from "../_helpers.ts";
import { type EngineRun, testNoSocketLeft } from "../_suite.ts";

const T = { timeout: 5000 };
const HANDSHAKE_FAILED: MonitorEventType[] = [
  "handshakeFailedNoDetail",
  "handshakeFailedProtocol",
  "handshakeFailedAuth",
];
/** `ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC`: libzmq's value for a bad box. */
const CRYPTOGRAPHIC = 0x11000001;

/** Server and client options for one CURVE link. */
function curveOptions(server: CurveKeyPair, client: CurveKeyPair) {
  return {
    server: { curveServer: true, curveSecretKey: server.secretKey },
    client: {
      curveServerKey: server.publicKey,
      curvePublicKey: client.publicKey,
      curveSecretKey: client.secretKey,
    },
  };
}

/** Asserts that nothing arrives within `ms`. */
async function assertNothing(
  receive: (o: { timeout: number }) => Promise<unknown>,
  ms: number,
): Promise<void> {
  const e = await assertRejects(() => receive({ timeout: ms }), DOMException);
  assertEquals(e.name, "TimeoutError");
}

/** Every event of a monitor, collected until the returned stop() is called. */
function collect(monitor: SocketMonitor): {
  events: MonitorEvent[];
  stop(): Promise<void>;
} {
  const events: MonitorEvent[] = [];
  const loop = (async () => {
    for await (const e of monitor) events.push(e);
  })();
  return {
    events,
    async stop() {
      monitor.close();
      await loop;
    },
  };
}

/** Registers the CURVE cases for one engine run. */
export function curveCases(run: EngineRun): void {
  const transports = run.transports.filter((t) => t !== "inproc");

  for (const transport of transports) {
    Deno.test(
      run.title(
        `CURVE Dealer/Router round-trips multipart messages and names the client's key over ${transport}`,
      ),
      async () => {
        await using eps = new Endpoints();
        const [server, client] = [await curveKeypair(), await curveKeypair()];
        const o = curveOptions(server, client);
        const asked: string[] = [];
        await using router = new Router({
          ...run.S,
          ...o.server,
          authenticate: ({ publicKey, address }) => {
            asked.push(publicKey);
            if (transport === "tcp") assertEquals(address, "127.0.0.1");
            return true;
          },
        });
        await using dealer = new Dealer({ ...run.C, ...o.client });
        assertEquals(router.getOption("curveServer"), true);
        assertEquals(dealer.getOption("curveServer"), false);
        await using monitor = router.monitor();
        dealer.connect(router.bind(await eps.bindAddress(transport, "curve")));
        // A frame large enough for the zmtp engine's native boxes too.
        const large = new Uint8Array(70_000).map((_, i) => i * 13);
        await dealer.send(["secret", new Uint8Array([0, 255]), "", large]);
        const [id, ...body] = await router.receive(T);
        assertEquals(body, [
          bytes("secret"),
          new Uint8Array([0, 255]),
          bytes(""),
          large,
        ]);
        assertEquals(router.peerPublicKey(id), client.publicKey);
        assertEquals(router.peerPublicKey(bytes("nobody")), undefined);
        assertEquals(asked, [client.publicKey]);
        const big = new Uint8Array(300_000).map((_, i) => i * 7);
        await router.send([id, "reply", big]);
        const reply = await dealer.receive(T);
        assertEquals(texts([reply[0]]), ["reply"]);
        assertEquals(reply[1], big);
        const { seen } = await nextEventOf(monitor, ["handshakeSucceeded"]);
        for (const t of HANDSHAKE_FAILED) assert(!seen.includes(t), t);
      },
    );

    Deno.test(
      run.title(
        `CURVE Publisher/Subscriber filters by prefix over ${transport}`,
      ),
      async () => {
        await using eps = new Endpoints();
        const o = curveOptions(await curveKeypair(), await curveKeypair());
        await using pub = new Publisher({ ...run.S, ...o.server });
        await using sub = new Subscriber({ ...run.C, ...o.client });
        sub.subscribe("news.");
        sub.connect(pub.bind(await eps.bindAddress(transport, "curve-pub")));
        // The subscription travels boxed: publish until it has arrived.
        await waitFor(async () => {
          await pub.send(["news.sync"]);
          try {
            await sub.receive({ timeout: 20 });
            return true;
          } catch {
            return false;
          }
        }, "the subscription to reach the publisher");
        await pub.send(["weather.rain", "x"]);
        await pub.send(["news.curve", "boxed"]);
        const got = await sub.receive(T);
        // Leftover syncs may come first; the filtered topic never does.
        let m = got;
        while (texts([m[0]])[0] === "news.sync") m = await sub.receive(T);
        assertEquals(texts(m), ["news.curve", "boxed"]);
      },
    );

    Deno.test(
      run.title(`CURVE Push/Pull delivers in order over ${transport}`),
      async () => {
        await using eps = new Endpoints();
        const o = curveOptions(await curveKeypair(), await curveKeypair());
        await using pull = new Pull({ ...run.S, ...o.server });
        await using push = new Push({ ...run.C, ...o.client });
        push.connect(pull.bind(await eps.bindAddress(transport, "curve-pull")));
        const sends = [];
        for (let i = 0; i < 500; i++) sends.push(push.send(["n", String(i)]));
        await Promise.all(sends);
        for (let i = 0; i < 500; i++) {
          assertEquals(texts(await pull.receive(T)), ["n", String(i)]);
        }
      },
    );

    Deno.test(
      run.title(
        `CURVE client with the wrong server key gets nothing, and the server's monitor reports the failure, over ${transport}`,
      ),
      async () => {
        await using eps = new Endpoints();
        const [server, impostor, client] = [
          await curveKeypair(),
          await curveKeypair(),
          await curveKeypair(),
        ];
        const o = curveOptions(impostor, client);
        await using router = new Router({
          ...run.S,
          curveServer: true,
          curveSecretKey: server.secretKey,
        });
        await using dealer = new Dealer({ ...run.C, ...o.client });
        await using monitor = router.monitor();
        dealer.connect(router.bind(await eps.bindAddress(transport, "bad")));
        await dealer.send("let me in");
        const { event, seen } = await nextEventOf(monitor, [
          ...HANDSHAKE_FAILED,
          "handshakeSucceeded",
        ]);
        assertEquals(event.type, "handshakeFailedProtocol", `after ${seen}`);
        assertEquals(event.value, CRYPTOGRAPHIC);
        await assertNothing((o) => router.receive(o), 300);
        await assertNothing((o) => dealer.receive(o), 50);
      },
    );

    Deno.test(
      run.title(
        `CURVE server refuses a client with no key, and reports it, over ${transport}`,
      ),
      async () => {
        await using eps = new Endpoints();
        const server = await curveKeypair();
        await using router = new Router({
          ...run.S,
          curveServer: true,
          curveSecretKey: server.secretKey,
        });
        await using dealer = new Dealer(run.C);
        await using monitor = router.monitor();
        dealer.connect(router.bind(await eps.bindAddress(transport, "nokey")));
        await dealer.send("plain text");
        const { event } = await nextEventOf(monitor, [
          ...HANDSHAKE_FAILED,
          "handshakeSucceeded",
        ]);
        // Protocol (mechanism mismatch), or no detail when a libzmq client
        // hangs up before its greeting is out: a failure either way.
        assert(HANDSHAKE_FAILED.includes(event.type), event.type);
        await assertNothing((o) => router.receive(o), 300);
        await assertNothing((o) => dealer.receive(o), 50);
      },
    );

    Deno.test(
      run.title(
        `CURVE authenticate hook: an allow-list refuses an unknown key and lets a known one in over ${transport}`,
      ),
      async () => {
        await using eps = new Endpoints();
        const [server, known, stranger] = [
          await curveKeypair(),
          await curveKeypair(),
          await curveKeypair(),
        ];
        const allowed = new Set([known.publicKey]);
        const asked: string[] = [];
        await using router = new Router({
          ...run.S,
          curveServer: true,
          curveSecretKey: server.secretKey,
          // Async, as a hook that looks keys up somewhere would be.
          authenticate: async ({ publicKey }) => {
            asked.push(publicKey);
            await new Promise((r) => setTimeout(r, 5));
            return allowed.has(publicKey);
          },
        });
        await using serverEvents = router.monitor();
        const endpoint = router.bind(await eps.bindAddress(transport, "auth"));

        await using bad = new Dealer({
          ...run.C,
          ...curveOptions(server, stranger).client,
        });
        await using badEvents = bad.monitor();
        bad.connect(endpoint);
        await bad.send("stranger");
        const refused = await nextEventOf(serverEvents, [
          ...HANDSHAKE_FAILED,
          "handshakeSucceeded",
        ]);
        assertEquals(refused.event.type, "handshakeFailedAuth");
        assertEquals(refused.event.value, 400);
        const told = await nextEventOf(badEvents, [
          ...HANDSHAKE_FAILED,
          "handshakeSucceeded",
        ]);
        assertEquals(told.event.type, "handshakeFailedAuth");
        assertEquals(told.event.value, 400);
        bad.close();

        await using good = new Dealer({
          ...run.C,
          ...curveOptions(server, known).client,
        });
        good.connect(endpoint);
        await good.send("friend");
        const [id, body] = await router.receive(T);
        assertEquals(texts([body]), ["friend"]);
        assertEquals(router.peerPublicKey(id), known.publicKey);
        assert(asked.includes(stranger.publicKey), "the stranger was asked");
        assert(asked.includes(known.publicKey), "the friend was asked");
      },
    );
  }

  Deno.test(
    run.title(
      "CURVE heartbeats (boxed PING and PONG commands) keep an idle link up",
    ),
    async () => {
      const o = curveOptions(await curveKeypair(), await curveKeypair());
      const beats = {
        heartbeatInterval: 40,
        heartbeatTimeout: 300,
        heartbeatTimeToLive: 300,
      };
      await using router = new Router({ ...run.S, ...o.server, ...beats });
      await using dealer = new Dealer({ ...run.C, ...o.client, ...beats });
      const events = collect(router.monitor(["disconnected"]));
      dealer.connect(router.bind("tcp://127.0.0.1:*"));
      await dealer.send("first");
      const [id] = await router.receive(T);
      // Idle for several timeouts: only heartbeats cross, boxed.
      await assertNothing((o) => router.receive(o), 1000);
      await dealer.send("second");
      const [again, body] = await router.receive(T);
      assertEquals(texts([body]), ["second"]);
      assertEquals(again, id, "the same connection");
      await events.stop();
      assertEquals(events.events.length, 0, "no disconnect");
    },
  );

  Deno.test(
    run.title(
      "CURVE client without a server key fails its handshakes and reaches nothing",
    ),
    async () => {
      const [server, client] = [await curveKeypair(), await curveKeypair()];
      await using router = new Router({
        ...run.S,
        curveServer: true,
        curveSecretKey: server.secretKey,
      });
      await using dealer = new Dealer({
        ...run.C,
        curvePublicKey: client.publicKey,
        curveSecretKey: client.secretKey,
      });
      assertEquals(dealer.getOption("curveServer"), false);
      const events = collect(router.monitor());
      dealer.connect(router.bind("tcp://127.0.0.1:*"));
      await dealer.send("nothing");
      await assertNothing((o) => router.receive(o), 500);
      await events.stop();
      assert(
        !events.events.some((e) => e.type === "handshakeSucceeded"),
        "no handshake succeeded",
      );
    },
  );

  Deno.test(
    run.title(
      "CURVE traffic through a recording TCP relay shows no plaintext (and NULL traffic does)",
    ),
    async () => {
      const secret = "TOP-SECRET-PAYLOAD-" + crypto.randomUUID();
      const topic = "TOPIC-" + crypto.randomUUID();
      const seen = async (curve: boolean): Promise<string> => {
        const o = curveOptions(await curveKeypair(), await curveKeypair());
        await using router = new Router({
          ...run.S,
          ...(curve ? o.server : {}),
        });
        await using relay = new RecordingRelay(
          router.bind("tcp://127.0.0.1:*"),
        );
        await using dealer = new Dealer({
          ...run.C,
          ...(curve ? o.client : {}),
        });
        dealer.connect(relay.endpoint);
        await dealer.send([topic, secret]);
        const [id, t, s] = await router.receive(T);
        assertEquals(texts([t, s]), [topic, secret]);
        await router.send([id, secret + "-reply"]);
        assertEquals(texts(await dealer.receive(T)), [secret + "-reply"]);
        return relay.recorded();
      };
      const plain = await seen(false);
      assert(plain.includes(secret), "the relay records NULL payloads");
      const boxed = await seen(true);
      assert(boxed.length > 400, "the relay recorded the CURVE exchange");
      assert(boxed.includes("CURVE"), "the greeting names CURVE");
      for (const needle of [secret, topic, "TOP-SECRET", "DEALER"]) {
        assert(!boxed.includes(needle), `"${needle}" crossed in clear`);
      }
    },
  );

  if (!run.single) {
    testNoSocketLeft(run, "curve");
    return;
  }

  Deno.test(
    run.title(
      "CURVE server keeps serving good clients, and holds nothing, through a stream of failed handshakes",
    ),
    async () => {
      const [server, client, impostor] = [
        await curveKeypair(),
        await curveKeypair(),
        await curveKeypair(),
      ];
      await using router = new Router({
        ...run.S,
        curveServer: true,
        curveSecretKey: server.secretKey,
      });
      const events = collect(router.monitor(["handshakeFailedProtocol"]));
      const endpoint = router.bind("tcp://127.0.0.1:*");
      const port = portOfEndpoint(endpoint);
      await using good = new Dealer({
        ...run.C,
        ...curveOptions(server, client).client,
      });
      good.connect(endpoint);
      const echo = async (i: number) => {
        await good.send(String(i));
        const [id, body] = await router.receive(T);
        assertEquals(texts([body]), [String(i)]);
        await router.send([id, body]);
        assertEquals(texts(await good.receive(T)), [String(i)]);
      };
      await echo(-1);
      // The good client's connection, both ends.
      assertEquals(connectionsOn(port), 2);
      // A client that knows a wrong key and reconnects at once, for ever.
      await using retrier = new Dealer({
        ...run.C,
        ...curveOptions(impostor, client).client,
        reconnectInterval: 1,
      });
      retrier.connect(endpoint);
      // And raw peers that send a HELLO that cannot open.
      const ROUNDS = 60;
      for (let i = 0; i < ROUNDS; i++) {
        await badHello(port);
        await echo(i);
      }
      retrier.close();
      await waitFor(
        () => events.events.length >= ROUNDS,
        `${ROUNDS} handshake failures on the monitor`,
      );
      await echo(ROUNDS);
      // Every failed peer's connection is gone: no descriptor is held
      // but the good client's.
      await waitFor(
        () => connectionsOn(port) === 2,
        `the failed peers' connections closed (${connectionsOn(port)} open)`,
      );
      await events.stop();
      assert(
        events.events.every((e) => e.value === CRYPTOGRAPHIC),
        "every failure is a cryptographic one",
      );
    },
  );

  Deno.test(
    run.title("Socket with authenticate but no curveServer refuses to bind"),
    async () => {
      await using router = new Router({
        ...run.S,
        authenticate: () => true,
      });
      assertThrows(
        () => router.bind("tcp://127.0.0.1:*"),
        TypeError,
        "Cannot bind: authenticate is set but the socket is not a CURVE server",
      );
      router.setOption("curveServer", true);
      router.setOption("curveSecretKey", (await curveKeypair()).secretKey);
      router.bind("tcp://127.0.0.1:*");
    },
  );

  Deno.test(
    run.title("CURVE options switch the mechanism as libzmq's do"),
    async () => {
      const keys = await curveKeypair();
      await using s = new Dealer(run.S);
      assertEquals(s.getOption("curveServer"), false);
      s.setOption("curveServer", true);
      assertEquals(s.getOption("curveServer"), true);
      s.setOption("curveServerKey", keys.publicKey);
      assertEquals(s.getOption("curveServer"), false, "a server key: client");
      s.setOption("curveServer", true);
      s.setOption("curvePublicKey", keys.publicKey);
      assertEquals(s.getOption("curveServer"), true);
      s.setOption("curveServer", false);
      assertEquals(s.getOption("curveServer"), false);
    },
  );

  testNoSocketLeft(run, "curve");
}

/**
 * A raw TCP peer: a CURVE client greeting, then a HELLO whose box is noise;
 * waits (bounded) until the server hangs up.
 */
async function badHello(port: number): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const hello = new Uint8Array(200);
    hello.set(new TextEncoder().encode("\x05HELLO\x01\x00"));
    crypto.getRandomValues(hello.subarray(80));
    const frame = new Uint8Array(2 + 200);
    frame[0] = 0x04;
    frame[1] = 200;
    frame.set(hello, 2);
    await conn.write(encodeGreeting("CURVE", false));
    await conn.write(frame);
    const buf = new Uint8Array(4096);
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      const n = await conn.read(buf).catch(() => null);
      if (n === null) return;
    }
    throw new Error("the server kept a peer whose HELLO did not open");
  } finally {
    conn.close();
  }
}

/**
 * A TCP relay on loopback that records every byte both ways (latin1 text,
 * to search).
 */
class RecordingRelay implements AsyncDisposable {
  readonly endpoint: string;
  readonly #listener: Deno.TcpListener;
  readonly #target: { hostname: string; port: number };
  readonly #chunks: Uint8Array[] = [];
  readonly #conns = new Set<Deno.Conn>();
  readonly #tasks = new Set<Promise<void>>();
  #accepting: Promise<void>;

  /** @param target a `tcp://host:port` endpoint to relay to */
  constructor(target: string) {
    const at = target.lastIndexOf(":");
    this.#target = {
      hostname: target.slice("tcp://".length, at),
      port: Number(target.slice(at + 1)),
    };
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.endpoint = `tcp://127.0.0.1:${this.#listener.addr.port}`;
    this.#accepting = this.#accept();
  }

  async #accept(): Promise<void> {
    for (;;) {
      let inbound: Deno.Conn;
      try {
        inbound = await this.#listener.accept();
      } catch {
        return;
      }
      const outbound = await Deno.connect(this.#target);
      this.#conns.add(inbound);
      this.#conns.add(outbound);
      for (const [from, to] of [[inbound, outbound], [outbound, inbound]]) {
        const t = this.#pump(from, to);
        this.#tasks.add(t);
        t.finally(() => this.#tasks.delete(t));
      }
    }
  }

  async #pump(from: Deno.Conn, to: Deno.Conn): Promise<void> {
    const buf = new Uint8Array(65536);
    try {
      for (;;) {
        const n = await from.read(buf);
        if (n === null) break;
        const chunk = buf.slice(0, n);
        this.#chunks.push(chunk);
        let off = 0;
        while (off < n) off += await to.write(chunk.subarray(off));
      }
    } catch {
      // one side closed
    }
    for (const c of [from, to]) {
      if (this.#conns.delete(c)) c.close();
    }
  }

  /** Everything relayed so far, as latin1 text. */
  recorded(): string {
    return this.#chunks.map((c) => new TextDecoder("latin1").decode(c)).join(
      "",
    );
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#listener.close();
    await this.#accepting;
    for (const c of this.#conns) c.close();
    this.#conns.clear();
    await Promise.allSettled([...this.#tasks]);
  }
}
