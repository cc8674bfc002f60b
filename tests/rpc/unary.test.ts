/**
 * Unary calls and every error path, against the fixture server running as
 * a separate process.
 */

import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  assertStringIncludes,
} from "../_assert.ts";
import { RpcClient, RpcError, STATUS, type StatusName } from "../../mod.ts";
import { ServerProcess } from "./_server_process.ts";
import {
  Calculator,
  CalculatorPlus,
  CalculatorWrongKind,
  Missing,
  Notes,
} from "./fixtures/services.ts";

const M = Calculator.methods;

Deno.test("RpcClient unary calls against a server process", async (t) => {
  await using server = await ServerProcess.start();
  await using client = new RpcClient({ endpoints: [server.endpoint] });

  await t.step("RpcClient.call() returns the handler's result", async () => {
    assertEquals(await client.call(Calculator, M.add, [2, 3]), 5);
    assertEquals(await client.call(Notes, Notes.methods.add, [2, 3]), 5);
  });

  await t.step(
    "RpcClient.call() pads optional parameters so ctx stays last",
    async () => {
      assertEquals(await client.call(Calculator, M.scale, [4]), 8);
      assertEquals(await client.call(Calculator, M.scale, [4, 3]), 12);
    },
  );

  await t.step(
    "RpcClient.call() keeps many calls in flight on one connection",
    async () => {
      const n = 500;
      const results = await Promise.all(
        Array.from(
          { length: n },
          (_, i) => client.call(Calculator, M.add, [i, 1]),
        ),
      );
      assertEquals(
        results,
        Array.from({ length: n }, (_, i) => i + 1),
      );
      assertEquals(client.pending, 0);
    },
  );

  await t.step(
    "CallContext gives the handler metadata, peer, deadline and names",
    async () => {
      const before = Date.now();
      const who = await client.call(Calculator, M.whoami, [], {
        metadata: { "trace-id": "t-1", user: "ada" },
        timeout: 5000,
      }) as Record<string, unknown>;
      assertEquals(who.metadata, { "trace-id": "t-1", user: "ada" });
      assertMatch(who.peer as string, /^[0-9a-f]{2,}$/);
      assertEquals(who.service, "Calculator");
      assertEquals(who.method, "whoami");
      const deadline = who.deadline as number;
      assert(
        deadline >= before + 4000 && deadline <= Date.now() + 5000,
        `deadline ${deadline}`,
      );
      const plain = await client.call(Calculator, M.whoami, []) as Record<
        string,
        unknown
      >;
      assertEquals(plain.metadata, {});
      assertEquals(plain.deadline, null);
    },
  );

  await t.step(
    "RpcError thrown by a handler arrives with its code, message and details",
    async () => {
      for (const code of Object.keys(STATUS) as StatusName[]) {
        if (code === "OK") continue;
        const e = await assertRejects(
          () => client.call(Calculator, M.fail, [code, `failing with ${code}`]),
          RpcError,
        );
        assertEquals(e.code, code);
        assertEquals(e.status, STATUS[code]);
        assertEquals(e.message, `failing with ${code}`);
        assertEquals(e.details, { echo: code });
      }
      const e = await assertRejects(
        () => client.call(Calculator, M.divide, [1, 0]),
        RpcError,
        "Division by zero",
      );
      assertEquals(e.code, "OUT_OF_RANGE");
    },
  );

  await t.step(
    "a handler's plain Error becomes INTERNAL with its message and no stack",
    async () => {
      const e = await assertRejects(
        () => client.call(Calculator, M.crash, ["kaboom"]),
        RpcError,
      );
      assertEquals(e.code, "INTERNAL");
      assertEquals(e.message, "kaboom");
      assertEquals(e.details, undefined);
    },
  );

  await t.step(
    "an invalid result becomes INTERNAL with the issues",
    async () => {
      const e = await assertRejects(
        () => client.call(Calculator, M.badResult, []),
        RpcError,
        "Calculator.badResult returned an invalid result",
      );
      assertEquals(e.code, "INTERNAL");
      assertEquals(e.details, {
        issues: [{
          path: "result",
          expected: "number",
          received: 'string "not a number"',
        }],
      });
    },
  );

  await t.step(
    "invalid arguments are INVALID_ARGUMENT with the ValidationIssues",
    async () => {
      const e = await assertRejects(
        () => client.call(Calculator, M.add, [1, "two"]),
        RpcError,
        'Invalid arguments for Calculator.add: args[1]: expected number, got string "two"',
      );
      assertEquals(e.code, "INVALID_ARGUMENT");
      assertEquals(e.details, {
        issues: [{
          path: "args[1]",
          expected: "number",
          received: 'string "two"',
        }],
      });
    },
  );

  await t.step("wrong arity is INVALID_ARGUMENT", async () => {
    const e = await assertRejects(
      () => client.call(Calculator, M.add, [1, 2, 3]),
      RpcError,
      "Invalid arguments for Calculator.add: args: expected 2 arguments, got 3 arguments",
    );
    assertEquals(e.code, "INVALID_ARGUMENT");
    const few = await assertRejects(
      () => client.call(Calculator, M.scale, []),
      RpcError,
    );
    assertEquals(few.code, "INVALID_ARGUMENT");
    assertStringIncludes(
      few.message,
      "expected 1 to 2 arguments, got 0 arguments",
    );
  });

  await t.step("an unknown service or method is UNIMPLEMENTED", async () => {
    const service = await assertRejects(
      () => client.call(Missing, Missing.methods.nothing, []),
      RpcError,
      'Unknown service "Missing"',
    );
    assertEquals(service.code, "UNIMPLEMENTED");
    const method = await assertRejects(
      () => client.call(CalculatorPlus, CalculatorPlus.methods.power, [2, 3]),
      RpcError,
      'Unknown method "Calculator.power"',
    );
    assertEquals(method.code, "UNIMPLEMENTED");
  });

  await t.step("a unary call of a stream method is UNIMPLEMENTED", async () => {
    const e = await assertRejects(
      () =>
        client.call(CalculatorWrongKind, CalculatorWrongKind.methods.count, [
          1,
          "x",
        ]),
      RpcError,
      "Calculator.count is a stream method, called as unary",
    );
    assertEquals(e.code, "UNIMPLEMENTED");
  });

  await t.step(
    "RpcClient.call() rejects a stream method locally with TypeError",
    async () => {
      await assertRejects(
        () => client.call(Calculator, M.count, [1, "x"]),
        TypeError,
        "Cannot call Calculator.count: it is a stream method",
      );
    },
  );

  await t.step(
    "the rejected requests left one log line on the server (the others are counted)",
    async () => {
      const logs = await client.call(Calculator, M.logs, []) as string[];
      const rejected = logs.filter((l) =>
        l.startsWith("warn rejected a message")
      );
      // add×2 (type, arity), scale (arity), Missing, power, count-as-unary:
      // one line, the others counted for the summary.
      assertEquals(rejected.length, 1, logs.join("\n"));
      assert(
        logs.some((l) =>
          l.startsWith("error Calculator.crash handler failed: kaboom\n    at ")
        ),
        logs.join("\n"),
      );
    },
  );

  await t.step("RpcClient.ping() round-trips a PING", async () => {
    const rtt = await client.ping();
    assert(rtt >= 0 && rtt < 5000);
  });
});

