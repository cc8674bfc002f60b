/**
 * One node module (`fixtures/echo_node.ts`), one suite, three run modes:
 * in-process (`runNode`), Worker (`spawnWorkerNode`) and subprocess
 * (`subprocess_main.ts`). Each run provides a service, publishes a topic,
 * reads and follows a param, and stops cleanly — unregistering, not
 * expiring: the registry's ttl is a minute.
 */

import {
  assert,
  assertEquals,
  assertMatch,
  assertStringIncludes,
} from "../_assert.ts";
import {
  connectRegistry,
  createNode,
  type NodeLogger,
  type Registry,
  type RunMode,
  runNode,
  spawnWorkerNode,
} from "../../mod.ts";
import { next } from "../topics/_helpers.ts";
import { EchoParams, EchoService, StatusTopic } from "./fixtures/api.ts";
import {
  ECHO_NODE,
  NodeProcess,
  startTestRegistry,
  waitForNode,
  waitForNodeGone,
} from "./_helpers.ts";

const quietLog: NodeLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/** A node started in some mode. */
interface Running {
  /** The pid its handlers see. */
  pid: number;
  /** Asks it to stop; resolves with its exit code. */
  stop(): Promise<number>;
  /** Its exit code, once it exits by itself. */
  exited: Promise<number>;
  /** Releases what is left (kills, terminates). */
  dispose(): Promise<void>;
}

type Start = (
  registry: string,
  name: string,
  args: string[],
) => Promise<Running>;

const MODES: Record<RunMode, Start> = {
  inprocess(registry, name, args) {
    const stop = new AbortController();
    const exited = runNode(ECHO_NODE, {
      name,
      registry,
      args,
      signal: stop.signal,
      logger: quietLog,
    });
    return Promise.resolve({
      pid: Deno.pid,
      exited,
      stop: () => {
        stop.abort();
        return exited;
      },
      dispose: async () => {
        stop.abort();
        await exited;
      },
    });
  },
  async worker(registry, name, args) {
    const worker = spawnWorkerNode(ECHO_NODE, {
      name,
      registry,
      args,
      logLevel: args.includes("fail") ? "silent" : "error",
    });
    await worker.ready;
    return {
      pid: Deno.pid,
      exited: worker.exited,
      stop: () => worker.stop(),
      dispose: async () => await worker[Symbol.asyncDispose](),
    };
  },
  subprocess(registry, name, args) {
    const child = NodeProcess.start(ECHO_NODE, {
      name,
      registry,
      args,
      env: { ZMP_LOG_LEVEL: "warn" },
    });
    return Promise.resolve({
      pid: child.pid,
      exited: child.exited().then((s) => s.code),
      stop: async () => {
        child.kill("SIGTERM");
        return (await child.exited()).code;
      },
      dispose: async () => await child[Symbol.asyncDispose](),
    });
  },
};

/** What runs the node in each mode: the thing under test. */
const ENTRY: Record<RunMode, string> = {
  inprocess: "runNode()",
  worker: "spawnWorkerNode()",
  subprocess: "subprocess_main",
};

for (const [mode, start] of Object.entries(MODES) as [RunMode, Start][]) {
  Deno.test(`${ENTRY[mode]} runs echo_node unchanged (${mode}): service, topic, params, clean stop`, async (t) => {
    await using server = await startTestRegistry(60000);
    await using registry = await connectRegistry({
      endpoint: server.endpoint,
    });
    await using me = await createNode(`tester-${mode}`, {
      registry,
      logger: quietLog,
    });
    await me.params(EchoParams).set("greeting", `hello ${mode}`);
    const name = `echo-${mode}`;
    const node = await start(server.endpoint, name, ["--flag"]);
    try {
      const info = await waitForNode(
        registry,
        name,
        (n) => n.services.length > 0 && n.publishes.length > 0,
      );
      assertEquals(info.mode, mode);
      assertEquals(info.pid, node.pid);
      assertEquals(info.params, ["echo"]);

      await t.step("its service answers from the right process", async () => {
        const echo = await me.client(EchoService);
        assertEquals(await echo.whoami(), { node: name, mode, pid: node.pid });
        assertEquals(
          await echo.echo(new Map([[1, "one"]])),
          new Map([[1, "one"]]),
        );
        const items: number[] = [];
        for await (const i of echo.count(4)) items.push(i);
        assertEquals(items, [0, 1, 2, 3]);
      });

      await t.step(
        "its latched status carries the param; a param change is followed",
        async () => {
          const sub = await me.subscribe(StatusTopic);
          const it = sub[Symbol.asyncIterator]();
          assertEquals(await next(it), {
            node: name,
            mode,
            greeting: `hello ${mode}`,
          });
          await me.params(EchoParams).set("greeting", `bye ${mode}`);
          assertEquals((await next(it)).greeting, `bye ${mode}`);
          await sub.close();
        },
      );

      await t.step("it stops with code 0 and unregisters", async () => {
        assertEquals(await node.stop(), 0);
        await waitForNodeGone(registry, name, 5000);
      });
    } finally {
      await node.dispose();
    }
  });

  Deno.test(`${ENTRY[mode]} ends echo_node (${mode}) with code 1 when run() throws`, async () => {
    await using server = await startTestRegistry(60000);
    await using registry = await connectRegistry({
      endpoint: server.endpoint,
    });
    const node = await start(server.endpoint, `failing-${mode}`, ["fail"])
      .catch((e) => e as Error);
    if (node instanceof Error) {
      // A Worker that fails before it is ready rejects `ready`.
      assertEquals(mode, "worker");
      assertEquals(
        node.message,
        'Node "failing-worker" exited with code 1 before it was ready',
      );
      return;
    }
    try {
      assertEquals(await node.exited, 1);
      assertEquals(await registry.nodes(), []);
    } finally {
      await node.dispose();
    }
  });
}

