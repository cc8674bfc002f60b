/**
 * `deno run -A node.ts`: a defineNode module started on its own joins the
 * registry at ZMP_REGISTRY, is named by --name, ZMP_NODE_NAME or its file
 * name, passes its other arguments to run, and stops cleanly on Ctrl-C.
 */

import { assertEquals, assertThrows } from "../_assert.ts";
import { connectRegistry } from "../../mod.ts";
import { splitName } from "../../src/node/_standalone.ts";
import { run, Running } from "../project/_project.ts";
import {
  ECHO_NODE,
  quiet,
  startTestRegistry,
  waitForNode,
  waitForNodeGone,
} from "./_helpers.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const FILE = new URL(ECHO_NODE).pathname;

Deno.test("splitName() takes --name off the arguments and keeps the rest in order", () => {
  assertEquals(splitName(["a", "--name", "n", "b"]), {
    name: "n",
    rest: ["a", "b"],
  });
  assertEquals(splitName(["--name=n"]), { name: "n", rest: [] });
  assertEquals(splitName(["x", "--", "--name", "y"]), {
    rest: ["x", "--name", "y"],
  });
  assertEquals(splitName([]), { rest: [] });
  assertThrows(() => splitName(["--name"]), TypeError, "--name needs a value");
});

Deno.test("deno run node.ts: named by --name, else ZMP_NODE_NAME, else its file name; Ctrl-C stops it cleanly", async () => {
  await using server = await startTestRegistry();
  await using registry = await connectRegistry({
    endpoint: server.endpoint,
    logger: quiet,
  });
  const cases: [string[], Record<string, string>, string][] = [
    [[], {}, "echo_node"],
    [[], { ZMP_NODE_NAME: "from-env" }, "from-env"],
    [["--name", "from-flag"], { ZMP_NODE_NAME: "from-env" }, "from-flag"],
  ];
  for (const [args, env, name] of cases) {
    await using node = new Running(Deno.execPath(), [
      "run",
      "-A",
      FILE,
      ...args,
    ], {
      cwd: ROOT,
      env: { ZMP_REGISTRY: server.endpoint, ...env },
    });
    const info = await waitForNode(registry, name);
    assertEquals(info.pid, node.child.pid);
    assertEquals(info.mode, "subprocess");
    assertEquals(await node.stop("SIGINT"), 0, node.text);
    await waitForNodeGone(registry, name);
  }
});

Deno.test("importing a node module from another program does not start the node", async () => {
  const r = await run(
    Deno.execPath(),
    [
      "run",
      "-A",
      new URL("./fixtures/imports_a_node.ts", import.meta.url).pathname,
    ],
    { cwd: ROOT, env: { ZMP_REGISTRY: "tcp://127.0.0.1:1" }, timeout: 60000 },
  );
  assertEquals(r.code, 0, r.stderr);
  assertEquals(r.stdout, "imported zmp.node\n");
  assertEquals(r.stderr, "");
});
