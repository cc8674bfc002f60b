/**
 * The generated calculator client and skeleton against the real RPC
 * runtime (`RpcClient`, `RpcServer` over loopback TCP): the contract
 * between generated code and `src/rpc` holds end to end.
 *
 * @module
 */

import { RpcClient, RpcError, RpcServer } from "../../mod.ts";
import {
  CalculatorClient,
  type CalculatorHandlers,
  serveCalculator,
} from "../../examples/calculator/calculator.api.gen.ts";
import type { Expression } from "../../examples/calculator/calculator.api.ts";
import { assertEquals, assertRejects } from "../_assert.ts";

function evaluate(e: Expression): number {
  switch (e.op) {
    case "num":
      return e.value;
    case "neg":
      return -evaluate(e.arg);
    case "add":
      return e.args.reduce((sum, x) => sum + evaluate(x), 0);
    case "mul":
      return e.args.reduce((product, x) => product * evaluate(x), 1);
  }
}

const handlers: CalculatorHandlers = {
  add: (a, b) => a + b,
  divide: (a, b) => {
    if (b === 0) {
      throw new RpcError("INVALID_ARGUMENT", "Cannot divide by zero");
    }
    return a / b;
  },
  sum: (values) => values.reduce((a, b) => a + b, 0),
  countdown: async function* (from) {
    for (let i = from; i >= 0; i--) yield i;
  },
  evaluate: ({ expression }) => ({
    value: evaluate(expression),
    steps: 1,
    computedAt: new Date(0),
  }),
};

Deno.test("CalculatorClient calls serveCalculator handlers through RpcClient and RpcServer", async () => {
  await using server = new RpcServer({
    logger: { warn: () => {}, error: () => {} },
  });
  serveCalculator(server, handlers);
  const endpoint = server.bind("tcp://127.0.0.1:*");
  await using rpc = new RpcClient({ endpoints: [endpoint] });
  const calc = new CalculatorClient(rpc);
  assertEquals(await calc.add(1, 2), 3);
  assertEquals(await calc.sum([1, 2, 3.5]), 6.5);
  const items: number[] = [];
  for await (const n of calc.countdown(3)) items.push(n);
  assertEquals(items, [3, 2, 1, 0]);
  const result = await calc.evaluate({
    expression: {
      op: "add",
      args: [{ op: "num", value: 2 }, {
        op: "neg",
        arg: { op: "num", value: 5 },
      }],
    },
  });
  assertEquals(result, { value: -3, steps: 1, computedAt: new Date(0) });
  const e = await assertRejects(
    () => calc.divide(1, 0),
    RpcError,
    "Cannot divide by zero",
  );
  assertEquals(e.code, "INVALID_ARGUMENT");
  const invalid = await assertRejects(
    // deno-lint-ignore no-explicit-any
    () => (calc.evaluate as any)({ expression: { op: "pow" } }),
    RpcError,
  );
  assertEquals(invalid.code, "INVALID_ARGUMENT");
  assertEquals(
    invalid.message,
    'Invalid arguments for Calculator.evaluate: args[0].expression.op: expected "num" | "add" | "mul" | "neg", got string "pow"',
  );
});
