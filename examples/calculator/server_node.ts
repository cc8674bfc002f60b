/**
 * The calculator as a node: provides the `Calculator` service and registers
 * it, so that clients find it by name. Run several (`calc-1`, `calc-2` in
 * `launch.ts`) and clients balance their calls over all of them.
 *
 * Each call served is printed, so the launcher's output shows which
 * instance served what.
 *
 * @module
 */

import { defineNode } from "../../mod.ts";
import { CalculatorService } from "./calculator.api.gen.ts";
import { calculator } from "./calculator.ts";

/** A call's arguments, short enough for one line. */
function show(args: unknown[]): string {
  const text = args.map((a) => JSON.stringify(a)).join(", ");
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}

/** Wraps every method of `impl` to print the call first. */
function printed<T extends object>(impl: T): T {
  const out: Record<string, unknown> = {};
  for (const [method, fn] of Object.entries(impl)) {
    out[method] = (...args: unknown[]) => {
      // The last argument is the call context.
      console.log(`serving ${method}(${show(args.slice(0, -1))})`);
      return (fn as (...a: unknown[]) => unknown).apply(impl, args);
    };
  }
  return out as T;
}

export default defineNode(async (node) => {
  await node.provide(CalculatorService, printed(calculator));
  console.log(`${node.name} provides Calculator`);
});
