/**
 * RpcServer maxElements: a request with too many elements is refused by a
 * scan of its bytes before it is decoded, on both codecs, and the
 * connection goes on serving.
 */

import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { RpcClient, RpcError, RpcServer } from "../../mod.ts";
import { MAX_ELEMENTS } from "../../src/wire/mod.ts";
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
