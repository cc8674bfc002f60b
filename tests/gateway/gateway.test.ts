/**
 * The gateway in this process (`createGateway`), over a real registry and
 * real nodes run in-process: its OpenAPI document checked by a real
 * validator (npm `@readme/openapi-parser`), CORS, limits, options, and a
 * clean close.
 */

import { validate } from "@readme/openapi-parser";
import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  assertStringIncludes,
  waitFor,
} from "../_assert.ts";
import { startRegistry } from "../../src/registry/server.ts";
import { runNode } from "../../src/node/run.ts";
import { createNode } from "../../src/node/node.ts";
import {
  createGateway,
  type Gateway,
  gatewayNode,
  type GatewayOptions,
  HTTP_STATUS,
  httpStatus,
  openApiDocument,
  systemSnapshot,
} from "../../src/bridge/gateway/mod.ts";
import { readGatewayNodeArgs } from "../../src/bridge/gateway/launch.ts";
import { sseEvent } from "../../src/bridge/gateway/_sse.ts";
import { hostAllowed } from "../../src/bridge/gateway/_http.ts";
import { STATUS } from "../../src/wire/status.ts";
import { labSample, post, readEvents, repo } from "./_harness.ts";

/** What the validator finds wrong in a document (empty when valid). */
async function openApiErrors(doc: unknown): Promise<unknown[]> {
  const result = await validate(
    structuredClone(doc) as Parameters<typeof validate>[0],
  );
  if (result.valid) return [];
  return "errors" in result ? result.errors : ["invalid"];
}

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/** A registry, the lab and a calculator server in this process, and a gateway. */
async function inProcess(
  options: GatewayOptions = {},
): Promise<{ gateway: Gateway; registry: string } & AsyncDisposable> {
  const registry = await startRegistry({ endpoint: "tcp://127.0.0.1:*" });
  const stop = new AbortController();
  const nodes = [
    runNode(repo("tests/gateway/fixtures/lab_node.ts"), {
      name: "lab",
      registry: registry.endpoint,
      signal: stop.signal,
      logger: quiet,
    }),
    runNode(repo("examples/calculator/server_node.ts"), {
      name: "calc",
      registry: registry.endpoint,
      signal: stop.signal,
      logger: quiet,
    }),
  ];
  let gateway: Gateway | undefined;
  const dispose = async () => {
    await gateway?.close();
    stop.abort();
    await Promise.all(nodes);
    await registry.close();
  };
  try {
    gateway = await createGateway({
      port: 0,
      registry: registry.endpoint,
      logger: quiet,
      ...options,
    });
    const url = gateway.url;
    await waitFor(
      async () => {
        const s = await (await fetch(`${url}system`)).json();
        return s.services.length === 2 &&
          s.topics.some((t: { publishers: string[] }) => t.publishers.length);
      },
      "the lab and the calculator",
      { timeout: 15000, interval: 50 },
    );
    return {
      gateway,
      registry: registry.endpoint,
      [Symbol.asyncDispose]: dispose,
    };
  } catch (e) {
    await dispose();
    throw e;
  }
}

