/**
 * Fuzzing the zmtp engine's wire parser (fast-check): frames survive any
 * split across reads; random and mutated greetings, frames, commands and
 * metadata only ever raise `ZmtpProtocolError`; and a live zmtp ROUTER fed
 * garbage by raw TCP clients keeps serving a real peer, hangs nowhere and
 * leaks nothing (Deno's sanitizers stay on).
 */

import fc from "fast-check";
import { assert, assertEquals } from "../_assert.ts";
import {
  BIG_READ,
  COMMAND,
  encodeCommand,
  encodeGreeting,
  encodeMetadata,
  FrameReader,
  FrameWriter,
  MORE,
  parseCommand,
  parseGreeting,
  parseMetadata,
  ZmtpProtocolError,
} from "../../src/zmq/zmtp/_codec.ts";
import { Context, Dealer, Router } from "../../src/zmq/mod.ts";
import { texts } from "./_helpers.ts";

/** The chunks of `FrameWriter.take()` as one array. */
function joined(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/**
 * Feeds `bytes` to `reader` in chunks of the given sizes (at most each
 * read's target); returns frames, and adds each target's size to
 * `targets`.
 */
function feed(
  reader: FrameReader,
  bytes: Uint8Array,
  cuts: number[],
  targets: number[] = [],
): { body: Uint8Array; flags: number }[] {
  const out: { body: Uint8Array; flags: number }[] = [];
  let at = 0;
  let i = 0;
  while (at < bytes.byteLength) {
    const want = Math.max(1, cuts[i++ % cuts.length] ?? 1);
    const target = reader.target();
    targets.push(target.byteLength);
    const n = Math.min(want, target.byteLength, bytes.byteLength - at);
    target.set(bytes.subarray(at, at + n));
    reader.advance(n);
    at += n;
    for (let f = reader.frame(); f !== null; f = reader.frame()) {
      out.push({ body: f, flags: reader.flags });
    }
  }
  return out;
}

const frameArb = fc.record({
  body: fc.oneof(
    { weight: 8, arbitrary: fc.uint8Array({ maxLength: 300 }) },
    {
      weight: 1,
      arbitrary: fc.uint8Array({ minLength: 70_000, maxLength: 70_100 }),
    },
  ),
  more: fc.boolean(),
});

Deno.test("FrameReader returns every frame FrameWriter wrote, however the bytes are split", () => {
  fc.assert(
    fc.property(
      fc.array(frameArb, { maxLength: 20 }),
      fc.array(fc.integer({ min: 1, max: 100_000 }), {
        minLength: 1,
        maxLength: 10,
      }),
      (frames, cuts) => {
        const w = new FrameWriter();
        for (const f of frames) w.frame(f.body, f.more ? MORE : 0);
        const got = feed(new FrameReader(), joined(w.take()), cuts);
        assertEquals(got.length, frames.length);
        for (let i = 0; i < frames.length; i++) {
          assertEquals(got[i].body, frames[i].body);
          assertEquals(got[i].flags, frames[i].more ? MORE : 0);
        }
      },
    ),
    { numRuns: 200 },
  );
});

/** Runs `fn` and fails unless it returns or throws a ZmtpProtocolError. */
function onlyProtocolErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof ZmtpProtocolError)) throw e;
    assertEquals(e.name, "ZmtpProtocolError");
    assert(e instanceof SyntaxError);
  }
}

Deno.test("FrameReader refuses a declared size it cannot allocate with a ZmtpProtocolError", () => {
  // 6 × 2^32 bytes (found by the fuzzer below) and 2^52: under the 2^53
  // limit of the wire format, over what a typed array or the machine holds.
  for (const hi of [6, 0x100000]) {
    const reader = new FrameReader();
    const head = [
      0x02,
      hi >>> 24,
      hi >>> 16 & 0xff,
      hi >>> 8 & 0xff,
      hi & 0xff,
    ];
    const bytes = Uint8Array.from([...head, 0, 0, 0, 0, 1, 2, 3]);
    let caught: unknown;
    try {
      feed(reader, bytes, [bytes.byteLength]);
    } catch (e) {
      caught = e;
    }
    assert(caught instanceof ZmtpProtocolError, `got ${caught}`);
    assert(caught.message.includes("cannot allocate"), caught.message);
  }
});

