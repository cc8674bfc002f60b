/**
 * zmp's deno.json: a first install is quiet. zmp needs neither the
 * zeromq package's install script (libzmq comes from its prebuilt addon)
 * nor msgpackr-extract's (msgpackr runs without the native extension), nor
 * protobufjs's (etcd3's gRPC dependency: its postinstall only warns about
 * version schemes), and the configuration says so, so Deno prints no
 * warning box about them.
 */

import { assertEquals } from "./_assert.ts";

const ROOT = new URL("../", import.meta.url).pathname;

Deno.test("deno install of zmp's dependencies prints no warning about build scripts", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zmp-install-" });
  try {
    for (const file of ["deno.json", "deno.lock"]) {
      await Deno.copyFile(`${ROOT}${file}`, `${dir}/${file}`);
    }
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["install"],
      cwd: dir,
      env: { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stderr) +
      new TextDecoder().decode(out.stdout);
    assertEquals(out.code, 0, text);
    assertEquals(
      /Warning|build scripts|Lifecycle scripts/i.test(text),
      false,
      text,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