Deno.test("RpcServer exposeErrorStack sends the handler's stack in details", async () => {
  await using server = await ServerProcess.start(["--expose-stack"]);
  await using client = new RpcClient({ endpoints: [server.endpoint] });
  const e = await assertRejects(
    () => client.call(Calculator, M.crash, ["with stack"]),
    RpcError,
    "with stack",
  );
  assertEquals(e.code, "INTERNAL");
  assertStringIncludes(String(e.details?.stack), "Error: with stack");
  assertStringIncludes(String(e.details?.stack), "calculator_impl.ts");
});

Deno.test("RpcClient.close() rejects pending calls with CANCELLED", async () => {
  await using server = await ServerProcess.start();
  const client = new RpcClient({ endpoints: [server.endpoint] });
  try {
    await client.ping();
    const pending = client.call(Calculator, M.sleep, [10000, "close"]);
    const e = await (async () => {
      const p = assertRejects(() => pending, RpcError);
      await client.close();
      return await p;
    })();
    assertEquals(e.code, "CANCELLED");
    assertEquals(
      e.message,
      "Call to Calculator.sleep cancelled: the client is closed",
    );
    const after = await assertRejects(
      () => client.call(Calculator, M.add, [1, 2]),
      RpcError,
      "Call to Calculator.add cancelled: the client is closed",
    );
    assertEquals(after.code, "CANCELLED");
  } finally {
    await client.close();
  }
});