Deno.test("ZMTP parsers raise only ZmtpProtocolError on random bytes", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 2000 }),
      fc.array(fc.integer({ min: 1, max: 3000 }), {
        minLength: 1,
        maxLength: 5,
      }),
      fc.integer({ min: -1, max: 500 }),
      (bytes, cuts, maxFrame) => {
        const reader = new FrameReader();
        reader.maxFrame = maxFrame;
        onlyProtocolErrors(() => feed(reader, bytes, cuts));
        onlyProtocolErrors(() => parseGreeting(bytes));
        onlyProtocolErrors(() => parseCommand(bytes));
        onlyProtocolErrors(() => parseMetadata(bytes));
      },
    ),
    { numRuns: 500 },
  );
});

Deno.test("ZMTP parsers raise only ZmtpProtocolError on mutated greetings and commands", () => {
  const greeting = encodeGreeting("NULL", false);
  const ready = encodeCommand(
    "READY",
    encodeMetadata({
      "Socket-Type": new TextEncoder().encode("DEALER"),
      Identity: new Uint8Array([1, 2]),
    }),
  );
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
        maxLength: 6,
      }),
      fc.nat({ max: 80 }),
      (flips, cut) => {
        for (const base of [greeting, ready]) {
          const m = base.slice(0, Math.max(1, base.byteLength - cut));
          for (const [at, v] of flips) m[at % m.byteLength] = v;
          onlyProtocolErrors(() => parseGreeting(m));
          onlyProtocolErrors(() => {
            const { name, data } = parseCommand(m);
            if (name === "READY") parseMetadata(data);
          });
        }
      },
    ),
    { numRuns: 500 },
  );
});

/** A valid greeting and READY, then garbage: what a fuzzing client sends. */
function attack(kind: number, noise: Uint8Array): Uint8Array {
  const w = new FrameWriter();
  const greeting = encodeGreeting("NULL", false);
  switch (kind) {
    case 0: // garbage instead of a greeting
      w.raw(noise);
      break;
    case 1: { // a mutated greeting
      const g = greeting.slice();
      for (let i = 0; i < noise.byteLength; i += 2) {
        g[noise[i] % 64] = noise[i + 1] ?? 0;
      }
      w.raw(g);
      break;
    }
    default: { // a valid handshake, then garbage frames
      w.raw(greeting);
      w.frame(
        encodeCommand(
          "READY",
          encodeMetadata({ "Socket-Type": new TextEncoder().encode("DEALER") }),
        ),
        COMMAND,
      );
      w.raw(noise);
    }
  }
  return joined(w.take());
}

Deno.test("zmtp Router keeps serving while raw clients send it random and mutated bytes", async () => {
  await using ctx = new Context({ engine: "zmtp" });
  await using router = new Router({ context: ctx, maxMessageSize: 100_000 });
  const endpoint = router.bind("tcp://127.0.0.1:*");
  const port = Number(endpoint.slice(endpoint.lastIndexOf(":") + 1));
  const echo = (async () => {
    for await (const m of router) await router.send(m);
  })();
  await using dealer = new Dealer({ context: ctx });
  dealer.connect(endpoint);
  const samples = fc.sample(
    fc.tuple(
      fc.integer({ min: 0, max: 2 }),
      fc.uint8Array({ maxLength: 3000 }),
    ),
    { numRuns: 60, seed: 42 },
  );
  let round = 0;
  for (const [kind, noise] of samples) {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      await conn.write(attack(kind, noise)).catch(() => 0);
      // The real peer still gets its echo while the garbage is handled.
      await dealer.send(`round ${round}`);
      assertEquals(texts(await dealer.receive({ timeout: 5000 })), [
        `round ${round}`,
      ]);
      round++;
    } finally {
      conn.close();
    }
  }
  router.close();
  await echo;
});

