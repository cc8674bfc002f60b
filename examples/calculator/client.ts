/**
 * A standalone calculator client: `deno run -A examples/calculator/client.ts
 * [endpoint]`. Calls every method once and shows typed results and a typed
 * error.
 *
 * @module
 */

import { RpcClient, RpcError } from "../../mod.ts";
import { CalculatorClient } from "./calculator.api.gen.ts";

const endpoint = Deno.args[0] ?? "tcp://127.0.0.1:5555";
await using rpc = new RpcClient({ endpoints: [endpoint], timeout: 5000 });
const calc = new CalculatorClient(rpc);

console.log(`add(2, 3) = ${await calc.add(2, 3)}`);
console.log(`sum([1, 2, 3.5]) = ${await calc.sum([1, 2, 3.5])}`);

const counted: number[] = [];
for await (const n of calc.countdown(5)) counted.push(n);
console.log(`countdown(5) streamed ${counted.join(", ")}`);

const result = await calc.evaluate({
  expression: {
    op: "add",
    args: [{ op: "num", value: 1 }, {
      op: "mul",
      args: [{ op: "num", value: 2 }, { op: "num", value: 0.3333 }],
    }],
  },
  precision: 2,
});
console.log(
  `evaluate(1 + 2 × 0.3333) = ${result.value} (exact ${result.exact}, ` +
    `${result.steps} steps, computed at ${result.computedAt.toISOString()})`,
);

try {
  await calc.divide(1, 0);
} catch (e) {
  if (!(e instanceof RpcError)) throw e;
  console.log(`divide(1, 0) failed: ${e.code}: ${e.message}`);
}

try {
  // Validation happens on the server before the handler runs.
  await calc.sum(["not a number"] as unknown as number[]);
} catch (e) {
  if (!(e instanceof RpcError)) throw e;
  console.log(`sum(["not a number"]) failed: ${e.code}: ${e.message}`);
}