Deno.test("GET /openapi.json: an OpenAPI 3.1 document a real validator accepts", async () => {
  await using system = await inProcess();
  const response = await fetch(`${system.gateway.url}openapi.json`);
  assertEquals(response.status, 200);
  const doc = await response.json();
  assertEquals(await openApiErrors(doc), [], "validation errors");
  // The validator does reject what is wrong.
  const broken = { ...doc, info: { title: "no version" } };
  assert(
    (await openApiErrors(broken)).length > 0,
    "a document without info.version",
  );
  assertEquals(doc.openapi, "3.1.0");
  assertEquals(doc.servers, [{ url: system.gateway.url.slice(0, -1) }]);

  const add = doc.paths["/rpc/Calculator/add"].post;
  assertEquals(add.operationId, "Calculator.add");
  const [asArray, asObject] =
    add.requestBody.content["application/json"].schema.oneOf;
  assertEquals(asArray.prefixItems.map((p: { title: string }) => p.title), [
    "a",
    "b",
  ]);
  assertEquals(asObject.required, ["a", "b"]);
  assertEquals(add.responses["200"].content["application/json"].schema, {
    type: "number",
  });
  assertEquals(add.responses["400"].content["application/json"].schema, {
    $ref: "#/components/schemas/Error",
  });
  assertEquals(
    add.parameters.map((p: { name: string }) => p.name),
    ["X-Zmp-Timeout", "traceparent"],
  );

  // A recursive type: its $defs moved to components, its $refs followed.
  const evaluate = doc.paths["/rpc/Calculator/evaluate"].post;
  assertEquals(
    evaluate.requestBody.content["application/json"].schema.oneOf[0]
      .prefixItems[0].$ref,
    "#/components/schemas/Calculator.EvaluateRequest",
  );
  assertStringIncludes(
    JSON.stringify(doc.components.schemas["Calculator.Expression"]),
    '"$ref":"#/components/schemas/Calculator.Expression"',
  );
  // What JSON lacks is described in its JSON form, x-type naming the type.
  const sample = doc.components.schemas["Lab.Sample"];
  assertEquals(sample.properties.id, { type: "integer", "x-type": "bigint" });
  assertEquals(sample.properties.at["x-type"], "Date");
  assertEquals(sample.properties.bytes.contentEncoding, "base64");
  assertEquals(sample.properties.counts["x-type"], "Map");
  assertEquals(sample.properties.tags["x-type"], "Set");
  // Streams, topics and typed params.
  const ticks = doc.paths["/rpc/Lab/ticks"].post.responses["200"].content;
  assertEquals(Object.keys(ticks), ["text/event-stream"]);
  assertEquals(ticks["text/event-stream"]["x-item-schema"], { type: "number" });
  assert(doc.paths["/topics/lab/readings"].get, "the topic's path");
  const gain = doc.paths["/params/lab.gain"];
  assertEquals(gain.put.requestBody.content["application/json"].schema, {
    type: "number",
  });
  assert(doc.paths["/params/{key}"].delete, "generic params paths");
  const ids = Object.values(doc.paths).flatMap((p) =>
    Object.values(p as Record<string, { operationId?: string }>).map((o) =>
      o.operationId
    )
  ).filter((x) => x !== undefined);
  assertEquals(new Set(ids).size, ids.length, "operation ids are unique");
});

Deno.test("openApiDocument() of an empty system is valid, and names refs per owner", async () => {
  const empty = openApiDocument(systemSnapshot([]));
  assertEquals(await openApiErrors(empty), []);
  const schema = JSON.parse(
    await Deno.readTextFile(
      new URL("fixtures/lab.api.schema.json", import.meta.url),
    ),
  );
  const defs = schema.$defs;
  const methods = Object.entries(schema.services.Lab.methods).map(
    ([name, m]) => {
      const method = m as {
        kind: "unary" | "stream";
        args: Record<string, unknown>;
        result: Record<string, unknown>;
      };
      const items = method.args.prefixItems as { title: string }[];
      return {
        name,
        kind: method.kind,
        idempotent: false,
        params: items.map((i) => i.title),
        requiredParams: (method.args.minItems as number) ?? 0,
        args: { ...method.args, $defs: defs },
        result: { ...method.result, $defs: defs },
      };
    },
  );
  const doc = openApiDocument(
    systemSnapshot([{
      name: "weird",
      instanceId: "x",
      pid: 1,
      host: "h",
      mode: "inprocess",
      services: [{
        name: "odd{name}/x",
        endpoint: "tcp://127.0.0.1:1",
        methods,
      }],
      publishes: [],
      subscribes: [],
      params: [],
      startedAt: 0,
    }]),
    { title: "t", version: "2" },
  );
  assertEquals(await openApiErrors(doc), []);
  assert(
    Object.keys(doc.paths as object).includes("/rpc/odd%7Bname%7D%2Fx/echo"),
  );
  assert(
    "odd_name__x.Sample" in (doc.components as { schemas: object }).schemas,
  );
});

Deno.test("gateway CORS: only the configured origins may call from a page", async () => {
  await using system = await inProcess({ cors: ["http://app.example"] });
  const url = `${system.gateway.url}rpc/Lab/add`;
  const preflight = await fetch(url, {
    method: "OPTIONS",
    headers: {
      origin: "http://app.example",
      "access-control-request-method": "POST",
      "access-control-request-headers":
        "content-type, x-zmp-timeout, traceparent",
    },
  });
  await preflight.body?.cancel();
  assertEquals(preflight.status, 204);
  assertEquals(
    preflight.headers.get("access-control-allow-origin"),
    "http://app.example",
  );
  assertMatch(
    preflight.headers.get("access-control-allow-headers")!,
    /x-zmp-timeout/,
  );
  const call = await post(url, [1, 2], { origin: "http://app.example" });
  assertEquals(call.body, 3);
  assertEquals(
    call.headers.get("access-control-allow-origin"),
    "http://app.example",
  );
  const other = await post(url, [1, 2], { origin: "http://evil.example" });
  assertEquals(other.headers.get("access-control-allow-origin"), null);
});

