/**
 * Deadlines and cancellation, seen from both sides: the client's promise
 * and the server handler's `ctx.signal` (reported through `events`).
 */

import { assert, assertEquals, assertRejects, waitFor } from "../_assert.ts";
import { RpcClient, RpcError } from "../../mod.ts";
import { ServerProcess } from "./_server_process.ts";
import { Calculator } from "./fixtures/services.ts";

const M = Calculator.methods;

Deno.test("RpcClient deadlines and cancellation against a server process", async (t) => {
  await using server = await ServerProcess.start();
  await using client = new RpcClient({ endpoints: [server.endpoint] });
  const events = () =>
    client.call(Calculator, M.events, []) as Promise<string[]>;

  await t.step(
    "a call past its timeout rejects with DEADLINE_EXCEEDED and the handler is aborted",
    async () => {
      const started = performance.now();
      const e = await assertRejects(
        () =>
          client.call(Calculator, M.sleep, [10000, "deadline"], {
            timeout: 100,
          }),
        RpcError,
        "Call to Calculator.sleep exceeded its deadline of 100 ms",
      );
      assertEquals(e.code, "DEADLINE_EXCEEDED");
      const took = performance.now() - started;
      assert(took >= 99 && took < 2000, `took ${took} ms`);
      await waitFor(
        async () =>
          (await events()).includes("deadline:aborted:DEADLINE_EXCEEDED"),
        "the handler to see the deadline",
      );
    },
  );

  await t.step(
    "a call within its timeout succeeds and leaves no timer behind",
    async () => {
      assertEquals(
        await client.call(Calculator, M.sleep, [10, "quick"], {
          timeout: 5000,
        }),
        10,
      );
      assertEquals(client.pending, 0);
    },
  );

  await t.step(
    "aborting a call rejects with the signal's reason and sends CANCEL",
    async () => {
      const controller = new AbortController();
      const pending = client.call(Calculator, M.sleep, [10000, "cancel"], {
        signal: controller.signal,
      });
      await waitFor(
        async () => (await events()).includes("cancel:started"),
        "the handler to start",
      );
      controller.abort();
      const e = await assertRejects(() => pending, DOMException);
      assertEquals(e.name, "AbortError");
      await waitFor(
        async () => (await events()).includes("cancel:aborted:CANCELLED"),
        "the handler to see the cancel",
      );
    },
  );

  await t.step(
    "an already-aborted signal rejects at once without sending",
    async () => {
      const reason = new Error("never mind");
      await assertRejects(
        () =>
          client.call(Calculator, M.sleep, [10, "never"], {
            signal: AbortSignal.abort(reason),
          }),
        Error,
        "never mind",
      );
      assert(!(await events()).includes("never:started"));
    },
  );

  await t.step(
    "AbortSignal.timeout() rejects with its TimeoutError",
    async () => {
      const e = await assertRejects(
        () =>
          client.call(Calculator, M.sleep, [10000, "signal-timeout"], {
            signal: AbortSignal.timeout(50),
          }),
        DOMException,
      );
      assertEquals(e.name, "TimeoutError");
      await waitFor(
        async () =>
          (await events()).includes("signal-timeout:aborted:CANCELLED"),
        "the handler to see the cancel",
      );
    },
  );
});

Deno.test("RpcClient timeout option is the default deadline of every call", async () => {
  await using server = await ServerProcess.start();
  await using client = new RpcClient({
    endpoints: [server.endpoint],
    timeout: 80,
  });
  const e = await assertRejects(
    () => client.call(Calculator, M.sleep, [10000, "default"]),
    RpcError,
    "Call to Calculator.sleep exceeded its deadline of 80 ms",
  );
  assertEquals(e.code, "DEADLINE_EXCEEDED");
  assertEquals(
    await client.call(Calculator, M.add, [1, 1], { timeout: 5000 }),
    2,
  );
});

Deno.test("RpcClient fails a call with UNAVAILABLE when no server is reachable within connectTimeout", async () => {
  // A port nobody listens on: bind a socket, note its port, close it.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  await using client = new RpcClient({
    endpoints: [`tcp://127.0.0.1:${port}`],
    connectTimeout: 100,
    retry: false,
  });
  const e = await assertRejects(
    () => client.call(Calculator, M.add, [1, 2]),
    RpcError,
    `Cannot call Calculator.add: no server reachable at tcp://127.0.0.1:${port} within 100 ms`,
  );
  assertEquals(e.code, "UNAVAILABLE");
});

Deno.test("RpcClient constructor rejects bad options", () => {
  for (
    const [options, error, message] of [
      [{ endpoints: [] }, TypeError, "endpoints must be a non-empty array"],
      [
        { endpoints: ["tcp://127.0.0.1:1"], timeout: -1 },
        RangeError,
        "timeout must be a number of ms from 0 to 2147483647, got -1",
      ],
      [
        { endpoints: ["tcp://127.0.0.1:1"], timeout: 2 ** 31 },
        RangeError,
        "timeout must be a number of ms from 0 to 2147483647, got 2147483648",
      ],
      [
        { endpoints: ["tcp://127.0.0.1:1"], streamWindow: 0 },
        RangeError,
        "streamWindow must be an integer >= 1, got 0",
      ],
      [
        { endpoints: ["tcp://127.0.0.1:1"], retry: { maxAttempts: 0 } },
        RangeError,
        "maxAttempts must be an integer >= 1, got 0",
      ],
    ] as const
  ) {
    let thrown: unknown;
    try {
      new RpcClient(options as never);
    } catch (e) {
      thrown = e;
    }
    assert(thrown instanceof error, `expected ${error.name}, got ${thrown}`);
    assert(
      (thrown as Error).message.includes(message),
      (thrown as Error).message,
    );
  }
});
