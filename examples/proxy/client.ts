/**
 * The client: calls `Front.square(x)` for x = 0 … calls-1, `parallel` at a
 * time, and checks every answer. Every 50 answers it prints how many each
 * worker gave; at the end, whether every call was answered exactly once
 * with the right square, and the proxy's counters. It fails (exit code 1)
 * if any call was lost or wrong.
 *
 * Arguments: `[calls] [parallel]` (default 600 and 8).
 *
 * @module
 */

import { defineNode } from "../../mod.ts";
import { FrontService } from "./proxy.api.gen.ts";

export default defineNode(async (node, args) => {
  const calls = Number(args[0] ?? 600);
  const parallel = Number(args[1] ?? 8);
  const front = await node.client(FrontService, { callTimeout: 10_000 });

  const right = new Array<number>(calls).fill(0); // right answers, per x
  const byWorker = new Map<string, number>();
  let wrong = 0;
  let failed = 0;
  let done = 0;
  let next = 0;
  const report = () => {
    const counts = [...byWorker].sort().map(([w, n]) => `${w} ${n}`);
    console.log(`${done}/${calls} answered: ${counts.join(", ")}`);
  };
  const loop = async () => {
    while (next < calls) {
      const x = next++;
      try {
        const a = await front.square(x);
        if (a.x === x && a.square === x * x) right[x]++;
        else wrong++;
        const key = `${a.worker} (pid ${a.pid})`;
        byWorker.set(key, (byWorker.get(key) ?? 0) + 1);
      } catch (e) {
        failed++;
        console.log(`square(${x}) failed: ${(e as Error).message}`);
      }
      if (++done % 50 === 0) report();
    }
  };
  await Promise.all(Array.from({ length: parallel }, loop));

  const once = right.filter((n) => n === 1).length;
  console.log(
    `done: ${calls} calls, ${once} answered once with the right square, ${wrong} wrong, ${failed} failed`,
  );
  console.log(`proxy stats: ${JSON.stringify(await front.stats())}`);
  if (once !== calls) throw new Error(`${calls - once} calls went wrong`);
  await node.close();
});
