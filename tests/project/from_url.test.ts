/**
 * `zmp init` run from a URL maps "zmp" to that URL, and maps zmp's own
 * imports for zmp's modules only (a remote module has no deno.json): the
 * new project generates and passes its test with zmp served over HTTP.
 */

import { assertEquals, assertStringIncludes } from "../_assert.ts";
import { outsideFolder, run, ZMP } from "./_project.ts";

/** Serves the checkout under a fresh path, so no cached copy is reused. */
function serveCheckout(): { base: string } & AsyncDisposable {
  const prefix = `/zmp-${crypto.randomUUID()}`;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (request) => {
      const path = decodeURIComponent(new URL(request.url).pathname);
      if (!path.startsWith(`${prefix}/`) || path.includes("..")) {
        return new Response("not found", { status: 404 });
      }
      try {
        const body = await Deno.readFile(`${ZMP}${path.slice(prefix.length)}`);
        const type = path.endsWith(".json")
          ? "application/json"
          : "application/typescript";
        return new Response(body, { headers: { "content-type": type } });
      } catch {
        return new Response("not found", { status: 404 });
      }
    },
  );
  return {
    base: `http://127.0.0.1:${server.addr.port}${prefix}/`,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

Deno.test("zmp init from a URL: deno.json maps zmp to the URL, and the project generates and tests", async () => {
  await using served = serveCheckout();
  await using tmp = await outsideFolder();
  const deno = Deno.execPath();
  const init = await run(deno, [
    "run",
    "-A",
    "--import-map",
    `${served.base}deno.json`,
    `${served.base}src/cli/main.ts`,
    "init",
    "app",
  ], { cwd: tmp.path });
  assertEquals(init.code, 0, init.stderr);
  const app = `${tmp.path}/app`;
  const config = JSON.parse(await Deno.readTextFile(`${app}/deno.json`));
  assertEquals(config.imports.zmp, `${served.base}mod.ts`);
  assertEquals(config.tasks.zmp, `deno run -A ${served.base}src/cli/main.ts`);
  const scope = config.scopes[served.base];
  assertEquals(scope.msgpackr, "npm:msgpackr@2.1.3");
  assertEquals(scope["msgpackr/"], "npm:/msgpackr@2.1.3/");
  assertEquals(scope["fast-check"], undefined);
  assertEquals(scope.zmp, undefined);
  const codegen = await run(deno, ["task", "codegen"], { cwd: app });
  assertEquals(codegen.code, 0, codegen.stderr);
  assertStringIncludes(codegen.stdout, "wrote greeter.api.gen.ts");
  const test = await run(deno, ["task", "test"], { cwd: app });
  assertEquals(test.code, 0, `${test.stdout}\n${test.stderr}`);
});
