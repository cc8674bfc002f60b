/**
 * The element limit (PROTOCOL.md §9) reaches nodes and the registry: a
 * node's services refuse a request over `CreateNodeOptions.maxElements`
 * and its clients a reply over it (or over `NodeClientOptions.maxElements`),
 * a node's subscription takes its own `maxElements`, and the registry
 * counts up to `REGISTRY_MAX_ELEMENTS`, room for a `NodeInfo` of 1 MiB,
 * not the 32,768 of an ordinary server.
 */

import {
  assertEquals,
  assertRejects,
  assertStringIncludes,
} from "../_assert.ts";
import { connectRegistry, createNode, RpcError } from "../../mod.ts";
import { MAX_ELEMENTS, REGISTRY_MAX_ELEMENTS } from "../../src/wire/limits.ts";
import { EchoService, StatusTopic, STUB_IDENTITY } from "./fixtures/api.ts";
import { quiet, startTestRegistry } from "./_helpers.ts";

const quietLog = { debug() {}, info() {}, ...quiet };

const impl = {
  echo: (v: unknown) => v,
  whoami: () => STUB_IDENTITY,
  slow: () => STUB_IDENTITY,
  slowOnce: () => STUB_IDENTITY,
  async *count() {},
  burst: () => 0,
};

Deno.test("createNode({ maxElements }) sets its services' element limit; the default is MAX_ELEMENTS", async () => {
  await using registry = await startTestRegistry();
  await using strict = await createNode("strict", {
    registry: registry.endpoint,
    logger: quietLog,
    maxElements: 100,
  });
  await using roomy = await createNode("roomy", {
    registry: registry.endpoint,
    logger: quietLog,
    maxElements: MAX_ELEMENTS * 2,
  });
  await using plain = await createNode("plain", {
    registry: registry.endpoint,
    logger: quietLog,
  });
  await strict.provide(EchoService, impl);
  const client = await strict.client(EchoService);
  // [array of 50] is 52 elements: the arguments array, the array, 50 zeros.
  assertEquals(await client.echo(new Array(50).fill(0)), new Array(50).fill(0));
  const e = await assertRejects(
    () => client.echo(new Array(200).fill(0)),
    RpcError,
  );
  assertEquals(e.code, "RESOURCE_EXHAUSTED");
  assertStringIncludes(e.message, "more than 100 elements");
  assertStringIncludes(e.message, "maxElements");
  assertEquals(await client.echo([1, 2]), [1, 2]); // it keeps serving

  // Over the default, under twice it: the default refuses, the option lets
  // it through.
  const big = new Array(MAX_ELEMENTS + 10).fill(0);
  await roomy.provide(
    { ...EchoService, name: "test.RoomyEcho" },
    impl,
  );
  await plain.provide({ ...EchoService, name: "test.PlainEcho" }, impl);
  // The reply is as big: over the plain node's client limit, unless its
  // client raises it.
  const roomyClient = await plain.client({
    ...EchoService,
    name: "test.RoomyEcho",
  }, { maxElements: MAX_ELEMENTS * 2 });
  assertEquals((await roomyClient.echo(big) as number[]).length, big.length);
  const plainClient = await roomy.client({
    ...EchoService,
    name: "test.PlainEcho",
  });
  const e2 = await assertRejects(() => plainClient.echo(big), RpcError);
  assertEquals(e2.code, "RESOURCE_EXHAUSTED");
  assertStringIncludes(e2.message, `more than ${MAX_ELEMENTS} elements`);
});

Deno.test("createNode({ maxElements }) is its clients' limit on replies too; node.client({ maxElements }) overrides it", async () => {
  await using registry = await startTestRegistry();
  await using small = await createNode("small", {
    registry: registry.endpoint,
    logger: quietLog,
    maxElements: 100,
  });
  await using server = await createNode("server", {
    registry: registry.endpoint,
    logger: quietLog,
  });
  await server.provide(EchoService, impl);
  const client = await small.client(EchoService);
  // 202 elements: within the server's limit, the reply over the client's.
  const e = await assertRejects(
    () => client.echo(new Array(200).fill(0)),
    RpcError,
  );
  assertEquals(e.code, "RESOURCE_EXHAUSTED");
  assertEquals(e.details?.reason, "REPLY_TOO_LARGE");
  assertStringIncludes(e.message, "holds more than 100 elements");
  assertStringIncludes(e.message, "the client's limit (maxElements)");
  assertEquals(await client.echo([1, 2]), [1, 2]); // it keeps working
  const roomy = await small.client(EchoService, { maxElements: 1000 });
  assertEquals(
    await roomy.echo(new Array(200).fill(0)),
    new Array(200).fill(0),
  );
  for (const bad of [0, 1.5, NaN]) {
    const e2 = await assertRejects(
      () => small.client(EchoService, { maxElements: bad }),
      RangeError,
    );
    assertEquals(
      e2.message,
      `Cannot make a client of ${EchoService.name}: maxElements must be an integer >= 1 or Infinity, got ${bad}`,
    );
  }
});

Deno.test("createNode() refuses a maxElements that is not an integer >= 1 before connecting; Node.subscribe() passes its maxElements on", async () => {
  await using registry = await startTestRegistry();
  for (const bad of [0, -1, 1.5, NaN]) {
    const e = await assertRejects(
      () =>
        createNode("bad", {
          registry: registry.endpoint,
          logger: quietLog,
          maxElements: bad,
        }),
      RangeError,
    );
    assertStringIncludes(e.message, "maxElements must be an integer >= 1");
  }
  await using node = await createNode("sub", {
    registry: registry.endpoint,
    logger: quietLog,
  });
  const e = await assertRejects(
    () => node.subscribe(StatusTopic, { maxElements: 0 }),
    RangeError,
  );
  assertStringIncludes(e.message, "maxElements must be an integer >= 1");
});

Deno.test("the registry counts up to REGISTRY_MAX_ELEMENTS in one request: a param value over 32,768 elements is kept, one over its cap refused", async () => {
  await using server = await startTestRegistry();
  await using registry = await connectRegistry({
    endpoint: server.endpoint,
    logger: quietLog,
  });
  const large = new Array(MAX_ELEMENTS * 2).fill(1);
  await registry.params.set("big.list", large);
  assertEquals(
    (await registry.params.get("big.list") as number[]).length,
    large.length,
  );
  const e = await assertRejects(
    () =>
      registry.params.set(
        "big.list",
        new Array(REGISTRY_MAX_ELEMENTS + 1).fill(1),
      ),
    RpcError,
  );
  assertEquals(e.code, "RESOURCE_EXHAUSTED");
  assertStringIncludes(
    e.message,
    `more than ${REGISTRY_MAX_ELEMENTS} elements`,
  );
  assertEquals(
    (await registry.params.get("big.list") as number[]).length,
    large.length,
  );
});
