/**
 * Finding libzmq: a clear error listing where it looked, ZMP_LIBZMQ
 * honoured, and no native code at import time.
 */

import { assert, assertEquals, assertStringIncludes } from "../_assert.ts";
import { libzmq } from "../../src/zmq/mod.ts";
import { ROOT, runFixture } from "./_helpers.ts";

const NPM_LIBZMQ =
  `${ROOT}node_modules/zeromq/build/linux/x64/node/glibc-127-Release/addon.node`;
const LINUX_X64 = Deno.build.os === "linux" && Deno.build.arch === "x86_64";

Deno.test("libzmq() fails with LibzmqNotFoundError listing the ZMP_LIBZMQ path", async () => {
  const { code, stdout, stderr } = await runFixture("load_libzmq.ts", {
    env: { ZMP_LIBZMQ: "/nonexistent/libzmq.so" },
  });
  assertEquals(code, 0, stderr);
  const out = JSON.parse(stdout);
  assertEquals(out.error, "LibzmqNotFoundError");
  assertEquals(out.attempts.length, 1);
  assertEquals(out.attempts[0].path, "/nonexistent/libzmq.so");
  assertStringIncludes(out.attempts[0].error, "/nonexistent/libzmq.so");
  assertStringIncludes(out.message, "Cannot load libzmq: tried 1 places");
  assertStringIncludes(out.message, "  - /nonexistent/libzmq.so: ");
  assertStringIncludes(out.message, "Set ZMP_LIBZMQ to the path");
});

Deno.test({
  name: "libzmq() loads the npm zeromq build 4.3.5 named by ZMP_LIBZMQ",
  ignore: !LINUX_X64,
  async fn() {
    const stat = await Deno.stat(NPM_LIBZMQ).catch(() => undefined);
    assert(stat?.isFile, `${NPM_LIBZMQ} is missing: run "deno install"`);
    const { code, stdout, stderr } = await runFixture("load_libzmq.ts", {
      env: { ZMP_LIBZMQ: NPM_LIBZMQ },
    });
    assertEquals(code, 0, stderr);
    assertEquals(JSON.parse(stdout), { path: NPM_LIBZMQ, version: [4, 3, 5] });
  },
});

Deno.test("libzmq() in this process reports a 4.x version and its path", () => {
  const { path, version } = libzmq();
  assertEquals(version[0], 4);
  assert(path.length > 0);
});

Deno.test("mod.ts imports without --allow-ffi", async () => {
  const { code, stdout, stderr } = await runFixture("import_only.ts", {
    permissions: ["--allow-read", "--allow-env", "--no-prompt"],
  });
  assertEquals(code, 0, stderr);
  assertEquals(stdout.trim(), "ok");
});
