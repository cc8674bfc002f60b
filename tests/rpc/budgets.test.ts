/**
 * Per-peer budgets of the server: one client's calls and streams, priority
 * methods that are never refused, deadlines timers cannot represent, and
 * bounded validation replies.
 */

import { assert, assertEquals, assertRejects } from "../_assert.ts";
import {
  describe,
  RpcClient,
  RpcError,
  RpcServer,
  type ServiceDescriptor,
  STATUS,
} from "../../mod.ts";
import {
  codecByName,
  decodeErrorBody,
  decodeHeader,
  encodeMethodName,
  encodeRequestHeader,
  MAX_ISSUES,
} from "../../src/wire/mod.ts";
import { Dealer } from "../../src/zmq/mod.ts";
import { Calculator } from "./fixtures/services.ts";
import { calculatorImpl, observations } from "./fixtures/calculator_impl.ts";

const M = Calculator.methods;

function serve(options: ConstructorParameters<typeof RpcServer>[0] = {}) {
  const logs: string[] = [];
  const server = new RpcServer({
    logger: { warn: (m) => logs.push(m), error: (m) => logs.push(m) },
    ...options,
  });
  server.register(Calculator, calculatorImpl(observations()), {
    priority: ["pid"],
  });
  const endpoint = server.bind("tcp://127.0.0.1:*");
  return { server, endpoint, logs };
}

Deno.test("RpcServer maxConcurrencyPerPeer refuses one client's excess, not the others' calls", async () => {
  const { server, endpoint } = serve({ maxConcurrencyPerPeer: 3 });
  const greedy = new RpcClient({ endpoints: [endpoint] });
  const other = new RpcClient({ endpoints: [endpoint] });
  try {
    await greedy.ping();
    const sleeps = [1, 2, 3].map((i) =>
      greedy.call(Calculator, M.sleep, [300, `s${i}`])
    );
    const e = await assertRejects(
      () => greedy.call(Calculator, M.add, [1, 2]),
      RpcError,
      "Too many calls from this client: 3 in flight (maxConcurrencyPerPeer 3)",
    );
    assertEquals(e.code, "RESOURCE_EXHAUSTED");
    assertEquals(await other.call(Calculator, M.add, [1, 2]), 3);
    // A priority method is never refused.
    assertEquals(typeof await greedy.call(Calculator, M.pid, []), "number");
    assertEquals(await Promise.all(sleeps), [300, 300, 300]);
    assertEquals(await greedy.call(Calculator, M.add, [2, 2]), 4);
  } finally {
    await greedy.close();
    await other.close();
    await server.close({ drainTimeout: 0 });
  }
});

Deno.test("RpcServer maxStreamsPerPeer: zero-credit streams of one client leave room for the others", async () => {
  const { server, endpoint } = serve({ maxStreamsPerPeer: 4 });
  const raw = new Dealer();
  const other = new RpcClient({ endpoints: [endpoint] });
  try {
    raw.connect(endpoint);
    const args = codecByName("msgpack").encode([5, "z"]);
    // Five streams with no credit: four are held, the fifth refused.
    for (let id = 1; id <= 5; id++) {
      await raw.send([
        encodeRequestHeader({ requestId: id, codec: 1, stream: true }),
        encodeMethodName("Calculator", "count"),
        args,
      ]);
    }
    const reply = await raw.receive({ timeout: 5000 });
    const header = decodeHeader(reply[0]);
    assertEquals([header.kind, header.requestId], ["ERROR", 5]);
    assertEquals(header.status, STATUS.RESOURCE_EXHAUSTED);
    assertEquals(
      decodeErrorBody(reply[1]).message,
      "Too many streams from this client: 4 open (maxStreamsPerPeer 4)",
    );
    const items = [];
    for await (const item of other.stream(Calculator, M.count, [3, "o"])) {
      items.push(item);
    }
    assertEquals(items.length, 3);
  } finally {
    raw.close();
    await other.close();
    await server.close({ drainTimeout: 0 });
  }
});

Deno.test("RpcServer stops reading a client refused 64 times in a row for a while, longer if it goes on, then answers the rest in order", async () => {
  // A line per pause: they are 250 ms and more apart.
  const { server, endpoint, logs } = serve({
    maxStreamsPerPeer: 1,
    logInterval: 1,
  });
  const raw = new Dealer();
  const other = new RpcClient({ endpoints: [endpoint] });
  try {
    raw.connect(endpoint);
    const args = codecByName("msgpack").encode([5, "z"]);
    // One stream with no credit is held; the next 130 are refused, and
    // the client that keeps calling after 64 refusals is flooding, and
    // again after 64 more.
    const n = 131;
    for (let id = 1; id <= n; id++) {
      await raw.send([
        encodeRequestHeader({ requestId: id, codec: 1, stream: true }),
        encodeMethodName("Calculator", "count"),
        args,
      ]);
    }
    const refused: number[] = [];
    while (refused.length < n - 1) {
      const reply = await raw.receive({ timeout: 5000 });
      const header = decodeHeader(reply[0]);
      assertEquals(header.status, STATUS.RESOURCE_EXHAUSTED);
      assertEquals(
        decodeErrorBody(reply[1]).message,
        "Too many streams from this client: 1 open (maxStreamsPerPeer 1)",
      );
      refused.push(header.requestId);
    }
    // Paused, not dropped: every call is answered, in order.
    assertEquals(refused, Array.from({ length: n - 1 }, (_, i) => i + 2));
    const paused = logs.filter((l) => l.startsWith("paused reading peer"));
    assertEquals(paused.length, 2, logs.join("\n"));
    for (const [i, ms] of [250, 500].entries()) {
      assert(
        paused[i].endsWith(
          `for ${ms} ms: 64 calls in a row refused (Too many streams from this client: 1 open (maxStreamsPerPeer 1))`,
        ),
        paused[i],
      );
    }
    // The others are served meanwhile.
    assertEquals(await other.call(Calculator, M.add, [1, 2]), 3);
  } finally {
    raw.close();
    await other.close();
    await server.close({ drainTimeout: 0 });
  }
});

