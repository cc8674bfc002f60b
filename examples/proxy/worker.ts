/**
 * A worker: provides `Worker.square`, taking `ms` of pretend work per call.
 * Run several: every one registers the same service, and clients of it
 * balance over all that are alive.
 *
 * Arguments: `[ms]` (default 25).
 *
 * @module
 */

import { defineNode } from "../../mod.ts";
import { type WorkerHandlers, WorkerService } from "./proxy.api.gen.ts";

export default defineNode(async (node, args) => {
  const ms = Number(args[0] ?? 25);
  const worker: WorkerHandlers = {
    square: (x, ctx) =>
      new Promise((resolve, reject) => {
        const answer = { x, square: x * x, worker: node.name, pid: Deno.pid };
        const timer = setTimeout(() => resolve(answer), ms);
        ctx.signal.addEventListener("abort", () => {
          clearTimeout(timer);
          reject(ctx.signal.reason);
        }, { once: true });
      }),
  };
  await node.provide(WorkerService, worker);
  console.log(`${node.name} (pid ${Deno.pid}) squares numbers, ${ms} ms each`);
});
