/**
 * `permissionFlags` and `zmpNeeds`: what a subprocess node is allowed.
 *
 * @module
 */

import { assertEquals } from "../_assert.ts";
import {
  permissionFlags,
  ZMP_ROOT,
  zmpNeeds,
} from "../../src/launch/_permissions.ts";

Deno.test("zmpNeeds() adds FFI, reads of zmp and the module's folder, ZMP_* and hostname", () => {
  assertEquals(zmpNeeds("file:///app/nodes/cam.ts", ["GAIN"]), {
    ffi: true,
    read: [`${ZMP_ROOT}/mod.ts`, `${ZMP_ROOT}/src`, "/app/nodes"],
    env: ["ZMP_*", "MSGPACKR_NATIVE_ACCELERATION_DISABLED", "GAIN"],
    sys: ["hostname"],
  });
  assertEquals(zmpNeeds("https://example.com/cam.ts").read, [
    `${ZMP_ROOT}/mod.ts`,
    `${ZMP_ROOT}/src`,
  ]);
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