Deno.test("gateway limits: body size, open streams; close() ends the streams", async () => {
  await using system = await inProcess({ maxBodyBytes: 64, maxStreams: 2 });
  const url = system.gateway.url;
  const big = await post(`${url}rpc/Lab/add`, `[${"1".repeat(100)}]`);
  assertEquals([big.status, big.body.message], [
    413,
    "the request body is over the gateway's limit of 64 bytes",
  ]);
  const a = await fetch(`${url}topics/lab/readings`);
  const b = await fetch(`${url}system/events`);
  const c = await fetch(`${url}topics/lab/readings`);
  assertEquals(c.status, HTTP_STATUS.RESOURCE_EXHAUSTED);
  assertStringIncludes((await c.json()).message, "event streams open");
  const first = await readEvents(b, (e) => e.length >= 1);
  assertEquals(first[0].event, "system");
  // One stream closed by its client: another may open.
  await waitFor(
    async () => {
      const d = await fetch(`${url}topics/lab/readings`);
      const ok = d.status === 200;
      await d.body?.cancel();
      return ok;
    },
    "a stream slot to free up",
    { timeout: 5000, interval: 50 },
  );
  // close() ends the stream that is still open.
  const reading = readEvents(a);
  await system.gateway.close();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const ended = await Promise.race([
    reading.then(() => "ended"),
    new Promise((r) => timer = setTimeout(() => r("still open"), 5000)),
  ]);
  clearTimeout(timer);
  assertEquals(ended, "ended", "the topic stream ended with the gateway");
  await system.gateway.finished;
});

Deno.test("gateway: RESOURCE_EXHAUSTED for a request's size is 413, for a reply over the gateway's element limit 502, otherwise 429", async () => {
  await using registry = await startRegistry({
    endpoint: "tcp://127.0.0.1:*",
    logger: quiet,
  });
  const stop = new AbortController();
  const lab = runNode(repo("tests/gateway/fixtures/lab_node.ts"), {
    name: "lab",
    registry: registry.endpoint,
    signal: stop.signal,
    logger: quiet,
  });
  try {
    // The gateway's node decodes replies of at most 1,000 elements.
    await using node = await createNode("gw", {
      registry: registry.endpoint,
      logger: quiet,
      maxElements: 1000,
    });
    await using gateway = await createGateway({
      node,
      port: 0,
      logger: quiet,
      maxBodyBytes: 512 * 1024,
    });
    const url = gateway.url;
    await waitFor(
      async () =>
        (await (await fetch(`${url}system`)).json()).services.length === 1,
      "the lab",
      { timeout: 15000, interval: 50 },
    );
    // Over the lab's element limit (32,768): refused by the lab's server.
    const request = await post(`${url}rpc/Lab/echo`, [labSample(40_000)]);
    assertEquals(request.status, 413);
    assertEquals(request.body.code, "RESOURCE_EXHAUSTED");
    assertMatch(
      request.body.message,
      /^Arguments of Lab\.echo hold more than 32768 elements, the server's limit \(maxElements\)/,
    );
    assertEquals(request.body.details, {
      reason: "REQUEST_TOO_LARGE",
      limit: "maxElements",
      max: 32768,
      counted: 32769,
    });
    // Served by the lab, its reply over the gateway's limit: upstream's
    // fault, not the caller's.
    const reply = await post(`${url}rpc/Lab/echo`, [labSample(2000)]);
    assertEquals(reply.status, 502);
    assertEquals(reply.body.code, "RESOURCE_EXHAUSTED");
    assertEquals(reply.body.details.reason, "REPLY_TOO_LARGE");
    assertEquals(reply.body.details.max, 1000);
    // The gateway's own body limit.
    const body = await post(`${url}rpc/Lab/echo`, [labSample(100_000)]);
    assertEquals([body.status, body.body.details], [413, {
      reason: "REQUEST_TOO_LARGE",
      limit: "maxBodyBytes",
      max: 512 * 1024,
    }]);
    // Lack of room (a handler's own RESOURCE_EXHAUSTED, no reason): 429.
    const busy = await post(`${url}rpc/Lab/fail`, [
      "RESOURCE_EXHAUSTED",
      "busy",
    ]);
    assertEquals([busy.status, busy.body.code], [429, "RESOURCE_EXHAUSTED"]);
    // And calls within the limits are served.
    const fits = await post(`${url}rpc/Lab/echo`, [labSample(10)]);
    assertEquals([fits.status, fits.body.tags.length], [200, 10]);
  } finally {
    stop.abort();
    await lab;
  }
});

