/**
 * One side of a topic trial, in its own process:
 *
 *     deno run -A _topic_peer.ts pub <typed|raw> <bytes> <thr|lat> <seconds> [endpoint]
 *     deno run -A _topic_peer.ts sub <typed|raw> <bytes> <thr|lat> [endpoint]
 *
 * `typed` is a zmp node (`ZMP_REGISTRY` in the environment) publishing or
 * subscribing to the `bench/blob` topic: validated, msgpack-encoded,
 * sequence-numbered, found through the registry. `raw` is a bare ZeroMQ
 * PUB or SUB socket of `src/zmq` sending `[topic, bytes]` on `endpoint`.
 *
 * A trial: the publisher sends warm-up messages until it reads `go` on
 * stdin; each subscriber prints `ready` at its first warm-up message. Then
 * the publisher sends as fast as it can (`thr`) or one message every ~2 ms
 * (`lat`) for `seconds`, then end markers. Each side prints one JSON line
 * and exits: the publisher `{ published }`, a subscriber `{ received,
 * lost, seconds, latencies }` (one-way latencies in µs, `lat` only).
 *
 * @module
 */

import { createNode } from "../../mod.ts";
import { Publisher, Subscriber } from "../../src/zmq/mod.ts";
import { BlobTopic } from "./system.api.gen.ts";

const TOPIC = "bench/blob";
const HEADER = 1 + 4 + 8; // kind, seq, sentAt
const now = () => performance.timeOrigin + performance.now();

/** Yields to the event loop without the 1-4 ms clamp of nested timers. */
const channel = new MessageChannel();
let resume: () => void = () => {};
channel.port1.onmessage = () => resume();
function yieldLoop(): Promise<void> {
  return new Promise((r) => {
    resume = r;
    channel.port2.postMessage(0);
  });
}

interface Sender {
  send(kind: number, seq: number): void;
  close(): Promise<void>;
}

async function typedSender(bytes: number): Promise<Sender> {
  const node = await createNode(`bench-pub-${Deno.pid}`, {
    mode: "subprocess",
  });
  const pub = await node.publisher(BlobTopic);
  const payload = new Uint8Array(Math.max(0, bytes - HEADER));
  return {
    send: (kind, seq) => pub.publish({ kind, seq, sentAt: now(), payload }),
    close: () => node.close(),
  };
}

function rawSender(bytes: number, endpoint: string): Sender {
  const pub = new Publisher({ sendHighWaterMark: 1000 });
  pub.bind(endpoint);
  const topic = new TextEncoder().encode(TOPIC);
  return {
    send: (kind, seq) => {
      const body = new Uint8Array(Math.max(bytes, HEADER));
      const view = new DataView(body.buffer);
      view.setUint8(0, kind);
      view.setUint32(1, seq);
      view.setFloat64(5, now());
      pub.send([topic, body]).catch(() => {});
    },
    close: () => Promise.resolve(pub.close()),
  };
}

async function waitForGo(sender: Sender): Promise<void> {
  let go = false;
  (async () => {
    const reader = Deno.stdin.readable.pipeThrough(new TextDecoderStream())
      .getReader();
    let text = "";
    while (!text.includes("go")) {
      const { value, done } = await reader.read();
      if (done) Deno.exit(3);
      text += value;
    }
    go = true;
    reader.releaseLock();
  })();
  while (!go) {
    sender.send(0, 0);
    await new Promise((r) => setTimeout(r, 2));
  }
}

async function publish(args: string[]): Promise<void> {
  const [kind, bytesArg, mode, secondsArg, endpoint] = args;
  const bytes = Number(bytesArg);
  const sender = kind === "typed"
    ? await typedSender(bytes)
    : rawSender(bytes, endpoint);
  console.log("ready");
  await waitForGo(sender);
  const end = performance.now() + Number(secondsArg) * 1000;
  let seq = 0;
  if (mode === "thr") {
    while (performance.now() < end) {
      for (let i = 0; i < 128; i++) sender.send(1, ++seq);
      await yieldLoop();
    }
  } else {
    while (performance.now() < end) {
      sender.send(1, ++seq);
      await new Promise((r) => setTimeout(r, 1));
    }
  }
  // End markers for 1.5 s: a subscriber that fell behind still has a
  // backlog in its kernel and ZeroMQ buffers (thousands of small messages
  // when 4 share two cores), and while that drains, markers sent into its
  // full pipe are dropped by the publisher like any other message.
  for (let i = 0; i < 150; i++) {
    sender.send(2, seq);
    await new Promise((r) => setTimeout(r, 10));
  }
  console.log(JSON.stringify({ published: seq }));
  await sender.close();
}

interface Message {
  kind: number;
  seq: number;
  sentAt: number;
}

async function* typedMessages(): AsyncGenerator<Message> {
  const node = await createNode(`bench-sub-${Deno.pid}`, {
    mode: "subprocess",
  });
  const sub = await node.subscribe(BlobTopic, { queue: 1000 });
  try {
    yield* sub;
  } finally {
    await node.close();
  }
}

async function* rawMessages(endpoint: string): AsyncGenerator<Message> {
  const sub = new Subscriber({ receiveHighWaterMark: 1000 });
  sub.subscribe(TOPIC);
  sub.connect(endpoint);
  try {
    for await (const [, body] of sub) {
      const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
      yield {
        kind: view.getUint8(0),
        seq: view.getUint32(1),
        sentAt: view.getFloat64(5),
      };
    }
  } finally {
    sub.close();
  }
}

async function subscribe(args: string[]): Promise<void> {
  const [kind, , mode, endpoint] = args;
  const keep = mode === "lat" ? 100000 : 0;
  const messages = kind === "typed" ? typedMessages() : rawMessages(endpoint);
  let ready = false;
  let received = 0;
  let first = 0;
  let last = 0;
  let minSeq = Infinity;
  let maxSeq = 0;
  const latencies: number[] = [];
  for await (const m of messages) {
    if (m.kind === 0) {
      if (!ready) console.log("ready");
      ready = true;
      continue;
    }
    if (m.kind === 2) break;
    const t = now();
    if (received === 0) first = t;
    last = t;
    received++;
    minSeq = Math.min(minSeq, m.seq);
    maxSeq = Math.max(maxSeq, m.seq);
    if (latencies.length < keep) latencies.push((t - m.sentAt) * 1000);
  }
  await messages.return(undefined);
  const expected = received === 0 ? 0 : maxSeq - minSeq + 1;
  console.log(JSON.stringify({
    received,
    lost: expected - received,
    seconds: (last - first) / 1000,
    latencies,
  }));
}

const [role, ...rest] = Deno.args;
if (role === "pub") await publish(rest);
else await subscribe(rest);
channel.port1.close();
Deno.exit(0);
