/**
 * The launcher end to end: `zmp launch` as a real subprocess, real nodes
 * (subprocesses, workers, in-process), real sockets and signals.
 *
 * @module
 */

import {
  assert,
  assertEquals,
  assertMatch,
  assertStringIncludes,
  waitFor,
} from "../_assert.ts";
import { alive, fixture, Launcher, tempDir, writeLaunch } from "./_harness.ts";
import { connectRegistry, RpcError } from "../../mod.ts";
import { nodeInfo } from "../registry/_helpers.ts";

const REGISTRY = { endpoint: "tcp://127.0.0.1:*" };
/** The example calculator's node: it provides `Calculator`. */
const CALC_NODE = new URL(
  "../../examples/calculator/server_node.ts",
  import.meta.url,
).href;

Deno.test("zmp launch stops nodes in reverse order: the end of standard input, then SIGTERM after the grace period, then SIGKILL", async () => {
  await using dir = await tempDir();
  const file = await writeLaunch(dir.path, {
    registry: REGISTRY,
    gracePeriod: 700,
    nodes: [
      { name: "a", module: fixture("ticker.ts") },
      { name: "b", module: fixture("ticker.ts") },
      { name: "c", module: fixture("stubborn.ts") },
    ],
  });
  await using launcher = new Launcher(["--no-check", file]);
  for (const n of ["a", "b", "c"]) {
    await launcher.line(new RegExp(`${n} registered`));
  }
  const pids = launcher.pids();
  assertEquals([...pids.keys()], ["a", "b", "c"]);

  launcher.child.kill("SIGTERM");
  assertEquals(await launcher.exited(), 0, launcher.text);
  const at = (re: RegExp) => {
    const i = launcher.indexOf(re);
    assert(i >= 0, `no line matching ${re} in:\n${launcher.text}`);
    return i;
  };
  const stopping = at(/launch +│ stopping: asked to stop/);
  const term = at(/launch +│ c did not stop within 700 ms: sending SIGTERM/);
  // stubborn.ts blocks its event loop: its SIGTERM handler cannot run.
  const kill = at(/launch +│ c still runs 700 ms after SIGTERM: killing it/);
  const stoppedC = at(/launch +│ stopped c \(exit code 137\)/);
  const bAsked = at(/^b +│ stopping b$/);
  const stoppedB = at(/launch +│ stopped b \(exit code 0\)/);
  const aAsked = at(/^a +│ stopping a$/);
  const stoppedA = at(/launch +│ stopped a \(exit code 0\)/);
  const closed = at(/launch +│ registry closed/);
  assert(
    stopping < term && term < kill && kill < stoppedC && stoppedC < bAsked &&
      bAsked < stoppedB && stoppedB < aAsked && aAsked < stoppedA &&
      stoppedA < closed,
    `wrong order:\n${launcher.text}`,
  );
  const ms = (from: number, to: number) =>
    launcher.lines[to].at - launcher.lines[from].at;
  const graceMs = ms(stopping, term);
  assert(
    graceMs >= 600,
    `SIGTERM after ${graceMs} ms, before the grace period`,
  );
  const termMs = ms(term, kill);
  assert(termMs >= 600, `killed ${termMs} ms after SIGTERM, expected ≥ 600`);
  for (const pid of pids.values()) assertEquals(alive(pid), false);
});

