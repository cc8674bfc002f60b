/**
 * A calculator client as a node: asks the registry for the `Calculator`
 * service by name (no endpoint anywhere), calls it, prints typed results
 * and typed errors, then closes itself, which ends the node with exit code
 * 0.
 *
 * @module
 */

import { defineNode, RpcError } from "../../mod.ts";
import { CalculatorService } from "./calculator.api.gen.ts";

export default defineNode(async (node) => {
  // Waits until some node provides Calculator; balances over all of them.
  const calc = await node.client(CalculatorService, { callTimeout: 5000 });

  for (let i = 1; i <= 4; i++) {
    console.log(`add(${i}, ${10 * i}) = ${await calc.add(i, 10 * i)}`);
  }
  console.log(`sum([1, 2, 3.5]) = ${await calc.sum([1, 2, 3.5])}`);

  const counted: number[] = [];
  for await (const n of calc.countdown(3)) counted.push(n);
  console.log(`countdown(3) streamed ${counted.join(", ")}`);

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
  // Typed: result.computedAt is a Date, result.exact a number or undefined.
  console.log(
    `evaluate(1 + 2 × 0.3333) = ${result.value} (exact ${result.exact}, ` +
      `${result.steps} steps, computed at ${
        result.computedAt.toISOString().slice(11, 23)
      })`,
  );

  try {
    await calc.divide(1, 0);
  } catch (e) {
    if (!(e instanceof RpcError)) throw e;
    console.log(`divide(1, 0) failed as expected: ${e.code}: ${e.message}`);
  }

  await node.close();
});
