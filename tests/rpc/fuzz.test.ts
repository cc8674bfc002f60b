/**
 * Throws random and mutated frames at a live server process over a raw
 * DEALER, then checks that it answered sensibly, logged, and still serves
 * a good call correctly.
 */

import fc from "fast-check";
import { assert, assertEquals, waitFor } from "../_assert.ts";
import { RpcClient } from "../../mod.ts";
import {
  codecByName,
  encodeHeader,
  encodeMetadata,
  encodeMethodName,
  encodeRequestHeader,
  KIND,
  kindName,
  PROTOCOL_VERSION,
  readU32,
  statusName,
} from "../../src/wire/mod.ts";
import { Dealer } from "../../src/zmq/mod.ts";
import { ServerProcess } from "./_server_process.ts";
import { Calculator } from "./fixtures/services.ts";

const msgpack = codecByName("msgpack");
let nextId = 1;

/** A valid message to mutate. */
const validMessage = fc.oneof(
  fc.record({
    a: fc.integer(),
    b: fc.oneof(fc.integer(), fc.string()),
    meta: fc.boolean(),
    stream: fc.boolean(),
    deadline: fc.nat(1000),
  }).map(({ a, b, meta, stream, deadline }) => {
    const frames = [
      encodeRequestHeader({
        requestId: nextId++,
        codec: 1,
        stream,
        deadline,
        credit: stream ? 8 : 0,
      }),
      encodeMethodName("Calculator", stream ? "count" : "add"),
      msgpack.encode(stream ? [3, "fuzz"] : [a, b]),
    ];
    if (meta) frames.push(encodeMetadata({ k: "v" }));
    return frames;
  }),
  fc.constantFrom(KIND.CANCEL, KIND.PING, KIND.END, KIND.RESPONSE).map((k) => [
    encodeHeader(k, nextId++),
  ]),
);

type Mutation = (frames: Uint8Array[]) => Uint8Array[];

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  // flip a byte
  fc.record({ f: fc.nat(), i: fc.nat(), v: fc.integer({ min: 0, max: 255 }) })
    .map(({ f, i, v }) => (frames: Uint8Array[]) => {
      const out = frames.map((x) => x.slice());
      const frame = out[f % out.length];
      if (frame.length > 0) frame[i % frame.length] = v;
      return out;
    }),
  // truncate a frame
  fc.record({ f: fc.nat(), n: fc.nat() }).map(
    ({ f, n }) => (frames: Uint8Array[]) =>
      frames.map((x, j) =>
        j === f % frames.length ? x.slice(0, n % (x.length + 1)) : x
      ),
  ),
  // drop a frame
  fc.nat().map((f) => (frames: Uint8Array[]) =>
    frames.length > 1
      ? frames.filter((_, j) => j !== f % frames.length)
      : frames
  ),
  // add a random frame
  fc.uint8Array({ maxLength: 32 }).map((extra) => (frames: Uint8Array[]) => [
    ...frames,
    extra,
  ]),
  // replace the payload with random bytes
  fc.uint8Array({ maxLength: 48 }).map((bytes) => (frames: Uint8Array[]) =>
    frames.length >= 3
      ? [frames[0], frames[1], bytes, ...frames.slice(3)]
      : frames
  ),
  // another protocol version
  fc.integer({ min: 0, max: 255 }).filter((v) => v !== PROTOCOL_VERSION).map(
    (v) => (frames: Uint8Array[]) => {
      const h = frames[0].slice();
      h[0] = v;
      return [h, ...frames.slice(1)];
    },
  ),
);

const fuzzMessage: fc.Arbitrary<Uint8Array[]> = fc.oneof(
  fc.array(fc.uint8Array({ maxLength: 40 }), { minLength: 1, maxLength: 6 }),
  fc.tuple(validMessage, fc.array(mutation, { minLength: 1, maxLength: 3 }))
    .map(([frames, ms]) => ms.reduce((f, m) => m(f), frames)),
);

Deno.test("RpcServer survives fuzzed frames and keeps serving", async () => {
  await using server = await ServerProcess.start(["--log-interval", "500"]);
  await using client = new RpcClient({ endpoints: [server.endpoint] });
  await using raw = new Dealer();
  raw.connect(server.endpoint);
  let pingId = 0xf0000000;
  let replies = 0;
  const deadline = performance.now() + 20000;

  await fc.assert(
    fc.asyncProperty(fuzzMessage, async (frames) => {
      if (performance.now() > deadline) return; // time bound
      await raw.send(frames);
      // A PING after the message: every answer to the fuzz message arrives
      // before its PONG. Each answer must be a well-formed message.
      const ping = ++pingId;
      await raw.send([encodeHeader(KIND.PING, ping)]);
      for (let guard = 0; guard < 1000; guard++) {
        const reply = await raw.receive({ timeout: 5000 });
        const h = reply[0];
        assert(h.length >= 8, "reply header too short");
        assertEquals(h[0], PROTOCOL_VERSION);
        const kind = kindName(h[1]);
        assert(kind !== undefined, `reply of unknown kind ${h[1]}`);
        if (kind === "PONG" && readU32(h, 4) === ping) return;
        replies++;
        if (kind === "ERROR") {
          assert(statusName(readU32(h, 8)) !== "UNKNOWN");
          assert(
            reply.length >= 2 && reply[1].length > 0,
            "error without message",
          );
        }
      }
      throw new Error("no PONG after 1000 replies");
    }),
    { numRuns: 600, seed: 20240611 },
  );

  assert(replies > 100, `only ${replies} replies`);
  assertEquals(
    await client.call(Calculator, Calculator.methods.add, [40, 2]),
    42,
  );
  // One line per kind of problem per peer per interval, then a count.
  let logs: string[] = [];
  const summary =
    /^warn … ([\d,]+) more rejected messages from peer [0-9a-f]+ in the last 0\.5 s$/;
  await waitFor(async () => {
    logs = await client.call(
      Calculator,
      Calculator.methods.logs,
      [],
    ) as string[];
    return logs.some((l) => summary.test(l));
  }, "a summary line of the rejected messages");
  assert(
    logs.every((l) => !l.includes("failed to handle a message")),
    "the server hit an internal error:\n" +
      logs.filter((l) => l.includes("failed to handle")).join("\n"),
  );
  const warnings = logs.filter((l) => l.startsWith("warn "));
  const counted = warnings.reduce((n, l) => {
    const m = summary.exec(l);
    return n + (m === null ? 1 : Number(m[1].replaceAll(",", "")));
  }, 0);
  assert(counted > 100, `only ${counted} rejections logged or counted`);
  assert(
    warnings.length < counted / 2,
    `${warnings.length} lines for ${counted} rejections`,
  );
  assert(warnings.every((l) => !l.includes("\n")), "a warning spans lines");
});
