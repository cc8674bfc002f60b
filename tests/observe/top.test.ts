/**
 * `zmp top` in a real terminal (tmux: send-keys to type, capture-pane to
 * read the screen) against a launched example, and `zmp top --json`.
 */

import { assert, assertEquals, waitFor } from "../_assert.ts";
import { ROOT_PATH, Zmp } from "./_helpers.ts";

const CLI = `${ROOT_PATH}src/cli/main.ts`;

async function tmux(socket: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command("tmux", {
    args: ["-L", socket, ...args],
    stdin: "null",
  }).output();
  if (!out.success) {
    throw new Error(
      `tmux ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`,
    );
  }
  return new TextDecoder().decode(out.stdout);
}

Deno.test("zmp top shows a launched example live in a terminal, sorts by key, quits on q", async () => {
  await using launch = new Zmp(["launch", "examples/control/launch.ts"]);
  const registry = await launch.registry();
  await launch.line(/controller subscribes to control\/measurement/);
  const socket = `zmp-top-test-${Deno.pid}`;
  const dir = await Deno.makeTempDir({ prefix: "zmp-top-" });
  const codeFile = `${dir}/code`;
  try {
    await tmux(
      socket,
      "new-session",
      "-d",
      "-s",
      "top",
      "-x",
      "150",
      "-y",
      "40",
      // The shell writes top's exit code to a file: tmux's own record of
      // a dead pane's status was found empty under the parallel suite.
      `NO_COLOR=1 ${Deno.execPath()} run -A ${CLI} top --registry ${registry} --interval 500; echo $? > ${codeFile}`,
    );
    await tmux(socket, "set-option", "-t", "top", "remain-on-exit", "on");
    let screen = "";
    const shows = async (test: (s: string) => boolean, what: string) => {
      await waitFor(
        async () => {
          screen = await tmux(socket, "capture-pane", "-p", "-t", "top");
          return test(screen);
        },
        `${what}; the screen:\n${screen}`,
        { timeout: 30000 },
      );
    };
    // Rates need two rounds: wait for a measurement rate above zero.
    const rate = (s: string, topic: string, node: string) => {
      const row = s.split("\n").find((l) =>
        l.startsWith(topic) && l.split(/\s+/)[1] === node
      );
      return Number(row?.split(/\s+/)[3] ?? NaN);
    };
    const calls = (s: string, node: string) => {
      const row = s.split("\n").find((l) => l.startsWith(`${node} `));
      return Number(row?.split(/\s+/)[3] ?? NaN);
    };
    await shows(
      (s) =>
        rate(s, "control/measurement", "plant") > 5 &&
        calls(s, "registry") > 0,
      "control/measurement's rate and the registry's calls per second",
    );
    const lines = screen.split("\n");
    assert(lines[0].startsWith(`zmp top  ${registry}`), lines[0]);
    assert(lines[0].includes("sort: name"), lines[0]);
    for (const head of ["NODE", "METHOD", "TOPIC"]) {
      assert(lines.some((l) => l.startsWith(head)), `${head}:\n${screen}`);
    }
    const nodes = lines.slice(lines.findIndex((l) => l.startsWith("NODE")) + 1)
      .slice(0, 3).map((l) => l.split(/\s+/)[0]);
    assertEquals(nodes, ["controller", "plant", "registry"]);
    assert(
      lines.some((l) => /^zmp\.Registry\.heartbeat\s+registry\s/.test(l)),
      screen,
    );

    await tmux(socket, "send-keys", "-t", "top", "r");
    await shows((s) => s.split("\n")[0].includes("sort: rate"), "sort: rate");
    const byRate = screen.split("\n");
    const first = byRate[byRate.findIndex((l) => l.startsWith("NODE")) + 1];
    // The registry answers heartbeats and watches: the busiest process.
    assert(first.startsWith("registry"), screen);

    await tmux(socket, "send-keys", "-t", "top", "q");
    let code = "";
    await waitFor(
      async () => {
        code = await Deno.readTextFile(codeFile).catch(() => "");
        return code.endsWith("\n");
      },
      "zmp top to exit on q",
    );
    assertEquals(code.trim(), "0", "zmp top's exit code");
    // The screen is given back: the alternate screen is gone.
    screen = await tmux(socket, "capture-pane", "-p", "-t", "top");
    assert(!screen.includes("keys: n r l e d"), screen);
  } finally {
    await tmux(socket, "kill-server").catch(() => "");
    await Deno.remove(dir, { recursive: true });
  }
  assertEquals(await launch.stop(), 0, launch.text);
});

Deno.test("zmp top --json prints one snapshot with rates, and exits", async () => {
  await using launch = new Zmp(["launch", "examples/control/launch.ts"]);
  const registry = await launch.registry();
  await launch.line(/controller subscribes to control\/measurement/);
  await using top = new Zmp([
    "top",
    "--json",
    "--interval",
    "500",
    "--registry",
    registry,
  ]);
  assertEquals(await top.exited(), 0, top.text);
  const snapshot = JSON.parse(top.lines.find((l) => l.startsWith("{"))!);
  assertEquals(snapshot.registry, registry);
  assertEquals(
    snapshot.nodes.map((n: { node: string }) => n.node).sort(),
    ["controller", "plant", "registry"],
  );
  const measurement = snapshot.topics.find((
    t: { topic: string; role: string },
  ) => t.topic === "control/measurement" && t.role === "publisher");
  assert(measurement.perSecond > 5, JSON.stringify(measurement));
  assert(snapshot.intervalSeconds >= 0.5);
  const heartbeat = snapshot.methods.find((m: { method: string }) =>
    m.method === "zmp.Registry.heartbeat"
  );
  assert(heartbeat.calls > 0);
  assertEquals(await launch.stop(), 0, launch.text);
});

Deno.test("zmp top rejects bad options in one line with exit code 2", async () => {
  await using top = new Zmp(["top", "--sort", "size"]);
  assertEquals(await top.exited(), 2);
  assertEquals(top.lines, [
    'zmp top: --sort must be one of name, rate, p99, errors, drops, got "size" (see zmp top --help)',
  ]);
});