Deno.test("RpcServer maxStreams keeps room for unary calls when streams fill the server", async () => {
  const { server, endpoint } = serve({ maxConcurrency: 8 });
  const clients = [0, 1, 2, 3, 4].map(() =>
    new RpcClient({ endpoints: [endpoint], streamWindow: 1 })
  );
  const held: AsyncIterator<unknown>[] = [];
  try {
    // maxStreams defaults to half of maxConcurrency: 4 streams from four
    // clients are open (each read once, then left without credit).
    for (const c of clients.slice(0, 4)) {
      const it = c.stream(Calculator, M.ticks, [1000, 1, "t"])[
        Symbol.asyncIterator
      ]();
      await it.next();
      held.push(it);
    }
    const e = await assertRejects(
      async () => {
        for await (
          const _ of clients[4].stream(Calculator, M.count, [1, "x"])
        ) {
          // never reached
        }
      },
      RpcError,
      "The server is busy: 4 streams open (maxStreams 4)",
    );
    assertEquals(e.code, "RESOURCE_EXHAUSTED");
    assertEquals(await clients[4].call(Calculator, M.add, [20, 22]), 42);
  } finally {
    for (const it of held) await it.return?.();
    for (const c of clients) await c.close();
    await server.close({ drainTimeout: 0 });
  }
});

Deno.test("RpcServer refuses a deadline timers cannot represent with INVALID_ARGUMENT, once", async () => {
  const { server, endpoint, logs } = serve();
  const raw = new Dealer();
  try {
    raw.connect(endpoint);
    for (const [id, deadline] of [[1, 2 ** 31], [2, 0xffffffff]]) {
      await raw.send([
        encodeRequestHeader({ requestId: id, codec: 1, deadline }),
        encodeMethodName("Calculator", "add"),
        codecByName("msgpack").encode([1, 2]),
      ]);
      const reply = await raw.receive({ timeout: 5000 });
      const header = decodeHeader(reply[0]);
      assertEquals([header.kind, header.requestId], ["ERROR", id]);
      assertEquals(header.status, STATUS.INVALID_ARGUMENT);
      assertEquals(
        decodeErrorBody(reply[1]).message,
        `Deadline of ${deadline} ms exceeds the limit of 2147483647 ms (24.8 days; 0 means none)`,
      );
    }
    // The longest representable deadline is fine and arms no busy timer.
    await raw.send([
      encodeRequestHeader({ requestId: 3, codec: 1, deadline: 2 ** 31 - 1 }),
      encodeMethodName("Calculator", "sleep"),
      codecByName("msgpack").encode([200, "long"]),
    ]);
    const reply = await raw.receive({ timeout: 5000 });
    assertEquals(decodeHeader(reply[0]).kind, "RESPONSE");
    assertEquals(logs.length, 1, logs.join("\n"));
  } finally {
    raw.close();
    await server.close({ drainTimeout: 0 });
  }
  assertEquals(logs.length, 2, logs.join("\n"));
  assert(logs[1].startsWith("… 1 more rejected messages from peer"), logs[1]);
});

/** A service whose validator reports every bad element, as generated ones do. */
const Bulk = {
  name: "Bulk",
  codec: "msgpack",
  source: "tests/rpc/budgets.test.ts",
  methods: {
    sum: {
      name: "sum",
      kind: "unary",
      idempotent: false,
      params: ["values"],
      requiredParams: 1,
      validateArgs: (v, path, issues) => {
        const values = (v as unknown[])[0] as unknown[];
        for (let i = 0; i < values.length; i++) {
          if (typeof values[i] !== "number") {
            issues.push({
              path: `${path}[0][${i}]`,
              expected: "number",
              received: describe(values[i]),
            });
          }
        }
      },
      validateResult: () => {},
      argsSchema: { type: "array" },
      resultSchema: {},
    },
  },
} as const satisfies ServiceDescriptor;

Deno.test("RpcServer answers a request of a million bad elements with a bounded error", async () => {
  // Above the default maxElements (refused before decoding: element_limit
  // test), so that validation's own bound is what this checks.
  const { server, endpoint } = serve({ maxElements: 2_000_000 });
  server.register(Bulk, {
    sum: (values: number[]) => values.reduce((a, b) => a + b, 0),
  });
  const client = new RpcClient({ endpoints: [endpoint] });
  try {
    const bad = new Array(1_000_000).fill("x");
    const request = codecByName("msgpack").encode([bad]);
    const e = await assertRejects(
      () => client.call(Bulk, Bulk.methods.sum, [bad]),
      RpcError,
      'Invalid arguments for Bulk.sum: args[0][0]: expected number, got string "x"; args[0][1]: expected number, got string "x"; args[0][2]: expected number, got string "x" (+999997 more)',
    );
    assertEquals(e.code, "INVALID_ARGUMENT");
    assertEquals((e.details?.issues as unknown[]).length, MAX_ISSUES);
    assertEquals(e.details?.omittedIssues, 1_000_000 - MAX_ISSUES);
    const size = JSON.stringify(e.details).length + e.message.length;
    assert(size * 100 < request.byteLength, `a ${size}-byte error`);
    assertEquals(await client.call(Bulk, Bulk.methods.sum, [[1, 2, 3]]), 6);
  } finally {
    await client.close();
    await server.close({ drainTimeout: 0 });
  }
});
