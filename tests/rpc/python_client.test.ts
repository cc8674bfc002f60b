/**
 * Runs the Python client listed in docs/PROTOCOL.md against the fixture
 * server, proving the document is enough to write a working client. Skipped
 * when no Python with pyzmq and msgpack is found (tests/_python.ts).
 */

import { assertEquals } from "../_assert.ts";
import { ServerProcess } from "./_server_process.ts";
import { findPython } from "../_python.ts";

const DOC = new URL("../../docs/PROTOCOL.md", import.meta.url);

const PYTHON = await findPython();

Deno.test({
  name: "docs/PROTOCOL.md Python client talks to a zmp server",
  ignore: PYTHON === undefined,
  async fn() {
    const doc = await Deno.readTextFile(DOC);
    const listing = /```python\n([\s\S]*?)```/.exec(doc)?.[1];
    if (listing === undefined) throw new Error("no python listing in the doc");
    const file = await Deno.makeTempFile({ suffix: ".py" });
    try {
      await Deno.writeTextFile(file, listing);
      await using server = await ServerProcess.start();
      const out = await new Deno.Command(PYTHON!, {
        args: [file, server.endpoint],
        stdin: "null",
      }).output();
      const stderr = new TextDecoder().decode(out.stderr);
      assertEquals(out.code, 0, stderr);
      assertEquals(new TextDecoder().decode(out.stdout).trim().split("\n"), [
        "True",
        "5",
        "{'user': 'py'}",
        "[0, 1, 2, 3, 4]",
        `3 Invalid arguments for Calculator.add: args[1]: expected number, got string "x" {'issues': [{'path': 'args[1]', 'expected': 'number', 'received': 'string "x"'}]}`,
        "4 Call to Calculator.sleep exceeded its deadline of 100 ms",
      ]);
    } finally {
      await Deno.remove(file);
    }
  },
});
