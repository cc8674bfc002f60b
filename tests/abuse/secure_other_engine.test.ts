/**
 * The handshake probes of `secure.test.ts` again, on the engine that is not
 * the default: on libzmq, refusals go through the ZAP handler
 * (`src/zmq/_libzmq_zap.ts`), which must keep the same bounds. Their
 * control (admitted handshakes) matches the filter too: its ratio is the
 * baseline of theirs.
 */

import { assertEquals } from "../_assert.ts";
import { defaultEngine } from "../../src/zmq/_engine.ts";

Deno.test("secure probes of failed handshakes hold on the other engine too", async () => {
  const other = defaultEngine() === "zmtp" ? "libzmq" : "zmtp";
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "test",
      "-A",
      "--filter",
      "/curve-unknown|curve-fresh/",
      new URL("./secure.test.ts", import.meta.url).pathname,
    ],
    env: { ZMP_ENGINE: other, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) +
    new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 0, `${other}:\n${text}`);
  // The ratios, for the record.
  for (const line of text.split("\n")) {
    if (/ on (calc|registry|publisher)/.test(line)) console.log(line.trim());
  }
});
