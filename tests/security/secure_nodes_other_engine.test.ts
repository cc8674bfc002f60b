/**
 * `secure_nodes.test.ts` again, on the engine that is not the default:
 * secure mode must work on both (ZMP_ENGINE=libzmq|zmtp).
 */

import { assertEquals } from "../_assert.ts";
import { defaultEngine } from "../../src/zmq/_engine.ts";

Deno.test("secure mode works on the other engine too", async () => {
  const other = defaultEngine() === "zmtp" ? "libzmq" : "zmtp";
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "test",
      "-A",
      new URL("./secure_nodes.test.ts", import.meta.url).pathname,
    ],
    env: { ZMP_ENGINE: other, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) +
    new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 0, `${other}:\n${text}`);
});
