/**
 * The README's "write a service" walkthrough, run as written: its files are
 * extracted from the fenced blocks, generated, and the server and client run
 * as two processes. The README cannot go stale without this failing.
 *
 * @module
 */

import { assertEquals, assertStringIncludes } from "./_assert.ts";

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

Deno.test("README walkthrough: codegen, server and client work as written", async () => {
  const readme = await Deno.readTextFile(`${root}README.md`);
  const files = greeterFiles(readme);
  assertEquals([...files.keys()].sort(), [
    "client.ts",
    "greeter.api.ts",
    "server.ts",
  ]);
  const port = String(freePort());
  // A sibling of mod.ts, so that the README's "../mod.ts" imports resolve.
  const dir = await Deno.makeTempDir({ dir: root, prefix: "greeter-" });
  let server: Deno.ChildProcess | undefined;
  try {
    for (const [name, text] of files) {
      await Deno.writeTextFile(`${dir}/${name}`, text.replaceAll("5555", port));
    }
    const gen = await new Deno.Command(Deno.execPath(), {
      args: ["task", "codegen", `${dir}/greeter.api.ts`],
      cwd: root,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(gen.code, 0, new TextDecoder().decode(gen.stderr));
    const generated = await Deno.readTextFile(`${dir}/greeter.api.gen.ts`);
    assertStringIncludes(
      generated,
      "export const GreeterClient = clientClass(",
    );

    server = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `${dir}/server.ts`],
      cwd: root,
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
      args: ["run", "-A", `${dir}/client.ts`],
      cwd: root,
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
    await Deno.remove(dir, { recursive: true });
  }
});
