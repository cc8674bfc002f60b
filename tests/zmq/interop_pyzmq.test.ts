/**
 * The zmtp engine against pyzmq (libzmq 4.3 underneath): every socket type
 * pair zmp uses, over tcp and ipc, with zmp binding and with pyzmq binding.
 * Skipped when no Python with pyzmq is found (`.ci/run` installs Debian's
 * python3-zmq).
 */

import { assertEquals, AssertionError, waitFor } from "../_assert.ts";
import { findPython } from "../_python.ts";
import {
  Context,
  Dealer,
  Pair,
  Publisher,
  Pull,
  Push,
  Reply,
  Request,
  Router,
  Subscriber,
  XPublisher,
  XSubscriber,
} from "../../src/zmq/mod.ts";
import { bytes, Endpoints, fixture, texts } from "./_helpers.ts";

const PYTHON = await findPython();
const T = { timeout: 5000 };

/** A pyzmq peer process (`fixtures/py_peer.py`), always reaped. */
class PyPeer implements AsyncDisposable {
  readonly #child: Deno.ChildProcess;
  readonly #reader: ReadableStreamDefaultReader<string>;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  #buffered = "";

  constructor(args: string[]) {
    this.#child = new Deno.Command(PYTHON!, {
      args: [fixture("py_peer.py"), ...args],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    this.#reader = this.#child.stdout.pipeThrough(new TextDecoderStream())
      .getReader();
    this.#stdin = this.#child.stdin.getWriter();
  }