Deno.test("FrameReader reads a large body at most BIG_READ bytes at a time, so that one peer's megabytes do not hold the event loop", () => {
  const writer = new FrameWriter();
  const body = new Uint8Array(4 * 1024 * 1024 + 3);
  for (let i = 0; i < body.byteLength; i += 4096) body[i] = i & 0xff;
  writer.frame(body, 0);
  const bytes = joined(writer.take());
  const reader = new FrameReader();
  let at = 0;
  let reads = 0;
  let got: Uint8Array | null = null;
  while (at < bytes.byteLength) {
    const target = reader.target();
    assert(
      target.byteLength <= BIG_READ,
      `a read of up to ${target.byteLength} bytes`,
    );
    const n = Math.min(target.byteLength, bytes.byteLength - at);
    target.set(bytes.subarray(at, at + n));
    reader.advance(n);
    at += n;
    reads++;
    const f = reader.frame();
    if (f !== null) got = f;
  }
  assert(got !== null, "the frame was read");
  assertEquals(got.byteLength, body.byteLength);
  assert(got.every((b, i) => b === body[i]), "the body as sent");
  // The header goes through the 64 KiB buffer; the rest in BIG_READ steps.
  assert(reads >= Math.ceil(body.byteLength / BIG_READ), `${reads} reads`);
});

Deno.test("a new connection's FrameReader and FrameWriter start with 4 KiB, and take 64 KiB once traffic fills that", () => {
  const writer = new FrameWriter();
  writer.frame(new Uint8Array(300), 0);
  const first = writer.take();
  assertEquals(first.map((c) => c.buffer.byteLength), [4096]);
  writer.recycle(first);
  // A burst of small frames, more than a chunk holds.
  const bodies = Array.from(
    { length: 200 },
    (_, i) => new Uint8Array(90).fill(i),
  );
  for (const b of bodies) writer.frame(b, 0);
  const burst = writer.take();
  assertEquals(burst[0].buffer.byteLength, 4096, "the small chunk filled");
  assertEquals(burst.at(-1)!.buffer.byteLength, 64 * 1024);
  writer.recycle(burst);
  writer.frame(new Uint8Array(10), 0);
  assertEquals(writer.take().map((c) => c.buffer.byteLength), [64 * 1024]);

  const reader = new FrameReader();
  assertEquals(reader.target().byteLength, 4096);
  const targets: number[] = [];
  const frames = feed(reader, joined(burst), [Infinity], targets);
  assertEquals(frames.length, bodies.length);
  frames.forEach((f, i) => assertEquals(f.body, bodies[i]));
  assertEquals(targets[0], 4096);
  assert(targets[1] > 60 * 1024, `the second read's target: ${targets[1]}`);
});

Deno.test("a frame between 4 and 64 KiB in a new FrameReader is read into its grown buffer, whole", () => {
  for (const size of [4094, 4096, 10_000, 64 * 1024 - 9]) {
    const writer = new FrameWriter();
    const body = new Uint8Array(size).map((_, i) => i & 0xff);
    writer.frame(body, MORE);
    writer.frame(new Uint8Array([7]), 0);
    const targets: number[] = [];
    const frames = feed(new FrameReader(), joined(writer.take()), [
      Infinity,
    ], targets);
    assertEquals(frames.length, 2, `size ${size}`);
    assertEquals(frames[0].body, body, `size ${size}`);
    assertEquals(frames[1].body, new Uint8Array([7]));
    assert(targets.length <= 3, `size ${size}: ${targets.length} reads`);
  }
});
