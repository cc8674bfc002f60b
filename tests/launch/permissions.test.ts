/**
 * `permissionFlags` and `zmpNeeds`: what a subprocess node is allowed.
 *
 * @module
 */

import { assertEquals, assertMatch, assertThrows } from "../_assert.ts";
import { validateLaunch } from "../../src/launch/_validate.ts";
import { LaunchError } from "../../src/launch/errors.ts";
import { fixture, Launcher, tempDir, writeLaunch } from "./_harness.ts";
import {
  permissionFlags,
  ZMP_ROOT,
  zmpNeeds,
} from "../../src/launch/_permissions.ts";

Deno.test("zmpNeeds() adds FFI, reads of zmp and the module's folder, ZMP_* and hostname", () => {
  const needs = zmpNeeds("file:///app/nodes/cam.ts", {
    env: ["GAIN"],
    engine: "libzmq",
  });
  assertEquals(needs.ffi, true);
  assertEquals(needs.read?.slice(0, 3), [
    `${ZMP_ROOT}/mod.ts`,
    `${ZMP_ROOT}/src`,
    "/app/nodes",
  ]);
  assertEquals(needs.env, [
    "ZMP_*",
    "MSGPACKR_NATIVE_ACCELERATION_DISABLED",
    "GAIN",
  ]);
  assertEquals(needs.sys, ["hostname"]);
  assertEquals(needs.import, undefined);
});

Deno.test("zmpNeeds() reads the whole project, not each module's folder", async () => {
  const root = await Deno.makeTempDir({ prefix: "zmp-needs-" });
  try {
    await Deno.mkdir(`${root}/node_modules`);
    const needs = zmpNeeds(`file://${root}/nodes/cam.ts`, {
      project: { file: `${root}/deno.json`, root },
    });
    // The project holds node_modules: no need for Deno's npm cache.
    assertEquals(needs.read, [root, `${ZMP_ROOT}/mod.ts`, `${ZMP_ROOT}/src`]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("zmpNeeds() reads Deno's npm cache when the project has no node_modules", () => {
  const needs = zmpNeeds("file:///app/cam.ts", {
    project: { file: "/app/deno.json", root: "/app" },
  });
  const cache = needs.read?.at(-1) ?? "";
  assertEquals(cache.endsWith("/npm"), true, cache);
});

Deno.test("zmpNeeds() allows imports from a module's host unless Deno allows it already", () => {
  assertEquals(zmpNeeds("http://127.0.0.1:8000/cam.ts").import, [
    "127.0.0.1:8000",
  ]);
  assertEquals(zmpNeeds("https://deno.land/x/cam.ts").import, undefined);
});

Deno.test("permissionFlags() merges declared lists with zmp's and never widens a list", () => {
  assertEquals(
    permissionFlags(
      { read: ["/data"], net: ["example.com:443"], write: ["/tmp/out"] },
      { read: ["/zmp/src"], ffi: true, env: ["ZMP_*"] },
    ),
    [
      "--no-prompt",
      "--allow-read=/data,/zmp/src",
      "--allow-write=/tmp/out",
      "--allow-net=example.com:443",
      "--allow-env=ZMP_*",
      "--allow-ffi",
    ],
  );
});

Deno.test("permissionFlags() lets true win and drops duplicates", () => {
  assertEquals(
    permissionFlags({ env: true, sys: ["hostname"] }, {
      env: ["ZMP_*"],
      sys: ["hostname"],
    }),
    ["--no-prompt", "--allow-env", "--allow-sys=hostname"],
  );
  assertEquals(permissionFlags({}, {}), ["--no-prompt"]);
});

Deno.test("zmpNeeds() on the zmtp engine adds the network and no FFI", () => {
  const needs = zmpNeeds("file:///app/nodes/cam.ts", { engine: "zmtp" });
  assertEquals(needs.net, true);
  assertEquals(needs.ffi, undefined);
  assertEquals(permissionFlags({}, needs).includes("--allow-ffi"), false);
});

Deno.test("zmp launch on the zmtp engine runs a node without FFI, which never opens libzmq", async () => {
  await using dir = await tempDir();
  const file = await writeLaunch(dir.path, {
    registry: { endpoint: "tcp://127.0.0.1:*" },
    nodes: [{ name: "prober", module: fixture("ffi_reader.ts") }],
  });
  await using launcher = new Launcher(["--no-check", file], {
    ZMP_ENGINE: "zmtp",
  });
  assertEquals(await launcher.exited(), 0, launcher.text);
  const [line] = await launcher.line(/prober +│ engine=.*/);
  assertMatch(line, /engine=zmtp ffi=(prompt|denied) net=granted$/);
});

Deno.test("zmp launch: a node with permissions: {} cannot write a file or run a command by any means, FFI included", async () => {
  await using dir = await tempDir();
  const target = `${dir.path}/pwned`;
  const file = await writeLaunch(dir.path, {
    registry: { endpoint: "tcp://127.0.0.1:*" },
    nodes: [{
      name: "jailed",
      module: fixture("escape.ts"),
      args: [target],
      permissions: {},
    }],
  });
  // Whatever engine the launcher itself runs on.
  await using launcher = new Launcher(["--no-check", file]);
  assertEquals(await launcher.exited(), 0, launcher.text);
  const lines = launcher.lines.map((l) => l.text)
    .filter((t) => /jailed +│ escape /.test(t))
    .map((t) => t.replace(/^jailed +│ escape /, ""));
  assertEquals(lines, [
    "engine=zmtp",
    "writeTextFile=refused:NotCapable",
    "command=refused:NotCapable",
    "dlopen=refused:NotCapable",
  ], launcher.text);
  assertEquals(await exists(target), false);
  assertEquals(/sandbox is void/.test(launcher.text), false);
});

Deno.test("zmp launch: an unsafeFfi node runs on libzmq with FFI, and the launch says its sandbox is void", async () => {
  await using dir = await tempDir();
  const file = await writeLaunch(dir.path, {
    registry: { endpoint: "tcp://127.0.0.1:*" },
    nodes: [{
      name: "native",
      module: fixture("ffi_reader.ts"),
      unsafeFfi: true,
    }],
  });
  await using launcher = new Launcher(["--no-check", file], {
    ZMP_ENGINE: "zmtp",
  });
  assertEquals(await launcher.exited(), 0, launcher.text);
  await launcher.line(
    /native has unsafeFfi: it runs on libzmq with --allow-ffi, so its sandbox is void/,
  );
  const [line] = await launcher.line(/native +│ engine=.*/);
  assertMatch(line, /engine=libzmq ffi=granted/);
});

Deno.test("validateLaunch() refuses permissions.ffi without unsafeFfi, and unsafeFfi outside a subprocess", () => {
  const error = assertThrows(
    () =>
      validateLaunch({
        nodes: [{ name: "n", module: "./n.ts", permissions: { ffi: true } }],
      }, "file:///app/launch.ts"),
    LaunchError,
  );
  assertEquals(
    error.message,
    'Cannot launch: node "n": permissions.ffi needs unsafeFfi: true: FFI voids the node\'s sandbox',
  );
  assertThrows(
    () =>
      validateLaunch({
        nodes: [{
          name: "w",
          module: "./w.ts",
          mode: "worker",
          unsafeFfi: true,
        }],
      }, "file:///app/launch.ts"),
    LaunchError,
    'node "w": unsafeFfi needs mode "subprocess"',
  );
});

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}