Deno.test("createGateway() refuses bad options and a taken port with clear errors", async () => {
  await using system = await inProcess();
  await assertRejects(
    () => createGateway({ port: 70000, logger: quiet }),
    RangeError,
    "port must be a whole number from 0 to 65535, got 70000",
  );
  await assertRejects(
    () => createGateway({ port: 0, maxBodyBytes: 0, logger: quiet }),
    RangeError,
    "maxBodyBytes must be a whole number > 0, got 0",
  );
  const port = Number(new URL(system.gateway.url).port);
  await assertRejects(
    () =>
      createGateway({ port, registry: system.registry, logger: quiet })
        .then((g) => g.close()),
    Deno.errors.AddrInUse,
    `Cannot listen on 127.0.0.1:${port}: the address is in use`,
  );
  // It still serves.
  assertEquals(
    (await post(`${system.gateway.url}rpc/Lab/add`, [1, 1])).body,
    2,
  );
});

Deno.test("gatewayNode() and its argument: one JSON object of known options", () => {
  const spec = gatewayNode({ port: 9090, cors: ["*"] });
  assertEquals(spec.name, "gateway");
  assertEquals(spec.args, ['{"port":9090,"cors":["*"]}']);
  assertEquals(spec.permissions, { net: ["127.0.0.1"] });
  assertEquals(readGatewayNodeArgs(spec.args!), { port: 9090, cors: ["*"] });
  assertEquals(readGatewayNodeArgs([]), {});
  for (
    const [args, message] of [
      [["{"], "must be one JSON object of options"],
      [["[1]"], "must be a JSON object of options"],
      [['{"prot": 1}'], "unknown option prot"],
      [["{}", "{}"], "2 arguments"],
    ] as const
  ) {
    let error: unknown;
    try {
      readGatewayNodeArgs([...args]);
    } catch (e) {
      error = e;
    }
    assert(error instanceof TypeError, String(args));
    assertStringIncludes(error.message, message);
  }
});

Deno.test("HTTP_STATUS maps every zmp status; SSE events and Host checks are well formed", () => {
  assertEquals(Object.keys(HTTP_STATUS).sort(), Object.keys(STATUS).sort());
  const exhausted = (details: Record<string, unknown>) =>
    httpStatus({ code: "RESOURCE_EXHAUSTED", message: "", details });
  assertEquals(exhausted({}), 429);
  assertEquals(exhausted({ reason: "REQUEST_TOO_LARGE" }), 413);
  assertEquals(exhausted({ reason: "REPLY_TOO_LARGE" }), 502);
  assertEquals(exhausted({ reason: "other" }), 429);
  assertEquals(
    httpStatus({
      code: "INVALID_ARGUMENT",
      message: "",
      details: { reason: "REQUEST_TOO_LARGE" },
    }),
    400,
  );
  assertEquals(sseEvent('{"a":1}'), 'data: {"a":1}\n\n');
  assertEquals(
    sseEvent("x\ny", { event: "end", id: 3 }),
    "event: end\nid: 3\ndata: x\ndata: y\n\n",
  );
  assert(hostAllowed("127.0.0.1:8080", true, []));
  assert(hostAllowed("localhost", true, []));
  assert(hostAllowed("[::1]:1", true, []));
  assert(!hostAllowed("evil.example:8080", true, []));
  assert(hostAllowed("box.lan:80", true, ["box.lan"]));
  assert(!hostAllowed(null, true, []));
  assert(hostAllowed("anything", false, []));
  assert(!hostAllowed("anything", false, ["box.lan"]));
});
