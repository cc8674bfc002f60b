/**
 * 100,000 pipelined DEALER→ROUTER echoes, between two Deno processes over
 * ipc and tcp, and within one process over inproc: none lost, duplicated or
 * reordered.
 */

import { assertEquals, AssertionError } from "../../_assert.ts";
import { Context, Dealer, Router } from "../../../src/zmq/mod.ts";
import {
  Endpoints,
  FixtureProcess,
  readU32,
  texts,
  u32Frame,
} from "../_helpers.ts";
import { type EngineRun, testNoSocketLeft } from "../_suite.ts";

/** Registers the pipeline cases for one engine run. */
export function pipelineCases(run: EngineRun): void {
  const COUNT = 100_000;
  /** In-flight bound, well under the default high-water marks (1000). */
  const WINDOW = 500;

  /**
   * Sends `count` sequence numbers through `dealer`, never more than `window`
   * unanswered, and checks that the echoes come back exactly in order.
   */
  async function pipeline(
    dealer: Dealer,
    count: number,
    window: number,
  ): Promise<void> {
    let received = 0;
    let failure: unknown;
    let wake: (() => void) | undefined;
    const receiver = (async () => {
      try {
        while (received < count) {
          const frames = await dealer.receive({ timeout: 10_000 });
          if (frames.length !== 1) {
            throw new AssertionError(`expected 1 frame, got ${frames.length}`);
          }
          const seq = readU32(frames[0]);
          if (seq !== received) {
            const what = seq < received ? "duplicated or reordered" : "lost";
            throw new AssertionError(
              `echo ${received} ${what}: got sequence number ${seq}`,
            );
          }
          received++;
          wake?.();
        }
      } catch (e) {
        failure = e;
        wake?.();
      }
    })();
    for (let seq = 0; seq < count && failure === undefined; seq++) {
      while (seq - received >= window && failure === undefined) {
        await new Promise<void>((r) => wake = r);
        wake = undefined;
      }
      if (failure === undefined) await dealer.send(u32Frame(seq));
    }
    await receiver;
    if (failure !== undefined) throw failure;
    assertEquals(received, count);
  }

  for (const transport of run.transports.filter((t) => t !== "inproc")) {
    Deno.test(
      run.title(
        `Dealer pipelines ${COUNT} messages to a Router in another process over ${transport}`,
      ),
      async () => {
        await using eps = new Endpoints();
        const { process: server, ready: endpoint } = await FixtureProcess.start(
          "echo_server.ts",
          {
            args: [await eps.bindAddress(transport, "echo")],
            env: run.serverEnv,
          },
        );
        await using _server = server;
        await using dealer = new Dealer(run.C);
        dealer.connect(endpoint);
        await pipeline(dealer, COUNT, WINDOW);
        await dealer.send("stop");
        assertEquals(texts(await dealer.receive({ timeout: 5000 })), [
          "stopped",
        ]);
        const status = await server.exited();
        assertEquals(status.code, 0, await server.stderr());
      },
    );
  }

  if (run.single) {
    Deno.test(
      run.title(
        `Dealer pipelines ${COUNT} messages to a Router in the same process over inproc`,
      ),
      async () => {
        await using ctx = new Context({ engine: run.serverEngine });
        const router = new Router({
          ...run.S,
          context: ctx,
          routerMandatory: true,
        });
        const dealer = new Dealer({ ...run.C, context: ctx });
        dealer.connect(router.bind("inproc://pipeline"));
        const echo = (async () => {
          for await (const message of router) await router.send(message);
        })();
        try {
          await pipeline(dealer, COUNT, WINDOW);
        } finally {
          router.close();
          await echo;
        }
      },
    );
  }

  testNoSocketLeft(run, "pipeline");
}
