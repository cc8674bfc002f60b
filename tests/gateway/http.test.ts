/**
 * The gateway over HTTP, against a launched system (the lab and two
 * calculator servers, and a gateway node): every route, every error case,
 * streams and their cancellation, topics, params, and a gateway that keeps
 * serving after garbage.
 */

import {
  assert,
  assertEquals,
  assertMatch,
  assertStringIncludes,
  waitFor,
} from "../_assert.ts";
import { HTTP_STATUS } from "../../src/bridge/gateway/mod.ts";
import { stringifyJson } from "../../src/wire/json_schema.ts";
import { LAB_NODE, launchSystem, post, readEvents, repo } from "./_harness.ts";

const CALC = repo("examples/calculator/server_node.ts");

Deno.test("gateway over HTTP: calls, errors, streams, topics, params", async (t) => {
  await using system = await launchSystem(
    `${LAB_NODE}    { name: "calc-1", module: "${CALC}" },
    { name: "calc-2", module: "${CALC}" },\n`,
    { services: ["Lab", "Calculator"], topics: ["lab/readings"] },
  );
  const url = system.url;
  const rpc = (path: string) => `${url}rpc/${path}`;

  await t.step(
    "POST /rpc takes an array or an object keyed by parameter names",
    async () => {
      assertEquals(
        await post(rpc("Calculator/add"), [2, 3]).then((
          r,
        ) => [r.status, r.body]),
        [200, 5],
      );
      assertEquals((await post(rpc("Calculator/add"), { a: 2, b: 3 })).body, 5);
      assertEquals(
        (await post(rpc("Lab/add"), { a: 2 })).body,
        2,
        "optional b left out",
      );
      assertEquals((await post(rpc("Lab/add"), [2])).body, 2);
      const evaluation = await post(rpc("Calculator/evaluate"), {
        request: {
          expression: {
            op: "add",
            args: [{ op: "num", value: 1 }, { op: "num", value: 2.5 }],
          },
        },
      });
      assertEquals(evaluation.status, 200);
      assertEquals(evaluation.body.value, 3.5);
      assertMatch(evaluation.body.computedAt, /^\d{4}-\d\d-\d\dT.*Z$/);
    },
  );

  await t.step(
    "Date, bigint, bytes, Map and Set travel in their JSON forms",
    async () => {
      const sample = {
        id: 123456789012345678901234567890n,
        at: "2026-01-02T03:04:05.678Z",
        bytes: "AAEC/w==",
        tags: ["a", "b"],
        counts: [["x", 1], ["y", 2]],
      };
      const text = stringifyJson([sample]);
      const response = await fetch(rpc("Lab/echo"), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: text,
      });
      assertEquals(response.status, 200);
      assertEquals(response.headers.get("content-type"), "application/json");
      assertEquals(
        await response.text(),
        '{"id":123456789012345678901234567890,"at":"2026-01-02T03:04:05.678Z","bytes":"AAEC/w==","tags":["a","b"],"counts":[["x",1],["y",2]]}',
      );
      // Maps also come as objects, bigints as decimal strings.
      const loose = await post(rpc("Lab/echo"), [{
        ...sample,
        id: "42",
        counts: { z: 3 },
      }]);
      assertEquals([loose.body.id, loose.body.counts], [42, [["z", 3]]]);
    },
  );

  await t.step(
    "arguments are checked before any call: 400 with the issues",
    async () => {
      const bad = await post(rpc("Calculator/add"), [2, "x"]);
      assertEquals(bad.status, 400);
      assertEquals(bad.body, {
        code: "INVALID_ARGUMENT",
        message:
          'Invalid arguments for Calculator.add: args[1]: expected number, got string "x"',
        details: {
          issues: [{
            path: "args[1]",
            expected: "number",
            received: 'string "x"',
          }],
        },
      });
      const missing = await post(rpc("Lab/add"), { b: 2 });
      assertEquals(missing.status, 400);
      assertStringIncludes(missing.body.message, "args[0]: expected number");
      const unknown = await post(rpc("Lab/add"), { a: 1, c: 2 });
      assertEquals([unknown.status, unknown.body.message], [
        400,
        'Lab.add(a: number, b?: number): Promise<number> has no parameter "c"',
      ]);
      const scalar = await post(rpc("Lab/add"), 7);
      assertEquals(scalar.status, 400);
      assertStringIncludes(
        scalar.body.message,
        "must be a JSON array of arguments or an object keyed by parameter names",
      );
      const union = await post(rpc("Lab/area"), [{ kind: "triangle" }]);
      assertEquals(union.status, 400);
      assertStringIncludes(union.body.message, "args[0]");
      const many = await post(rpc("Lab/add"), [1, 2, 3]);
      assertEquals(many.status, 400);
    },
  );

  await t.step(
    "unknown service or method: 404 naming what exists",
    async () => {
      const service = await post(rpc("Nope/add"), []);
      assertEquals(service.status, 404);
      assertEquals(service.body.code, "NOT_FOUND");
      assertEquals(
        service.body.message,
        'no live node provides service "Nope" (live services: Calculator, Lab)',
      );
      const method = await post(rpc("Lab/nope"), []);
      assertEquals(method.status, 404);
      assertStringIncludes(
        method.body.message,
        'service "Lab" has no method "nope" (methods: echo, add, area, fail',
      );
    },
  );

  await t.step(
    "every status code a handler throws maps to its HTTP status",
    async () => {
      for (const [code, status] of Object.entries(HTTP_STATUS)) {
        if (code === "OK") continue;
        const r = await post(rpc("Lab/fail"), [code, `failed with ${code}`]);
        assertEquals(
          [r.status, r.body],
          [status, {
            code,
            message: `failed with ${code}`,
            details: { asked: code },
          }],
          code,
        );
      }
      const divide = await post(rpc("Calculator/divide"), [1, 0]);
      assertEquals([divide.status, divide.body.code], [
        400,
        "INVALID_ARGUMENT",
      ]);
    },
  );

  await t.step(
    "X-Zmp-Timeout sets the deadline: 504, and the handler is stopped",
    async () => {
      const started = performance.now();
      const late = await post(rpc("Lab/slow"), [5000], {
        "x-zmp-timeout": "150",
      });
      assertEquals([late.status, late.body.code], [504, "DEADLINE_EXCEEDED"]);
      assert(performance.now() - started < 3000, "answered at the deadline");
      assertEquals(
        (await post(rpc("Lab/slow"), [10], { "x-zmp-timeout": "5000" })).body,
        10,
      );
      for (const header of ["abc", "0", "-5", "1.5", "99999999999"]) {
        const bad = await post(rpc("Lab/slow"), [10], {
          "x-zmp-timeout": header,
        });
        assertEquals(bad.status, 400, header);
        assertStringIncludes(
          bad.body.message,
          "X-Zmp-Timeout must be a whole number of milliseconds",
        );
      }
    },
  );

  await t.step(
    "traceparent and tracestate reach the handler as metadata",
    async () => {
      const traceparent =
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
      const r = await post(rpc("Lab/metadata"), [], {
        traceparent,
        tracestate: "zmp=1",
      });
      assertEquals(r.body, { traceparent, tracestate: "zmp=1" });
      const invalid = await post(rpc("Lab/metadata"), [], {
        traceparent: "not-a-trace",
      });
      assertEquals(invalid.body, {}, "an invalid traceparent is not passed on");
    },
  );

  await t.step(
    "bodies: one clear 400 for bad JSON, 415 for other types, 413 over the limit",
    async () => {
      const bad = await post(rpc("Lab/add"), "[1,");
      assertEquals(bad.status, 400);
      assertEquals(bad.body.code, "INVALID_ARGUMENT");
      assertMatch(bad.body.message, /^the request body is not valid JSON: /);
      const form = await fetch(rpc("Lab/add"), { method: "POST", body: "[1]" });
      assertEquals(form.status, 415);
      assertStringIncludes(
        (await form.json()).message,
        "Content-Type: application/json",
      );
      const big = await post(
        rpc("Lab/echo"),
        JSON.stringify(["x".repeat(1024 * 1024 + 10)]),
      );
      assertEquals([big.status, big.body.code], [413, "RESOURCE_EXHAUSTED"]);
      // Without Content-Length: the limit holds while reading.
      const chunks = new ReadableStream<Uint8Array>({
        start(c) {
          for (let i = 0; i < 40; i++) {
            c.enqueue(new TextEncoder().encode("x".repeat(32 * 1024)));
          }
          c.close();
        },
      });
      const streamed = await fetch(rpc("Lab/echo"), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: chunks,
      });
      assertEquals(streamed.status, 413);
      await streamed.body?.cancel();
      const empty = await fetch(rpc("Lab/streams"), { method: "POST" });
      assertEquals(
        [empty.status, (await empty.json()).open],
        [200, 0],
        "no body: no arguments",
      );
    },
  );

  await t.step(
    "stream methods are Server-Sent Events; 406 without Accept",
    async () => {
      const plain = await post(rpc("Calculator/countdown"), [3]);
      assertEquals(plain.status, 406);
      assertStringIncludes(plain.body.message, "Accept: text/event-stream");
      const response = await fetch(rpc("Calculator/countdown"), {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "text/event-stream",
        },
        body: JSON.stringify({ from: 3 }),
      });
      assertEquals(response.status, 200);
      assertEquals(
        response.headers.get("content-type"),
        "text/event-stream; charset=utf-8",
      );
      const events = await readEvents(response);
      assertEquals(events.map((e) => [e.event, e.data]), [
        ["message", "3"],
        ["message", "2"],
        ["message", "1"],
        ["message", "0"],
        ["end", '{"items":4}'],
      ]);
      const bad = await post(rpc("Lab/ticks"), ["fast"], {
        accept: "text/event-stream",
      });
      assertEquals([bad.status, bad.body.code], [400, "INVALID_ARGUMENT"]);
    },
  );

  await t.step(
    "a client that goes away cancels the stream on the server",
    async () => {
      const before = (await post(rpc("Lab/streams"), [])).body;
      const controller = new AbortController();
      const response = await fetch(rpc("Lab/ticks"), {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "text/event-stream",
        },
        body: JSON.stringify([20]),
        signal: controller.signal,
      });
      // Read three items and keep the connection open: the stream runs.
      const reader = response.body!.pipeThrough(new TextDecoderStream())
        .getReader();
      let text = "";
      while ((text.match(/^data: /gm) ?? []).length < 3) {
        const { value, done } = await reader.read();
        if (done) break;
        text += value;
      }
      assertMatch(
        text,
        /^id: 0\ndata: 0\n\nid: 1\ndata: 1\n\nid: 2\ndata: 2\n/,
      );
      await waitFor(
        async () => (await post(rpc("Lab/streams"), [])).body.open === 1,
        "the stream to run",
        { timeout: 15000, interval: 50 },
      );
      // The tab closes.
      controller.abort();
      await reader.cancel().catch(() => {});
      await waitFor(
        async () => {
          const now = (await post(rpc("Lab/streams"), [])).body;
          return now.open === 0 && now.cancelled === before.cancelled + 1;
        },
        "the server to see the stream cancelled",
        { timeout: 15000, interval: 50 },
      );
    },
  );

  await t.step(
    "GET /topics/<name> streams a topic's messages; 404 for an unknown one",
    async () => {
      const response = await fetch(`${url}topics/lab/readings`);
      assertEquals(response.status, 200);
      const events = await readEvents(response, (e) => e.length >= 3);
      const seqs = events.map((e) => JSON.parse(e.data).seq);
      assertEquals(seqs.length, 3);
      assert(seqs[1] > seqs[0] && seqs[2] > seqs[1], `increasing: ${seqs}`);
      assertMatch(JSON.parse(events[0].data).at, /Z$/);
      assertEquals(events.map((e) => e.id), ["0", "1", "2"]);
      const unknown = await fetch(`${url}topics/nope/none`);
      assertEquals(unknown.status, 404);
      assertEquals(
        (await unknown.json()).message,
        'no live node publishes or subscribes to topic "nope/none" (live topics: lab/readings)',
      );
    },
  );

  await t.step(
    "params: list, get, put checked against the type, delete",
    async () => {
      await waitFor(
        async () =>
          (await (await fetch(`${url}params`)).json())["lab.gain"] === 1,
        "lab.gain",
      );
      const put = await fetch(`${url}params/lab.gain`, {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: "2.5",
      });
      assertEquals([put.status, await put.json()], [200, { "lab.gain": 2.5 }]);
      await system.launcher.line(/lab: gain 2\.5/);
      assertEquals(await (await fetch(`${url}params/lab.gain`)).json(), 2.5);
      const bad = await fetch(`${url}params/lab.gain`, {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: '"loud"',
      });
      assertEquals(bad.status, 400);
      assertEquals(await bad.json(), {
        code: "INVALID_ARGUMENT",
        message:
          'Invalid value for param lab.gain (LabParams): lab.gain: expected number, got string "loud"',
        details: {
          issues: [{
            path: "lab.gain",
            expected: "number",
            received: 'string "loud"',
          }],
        },
      });
      const typo = await fetch(`${url}params/lab.gian`, {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: "1",
      });
      assertEquals(typo.status, 400);
      assertEquals(
        (await typo.json()).message,
        '"gian" is not a key of params group lab (LabParams): its keys are lab.gain, lab.label',
      );
      const free = await fetch(`${url}params/other.thing`, {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: '{"at": [1, 2]}',
      });
      assertEquals(await free.json(), { "other.thing": { at: [1, 2] } });
      assertEquals(await (await fetch(`${url}params?prefix=other.`)).json(), {
        "other.thing": { at: [1, 2] },
      });
      const removed = await fetch(`${url}params/other.thing`, {
        method: "DELETE",
      });
      assertEquals(await removed.json(), { deleted: "other.thing" });
      const gone = await fetch(`${url}params/other.thing`);
      assertEquals([gone.status, (await gone.json()).message], [
        404,
        'param "other.thing" is not set',
      ]);
      const again = await fetch(`${url}params/other.thing`, {
        method: "DELETE",
      });
      assertEquals(again.status, 404);
      await again.body?.cancel();
      const proto = await fetch(`${url}params/__proto__`);
      assertEquals(proto.status, 400);
      await proto.body?.cancel();
      const noBody = await fetch(`${url}params/lab.gain`, { method: "PUT" });
      assertEquals(noBody.status, 400);
      await noBody.body?.cancel();
    },
  );

  await t.step(
    "GET /system shows nodes, services with signatures, topics, params",
    async () => {
      const s = await (await fetch(`${url}system`)).json();
      const names = s.nodes.map((n: { name: string }) => n.name);
      for (const n of ["lab", "calc-1", "calc-2", "gateway"]) {
        assert(names.includes(n), n);
      }
      assert(
        s.nodes.find((n: { name: string }) => n.name === "gateway").hidden,
        "the gateway's own node is hidden",
      );
      const calc = s.services.find((x: { name: string }) =>
        x.name === "Calculator"
      );
      assertEquals(calc.instances.map((i: { node: string }) => i.node), [
        "calc-1",
        "calc-2",
      ]);
      assertEquals(
        calc.methods[0].signature,
        "add(a: number, b: number): Promise<number>",
      );
      assertEquals(s.params.map((p: { key: string }) => p.key), [
        "lab.gain",
        "lab.label",
      ]);
      assertEquals(s.topics[0].name, "lab/readings");
    },
  );

  await t.step("other methods, routes and hosts get JSON errors", async () => {
    const get = await fetch(rpc("Lab/add"));
    assertEquals([get.status, get.headers.get("allow")], [405, "POST"]);
    assertEquals((await get.json()).code, "UNIMPLEMENTED");
    const none = await fetch(`${url}nowhere`);
    assertEquals([none.status, (await none.json()).code], [404, "NOT_FOUND"]);
    // fetch() will not send another Host: speak HTTP/1.1 by hand.
    const port = Number(new URL(url).port);
    const host = await rawGet(port, "/system", "evil.example");
    assertMatch(host, /^HTTP\/1\.1 403 /);
    assertStringIncludes(host, 'does not answer to host \\"evil.example\\"');
    assertMatch(
      await rawGet(port, "/system", `localhost:${port}`),
      /^HTTP\/1\.1 200 /,
    );
    const cross = await fetch(rpc("Lab/add"), {
      method: "OPTIONS",
      headers: {
        origin: "http://evil.example",
        "access-control-request-method": "POST",
      },
    });
    assertEquals(
      cross.headers.get("access-control-allow-origin"),
      null,
      "no CORS unless configured",
    );
    await cross.body?.cancel();
  });

  await t.step(
    "garbage never breaks the gateway, and calls run concurrently",
    async () => {
      const junk = [
        "",
        "null",
        "{",
        "[]]",
        '{"__proto__": {"x": 1}}',
        "\u0000\u0001",
        "9".repeat(5000),
        "[".repeat(3000) + "]".repeat(3000),
      ];
      const paths = [
        "Lab/add",
        "Lab/echo",
        "Lab/area",
        "Calculator/evaluate",
        "Lab/ticks",
        "%ZZ/x",
        "Lab/%00",
      ];
      for (const body of junk) {
        for (const path of paths) {
          const r = await fetch(rpc(path), {
            method: "POST",
            headers: { "content-type": "application/json" },
            body,
          });
          assert(
            [200, 400, 404, 406].includes(r.status),
            `${path} ${JSON.stringify(body.slice(0, 20))}: ${r.status}`,
          );
          const text = await r.text();
          if (r.status !== 200) {
            assert(
              typeof JSON.parse(text).code === "string",
            );
          }
        }
      }
      for (
        const path of [
          "topics/",
          "params/",
          "rpc/",
          "rpc/a/b/c",
          "..%2F..%2Fetc/passwd",
          "app.js/x",
        ]
      ) {
        const r = await fetch(`${url}${path}`);
        assert(r.status >= 400 && r.status < 500, `${path}: ${r.status}`);
        await r.body?.cancel();
      }
      const sums = await Promise.all(
        Array.from(
          { length: 64 },
          (_, i) => post(rpc("Calculator/add"), [i, 1]),
        ),
      );
      assertEquals(
        sums.map((r) => r.body),
        Array.from({ length: 64 }, (_, i) => i + 1),
      );
    },
  );

  await t.step("the gateway node stops cleanly with the launch", async () => {
    assertEquals(await system.stop(), 0);
    assertMatch(system.launcher.text, /stopped gateway \(exit code 0\)/);
  });
});

/** A GET over a plain TCP connection with the given Host; the raw answer. */
async function rawGet(
  port: number,
  path: string,
  host: string,
): Promise<string> {
  using conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(
    new TextEncoder().encode(
      `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
    ),
  );
  let text = "";
  const buf = new Uint8Array(65536);
  for (;;) {
    const n = await conn.read(buf);
    if (n === null) return text;
    text += new TextDecoder().decode(buf.subarray(0, n));
  }
}
