/**
 * RpcServer maxElements: a request with too many elements is refused by a
 * scan of its bytes before it is decoded, on both codecs, and the
 * connection goes on serving.
 */

import {
  assert,
  assertEquals,
  assertRejects,
  assertThrows,
} from "../_assert.ts";
import { RpcClient, RpcError, RpcServer } from "../../mod.ts";
import {
  CODEC_IDS,
  codecByName,
  decodeHeader,
  ElementLimitError,
  encodeHeader,
  KIND,
  MAX_ELEMENTS,
} from "../../src/wire/mod.ts";
import { Router } from "../../src/zmq/mod.ts";
import { Calculator, Notes } from "./fixtures/services.ts";
import { calculatorImpl, observations } from "./fixtures/calculator_impl.ts";

const quiet = { warn() {}, error() {} };

Deno.test("RpcServer maxElements answers RESOURCE_EXHAUSTED before decoding, and the next call on the connection works", async () => {
  const lines: string[] = [];
  await using server = new RpcServer({
    maxElements: 1000,
    logger: { warn: (l: string) => lines.push(l), error() {} },
  });
  server.register(Calculator, calculatorImpl(observations()));
  server.register(Notes, {
    echo: (v: unknown) => v,
    add: (a: number, b: number) => a + b,
  });
  const endpoint = server.bind("tcp://127.0.0.1:*");
  await using client = new RpcClient({ endpoints: [endpoint], retry: false });
  for (const service of [Calculator, Notes]) {
    const echo = service.methods.echo;
    const e = await assertRejects(
      () => client.call(service, echo, [new Array(5000).fill(0)]),
      RpcError,
    );
    assertEquals(e.code, "RESOURCE_EXHAUSTED");
    assert(
      new RegExp(
        `^Arguments of ${service.name}\\.echo hold more than 1000 elements, the server's limit \\(maxElements\\): \\d+ counted before it stopped$`,
      ).test(e.message),
      e.message,
    );
    assert(e.message.length < 200, e.message);
    assertEquals(e.details?.reason, "REQUEST_TOO_LARGE");
    assertEquals(e.details?.limit, "maxElements");
    assertEquals(e.details?.max, 1000);
    assertEquals(e.details?.counted, 1001);
    // The same connection, just under the limit: served.
    const fits = new Array(900).fill(0);
    assertEquals(await client.call(service, echo, [fits]), fits);
  }
  assert(lines.some((l) => l.includes("maxElements")), lines.join("\n"));
});

Deno.test("RpcServer serves a request of MAX_ELEMENTS elements by default, and refuses one more", async () => {
  await using server = new RpcServer({ logger: quiet });
  server.register(Calculator, calculatorImpl(observations()));
  const endpoint = server.bind("tcp://127.0.0.1:*");
  await using client = new RpcClient({ endpoints: [endpoint], retry: false });
  const echo = Calculator.methods.echo;
  // [[0, 0, …]]: the arguments array, the value, and its items.
  const atCap = new Array(MAX_ELEMENTS - 2).fill(0);
  assertEquals(
    (await client.call(Calculator, echo, [atCap]) as unknown[]).length,
    MAX_ELEMENTS - 2,
  );
  const e = await assertRejects(
    () => client.call(Calculator, echo, [[...atCap, 0]]),
    RpcError,
  );
  assertEquals(e.code, "RESOURCE_EXHAUSTED");
  // Typed arrays count as one element: 400,000 floats travel.
  const floats = new Float64Array(400_000);
  assertEquals(
    (await client.call(Calculator, echo, [floats]) as Float64Array).length,
    400_000,
  );
});