Deno.test("runNode() logs one line and returns 1 when run() throws", async () => {
  await using server = await startTestRegistry(60000);
  const lines: string[] = [];
  const log = (level: string) => (m: string, f?: Record<string, unknown>) =>
    lines.push(
      `${level} ${m}${f?.error ? ` (${(f.error as Error).name})` : ""}`,
    );
  const code = await runNode(ECHO_NODE, {
    name: "fails",
    registry: server.endpoint,
    args: ["fail"],
    logger: {
      debug: log("debug"),
      info: log("info"),
      warn: log("warn"),
      error: log("error"),
    },
  });
  assertEquals(code, 1);
  assertEquals(lines, [
    "error run() failed: the fixture was told to fail (Error)",
  ]);
});

Deno.test("runNode() returns 1 for a module that is not a node, 1 for a taken name", async () => {
  await using server = await startTestRegistry(60000);
  const lines: string[] = [];
  const logger: NodeLogger = {
    debug() {},
    info() {},
    warn() {},
    error: (m) => lines.push(m),
  };
  const notNode = new URL("./_helpers.ts", import.meta.url).href;
  assertEquals(
    await runNode(notNode, { name: "x", registry: server.endpoint, logger }),
    1,
  );
  assertEquals(lines, [
    `cannot load ${notNode}: Cannot run ${notNode}: its default export is not a node (export default defineNode(async (node, args) => { … }))`,
  ]);
  lines.length = 0;
  await using _taken = await createNode("taken", {
    registry: server.endpoint,
    logger: quietLog,
  });
  assertEquals(
    await runNode(ECHO_NODE, {
      name: "taken",
      registry: server.endpoint,
      logger,
    }),
    1,
  );
  assertEquals(lines.length, 1);
  assertStringIncludes(
    lines[0],
    'cannot start: Cannot register node "taken": a live node of that name already runs',
  );
});

async function startSubprocess(
  registry: Registry,
  endpoint: string,
  name: string,
  args: string[] = [],
) {
  const child = NodeProcess.start(ECHO_NODE, {
    name,
    registry: endpoint,
    args,
  });
  await waitForNode(registry, name, (n) => n.services.length > 0);
  return child;
}

Deno.test("subprocess_main stops gracefully when its stdin closes", async () => {
  await using server = await startTestRegistry(60000);
  await using registry = await connectRegistry({ endpoint: server.endpoint });
  await using child = await startSubprocess(
    registry,
    server.endpoint,
    "stdin-node",
  );
  await child.closeStdin();
  assertEquals((await child.exited()).code, 0);
  await waitForNodeGone(registry, "stdin-node", 5000);
});

Deno.test("subprocess_main logs a failure during the stop but exits 0 on SIGTERM", async () => {
  await using server = await startTestRegistry(60000);
  await using registry = await connectRegistry({ endpoint: server.endpoint });
  await using child = await startSubprocess(
    registry,
    server.endpoint,
    "late-fail",
    [
      "fail-late",
    ],
  );
  child.kill("SIGTERM");
  const status = await child.exited();
  assertEquals(status.code, 0);
  assertStringIncludes(
    child.stderr,
    "[late-fail] warn run() failed while stopping: failing while stopping",
  );
  assertEquals(await registry.nodes(), []);
});

Deno.test("subprocess_main exits with code 1 and one log line when run() throws", async () => {
  await using server = await startTestRegistry(60000);
  await using child = NodeProcess.start(ECHO_NODE, {
    name: "boom",
    registry: server.endpoint,
    args: ["fail"],
  });
  const status = await child.exited();
  assertEquals(status.code, 1);
  const lines = child.stderr.trim().split("\n");
  assertEquals(lines.length, 1, child.stderr);
  assertMatch(
    lines[0],
    /^\[boom\] error run\(\) failed: the fixture was told to fail \{"error":\{"name":"Error","message":"the fixture was told to fail","stack":".*"\}\}$/,
  );
});

Deno.test("subprocess_main exits when its launcher is SIGKILLed (no orphans)", async () => {
  await using server = await startTestRegistry(60000);
  await using registry = await connectRegistry({ endpoint: server.endpoint });
  const parent = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("./fixtures/parent.ts", import.meta.url).pathname,
      ECHO_NODE,
      "orphan-candidate",
      server.endpoint,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  let childPid = 0;
  try {
    const reader = parent.stdout.pipeThrough(new TextDecoderStream())
      .getReader();
    let text = "";
    while (!text.includes("\n")) {
      const { value, done } = await reader.read();
      assert(!done, "the parent exited early");
      text += value;
    }
    await reader.cancel();
    childPid = JSON.parse(text).pid;
    const info = await waitForNode(registry, "orphan-candidate");
    assertEquals(info.pid, childPid);
    parent.kill("SIGKILL");
    await parent.status;
    // It unregistered (the ttl is a minute, so this is not an expiry) …
    await waitForNodeGone(registry, "orphan-candidate", 10000);
    // … and its process ended.
    await waitForExit(childPid);
  } finally {
    try {
      parent.kill("SIGKILL");
    } catch {
      // gone
    }
    await parent.status;
    if (childPid !== 0 && alive(childPid)) Deno.kill(childPid, "SIGKILL");
  }
});

/** Whether a process runs (a zombie does not count). Linux only. */
function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const state = stat.slice(stat.lastIndexOf(")") + 2)[0];
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

async function waitForExit(pid: number): Promise<void> {
  const deadline = Date.now() + 10000;
  while (alive(pid)) {
    assert(Date.now() < deadline, `process ${pid} still alive`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
