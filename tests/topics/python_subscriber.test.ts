/**
 * Runs the Python subscriber listed under "Topics" in docs/PROTOCOL.md
 * against a zmp publisher, proving the document is enough to read topics
 * from another language. Skipped when no Python with pyzmq and msgpack is
 * found (tests/_python.ts).
 */

import { assertEquals } from "../_assert.ts";
import { createPublisher } from "../../mod.ts";
import { TemperatureTopic } from "./fixtures/topics.ts";
import { findPython } from "../_python.ts";

const DOC = new URL("../../docs/PROTOCOL.md", import.meta.url);

const PYTHON = await findPython();
const TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

Deno.test({
  name:
    "docs/PROTOCOL.md Python subscriber reads a zmp topic, a traced message's traceparent included",
  ignore: PYTHON === undefined,
  async fn() {
    const doc = await Deno.readTextFile(DOC);
    const topics = doc.slice(doc.indexOf("## 13. Topics"));
    const listing = /```python\n([\s\S]*?)```/.exec(topics)?.[1];
    if (listing === undefined) throw new Error("no Python listing in §13");
    await using pub = createPublisher(TemperatureTopic, { latched: true });
    pub.publish({ celsius: 1, sensor: "latched" });
    const child = new Deno.Command(PYTHON!, {
      args: ["-c", listing, pub.endpoint, TemperatureTopic.name, "3"],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    try {
      const lines: string[] = [];
      const reader = child.stdout.pipeThrough(new TextDecoderStream())
        .getReader();
      let text = "";
      while (lines.length < 3) {
        const { value, done } = await reader.read();
        if (done) break;
        text += value;
        let nl;
        while ((nl = text.indexOf("\n")) >= 0) {
          lines.push(text.slice(0, nl));
          text = text.slice(nl + 1);
          // The latched replay arrived: the subscription is in, so what is
          // published now reaches the Python side.
          if (lines.length === 1) {
            pub.publish({ celsius: 2, sensor: "live" });
            pub.publish({ celsius: 3, sensor: "live" }, {
              traceparent: TRACEPARENT,
            });
          }
        }
      }
      await reader.cancel();
      assertEquals(lines.map((l) => JSON.parse(l)), [
        { message: { celsius: 1, sensor: "latched" } },
        { message: { celsius: 2, sensor: "live" } },
        {
          message: { celsius: 3, sensor: "live" },
          traceparent: TRACEPARENT,
        },
      ]);
      assertEquals((await child.status).code, 0);
    } finally {
      try {
        child.kill("SIGKILL");
      } catch {
        // exited
      }
      await child.status;
    }
  },
});