Deno.test("zmp launch restarts a crashing node with growing delays until it works", async () => {
  await using dir = await tempDir();
  const counter = `${dir.path}/runs`;
  const file = await writeLaunch(dir.path, {
    registry: REGISTRY,
    nodes: [{
      name: "flaky",
      module: fixture("flaky.ts"),
      args: [counter, "2"],
      permissions: { read: [counter], write: [counter] },
      restart: { policy: "on-failure", initialDelay: 150, factor: 3 },
    }],
  });
  await using launcher = new Launcher(["--no-check", file]);
  await launcher.line(/^flaky +│ up flaky \d+$/);
  assertStringIncludes(
    launcher.text,
    "flaky exited with code 1; restarting in 150 ms (restart 1 of 5)",
  );
  assertStringIncludes(
    launcher.text,
    "flaky exited with code 1; restarting in 450 ms (restart 2 of 5)",
  );
  const starts = launcher.lines
    .map((l) => /^flaky +│ run (\d+) at (\d+)$/.exec(l.text))
    .filter((m) => m !== null)
    .map((m) => Number(m![2]));
  assertEquals(starts.length, 3, launcher.text);
  const [gap1, gap2] = [starts[1] - starts[0], starts[2] - starts[1]];
  assert(gap1 >= 150, `first restart after ${gap1} ms, expected ≥ 150`);
  assert(gap2 >= 450, `second restart after ${gap2} ms, expected ≥ 450`);
  assertEquals(launcher.pids().size, 1);

  launcher.child.kill("SIGTERM");
  assertEquals(await launcher.exited(), 0, launcher.text);
});