Deno.test("RpcClient maxElements fails a reply over its limit with RESOURCE_EXHAUSTED, and the next call works", async () => {
  const obs = observations();
  await using server = new RpcServer({ logger: quiet });
  server.register(Calculator, {
    ...calculatorImpl(obs),
    // The second item is over the client's limit.
    async *count(n: number) {
      for (let i = 0; i < n; i++) {
        yield { i, pad: new Array(i === 1 ? 5000 : 10).fill(0) };
      }
    },
  });
  server.register(Notes, {
    echo: (v: unknown) => v,
    add: (a: number, b: number) => a + b,
  });
  const endpoint = server.bind("tcp://127.0.0.1:*");
  await using client = new RpcClient({
    endpoints: [endpoint],
    retry: false,
    maxElements: 1000,
  });
  for (const service of [Calculator, Notes]) {
    const echo = service.methods.echo;
    // 5,000 elements are within the server's limit, not the client's.
    const e = await assertRejects(
      () => client.call(service, echo, [new Array(5000).fill(0)]),
      RpcError,
    );
    assertEquals(e.code, "RESOURCE_EXHAUSTED");
    assert(
      new RegExp(
        `^The result of ${service.name}\\.echo holds more than 1000 elements, the client's limit \\(maxElements\\): 1001 counted before it stopped$`,
      ).test(e.message),
      e.message,
    );
    assertEquals(e.details, {
      reason: "REPLY_TOO_LARGE",
      limit: "maxElements",
      max: 1000,
      counted: 1001,
    });
    assert(e.cause instanceof ElementLimitError);
    const fits = new Array(900).fill(0);
    assertEquals(await client.call(service, echo, [fits]), fits);
  }
  const items: unknown[] = [];
  const e = await assertRejects(async () => {
    for await (
      const item of client.stream(Calculator, Calculator.methods.count, [
        5,
        "t",
      ])
    ) items.push(item);
  }, RpcError);
  assertEquals(e.code, "RESOURCE_EXHAUSTED");
  assert(
    e.message.startsWith(
      "The stream item of Calculator.count holds more than 1000 elements",
    ),
    e.message,
  );
  assertEquals(items, [{ i: 0, pad: new Array(10).fill(0) }]);
  assertEquals(
    await client.call(Calculator, Calculator.methods.add, [1, 2]),
    3,
  );
});

Deno.test("RpcClient refuses a 4 MiB reply of tiny elements from a raw ROUTER without decoding it, by default", async () => {
  await using router = new Router();
  const endpoint = router.bind("tcp://127.0.0.1:*");
  await using client = new RpcClient({ endpoints: [endpoint], retry: false });
  // A msgpack array32 of 4 MiB of nils: 4 million elements.
  const n = 4 * 1024 * 1024 - 5;
  const huge = new Uint8Array(n + 5).fill(0xc0);
  huge[0] = 0xdd;
  new DataView(huge.buffer).setUint32(1, n);
  const codec = codecByName("msgpack");
  const answer = async (payload: (args: unknown) => Uint8Array) => {
    const [peer, header, , args] = await router.receive({ timeout: 5000 });
    const id = decodeHeader(header).requestId;
    await router.send([
      peer,
      encodeHeader(KIND.RESPONSE, id, CODEC_IDS.msgpack),
      payload(codec.decode(args)),
    ]);
  };
  const echo = Calculator.methods.echo;
  const refused = client.call(Calculator, echo, [1]);
  await answer(() => huge);
  const t0 = performance.now();
  const e = await assertRejects(() => refused, RpcError);
  const refusedMs = performance.now() - t0;
  assertEquals(e.code, "RESOURCE_EXHAUSTED");
  assertEquals(e.details?.max, MAX_ELEMENTS);
  assertEquals(e.details?.counted, MAX_ELEMENTS + 1);
  // The same connection: a fair answer is decoded.
  const next = client.call(Calculator, echo, ["ok"]);
  await answer((args) => codec.encode((args as unknown[])[0]));
  assertEquals(await next, "ok");
  const t1 = performance.now();
  codec.decode(huge);
  const decodeMs = performance.now() - t1;
  console.log(
    `4 MiB reply of nils: refused ${
      refusedMs.toFixed(2)
    } ms after it was sent, decoding it takes ${decodeMs.toFixed(1)} ms (${
      (decodeMs / Math.max(refusedMs, 0.01)).toFixed(0)
    }x)`,
  );
});

Deno.test("RpcClient refuses a maxElements that is not an integer >= 1 or Infinity", async () => {
  for (const bad of [0, -1, 1.5, NaN, -Infinity]) {
    const e = assertThrows(
      () =>
        new RpcClient({ endpoints: ["tcp://127.0.0.1:1"], maxElements: bad }),
      RangeError,
    );
    assertEquals(
      e.message,
      `Cannot create RpcClient: maxElements must be an integer >= 1 or Infinity, got ${bad}`,
    );
  }
  await using unlimited = new RpcClient({
    endpoints: ["tcp://127.0.0.1:1"],
    maxElements: Infinity,
  });
  assertEquals(unlimited.endpoints, ["tcp://127.0.0.1:1"]);
});
