/**
 * `startLaunch` and `launch` from code: the handle, the logger, results.
 *
 * @module
 */

import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
} from "../_assert.ts";
import {
  connectRegistry,
  defineLaunch,
  launch,
  LaunchError,
  type LaunchLogger,
  RpcError,
  startLaunch,
} from "../../mod.ts";
import { alive, fixture } from "./_harness.ts";

function recorder(): LaunchLogger & {
  lines: string[];
  seen(re: RegExp): Promise<void>;
} {
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  return {
    lines,
    log: (level, message) => {
      lines.push(`${level} ${message}`);
      for (const w of [...waiters]) w();
    },
    line: (node, stream, text) => {
      lines.push(`${node} ${stream} ${text}`);
      for (const w of [...waiters]) w();
    },
    seen(re) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no line matching ${re} in:\n${lines.join("\n")}`));
        }, 15000);
        const check = () => {
          if (lines.some((l) => re.test(l))) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve();
          }
        };
        waiters.add(check);
        check();
      });
    },
  };
}

Deno.test("startLaunch() gives the registry, the pids, and stops on request", async () => {
  const logger = recorder();
  const running = await startLaunch(
    defineLaunch({
      registry: { endpoint: "tcp://127.0.0.1:*" },
      nodes: [{ name: "tick", module: fixture("ticker.ts") }],
    }),
    { logger },
  );
  try {
    assert(/^tcp:\/\/127\.0\.0\.1:\d+$/.test(running.registry));
    await logger.seen(/^info tick registered$/);
    await logger.seen(/^tick stdout up tick \d+$/);
    const pid = running.pids().tick;
    assert(pid !== undefined && alive(pid));
    const result = await running.stop();
    assertEquals(result.code, 0);
    assertEquals(result.nodes.tick, { status: "stopped", code: 0 });
    assertEquals(alive(pid), false);
  } finally {
    await running.kill();
  }
});

Deno.test("startLaunch() gives the embedded registry the launch file's maxElements", async () => {
  const running = await startLaunch(
    defineLaunch({
      registry: { endpoint: "tcp://127.0.0.1:*", maxElements: 100 },
      nodes: [],
    }),
    { logger: recorder() },
  );
  try {
    await using registry = await connectRegistry({
      endpoint: running.registry,
    });
    const params = registry.params;
    await params.set("fits", Array.from({ length: 50 }, (_, i) => i));
    const e = await assertRejects(
      () => params.set("large", Array.from({ length: 200 }, (_, i) => i)),
      RpcError,
    );
    assertEquals(e.code, "RESOURCE_EXHAUSTED");
    assertMatch(e.message, /more than 100 elements/);
    assertEquals(await params.get("large"), undefined);
  } finally {
    await running.kill();
  }
});

Deno.test("launch() resolves with the failed node when one fails", async () => {
  const logger = recorder();
  const result = await launch(
    defineLaunch({
      registry: { endpoint: "tcp://127.0.0.1:*" },
      nodes: [{ name: "broken", module: fixture("fail.ts") }],
    }),
    { logger },
  );
  assertEquals(result.code, 1);
  assertEquals(result.failed, {
    node: "broken",
    reason: "exited with code 1",
  });
  assertEquals(result.nodes.broken, {
    status: "failed",
    code: 1,
    reason: "exited with code 1",
  });
});

Deno.test("launch() rejects a bad spec with LaunchError before starting anything", async () => {
  const e = await assertRejects(
    () =>
      launch(
        {
          nodes: [{ name: "a", module: fixture("ticker.ts"), mode: "thread" }],
        } as never,
        { logger: recorder() },
      ),
    LaunchError,
    'node "a": mode must be "subprocess" | "worker" | "inprocess"',
  );
  assertEquals([e.node, e.field], ["a", "mode"]);
});

Deno.test("startLaunch() stops when its signal aborts", async () => {
  const logger = recorder();
  const controller = new AbortController();
  const running = await startLaunch(
    defineLaunch({
      registry: { endpoint: "tcp://127.0.0.1:*" },
      nodes: [{ name: "tick", module: fixture("ticker.ts") }],
    }),
    { logger, signal: controller.signal },
  );
  try {
    await logger.seen(/^info tick registered$/);
    controller.abort();
    const result = await running.done;
    assertEquals(result.code, 0);
    assert(logger.lines.includes("info stopping: asked to stop"));
  } finally {
    await running.kill();
  }
});
