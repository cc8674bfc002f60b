/**
 * The calculator's implementation: plain functions behind the generated
 * `CalculatorHandlers` interface. Shared by the standalone server
 * (`server.ts`) and the launched node.
 *
 * @module
 */

import { RpcError } from "../../mod.ts";
import type { CalculatorHandlers } from "./calculator.api.gen.ts";
import type { Expression } from "./calculator.api.ts";

function evaluate(e: Expression): { value: number; steps: number } {
  switch (e.op) {
    case "num":
      return { value: e.value, steps: 1 };
    case "neg": {
      const inner = evaluate(e.arg);
      return { value: -inner.value, steps: inner.steps + 1 };
    }
    case "add":
    case "mul": {
      let value = e.op === "add" ? 0 : 1;
      let steps = 1;
      for (const arg of e.args) {
        const r = evaluate(arg);
        value = e.op === "add" ? value + r.value : value * r.value;
        steps += r.steps;
      }
      return { value, steps };
    }
  }
}

/** The calculator: every method of the `Calculator` service. */
export const calculator: CalculatorHandlers = {
  add: (a, b) => a + b,
  divide: (a, b) => {
    if (b === 0) {
      throw new RpcError("INVALID_ARGUMENT", "Cannot divide by zero", {
        details: { a, b },
      });
    }
    return a / b;
  },
  sum: (values) => values.reduce((total, v) => total + v, 0),
  countdown: async function* (from, ctx) {
    for (let i = from; i >= 0 && !ctx.signal.aborted; i--) {
      yield i;
      // A real stream waits on something; this one paces itself.
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  },
  evaluate: ({ expression, precision }) => {
    const { value, steps } = evaluate(expression);
    const computedAt = new Date();
    if (precision === undefined) return { value, steps, computedAt };
    const rounded = Number(value.toFixed(precision));
    return { value: rounded, steps, computedAt, exact: value };
  },
};
