/**
 * zmp in a project of one's own, as a user meets it: `zmp init` in a
 * folder outside the checkout, then codegen, the scaffold's own tests, a
 * launch, CLI calls (through `deno task zmp` and through a `zmp` installed
 * with `deno install -g`), and a node started with plain `deno run`.
 */

import {
  assert,
  assertEquals,
  assertMatch,
  assertStringIncludes,
  waitFor,
} from "../_assert.ts";
import { CLI, freePort, outsideFolder, run, Running, ZMP } from "./_project.ts";

const FILES = [
  ".gitignore",
  "README.md",
  "deno.json",
  "greeter.api.ts",
  "greeter.ts",
  "launch.ts",
  "launch_test.ts",
  "listener.ts",
];

Deno.test("zmp init refuses a folder that is not empty, in one line", async () => {
  await using tmp = await outsideFolder();
  await Deno.writeTextFile(`${tmp.path}/notes.txt`, "mine\n");
  const r = await run(Deno.execPath(), ["run", "-A", CLI, "init", "."], {
    cwd: tmp.path,
  });
  assertEquals(r.code, 1, r.stderr);
  assertEquals(r.stdout, "");
  assertEquals(
    r.stderr,
    "zmp init: Cannot create a project in .: the folder is not empty (notes.txt)\n",
  );
  assertEquals([...Deno.readDirSync(tmp.path)].map((e) => e.name), [
    "notes.txt",
  ]);
  const two = await run(Deno.execPath(), ["run", "-A", CLI, "init", "a", "b"], {
    cwd: tmp.path,
  });
  assertEquals(two.code, 2);
  assertEquals(
    two.stderr,
    "zmp init: expected at most one folder, got 2 (see zmp init --help)\n",
  );
});

Deno.test("a project made by zmp init, outside the checkout, generates, tests, launches, is called, and runs a node with deno run", async () => {
  await using tmp = await outsideFolder();
  const deno = Deno.execPath();

  // init: deno.json maps "zmp" to this checkout.
  const init = await run(deno, ["run", "-A", CLI, "init", "app"], {
    cwd: tmp.path,
  });
  assertEquals(init.code, 0, init.stderr);
  assertStringIncludes(init.stdout, `created app/ with zmp at ${ZMP}:`);
  const app = `${tmp.path}/app`;
  assertEquals([...Deno.readDirSync(app)].map((e) => e.name).sort(), FILES);
  const config = JSON.parse(await Deno.readTextFile(`${app}/deno.json`));
  assertEquals(config.imports.zmp, `${ZMP}/mod.ts`);
  assertEquals(Object.keys(config.tasks).sort(), [
    "codegen",
    "launch",
    "test",
    "zmp",
  ]);

  // codegen, then the scaffold's own test (it launches and calls).
  const codegen = await run(deno, ["task", "codegen"], { cwd: app });
  assertEquals(codegen.code, 0, codegen.stderr);
  assertStringIncludes(codegen.stdout, "wrote greeter.api.gen.ts");
  assert(!/Warning|Ignored build scripts/.test(codegen.stderr), codegen.stderr);
  const gen = await Deno.readTextFile(`${app}/greeter.api.gen.ts`);
  assertMatch(gen, /^} from "zmp";$/m);
  const test = await run(deno, ["task", "test"], { cwd: app });
  assertEquals(test.code, 0, `${test.stdout}\n${test.stderr}`);
  assertMatch(test.stdout, /1 passed \| 0 failed/);

  // deno task launch, on a free port given by ZMP_REGISTRY.
  const registry = `tcp://127.0.0.1:${freePort()}`;
  const env = { ZMP_REGISTRY: registry };
  await using launch = new Running(deno, ["task", "launch"], {
    cwd: app,
    env,
  });
  await launch.line(new RegExp(`registry listening on ${registry}$`));
  await launch.line(/listener subscribes to greetings/);

  // A call through the project's task.
  const call = await run(
    deno,
    ["task", "--quiet", "zmp", "call", "Greeter.greet", "Ada", "--json"],
    { cwd: app, env },
  );
  assertEquals(call.code, 0, call.stderr);
  assertMatch(
    call.stdout,
    /^\{"name":"Ada","text":"Hello, Ada!","at":".*"\}\n$/,
  );
  await launch.line(/listener +│ heard "Hello, Ada!" \(greeting #1\)/);

  // A node started with plain deno run joins the same registry.
  await using alone = new Running(
    deno,
    ["run", "-A", "listener.ts", "--name", "listener-2"],
    { cwd: app, env },
  );
  // The greetings topic is latched: the new listener hears the last one.
  await alone.line(/^heard "Hello, Ada!" \(greeting #1\)$/);

  // zmp installed with deno install -g, used from the project's folder.
  const root = `${tmp.path}/installed`;
  const install = await run(
    deno,
    ["install", "-g", "-A", "-n", "zmp", "--root", root, CLI],
    { cwd: tmp.path },
  );
  assertEquals(install.code, 0, install.stderr);
  const nodes = await run(`${root}/bin/zmp`, ["list", "nodes", "--json"], {
    cwd: app,
    env,
  });
  assertEquals(nodes.code, 0, nodes.stderr);
  const names = (JSON.parse(nodes.stdout) as { name: string }[])
    .map((n) => n.name).sort();
  assertEquals(names, ["greeter", "listener", "listener-2"]);

  // Ctrl-C stops the lone node cleanly; SIGTERM stops the launch in order.
  assertEquals(await alone.stop("SIGINT"), 0, alone.text);
  assertEquals(await launch.stop("SIGTERM"), 0, launch.text);
  assertMatch(launch.text, /stopped listener \(exit code 0\)/);
  assertMatch(launch.text, /registry closed/);

  // The installed zmp launches Worker and in-process nodes too: they run in
  // the launcher's process, which runs with the project's deno.json.
  await Deno.writeTextFile(
    `${app}/modes.ts`,
    `import { defineLaunch } from "zmp";
export default defineLaunch({
  nodes: [
    { name: "greeter", module: "./greeter.ts" },
    { name: "in-worker", module: "./listener.ts", mode: "worker", after: [{ service: "Greeter" }] },
    { name: "in-process", module: "./listener.ts", mode: "inprocess", after: [{ service: "Greeter" }] },
  ],
});
`,
  );
  await using modes = new Running(`${root}/bin/zmp`, ["launch", "modes.ts"], {
    cwd: app,
    env,
  });
  await modes.line(/in-worker subscribes to greetings/);
  await modes.line(/in-process subscribes to greetings/);
  const again = await run(`${root}/bin/zmp`, ["call", "Greeter.greet", "Bo"], {
    cwd: app,
    env,
  });
  assertEquals(again.code, 0, again.stderr);
  // Worker and in-process nodes share the launcher's standard output.
  await waitFor(
    () =>
      modes.lines.filter((l) => l.startsWith('heard "Hello, Bo!"')).length ===
        2,
    `both listeners hear the greeting:\n${modes.text}`,
    { timeout: 60_000 },
  );
  assertEquals(await modes.stop("SIGTERM"), 0, modes.text);
});
