/**
 * A quiet calculator server node for the failover measurement (the
 * example's `server_node.ts` prints every call).
 *
 * @module
 */

import { defineNode } from "../../mod.ts";
import { CalculatorService } from "../../examples/calculator/calculator.api.gen.ts";
import { calculator } from "../../examples/calculator/calculator.ts";

export default defineNode(async (node) => {
  await node.provide(CalculatorService, calculator);
});
