/**
 * The server seen through a raw DEALER: exact answers to malformed and
 * unusual messages, one log line per kind per peer and then a count, and
 * streams of vanished clients.
 */

import { assert, assertEquals, waitFor } from "../_assert.ts";
import { RpcServer, STATUS } from "../../mod.ts";
import {
  codecByName,
  decodeErrorBody,
  decodeHeader,
  encodeHeader,
  encodeMethodName,
  encodeRequestHeader,
  KIND,
} from "../../src/wire/mod.ts";
import { Dealer } from "../../src/zmq/mod.ts";
import { Calculator } from "./fixtures/services.ts";
import { calculatorImpl, observations } from "./fixtures/calculator_impl.ts";

const enc = new TextEncoder();
const args = (v: unknown[]) => codecByName("msgpack").encode(v);

function serve() {
  const obs = observations();
  const logs: string[] = [];
  const server = new RpcServer({
    logger: { warn: (m) => logs.push(m), error: (m) => logs.push(m) },
  });
  server.register(Calculator, calculatorImpl(obs));
  const endpoint = server.bind("tcp://127.0.0.1:*");
  const dealer = new Dealer();
  dealer.connect(endpoint);
  return {
    obs,
    logs,
    dealer,
    server,
    async answer(frames: Uint8Array[]) {
      await dealer.send(frames);
      const reply = await dealer.receive({ timeout: 5000 });
      const header = decodeHeader(reply[0]);
      return {
        header,
        body: header.kind === "ERROR"
          ? decodeErrorBody(reply[1], reply[2])
          : undefined,
        reply,
      };
    },
    async [Symbol.asyncDispose]() {
      await dealer[Symbol.asyncDispose]();
      await server.close({ drainTimeout: 0 });
    },
  };
}

Deno.test("RpcServer answers malformed messages with exact errors, logs the first and counts the others", async () => {
  await using s = serve();

  const v2 = encodeRequestHeader({ requestId: 31, codec: 1 });
  v2[0] = 2;
  const version = await s.answer([
    v2,
    encodeMethodName("Calculator", "add"),
    args([1, 2]),
  ]);
  assertEquals(version.header.kind, "ERROR");
  assertEquals(version.header.requestId, 31);
  assertEquals(version.header.status, STATUS.FAILED_PRECONDITION);
  assertEquals(version.body, {
    message: "Unsupported protocol version 2: this peer speaks version 1",
    details: { supportedVersions: [1] },
  });

  const garbage = await s.answer([new Uint8Array([0xde, 0xad])]);
  assertEquals(garbage.header.requestId, 0);
  assertEquals(garbage.header.status, STATUS.INVALID_ARGUMENT);
  assertEquals(
    garbage.body?.message,
    "Malformed header: 2 bytes, expected at least 8",
  );

  const codec = await s.answer([
    encodeRequestHeader({ requestId: 32, codec: 9 }),
    encodeMethodName("Calculator", "add"),
    args([1, 2]),
  ]);
  assertEquals(codec.header.status, STATUS.INVALID_ARGUMENT);
  assertEquals(codec.body?.message, "Unknown codec 9");

  const truncated = await s.answer([
    encodeRequestHeader({ requestId: 33, codec: 1 }),
  ]);
  assertEquals(truncated.header.requestId, 33);
  assertEquals(
    truncated.body?.message,
    "Malformed REQUEST: 1 frames, expected 3 or 4",
  );

  const metadata = await s.answer([
    encodeRequestHeader({ requestId: 34, codec: 1 }),
    encodeMethodName("Calculator", "add"),
    args([1, 2]),
    enc.encode('{"a": 1}'),
  ]);
  assertEquals(
    metadata.body?.message,
    'Malformed metadata: the value of "a" is not a string',
  );

  const payload = await s.answer([
    encodeRequestHeader({ requestId: 35, codec: 1 }),
    encodeMethodName("Calculator", "add"),
    new Uint8Array([0x93, 0x01]),
  ]);
  assertEquals(
    payload.body?.message,
    "Cannot decode the arguments of Calculator.add: Cannot decode msgpack: Unexpected end of MessagePack data",
  );

  const kind = await s.answer([encodeHeader(KIND.RESPONSE, 36, 1), args([1])]);
  assertEquals(kind.body?.message, "Unexpected RESPONSE from a client");

  const superjson = await s.answer([
    encodeRequestHeader({ requestId: 37, codec: 2 }),
    encodeMethodName("Calculator", "add"),
    enc.encode('{"json":[20,22]}'),
  ]);
  assertEquals(superjson.header.kind, "RESPONSE");
  assertEquals(superjson.header.codec, 2);
  assertEquals(new TextDecoder().decode(superjson.reply[1]), '{"json":42}');

  assertEquals(s.logs.length, 1, s.logs.join("\n"));
  assert(
    /^rejected a message from peer [0-9a-f]+: Unsupported protocol version 2/
      .test(s.logs[0]),
    s.logs[0],
  );
  await s.server.close({ drainTimeout: 0 });
  assertEquals(s.logs.length, 2, s.logs.join("\n"));
  assert(
    /^… 6 more rejected messages from peer [0-9a-f]+ in the last 10 s$/.test(
      s.logs[1],
    ),
    s.logs[1],
  );
});

Deno.test("RpcServer drops a duplicate request id in flight and logs it", async () => {
  await using s = serve();
  const request = () => [
    encodeRequestHeader({ requestId: 5, codec: 1 }),
    encodeMethodName("Calculator", "sleep"),
    args([100, "dup"]),
  ];
  await s.dealer.send(request());
  await s.dealer.send(request());
  const reply = await s.dealer.receive({ timeout: 5000 });
  assertEquals(decodeHeader(reply[0]).kind, "RESPONSE");
  assertEquals(s.obs.events.filter((e) => e === "dup:started").length, 1);
  assertEquals(s.logs.length, 1);
  assert(s.logs[0].endsWith("request id 5 is already in flight"), s.logs[0]);
});

Deno.test("RpcServer stops a stream whose client vanished while it waited for credit", async () => {
  await using s = serve();
  await s.dealer.send([
    encodeRequestHeader({ requestId: 1, codec: 1, stream: true, credit: 1 }),
    encodeMethodName("Calculator", "ticks"),
    args([1000, 1, "vanish"]),
  ]);
  const first = await s.dealer.receive({ timeout: 5000 });
  assertEquals(decodeHeader(first[0]).kind, "DATA");
  s.dealer.close(); // no CANCEL: the client is simply gone
  await waitFor(
    () => s.obs.events.includes("vanish:finally:CANCELLED"),
    "the handler to be aborted",
    { timeout: 10000 },
  );
});