Deno.test("zmp launch fails with exit code 1 once a node is out of restarts, and stops the rest", async () => {
  await using dir = await tempDir();
  const file = await writeLaunch(dir.path, {
    registry: REGISTRY,
    nodes: [
      { name: "steady", module: fixture("ticker.ts") },
      {
        name: "broken",
        module: fixture("fail.ts"),
        restart: { policy: "always", initialDelay: 50, maxRestarts: 2 },
        // The stop may reach steady while it is still loading: it ends
        // cleanly all the same (exit code 0, below).
      },
    ],
  });
  await using launcher = new Launcher(["--no-check", file]);
  assertEquals(await launcher.exited(), 1, launcher.text);
  const starts = launcher.lines.filter((l) =>
    /started broken \(subprocess/.test(l.text)
  );
  assertEquals(starts.length, 3, launcher.text);
  assertStringIncludes(
    launcher.text,
    "broken failed: exited with code 1 after 2 restarts (limit 2)",
  );
  assertStringIncludes(launcher.text, "stopped steady (exit code 0)");
  assertStringIncludes(
    launcher.text,
    "launch failed: broken exited with code 1 after 2 restarts (limit 2)",
  );
});

Deno.test("zmp launch exits 1 when a node with restart never fails", async () => {
  await using dir = await tempDir();
  const file = await writeLaunch(dir.path, {
    registry: REGISTRY,
    nodes: [
      { name: "steady", module: fixture("ticker.ts") },
      { name: "broken", module: fixture("fail.ts") },
    ],
  });
  await using launcher = new Launcher(["--no-check", file]);
  assertEquals(await launcher.exited(), 1, launcher.text);
  assertStringIncludes(launcher.text, "broken failed: exited with code 1");
  assertStringIncludes(launcher.text, "failing on purpose");
  assertStringIncludes(launcher.text, "stopped steady (exit code 0)");
});

Deno.test("zmp launch exits 0 once every node has ended cleanly by itself", async () => {
  await using dir = await tempDir();
  const file = await writeLaunch(dir.path, {
    registry: REGISTRY,
    nodes: [
      { name: "one", module: fixture("done.ts") },
      { name: "two", module: fixture("done.ts"), restart: "on-failure" },
    ],
  });
  await using launcher = new Launcher(["--no-check", file]);
  assertEquals(await launcher.exited(), 0, launcher.text);
  assertStringIncludes(launcher.text, "one exited cleanly");
  assertStringIncludes(launcher.text, "two exited cleanly");
  assertStringIncludes(launcher.text, "every node ended cleanly");
});

Deno.test("zmp launch killed with SIGKILL leaves no orphan: nodes see stdin close and exit", async () => {
  await using dir = await tempDir();
  const file = await writeLaunch(dir.path, {
    registry: REGISTRY,
    nodes: [
      { name: "a", module: fixture("ticker.ts") },
      { name: "b", module: fixture("ticker.ts") },
      { name: "c", module: fixture("ticker.ts"), restart: "always" },
    ],
  });
  await using launcher = new Launcher(["--no-check", file]);
  for (const n of ["a", "b", "c"]) {
    await launcher.line(new RegExp(`${n} registered`));
  }
  const pids = [...launcher.pids().values()];
  assertEquals(pids.length, 3);
  for (const pid of pids) assert(alive(pid), `node ${pid} is not running`);

  launcher.child.kill("SIGKILL");
  assertEquals((await launcher.status).signal, "SIGKILL");
  await waitFor(
    () => pids.every((pid) => !alive(pid)),
    `nodes ${pids.filter(alive).join(", ")} to exit after the launcher died`,
    { timeout: 10000 },
  );
});

Deno.test("zmp launch starts a node only once the registry shows its after conditions", async () => {
  await using dir = await tempDir();
  const file = await writeLaunch(dir.path, {
    registry: REGISTRY,
    nodes: [
      {
        name: "last",
        module: fixture("ticker.ts"),
        after: [{ node: "middle" }],
      },
      {
        name: "middle",
        module: fixture("ticker.ts"),
        after: [{ service: "Calculator" }],
      },
      { name: "calc", module: CALC_NODE },
    ],
  });
  await using launcher = new Launcher(["--no-check", file]);
  await launcher.line(/last registered/);
  const order = launcher.lines
    .map((l) => /started (\S+) \(/.exec(l.text)?.[1])
    .filter((n) => n !== undefined);
  assertEquals(order, ["calc", "middle", "last"]);
  const i = (re: RegExp) => launcher.indexOf(re);
  assert(i(/last waits for node middle/) >= 0, launcher.text);
  assert(i(/middle waits for service Calculator/) >= 0, launcher.text);
  assert(i(/calc serves Calculator/) < i(/started middle/), launcher.text);
  assert(i(/middle registered/) < i(/started last/), launcher.text);

  launcher.child.kill("SIGTERM");
  assertEquals(await launcher.exited(), 0, launcher.text);
});

Deno.test("zmp launch starts a node after { service, count } once that many nodes provide the service", async () => {
  await using dir = await tempDir();
  // calc-2 starts only once marker is up, which starts after calc-1
  // serves: a node waiting for one provider would start before calc-2.
  const file = await writeLaunch(dir.path, {
    registry: REGISTRY,
    nodes: [
      {
        name: "both",
        module: fixture("ticker.ts"),
        after: [{ service: "Calculator", count: 2 }],
      },
      { name: "calc-1", module: CALC_NODE },
      {
        name: "marker",
        module: fixture("ticker.ts"),
        after: [{ service: "Calculator" }],
      },
      { name: "calc-2", module: CALC_NODE, after: [{ node: "marker" }] },
    ],
  });
  await using launcher = new Launcher(["--no-check", file]);
  await launcher.line(/both registered/);
  const i = (re: RegExp) => launcher.indexOf(re);
  assert(
    i(/both waits for service Calculator on 2 nodes/) >= 0,
    launcher.text,
  );
  assert(i(/calc-1 serves Calculator/) < i(/started marker/), launcher.text);
  assert(i(/calc-2 serves Calculator/) >= 0, launcher.text);
  assert(i(/calc-2 serves Calculator/) < i(/started both/), launcher.text);

  launcher.child.kill("SIGTERM");
  assertEquals(await launcher.exited(), 0, launcher.text);
});

Deno.test("zmp launch runs subprocess, worker and in-process nodes from one file", async () => {
  await using dir = await tempDir();
  const file = await writeLaunch(dir.path, {
    registry: REGISTRY,
    nodes: [
      { name: "sub", module: fixture("ticker.ts") },
      { name: "wrk", module: fixture("ticker.ts"), mode: "worker" },
      { name: "inp", module: fixture("ticker.ts"), mode: "inprocess" },
    ],
  });
  await using launcher = new Launcher(["--no-check", file]);
  for (const n of ["sub", "wrk", "inp"]) {
    await launcher.line(new RegExp(`${n} registered`));
  }
  const self = launcher.child.pid;
  await launcher.line(new RegExp(`started wrk \\(worker, pid ${self}\\)`));
  await launcher.line(new RegExp(`started inp \\(inprocess, pid ${self}\\)`));
  const sub = launcher.pids().get("sub");
  assert(sub !== undefined && sub !== self);
  // Subprocess output is prefixed; workers and in-process nodes print in
  // the launcher's own process.
  await launcher.line(new RegExp(`^sub +│ up sub ${sub}$`));
  await launcher.line(new RegExp(`^up wrk ${self}$`));
  await launcher.line(new RegExp(`^up inp ${self}$`));

  launcher.child.kill("SIGTERM");
  assertEquals(await launcher.exited(), 0, launcher.text);
  for (const n of ["inp", "wrk", "sub"]) {
    assertMatch(launcher.text, new RegExp(`stopped ${n} \\(exit code 0\\)`));
  }
  assert(
    launcher.indexOf(/stopped inp/) < launcher.indexOf(/stopped wrk/) &&
      launcher.indexOf(/stopped wrk/) < launcher.indexOf(/stopped sub/),
    launcher.text,
  );
});

Deno.test("zmp launch gives a subprocess node only its declared permissions plus zmp's", async () => {
  await using dir = await tempDir();
  const file = await writeLaunch(dir.path, {
    registry: REGISTRY,
    nodes: [{
      name: "reader",
      module: fixture("env_reader.ts"),
      env: { GREETING: "hi" },
    }],
  });
  await using launcher = new Launcher(["--no-check", file]);
  assertEquals(await launcher.exited(), 0, launcher.text);
  await launcher.line(
    /^reader +│ perms greeting=yes:hi home=no etc=no write=no run=no$/,
  );
});

Deno.test("zmp launch restarts a killed node at once with its registration token, while a squatter of its name is refused", async () => {
  await using dir = await tempDir();
  const file = await writeLaunch(dir.path, {
    // A ttl far beyond the test: only the token gets the name back.
    registry: { endpoint: "tcp://127.0.0.1:*", ttl: 60000 },
    nodes: [{
      name: "victim",
      module: fixture("ticker.ts"),
      restart: { policy: "on-failure", initialDelay: 10 },
    }],
  });
  await using launcher = new Launcher(["--no-check", file]);
  const [, endpoint] = await launcher.line(/registry listening on (\S+)/);
  await launcher.line(/victim registered/);
  await using squatter = await connectRegistry({ endpoint });
  const first = launcher.pids().get("victim")!;
  Deno.kill(first, "SIGKILL");
  // The squatter tries the name over and over while the node restarts.
  let refused = 0;
  const squatting = (async () => {
    while (
      launcher.lines.filter((l) => /victim registered/.test(l.text)).length <
        2
    ) {
      try {
        const r = await squatter.register(nodeInfo("victim"));
        await r.close();
        throw new Error("the squatter got the name");
      } catch (e) {
        if (!(e instanceof RpcError && e.code === "ALREADY_EXISTS")) throw e;
        refused++;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  await launcher.line(
    /victim exited with code 137; restarting in 10 ms \(restart 1 of 5\)/,
  );
  await launcher.line(/started victim \(subprocess, pid \d+, restart 1\)/);
  await waitFor(
    () =>
      launcher.lines.filter((l) => /victim registered/.test(l.text)).length ===
        2,
    `victim to register again:\n${launcher.text}`,
    { timeout: 20000 },
  );
  await squatting;
  assert(refused > 0, "the squatter never tried");
  assert(!/already/.test(launcher.text), launcher.text);
  const [live] = (await squatter.nodes()).filter((n) => n.name === "victim");
  assert(live.pid !== first, "the restart holds the name");
  assertEquals(alive(first), false);

  launcher.child.kill("SIGTERM");
  assertEquals(await launcher.exited(), 0, launcher.text);
});
