/**
 * The proxy: provides `Front`, the service callers use, and passes each
 * call to a live worker. `node.client(WorkerService)` does the balancing
 * (round robin over every live instance, following the registry) and the
 * failover (an idempotent call whose worker dies is retried on another);
 * the proxy adds the front door: a limit on calls in flight (the others
 * wait their turn) and counters per worker, served by `Front.stats()`.
 *
 * Arguments: `[limit]` (default 6).
 *
 * @module
 */

import { defineNode, rpcClientOf } from "../../mod.ts";
import {
  type FrontHandlers,
  FrontService,
  WorkerService,
} from "./proxy.api.gen.ts";

export default defineNode(async (node, args) => {
  const limit = Number(args[0] ?? 6);
  const workers = await node.client(WorkerService, { callTimeout: 5000 });

  // A counting semaphore: a finished call hands its slot to the next one.
  let inFlight = 0;
  const queue: (() => void)[] = [];
  const acquire = (): Promise<void> => {
    if (inFlight < limit) {
      inFlight++;
      return Promise.resolve();
    }
    return new Promise((resolve) => queue.push(resolve));
  };
  const release = () => {
    const next = queue.shift();
    if (next) next();
    else inFlight--;
  };

  let answered = 0;
  let failed = 0;
  const byWorker: Record<string, number> = {};
  const front: FrontHandlers = {
    async square(x, ctx) {
      await acquire();
      try {
        const answer = await workers.square(x, { signal: ctx.signal });
        const key = `${answer.worker} (pid ${answer.pid})`;
        byWorker[key] = (byWorker[key] ?? 0) + 1;
        answered++;
        return answer;
      } catch (e) {
        failed++;
        throw e;
      } finally {
        release();
      }
    },
    stats: () => ({
      answered,
      failed,
      inFlight,
      queued: queue.length,
      limit,
      liveWorkers: rpcClientOf(workers).connectedEndpoints.length,
      byWorker: { ...byWorker },
    }),
  };
  await node.provide(FrontService, front);
  console.log(`proxy in front of Worker: at most ${limit} calls at a time`);
});