  /** The next stdout line, within `timeout` ms. */
  async line(timeout = 5000): Promise<string> {
    const deadline = Date.now() + timeout;
    for (;;) {
      const nl = this.#buffered.indexOf("\n");
      if (nl >= 0) {
        const line = this.#buffered.slice(0, nl);
        this.#buffered = this.#buffered.slice(nl + 1);
        return line;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new AssertionError("no line from the python peer");
      let timer: ReturnType<typeof setTimeout> | undefined;
      const r = await Promise.race([
        this.#reader.read(),
        new Promise<{ done: true; value: undefined }>((res) =>
          timer = setTimeout(() => res({ done: true, value: undefined }), left)
        ),
      ]).finally(() => clearTimeout(timer));
      if (r.done) {
        if (Date.now() >= deadline) continue;
        throw new AssertionError("the python peer closed its stdout");
      }
      this.#buffered += r.value;
    }
  }

  /** The next message the peer printed, as text frames. */
  async message(timeout = 5000): Promise<string[]> {
    const hex: string[] = JSON.parse(await this.line(timeout));
    return hex.map((h) =>
      new TextDecoder().decode(
        new Uint8Array(h.match(/../g)?.map((b) => parseInt(b, 16)) ?? []),
      )
    );
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#stdin.close().catch(() => {});
    let timer: ReturnType<typeof setTimeout> | undefined;
    const killed = new Promise<void>((r) =>
      timer = setTimeout(() => {
        try {
          this.#child.kill("SIGKILL");
        } catch {
          // exited
        }
        r();
      }, 3000)
    );
    await Promise.race([this.#child.status, killed]);
    clearTimeout(timer);
    await this.#child.status;
    await this.#reader.cancel().catch(() => {});
  }
}

type AnySocket =
  | Dealer
  | Pair
  | Publisher
  | Pull
  | Push
  | Reply
  | Request
  | Router
  | Subscriber
  | XPublisher
  | XSubscriber;

interface Case {
  zmp: string;
  py: string;
  make(ctx: Context): AnySocket;
  play(socket: AnySocket, peer: PyPeer): Promise<void>;
}

const echo = (frames: string[]) => async (s: AnySocket) => {
  const d = s as Dealer;
  await d.send(frames);
  assertEquals(texts(await d.receive(T)), frames);
};

const receiveTopic = async (s: AnySocket) => {
  const sub = s as Subscriber;
  if (sub instanceof XSubscriber) await sub.send(new Uint8Array([1]));
  else sub.subscribe("");
  assertEquals(texts(await sub.receive(T)), ["topic", "data"]);
};

const publishUntilSeen = async (s: AnySocket, peer: PyPeer) => {
  const pub = s as Publisher;
  let seen: string[] | undefined;
  const reading = peer.message(8000).then((m) => seen = m);
  await waitFor(async () => {
    await pub.send(["topic", "data"]);
    await new Promise((r) => setTimeout(r, 10));
    return seen !== undefined;
  }, "the python subscriber to get a message");
  assertEquals(await reading, ["topic", "data"]);
};

const CASES: Case[] = [
  {
    zmp: "DEALER",
    py: "ROUTER",
    make: (c) => new Dealer({ context: c }),
    play: echo(["hello", "world"]),
  },
  {
    zmp: "DEALER",
    py: "REP",
    make: (c) => new Dealer({ context: c }),
    play: echo(["", "hello"]),
  },
  {
    zmp: "DEALER",
    py: "DEALER",
    make: (c) => new Dealer({ context: c }),
    play: echo(["hello"]),
  },
  {
    zmp: "REQ",
    py: "REP",
    make: (c) => new Request({ context: c }),
    play: echo(["hello"]),
  },
  {
    zmp: "REQ",
    py: "ROUTER",
    make: (c) => new Request({ context: c }),
    play: echo(["hello"]),
  },
  {
    zmp: "PAIR",
    py: "PAIR",
    make: (c) => new Pair({ context: c }),
    play: echo(["hello"]),
  },
  {
    zmp: "ROUTER",
    py: "REQ",
    make: (c) => new Router({ context: c }),
    async play(s, peer) {
      const r = s as Router;
      const [id, empty, body] = await r.receive(T);
      assertEquals(texts([empty, body]), ["", "ping"]);
      await r.send([id, "", "pong"]);
      assertEquals(await peer.message(), ["pong"]);
    },
  },
  {
    zmp: "REP",
    py: "REQ",
    make: (c) => new Reply({ context: c }),
    async play(s, peer) {
      const r = s as Reply;
      assertEquals(texts(await r.receive(T)), ["ping"]);
      await r.send("pong");
      assertEquals(await peer.message(), ["pong"]);
    },
  },
  {
    zmp: "SUB",
    py: "PUB",
    make: (c) => new Subscriber({ context: c }),
    play: receiveTopic,
  },
  {
    zmp: "SUB",
    py: "XPUB",
    make: (c) => new Subscriber({ context: c }),
    play: receiveTopic,
  },
  {
    zmp: "XSUB",
    py: "PUB",
    make: (c) => new XSubscriber({ context: c }),
    play: receiveTopic,
  },
  {
    zmp: "PUB",
    py: "SUB",
    make: (c) => new Publisher({ context: c }),
    play: publishUntilSeen,
  },
  {
    zmp: "PUB",
    py: "XSUB",
    make: (c) => new Publisher({ context: c }),
    play: publishUntilSeen,
  },
  {
    zmp: "XPUB",
    py: "SUB",
    make: (c) => new XPublisher({ context: c }),
    async play(s, peer) {
      // The subscription arrives as a message first.
      assertEquals(await (s as XPublisher).receive(T), [new Uint8Array([1])]);
      await publishUntilSeen(s, peer);
    },
  },
  {
    zmp: "PUSH",
    py: "PULL",
    make: (c) => new Push({ context: c }),
    async play(s, peer) {
      await (s as Push).send(["hello", bytes("x")]);
      assertEquals(await peer.message(), ["hello", "x"]);
    },
  },
  {
    zmp: "PULL",
    py: "PUSH",
    make: (c) => new Pull({ context: c }),
    async play(s) {
      assertEquals(texts(await (s as Pull).receive(T)), ["hello"]);
    },
  },
];

for (const transport of ["tcp", "ipc"] as const) {
  for (const c of CASES) {
    for (const zmpBinds of [true, false]) {
      const how = zmpBinds ? "binds" : "connects";
      Deno.test({
        name: `zmtp ${c.zmp} ${how}, pyzmq ${c.py} ${
          zmpBinds ? "connects" : "binds"
        } over ${transport}`,
        ignore: PYTHON === undefined,
        async fn() {
          await using eps = new Endpoints();
          await using ctx = new Context({ engine: "zmtp" });
          const socket = c.make(ctx);
          try {
            const address = await eps.bindAddress(transport, "py");
            let peer: PyPeer;
            if (zmpBinds) {
              const bound = socket.bind(address);
              peer = new PyPeer([c.py, "connect", bound]);
              await peer.line(20_000);
            } else {
              peer = new PyPeer([
                c.py,
                "bind",
                transport === "tcp" ? "tcp://127.0.0.1:*" : address,
              ]);
              socket.connect(await peer.line(20_000));
            }
            await using _peer = peer;
            await c.play(socket, peer);
          } finally {
            socket.close();
          }
        },
      });
    }
  }
}
