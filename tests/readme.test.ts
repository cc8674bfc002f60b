/**
 * The README's "write a service" walkthrough, run as written, in a folder
 * outside the checkout: zmp is installed with `deno install -g`, `zmp init`
 * makes the project, the files are extracted from the fenced blocks,
 * generated, and the server and client run as two processes. The README
 * cannot go stale without this failing.
 *
 * @module
 */

import { assertEquals, assertStringIncludes } from "./_assert.ts";
import { CLI, outsideFolder, run } from "./project/_project.ts";

const root = new URL("../", import.meta.url).pathname;

/** Fenced ```ts blocks whose first line is `// greeter/<file>`. */
function greeterFiles(readme: string): Map<string, string> {
  const files = new Map<string, string>();
  for (
    const m of readme.matchAll(/```ts\n\/\/ greeter\/(\S+)\n([\s\S]*?)```/g)
  ) {
    files.set(m[1], m[2]);
  }
  return files;
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

Deno.test("README walkthrough: install, init, codegen, server and client work as written, outside the checkout", async () => {
  const readme = await Deno.readTextFile(`${root}README.md`);
  assertStringIncludes(
    readme,
    "deno install -g -A -n zmp <zmp>/src/cli/main.ts",
  );
  assertStringIncludes(readme, "zmp init my-app && cd my-app");
  assertStringIncludes(readme, "deno task codegen greeter/greeter.api.ts");
  const files = greeterFiles(readme);
  assertEquals([...files.keys()].sort(), [
    "client.ts",
    "greeter.api.ts",
    "server.ts",
  ]);
  const port = String(freePort());
  await using tmp = await outsideFolder();
  const bin = `${tmp.path}/.deno`;
  const install = await run(
    Deno.execPath(),
    ["install", "-g", "-A", "-n", "zmp", "--root", bin, CLI],
    { cwd: tmp.path },
  );
  assertEquals(install.code, 0, install.stderr);
  const init = await run(`${bin}/bin/zmp`, ["init", "my-app"], {
    cwd: tmp.path,
  });
  assertEquals(init.code, 0, init.stderr);
  const app = `${tmp.path}/my-app`;
  const dir = `${app}/greeter`;
  await Deno.mkdir(dir);
  let server: Deno.ChildProcess | undefined;
  try {
    for (const [name, text] of files) {
      await Deno.writeTextFile(`${dir}/${name}`, text.replaceAll("5555", port));
    }
    const gen = await run(Deno.execPath(), [
      "task",
      "codegen",
      "greeter/greeter.api.ts",
    ], { cwd: app });
    assertEquals(gen.code, 0, gen.stderr);
    const generated = await Deno.readTextFile(`${dir}/greeter.api.gen.ts`);
    assertStringIncludes(
      generated,
      "export const GreeterClient = clientClass(",
    );

    server = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "greeter/server.ts"],
      cwd: app,
      stdout: "piped",
      stderr: "piped",
      stdin: "null",
    }).spawn();
    const reader = server.stdout.pipeThrough(new TextDecoderStream())
      .getReader();
    const first = await reader.read();
    reader.releaseLock();
    assertStringIncludes(
      first.value ?? "",
      `listening on tcp://127.0.0.1:${port}`,
    );

    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "greeter/client.ts"],
      cwd: app,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
    assertEquals(text.split("\n"), [
      "Hello, Ada! true",
      "3",
      "2",
      "1",
      "0",
      "INVALID_ARGUMENT name is empty",
      "",
    ]);
  } finally {
    if (server) {
      server.kill("SIGKILL");
      await server.status;
      await server.stdout.cancel().catch(() => {});
      await server.stderr.cancel().catch(() => {});
    }
  }
});
